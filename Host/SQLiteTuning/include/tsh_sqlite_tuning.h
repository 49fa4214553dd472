#ifndef TSH_SQLITE_TUNING_H
#define TSH_SQLITE_TUNING_H

/// Configures the process-wide SQLite library before its first use: multi-thread mode
/// (no mutex around every API call; GRDB already serializes each connection) and no
/// memory statistics (no global mutex around every allocation). Returns 0 when applied,
/// or the SQLite error code (SQLITE_MISUSE when SQLite was already initialized, in which
/// case nothing changes and everything keeps working, only slower).
int tsh_sqlite_configure_for_single_writer(void);

#endif
