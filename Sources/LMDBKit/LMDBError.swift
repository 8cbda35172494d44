import CLMDB

/// An error returned by the LMDB C library, with the operation that failed.
///
/// Every C call in this module is checked on the line that follows it and
/// turned into one of these, so a caller never sees a raw return code.
public struct LMDBError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The LMDB or errno return code.
    public let code: Int32
    /// What this module was doing, e.g. "mdb_put(events)".
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The key or named database does not exist.
    public var isNotFound: Bool { code == MDB_NOTFOUND }
    /// The map is full: the environment must grow before the write is retried.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// Another process grew the map; the reader must adopt the new size.
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    /// The file is not an LMDB environment, or is damaged.
    public var isCorrupt: Bool { code == MDB_INVALID || code == MDB_CORRUPTED || code == MDB_PAGE_NOTFOUND }
    /// The environment was written by an incompatible LMDB version.
    public var isVersionMismatch: Bool { code == MDB_VERSION_MISMATCH }

    public var description: String {
        let text = String(cString: mdb_strerror(code))
        return "\(operation): \(text) (code \(code))"
    }

    /// Throws when `code` is not success.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != 0 { throw LMDBError(code: code, operation: operation()) }
    }
}
