import CSQLiteConfig

/// SQLite's process-wide settings, made once, before the process's first connection (``SQLiteReader``'s, which every
/// ``SQLiteStore`` opens first).
enum SQLiteProcessSettings {
    /// Whether SQLite keeps no memory statistics in this process: mailsh never reads them (`sqlite3_memory_used`, a
    /// soft heap limit), and keeping them cost every allocation and free of SQLite's a mutex and a look-up of the
    /// block's size, about 5,000 instructions of each account a bulk script creates (bench/RESULTS.md, The Lua host).
    /// `false` if SQLite was already initialized (SQLite refuses the setting then, and nothing changes).
    static let memoryStatisticsOff: Bool = CMailshSQLite_disableMemoryStatistics() == 0

    /// Whether SQLite allocates through an allocator that keeps each thread's freed small blocks for reuse (this SQLite
    /// has no lookaside memory: every cursor and record buffer of every step went to malloc and free; about 20 of
    /// each a created account cost, bench/RESULTS.md, The Lua host). `false` if SQLite was already initialized.
    static let smallBlocksCached: Bool = CMailshSQLite_cacheSmallBlocks() == 0
}

/// The allocator ``SQLiteProcessSettings/smallBlocksCached`` gives SQLite, called as SQLite calls it (for its tests).
enum SQLiteBlocks {
    static func allocate(_ size: Int) -> UnsafeMutableRawPointer? { CMailshSQLite_blockAllocate(Int32(size)) }
    static func free(_ block: UnsafeMutableRawPointer?) { CMailshSQLite_blockFree(block) }
    static func resize(_ block: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
        CMailshSQLite_blockResize(block, Int32(size))
    }
    static func size(_ block: UnsafeMutableRawPointer?) -> Int { Int(CMailshSQLite_blockSize(block)) }
}
