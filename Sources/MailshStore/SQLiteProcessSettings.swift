import CSQLiteConfig

/// SQLite's process-wide settings, made once, before the process's first connection: every place that opens a
/// connection (``SQLiteReader``, which every ``SQLiteStore`` opens first, and the store's GRDB queue) calls
/// ``apply()`` before it opens one.
enum SQLiteProcessSettings {
    /// Makes both settings (``memoryStatisticsOff`` and ``smallBlocksCached``) if they are not made yet. SQLite takes
    /// them only before it is initialized (before its first connection): later calls change nothing.
    static func apply() {
        _ = applied
    }

    /// Both settings, made on first use (Swift runs a static's initializer once, whichever thread asks first).
    private static let applied: Void = {
        _ = memoryStatisticsOff
        _ = smallBlocksCached
    }()

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
