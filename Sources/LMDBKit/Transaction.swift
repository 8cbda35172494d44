import CLMDB

/// Anything that can lend its bytes for the length of a call: keys and values.
public protocol ByteSource {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ByteSource where Element == UInt8 {}
extension ArraySlice: ByteSource where Element == UInt8 {}
extension UnsafeRawBufferPointer: ByteSource {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

/// A sequence number as the 8 big-endian bytes every sequence-keyed
/// database uses, held in place: a key or value that needs no allocation
/// (an import stores three of them for each event).
public struct SequenceBytes: ByteSource {
    public let bigEndian: UInt64

    public init(_ seq: UInt64) { bigEndian = seq.bigEndian }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: bigEndian, body)
    }
}

/// A named database (table) inside an environment.
public struct Database: Sendable, Equatable {
    let dbi: MDB_dbi
    public let name: String
}

/// Bytes that point into the memory map. Valid only until the transaction
/// that produced them ends: copy them out before returning from the closure.
public typealias MappedBytes = UnsafeRawBufferPointer

/// Entry counts and page usage of one database.
public struct DatabaseStatistics: Sendable {
    public let entries: Int
    public let depth: Int
    public let branchPages: Int
    public let leafPages: Int
    public let overflowPages: Int
    public let pageSizeBytes: Int
    /// Bytes in pages of every kind.
    public var bytes: Int { (branchPages + leafPages + overflowPages) * pageSizeBytes }
}

/// A read-only view of the environment at one point in time.
public class ReadTransaction {
    let txn: OpaquePointer

    init(_ txn: OpaquePointer) { self.txn = txn }

    /// The committed state this transaction sees, by the id of the write
    /// that made it (`mdb_txn_id`): two read transactions with the same
    /// snapshot see the same bytes.
    public var snapshot: Int { mdb_txn_id(txn) }

    func openDatabase(named name: String, create: Bool) throws(LMDBError) -> Database {
        var dbi = MDB_dbi()
        let flags = create ? UInt32(MDB_CREATE) : 0
        try LMDBError.check(mdb_dbi_open(txn, name, flags, &dbi), "mdb_dbi_open(\(name))")
        return Database(dbi: dbi, name: name)
    }

    /// Calls `body` with the value stored under `key`, or nil when absent.
    /// The buffer is only valid inside `body`.
    public func withValue<T>(
        _ database: Database, key: some ByteSource, _ body: (MappedBytes?) throws -> T
    ) throws -> T {
        var data = MDB_val()
        let rc: Int32 = key.withUnsafeBytes { keyBytes in
            var keyVal = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return look(up: &keyVal, in: database, data: &data)
        }
        if rc == MDB_NOTFOUND { return try body(nil) }
        try LMDBError.check(rc, "mdb_get(\(database.name))")
        return try body(MappedBytes(start: data.mv_data, count: data.mv_size))
    }

    /// `mdb_get`: a read transaction searches from the root each time.
    func look(up key: inout MDB_val, in database: Database, data: inout MDB_val) -> Int32 {
        mdb_get(txn, database.dbi, &key, &data)
    }

    /// The value under `key`, copied out, or nil.
    public func get(_ database: Database, key: some ByteSource) throws -> [UInt8]? {
        try withValue(database, key: key) { $0.map { Array($0) } }
    }

    /// Statistics of one database.
    public func statistics(_ database: Database) throws(LMDBError) -> DatabaseStatistics {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(txn, database.dbi, &stat), "mdb_stat(\(database.name))")
        return DatabaseStatistics(
            entries: Int(stat.ms_entries), depth: Int(stat.ms_depth),
            branchPages: Int(stat.ms_branch_pages), leafPages: Int(stat.ms_leaf_pages),
            overflowPages: Int(stat.ms_overflow_pages), pageSizeBytes: Int(stat.ms_psize))
    }

    /// Opens a cursor on `database` for the duration of `body`.
    public func withCursor<T>(_ database: Database, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn, database.dbi, &cursor), "mdb_cursor_open(\(database.name))")
        guard let cursor else { preconditionFailure("mdb_cursor_open returned no handle") }
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(cursor, name: database.name))
    }
}

/// The single write transaction. Everything read through it includes its own
/// uncommitted writes.
///
/// Stores and look-ups go through one cursor per database, opened at first
/// use and kept for the transaction's life (LMDB frees a write transaction's
/// cursors when it ends). A cursor left where the last call went finds a key
/// on the same leaf page, or past the last key, without searching from the
/// root again: an import's keys mostly land next to the previous ones, and
/// each search from the root would look every page on its path up in the
/// transaction's list of dirty pages.
public final class WriteTransaction: ReadTransaction {
    /// The kept cursors, by database handle. Only ``cursor(for:)`` touches
    /// them, on the transaction's thread, and no other access to them is
    /// open meanwhile; the dynamic exclusivity check, which cost more than
    /// the look-up itself on every store, is left out.
    @exclusivity(unchecked) private var cursors: [OpaquePointer?] = []

    private func cursor(for database: Database) throws(LMDBError) -> OpaquePointer {
        let index = Int(database.dbi)
        if index < cursors.count, let cursor = cursors[index] { return cursor }
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn, database.dbi, &cursor), "mdb_cursor_open(\(database.name))")
        guard let cursor else { preconditionFailure("mdb_cursor_open returned no handle") }
        if index >= cursors.count { cursors += [OpaquePointer?](repeating: nil, count: index + 1 - cursors.count) }
        cursors[index] = cursor
        return cursor
    }

    override func look(up key: inout MDB_val, in database: Database, data: inout MDB_val) -> Int32 {
        guard let cursor = try? cursor(for: database) else { return mdb_get(txn, database.dbi, &key, &data) }
        return mdb_cursor_get(cursor, &key, &data, MDB_SET)
    }

    /// Stores `value` under `key`, replacing any earlier value.
    public func put(_ database: Database, key: some ByteSource, value: some ByteSource) throws(LMDBError) {
        try put(database, key: key, value: value, flags: 0)
    }

    /// Stores a key greater than every key already in `database`. Cheaper than
    /// `put` (no search); fails with `MDB_KEYEXIST` when the key is not last.
    public func append(_ database: Database, key: some ByteSource, value: some ByteSource) throws(LMDBError) {
        try put(database, key: key, value: value, flags: UInt32(MDB_APPEND))
    }

    /// Stores `value` only if `key` is absent; returns false when it was present.
    public func insertNew(_ database: Database, key: some ByteSource, value: some ByteSource) throws(LMDBError) -> Bool {
        do {
            try put(database, key: key, value: value, flags: UInt32(MDB_NOOVERWRITE))
            return true
        } catch where error.code == MDB_KEYEXIST {
            return false
        }
    }

    private func put(_ database: Database, key: some ByteSource, value: some ByteSource, flags: UInt32) throws(LMDBError) {
        let cursor = try cursor(for: database)
        let rc: Int32 = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                var keyVal = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var dataVal = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                return FaultInjection.put(cursor, &keyVal, &dataVal, flags)
            }
        }
        try LMDBError.check(rc, "mdb_put(\(database.name))")
    }

    /// Removes `key`; returns false when it was absent.
    @discardableResult
    public func delete(_ database: Database, key: some ByteSource) throws(LMDBError) -> Bool {
        let rc: Int32 = key.withUnsafeBytes { keyBytes in
            var keyVal = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_del(txn, database.dbi, &keyVal, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try LMDBError.check(rc, "mdb_del(\(database.name))")
        return true
    }

    /// Removes every entry of `database`, keeping the database itself.
    public func clear(_ database: Database) throws(LMDBError) {
        try LMDBError.check(mdb_drop(txn, database.dbi, 0), "mdb_drop(\(database.name))")
    }

    /// Opens (creating if asked) a named database inside this transaction.
    public func database(named name: String, create: Bool) throws(LMDBError) -> Database {
        try openDatabase(named: name, create: create)
    }
}

/// A position in a database, moved in key order.
public struct Cursor {
    let cursor: OpaquePointer
    let name: String

    init(_ cursor: OpaquePointer, name: String) {
        self.cursor = cursor
        self.name = name
    }

    /// Positions at the first key ≥ `key` (or the first key when nil) and
    /// calls `body` for each entry in order until it returns false.
    /// Key and value buffers are only valid inside `body`.
    public func forEach(
        from key: (some ByteSource)?, _ body: (MappedBytes, MappedBytes) throws -> Bool
    ) throws {
        var keyVal = MDB_val()
        var dataVal = MDB_val()
        var rc: Int32
        if let key {
            rc = key.withUnsafeBytes { keyBytes in
                keyVal = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                return mdb_cursor_get(cursor, &keyVal, &dataVal, MDB_SET_RANGE)
            }
        } else {
            rc = mdb_cursor_get(cursor, &keyVal, &dataVal, MDB_FIRST)
        }
        while rc == 0 {
            let k = MappedBytes(start: keyVal.mv_data, count: keyVal.mv_size)
            let v = MappedBytes(start: dataVal.mv_data, count: dataVal.mv_size)
            guard try body(k, v) else { return }
            rc = mdb_cursor_get(cursor, &keyVal, &dataVal, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try LMDBError.check(rc, "mdb_cursor_get(\(name))") }
    }

    /// Moves to the first entry (with `first`) or to the one after the
    /// cursor's, and returns it; nil past the last. In a read-only
    /// transaction the bytes stay valid until it ends, so two cursors can
    /// be walked side by side without copying either's entries.
    public func next(first: Bool = false) throws -> (key: MappedBytes, value: MappedBytes)? {
        var keyVal = MDB_val()
        var dataVal = MDB_val()
        let rc = mdb_cursor_get(cursor, &keyVal, &dataVal, first ? MDB_FIRST : MDB_NEXT)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_cursor_get(\(name))")
        return (MappedBytes(start: keyVal.mv_data, count: keyVal.mv_size), MappedBytes(start: dataVal.mv_data, count: dataVal.mv_size))
    }

    /// The last entry of the database, or nil when it is empty.
    public func last<T>(_ body: (MappedBytes, MappedBytes) throws -> T) throws -> T? {
        var keyVal = MDB_val()
        var dataVal = MDB_val()
        let rc = mdb_cursor_get(cursor, &keyVal, &dataVal, MDB_LAST)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_cursor_get(\(name), last)")
        return try body(
            MappedBytes(start: keyVal.mv_data, count: keyVal.mv_size),
            MappedBytes(start: dataVal.mv_data, count: dataVal.mv_size))
    }
}
