#include "CSQLiteConfig.h"
#include <sqlite3.h>

int CMailshSQLite_disableMemoryStatistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
