#ifndef MAILSH_CSQLITECONFIG_H
#define MAILSH_CSQLITECONFIG_H
/* sqlite3_config is variadic, which Swift cannot call: one typed function per use. Nothing of SQLite's own types is
   declared here (GRDBSQLite declares them for MailshStore); SQLite is linked through GRDBSQLite. */

/* Turns off SQLite's memory statistics for the whole process (SQLITE_CONFIG_MEMSTATUS 0): every allocation and free
   of SQLite's then goes straight to malloc and free, without entering the statistics mutex and asking malloc for the
   block's size. Only before SQLite is initialized (its first connection): later, SQLite refuses (SQLITE_MISUSE) and
   nothing changes. Returns SQLite's result code. */
int CMailshSQLite_disableMemoryStatistics(void);

/* Gives SQLite an allocator (SQLITE_CONFIG_MALLOC) over malloc that keeps freed blocks of up to 2 KiB per thread
   for reuse: a statement's cursors and record buffers, allocated and freed on every step, then cost no trip
   through malloc and free (this SQLite is built without its own lookaside memory). Only before SQLite is
   initialized, like the setting above. Returns SQLite's result code. */
int CMailshSQLite_cacheSmallBlocks(void);

/* That allocator's functions, as SQLite calls them (xMalloc, xFree, xRealloc, xSize): a block of at least `size`
   bytes (NULL for 0 or less, or when memory is short); its release (NULL is ignored); the block resized, its bytes
   kept up to the smaller size (NULL when memory is short, the block unchanged then); the bytes it may hold. */
void *CMailshSQLite_blockAllocate(int size);
void CMailshSQLite_blockFree(void *block);
void *CMailshSQLite_blockResize(void *block, int size);
int CMailshSQLite_blockSize(void *block);

#endif
