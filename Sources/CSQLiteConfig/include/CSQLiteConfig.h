#ifndef MAILSH_CSQLITECONFIG_H
#define MAILSH_CSQLITECONFIG_H
/* sqlite3_config is variadic, which Swift cannot call: one typed function per use. Nothing of SQLite's own types is
   declared here (GRDBSQLite declares them for MailshStore); SQLite is linked through GRDBSQLite. */

/* Turns off SQLite's memory statistics for the whole process (SQLITE_CONFIG_MEMSTATUS 0): every allocation and free
   of SQLite's then goes straight to malloc and free, without entering the statistics mutex and asking malloc for the
   block's size. Only before SQLite is initialized (its first connection): later, SQLite refuses (SQLITE_MISUSE) and
   nothing changes. Returns SQLite's result code. */
int CMailshSQLite_disableMemoryStatistics(void);

#endif
