import CLMDB
import Glibc

/// One LMDB environment: a directory holding `data.mdb` and `lock.mdb`.
///
/// Concurrency model: an `Environment` may be shared by threads (the
/// server, `subsidy-ledger serve`, reads on many threads while one writer
/// appends). Transactions are scoped to the closures of ``read(_:)`` and
/// ``write(_:)``: each runs synchronously on the calling thread from begin to
/// end, and it, and every byte buffer handed out inside it, must not escape
/// the closure. Readers never block the writer nor each other (LMDB's MVCC;
/// LMDB itself lets one write transaction at a time in); the environment is
/// opened with `MDB_NOTLS`, so read slots are tied to transactions, not
/// threads, and one thread may hold several read transactions.
///
/// The one thing LMDB forbids while any transaction of the process is open is
/// changing the map size (``growMap(toAtLeast:)``, or adopting a size another
/// process set). A readers–writer gate (``TransactionGate``) makes that
/// exclusive: every transaction holds the gate shared, a resize holds it
/// alone, waiting for the transactions open at that moment to end. A thread
/// must not resize while it holds a transaction itself (it would wait for
/// itself): no code path does.
///
/// The map grows by itself: when a write transaction fills it, the transaction
/// is aborted, the map is doubled while no transaction is active, and the
/// write closure runs again from the start. Write closures must therefore be
/// re-runnable: everything they do goes through the transaction.
public final class Environment {
    /// The options an environment is opened with.
    public struct Options: Sendable {
        /// Create the directory's files if absent (the directory must exist).
        public var create: Bool = false
        /// Open without the right to write (a reader-only process).
        public var readOnly: Bool = false
        /// With `readOnly`: use no lock file (`MDB_NOLOCK`), for a copy whose
        /// directory and lock file this process cannot write. Such a reader
        /// has no slot in the reader table, so a writer in another process
        /// would not know of it and could reuse the pages it is reading:
        /// only for files nobody writes.
        public var withoutLockFile: Bool = false
        /// Permissions of files LMDB creates (before the umask).
        public var fileMode: mode_t = 0o600
        /// Initial map size; grown automatically when full. Package-visible so
        /// tests can start tiny and force many growths.
        public var initialMapSizeBytes: Int = 64 << 20
        /// Named databases this environment may hold.
        public var maxDatabases: UInt32 = 16
        /// Reader slots (concurrent read transactions across processes).
        public var maxReaders: UInt32 = 126
        /// Commit without flushing to disk (`MDB_NOSYNC`): only for scratch
        /// environments thrown away afterwards, never for a ledger.
        public var withoutSync: Bool = false

        public init() {}
    }

    let handle: OpaquePointer
    public let path: String
    public let options: Options
    /// Current map size, as last set or adopted (changed only under the gate held alone).
    private var currentMapSize: Int
    /// How many times the map was grown by this process (for statistics).
    private var growths = 0
    /// Shared by every transaction, held alone by a resize of the map.
    private let gate = TransactionGate()

    /// Current map size, as last set or adopted.
    public var mapSizeBytes: Int { gate.shared { currentMapSize } }
    /// How many times the map was grown by this process (for statistics).
    public var growthCount: Int { gate.shared { growths } }

    /// Opens (or with `options.create`, creates) the environment at `path`.
    ///
    /// An existing `data.mdb` is checked first (``DataFile/inspect(directory:)``):
    /// a file that is empty, truncated or not LMDB's throws ``DataFileDamage``
    /// and is left as it was. Otherwise failures throw ``LMDBError`` (one this
    /// process may not read is left to LMDB to refuse).
    public init(path: String, options: Options = Options()) throws {
        if access(path + "/data.mdb", R_OK) == 0 {
            _ = try DataFile.inspect(directory: path)
        }
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { preconditionFailure("mdb_env_create returned no handle") }
        do {
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases), "mdb_env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            try LMDBError.check(FaultInjection.setMapSize(env, options.initialMapSizeBytes), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.readOnly && options.withoutLockFile { flags |= UInt32(MDB_NOLOCK) }
            if options.withoutSync { flags |= UInt32(MDB_NOSYNC) }
            try LMDBError.check(mdb_env_open(env, path, flags, options.fileMode), "mdb_env_open(\(path))")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.options = options
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        // An existing environment keeps its larger size from an earlier run.
        self.currentMapSize = max(options.initialMapSizeBytes, Int(info.me_mapsize))
        self.dataFile = Self.resolvedDataFile(path)
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Page size of the environment in bytes.
    public var pageSizeBytes: Int {
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        return Int(stat.ms_psize)
    }

    /// Used pages and sizes, from the environment's metadata.
    public func info() -> (mapSizeBytes: Int, lastPage: Int, lastTransaction: Int) {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return (Int(info.me_mapsize), Int(info.me_last_pgno), Int(info.me_last_txnid))
    }

    /// Lets go of the mapped pages this process has read, so that a scan of
    /// a log larger than memory does not keep all of it resident.
    ///
    /// The map is the ledger file mapped read-only and shared (LMDB writes
    /// through the file, never through the map), so this only drops the
    /// process's page-table entries: the pages stay in the kernel's page
    /// cache, and a later read faults them back in unchanged. Pointers from
    /// an open transaction stay valid. A hint: failure changes nothing.
    public func releaseMappedPages() {
        for (start, length) in Self.mappings(of: dataFile) {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), length, MADV_DONTNEED)
        }
    }

    /// The resolved path of the environment's data file, as the kernel names
    /// it (resolved once, at open: threads read it without a lock).
    private let dataFile: String

    private static func resolvedDataFile(_ path: String) -> String {
        guard let resolved = realpath(path + "/data.mdb", nil) else { return path + "/data.mdb" }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The address ranges where `file` is mapped into this process (LMDB
    /// does not say where its map lies unless it is fixed).
    private static func mappings(of file: String) -> [(start: UInt, length: Int)] {
        guard let stream = fopen("/proc/self/maps", "r") else { return [] }
        defer { fclose(stream) }
        var found: [(UInt, Int)] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, stream) > 0, let line {
            let text = String(cString: line)
            guard text.hasSuffix(" " + file + "\n") || text.hasSuffix(" " + file) else { continue }
            let range = text.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start else { continue }
            found.append((start, Int(end - start)))
        }
        return found
    }

    /// Grows the map to at least `bytes`. Waits until no transaction of this
    /// process is open (other threads' included); the calling thread must
    /// hold none.
    public func growMap(toAtLeast bytes: Int) throws(LMDBError) {
        // Most calls (one before every import) find the map large enough:
        // they must not wait for every reader to finish to learn that.
        guard bytes > mapSizeBytes else { return }
        try gate.exclusive { () throws(LMDBError) in try growAlone(toAtLeast: bytes) }
    }

    /// Doubles the map (a write transaction filled it).
    private func doubleMap() throws(LMDBError) {
        try gate.exclusive { () throws(LMDBError) in try growAlone(toAtLeast: currentMapSize * 2) }
    }

    /// The resize itself; the caller holds the gate alone.
    private func growAlone(toAtLeast bytes: Int) throws(LMDBError) {
        guard bytes > currentMapSize else { return }
        var newSize = currentMapSize
        while newSize < bytes { newSize = newSize.multipliedReportingOverflow(by: 2).overflow ? Int.max : newSize * 2 }
        try LMDBError.check(FaultInjection.setMapSize(handle, newSize), "mdb_env_set_mapsize(\(newSize))")
        currentMapSize = newSize
        growths += 1
    }

    /// Adopts the map size another process set (`MDB_MAP_RESIZED`); the
    /// caller holds the gate alone.
    private func adoptMapSize() throws(LMDBError) {
        try LMDBError.check(FaultInjection.setMapSize(handle, 0), "mdb_env_set_mapsize(adopt)")
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        currentMapSize = Int(info.me_mapsize)
    }

    /// Runs `body` in a read-only snapshot transaction.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try inTransaction(flags: UInt32(MDB_RDONLY)) { txn in
            defer { mdb_txn_abort(txn) }
            return try body(ReadTransaction(txn))
        }
    }

    /// Runs `body` in a read-only snapshot transaction for a thread working
    /// on behalf of a transaction another thread holds open, and waits for,
    /// for the whole call (the rebuild's last write transaction hands a
    /// comparison to a second core this way). It does not take the gate:
    /// that open transaction already keeps every resize out, and a resize
    /// queued behind it would otherwise keep this read out, and the holder,
    /// waiting for the read, would never end. Do not use it otherwise.
    public func readAlongside<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        precondition(gate.isHeld, "a read alongside another transaction while none is open")
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(alongside)")
        guard let txn else { preconditionFailure("mdb_txn_begin returned no handle") }
        defer { mdb_txn_abort(txn) }
        return try body(ReadTransaction(txn))
    }

    /// Resizes waiting for this process's transactions to end (tests watch it).
    var resizesWaiting: Int { gate.resizesWaiting }

    /// Runs `body` in the write transaction and commits it if `body` returns.
    ///
    /// If `body` throws, the transaction is aborted and nothing is written.
    /// If the map fills (during `body` or at commit), the transaction is
    /// aborted, the map is grown, and `body` runs again from the start.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        while true {
            do {
                return try writeOnce(body)
            } catch let error as LMDBError where error.isMapFull {
                // The transaction is gone: the gate is no longer held here.
                try doubleMap()
            }
        }
    }

    private func writeOnce<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        try inTransaction(flags: 0) { txn in
            let result: T
            do {
                result = try body(WriteTransaction(txn))
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            // mdb_txn_commit frees the transaction even when it fails: no abort after it.
            try LMDBError.check(FaultInjection.commit(txn), "mdb_txn_commit")
            return result
        }
    }

    /// Begins a transaction with the gate held shared and calls `body` with
    /// it; `body` ends the transaction (abort or commit) before it returns.
    /// When another process grew the map, its size is adopted with the gate
    /// held alone and the transaction begun again.
    private func inTransaction<T>(flags: UInt32, _ body: (OpaquePointer) throws -> T) throws -> T {
        var attempt = 0
        while true {
            // Held shared from before the transaction begins until `body` has
            // ended it, so that no resize can happen while it is open.
            gate.enterShared()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(handle, nil, flags, &txn)
            // A transaction nested in another of this thread cannot wait
            // for the resize (the outer one holds the map): it fails.
            if rc == MDB_MAP_RESIZED && attempt < 3 && gate.heldByThisThread == 1 {
                // Another process grew the map; adopt its size and try again.
                gate.leaveShared()
                attempt += 1
                try gate.exclusive { () throws(LMDBError) in try adoptMapSize() }
                continue
            }
            defer { gate.leaveShared() }
            try LMDBError.check(rc, "mdb_txn_begin")
            guard let txn else { preconditionFailure("mdb_txn_begin returned no handle") }
            return try body(txn)
        }
    }

    /// Opens a named database in a short transaction of its own; the handle
    /// stays valid for the life of the environment.
    public func openDatabase(named name: String, create: Bool) throws -> Database {
        if create && !options.readOnly {
            return try write { txn in try txn.openDatabase(named: name, create: true) }
        }
        // A handle opened in a read transaction survives only if that
        // transaction is committed, not aborted.
        return try inTransaction(flags: UInt32(MDB_RDONLY)) { txn in
            let database: Database
            do {
                database = try ReadTransaction(txn).openDatabase(named: name, create: false)
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            try LMDBError.check(mdb_txn_commit(txn), "mdb_txn_commit(open \(name))")
            return database
        }
    }

    /// Forces buffers to disk (used after bulk loads opened without sync).
    public func sync() throws(LMDBError) {
        try LMDBError.check(FaultInjection.sync(handle, 1), "mdb_env_sync")
    }
}

/// A readers–writer lock over the transactions of one environment: each
/// transaction holds it shared for its whole life, a change of the map size
/// holds it alone (LMDB allows a resize only while the process has no
/// transaction open).
///
/// A resize that is waiting goes first: a thread that does not yet hold the
/// gate waits for it before it begins a transaction. Otherwise readers that
/// overlap without pause (a server's requests, a test's reading threads)
/// would keep a resize, and the import waiting on it, out for ever. A
/// thread that already holds the gate shared (a read nested in another)
/// takes it again without waiting: it counts its own holds, so it never
/// waits for a resize that waits for it.
final class TransactionGate: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    /// Threads holding the gate shared, each counted once.
    private var readers = 0
    /// Resizes waiting for the readers to leave, and whether one runs.
    private var waitingResizes = 0
    private var resizing = false
    /// This thread's shared holds of this gate (a count kept as the pointer value).
    private var depthKey = pthread_key_t()

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let rc = pthread_key_create(&depthKey, nil)
        precondition(rc == 0, "pthread_key_create failed (\(rc))")
    }

    deinit {
        pthread_key_delete(depthKey)
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// How many times the calling thread holds the gate shared.
    var heldByThisThread: Int { Int(bitPattern: pthread_getspecific(depthKey)) }

    private func setHeld(_ depth: Int) {
        pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: depth))
    }

    func enterShared() {
        let depth = heldByThisThread
        if depth > 0 {
            setHeld(depth + 1)
            return
        }
        pthread_mutex_lock(&mutex)
        while resizing || waitingResizes > 0 { pthread_cond_wait(&changed, &mutex) }
        readers += 1
        pthread_mutex_unlock(&mutex)
        setHeld(1)
    }

    /// Whether some thread holds the gate shared.
    var isHeld: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return readers > 0
    }

    var resizesWaiting: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return waitingResizes
    }

    func leaveShared() {
        let depth = heldByThisThread
        precondition(depth > 0, "the transaction gate is left by a thread that does not hold it")
        setHeld(depth - 1)
        guard depth == 1 else { return }
        pthread_mutex_lock(&mutex)
        readers -= 1
        if readers == 0 { pthread_cond_broadcast(&changed) }
        pthread_mutex_unlock(&mutex)
    }

    func shared<T>(_ body: () throws -> T) rethrows -> T {
        enterShared()
        defer { leaveShared() }
        return try body()
    }

    /// Runs `body` with the gate held alone. The calling thread must not
    /// hold it shared (it would wait for itself).
    func exclusive<T>(_ body: () throws(LMDBError) -> T) throws(LMDBError) -> T {
        precondition(heldByThisThread == 0, "a map resize was asked for inside a transaction of the same environment")
        pthread_mutex_lock(&mutex)
        waitingResizes += 1
        while resizing || readers > 0 { pthread_cond_wait(&changed, &mutex) }
        waitingResizes -= 1
        resizing = true
        pthread_mutex_unlock(&mutex)
        defer {
            pthread_mutex_lock(&mutex)
            resizing = false
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
        }
        return try body()
    }
}
