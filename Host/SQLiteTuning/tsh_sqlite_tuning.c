#include "tsh_sqlite_tuning.h"
#include <sqlite3.h>

int tsh_sqlite_configure_for_single_writer(void) {
    // sqlite3_config is variadic, so Swift cannot call it; this shim does.
    int rc = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
