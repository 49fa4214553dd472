/* This plugin exports only tsh_plugin_entry; its API is the SDK header. */
