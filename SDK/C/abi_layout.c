/* Compile-time checks of the ABI layout: a change that moves a field fails the build. */
#include "strategy_host_sdk.h"

_Static_assert(sizeof(tsh_build_fingerprint) == 16, "fingerprint is 16 pad-free bytes");
_Static_assert(sizeof(tsh_version) == 12, "version is three uint32");
_Static_assert(sizeof(tsh_event_header) == 40, "event header layout");
_Static_assert(offsetof(tsh_event_header, ts_event_ns) == 16, "event header layout");
_Static_assert(sizeof(tsh_quote_event) == 72, "quote event layout");
_Static_assert(sizeof(tsh_trade_event) == 64, "trade event layout");
_Static_assert(sizeof(tsh_str) == 16, "string slice layout");
_Static_assert(sizeof(tsh_error) == 16 + TSH_ERROR_MESSAGE_CAPACITY, "error layout");
_Static_assert(offsetof(tsh_manifest, fingerprint) == 16, "manifest layout");
