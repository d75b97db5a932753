import CSQLiteConfig

/// SQLite's process-wide settings, made once, before the process's first connection (``SQLiteReader``'s, which every
/// ``SQLiteStore`` opens first).
enum SQLiteProcessSettings {
    /// Whether SQLite keeps no memory statistics in this process: mailsh never reads them (`sqlite3_memory_used`, a
    /// soft heap limit), and keeping them cost every allocation and free of SQLite's a mutex and a look-up of the
    /// block's size, about 5,000 instructions of each account a bulk script creates (bench/RESULTS.md, The Lua host).
    /// `false` if SQLite was already initialized (SQLite refuses the setting then, and nothing changes).
    static let memoryStatisticsOff: Bool = CMailshSQLite_disableMemoryStatistics() == 0
}
