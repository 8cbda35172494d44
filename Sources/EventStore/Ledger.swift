import Glibc
import LMDBKit
import LedgerCore
import Proofs

/// The append-only event log in one LMDB environment (a directory).
///
/// Databases (docs/FORMAT.md is normative):
/// - `events`: seq (u64 big-endian) → record (hash ‖ canonical bytes)
/// - `ids`: event id → seq
/// - `streams`: stream name → ``StreamState``
/// - `stream-events`: stream name ‖ 0x00 ‖ version (u64 BE) → seq
/// - `reversals`: reversed seq → seq of the reversal
/// - `meta`: `format` → u32 BE, `created` → i64 BE microseconds
///
/// Only `events` must be kept: every other database is derived from it and
/// written in the same transaction as the append.
public final class Ledger {
    /// Version of the on-disk layout. A newer one is refused, never guessed at.
    public static let formatVersion: UInt32 = 1

    public let path: String
    let env: Environment
    let events: Database
    let ids: Database
    let streams: Database
    let streamEvents: Database
    let reversals: Database
    let meta: Database
    /// Stored projections (derived; rebuilt by `rebuild`): current entries,
    /// their checkpoint and version, and periodic whole-state snapshots.
    /// Nil only for a ledger opened read-only that has never stored them.
    let projectionEntries: Database?
    let projectionMeta: Database?
    let projectionSnapshots: Database?
    /// Every event that is not a reversal (reversed ones included) by
    /// business date: `effective ‖ seq` → empty.
    /// Lets an `--effective-on` read start from stored state and take out
    /// only the events dated after the view's date.
    let effectiveIndex: Database?
    /// The stored nodes of the Merkle tree over the log (``MerkleLayout``).
    /// Nil only for a ledger opened read-only that has never stored them.
    let merkle: Database?

    static let databaseNames = ["events", "ids", "streams", "stream-events", "reversals", "meta",
                                "projection-entries", "projection-meta", "projection-snapshots", "effective-index",
                                "merkle"]

    init(path: String, env: Environment, create: Bool, options: OpenOptions) throws {
        self.path = path
        self.options = options
        verifiedHead = options.remembersVerifiedHead ? VerifiedHeadMemo() : nil
        self.env = env
        func open(_ name: String) throws -> Database {
            do {
                return try env.openDatabase(named: name, create: create)
            } catch let error as LMDBError where error.isNotFound {
                throw LedgerError.notALedger(path: path)
            }
        }
        events = try open("events")
        ids = try open("ids")
        streams = try open("streams")
        streamEvents = try open("stream-events")
        reversals = try open("reversals")
        let metaDatabase = try open("meta")
        meta = metaDatabase
        // Before anything is created in it: a ledger of another format, or a
        // half-made one, is refused without being written to.
        if !create { try Self.checkFormat(env, metaDatabase) }
        func openOptional(_ name: String) throws -> Database? {
            do {
                return try env.openDatabase(named: name, create: !options.readOnly)
            } catch let error as LMDBError where error.isNotFound {
                return nil
            }
        }
        projectionEntries = try openOptional("projection-entries")
        projectionMeta = try openOptional("projection-meta")
        projectionSnapshots = try openOptional("projection-snapshots")
        effectiveIndex = try openOptional("effective-index")
        merkle = try openOptional("merkle")
    }

    /// Options for opening; tests shrink the initial map to force growth.
    public struct OpenOptions: Sendable {
        public var readOnly = false
        public var initialMapSizeBytes = 64 << 20
        /// Grow the map before an import by an estimate of what it needs, so
        /// that a full map rarely forces the batch to start over. Tests turn
        /// it off to exercise the start-over path.
        public var anticipateGrowth = true
        /// A projection snapshot is written once this many events have been
        /// folded since the last one. An as-of read folds at most this many
        /// events after its snapshot (a fold runs at a few hundred thousand
        /// events a second), at the price of one copy of the state each time.
        public var snapshotIntervalEvents: UInt64 = Ledger.defaultSnapshotIntervalEvents
        /// Imports extend the Merkle tree. Only the import benchmark turns it
        /// off, to measure what the tree costs; a ledger imported without it
        /// has its tree extended by the next import that keeps it.
        package var keepsMerkleTree = true
        /// How many stream states an import's batch holds in memory before
        /// it writes them out (``TransactionState``); tests make it tiny so
        /// that the write-out in the middle of a batch is exercised. With
        /// a million (not 2^18), a 10 M-event import peaked 107 MB higher
        /// (1.70 GiB); each write-out puts its keys in
        /// order among those of the write-outs before, and the fewer there
        /// are, the fuller LMDB leaves the pages of `streams` and
        /// `stream-events` (a million-event import, one write-out: 54 and
        /// 45 MB, against 96 and 76 MB written a quarter at a time).
        package var streamCacheLimit = 1 << 20
        /// An import drops the pages of the ledger's map that it has read
        /// every this many appended events, and the pages of a mapped input
        /// file every this many bytes parsed, so that neither stays resident
        /// (``Environment/releaseMappedPages()``,
        /// ``InputFile/releasePages(before:)``); tests make both tiny.
        package var mapReleaseEvents = 1 << 18
        package var inputReleaseBytes = 32 << 20
        /// Test hook: `create` calls it when the staged ledger is complete,
        /// before moving it into place; a throw there is a failed creation.
        package var creationFaultForTesting: (@Sendable () throws -> Void)?
        /// A long-running process (the server, a following replica)
        /// remembers the head it verified or appended, so that each append
        /// does not verify the whole log again
        /// (``Ledger/checkLogBeforeAppending()``), and the stored balances'
        /// checksum it added up or wrote, so that each append does not add
        /// up every stored balance again (``Ledger/ProjectionWriter``). Off
        /// for the commands: each run checks both before appending.
        public var remembersVerifiedHead = false
        public init(readOnly: Bool = false, initialMapSizeBytes: Int = 64 << 20, anticipateGrowth: Bool = true,
                    snapshotIntervalEvents: UInt64 = Ledger.defaultSnapshotIntervalEvents) {
            self.readOnly = readOnly
            self.initialMapSizeBytes = initialMapSizeBytes
            self.anticipateGrowth = anticipateGrowth
            self.snapshotIntervalEvents = snapshotIntervalEvents
        }
    }

    public let options: OpenOptions
    /// Present when ``OpenOptions/remembersVerifiedHead`` is set.
    let verifiedHead: VerifiedHeadMemo?

    public static let defaultSnapshotIntervalEvents: UInt64 = 250_000

    /// The current map size and how often this process grew it.
    public var mapSize: (bytes: Int, growths: Int) { (env.mapSizeBytes, env.growthCount) }

    /// Opens the ledger in `path`, refusing a newer format.
    public static func open(at path: String, options: OpenOptions = OpenOptions()) throws -> Ledger {
        guard access(path + "/data.mdb", F_OK) == 0 else { throw LedgerError.notALedger(path: path) }
        let env = try openEnvironment(path, options: options)
        return try Ledger(path: path, env: env, create: false, options: options)
    }

    /// Refuses a ledger whose `meta` → `format` is missing, malformed or newer than this program's.
    private static func checkFormat(_ env: Environment, _ meta: Database) throws {
        let format: UInt32? = try env.read { txn in
            try txn.withValue(meta, key: Array("format".utf8)) { bytes in
                guard let bytes, bytes.count == 4 else { return nil }
                return UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
            }
        }
        guard let format else { throw LedgerError.corrupt("the meta database has no format version") }
        guard format <= formatVersion else { throw LedgerError.newerFormat(found: format, supported: formatVersion) }
    }

    /// Opens the environment of an existing ledger. A reader that may not
    /// write the directory or its lock file (an archived copy) opens it
    /// without a lock file; a writer that may not is refused.
    private static func openEnvironment(_ path: String, options: OpenOptions) throws -> Environment {
        var envOptions = Environment.Options()
        envOptions.readOnly = options.readOnly
        envOptions.initialMapSizeBytes = options.initialMapSizeBytes
        envOptions.fileMode = FileSharing.lockMode(forDataFileIn: path)
        do {
            return try Environment(path: path, options: envOptions)
        } catch let damage as DataFileDamage {
            throw LedgerError.damaged(damage.finding)
        } catch let error as LMDBError where isPermissionDenied(error) && !options.readOnly {
            throw LedgerError.notWritable(path: path, reason: whyNotWritable(path, error))
        } catch let error as LMDBError where isPermissionDenied(error) {
            envOptions.withoutLockFile = true
            do {
                return try Environment(path: path, options: envOptions)
            } catch let error as LMDBError {
                throw LedgerError.storage(error)
            }
        } catch let error as LMDBError {
            throw LedgerError.storage(error)
        }
    }

    static func isPermissionDenied(_ error: LMDBError) -> Bool {
        error.code == EACCES || error.code == EPERM || error.code == EROFS
    }

    /// Which of the ledger's files stopped a writer, in words.
    static func whyNotWritable(_ path: String, _ error: LMDBError) -> String {
        if error.code == EROFS { return "it is on a read-only file system" }
        if access(path, W_OK) != 0 && access(path + "/lock.mdb", F_OK) != 0 {
            return "its directory is read-only and has no lock.mdb"
        }
        if access(path + "/data.mdb", W_OK) != 0 { return "data.mdb is read-only" }
        if access(path + "/lock.mdb", W_OK) != 0 { return "lock.mdb is read-only" }
        return String(cString: strerror(error.code))
    }

    /// Whether this ledger was opened without its lock file, read-only,
    /// because this user cannot write its directory or lock file. Such a
    /// reader is invisible to a writer elsewhere (see docs/FORMAT.md).
    public var isOpenWithoutLockFile: Bool { env.options.withoutLockFile }

    /// The last sequence number and its hash (0 and 32 zero bytes when empty).
    public func head() throws -> (seq: UInt64, hash: [UInt8], recordedMicros: Int64) {
        try env.read { txn in try head(in: txn) }
    }

    func head(in txn: ReadTransaction) throws -> (seq: UInt64, hash: [UInt8], recordedMicros: Int64) {
        let found = try txn.withCursor(events) { cursor in
            try cursor.last { key, value -> (UInt64, [UInt8], Int64) in
                guard let seq = readSequence(key) else { throw LedgerError.corrupt("an events key is not 8 bytes") }
                let (hash, canonical) = try EventCodec.split(record: value)
                var reader = ByteReader(canonical, offset: 9)
                return (seq, Array(hash), try reader.i64())
            }
        }
        return found ?? (0, HashChain.genesis, 0)
    }

    /// Calls `body` with each stored event from `from` through `to` in
    /// sequence order, until it returns false.
    public func forEachEvent(from: UInt64 = 1, to: UInt64 = .max, _ body: (StoredEvent) throws -> Bool) throws {
        try env.read { txn in try forEachEvent(in: txn, from: from, to: to, body) }
    }

    /// Calls `body` with each stored event from `from` through `to` in
    /// `txn`, decoded, until it returns false; every record's link checked
    /// first, as ``forEachRecord(in:from:to:checkingAhead:_:)`` checks it.
    /// With `checkingAhead` (a long fold over whole events: `verify`'s refold
    /// of the append rules) a second thread checks the links and decodes
    /// the events while `body` folds the ones before (see ``ReadAhead``).
    func forEachEvent(in txn: ReadTransaction, from: UInt64, to: UInt64, checkingAhead: Bool = false,
                      _ body: (StoredEvent) throws -> Bool) throws {
        guard checkingAhead && readsAhead(from: from, to: to) else {
            try forEachStoredRecord(in: txn, from: from, to: to) { seq, value in try body(Self.event(of: value, seq: seq)) }
            return
        }
        try scanReadingAhead(in: txn, from: from, to: to, decodingEvents: true) { batch in
            for stored in batch.events where try !body(stored) { return false }
            return true
        }
    }

    /// A stored record decoded as event `seq`, or the problem that keeps it
    /// from being served.
    static func event(of record: UnsafeRawBufferPointer, seq: UInt64) throws(LedgerError) -> StoredEvent {
        let stored: StoredEvent
        do {
            stored = try EventCodec.decode(record: record)
        } catch {
            throw .corrupt("event \(seq) cannot be decoded (\(error))")
        }
        guard stored.seq == seq else { throw .corrupt("the record stored under seq \(seq) names seq \(stored.seq)") }
        return stored
    }

    /// The stored records from `from` through `to` with their keys, until
    /// `body` returns false, checking that no sequence number is missing and
    /// that each record's stored hash is the link of its bytes after the
    /// record before it. A changed byte in any record a read passes over is
    /// reported at that record, never served. (Only `verify` can tell a
    /// record whose hash was recomputed from the one after it: such a change
    /// breaks the next link, which a read reaching it reports.)
    private func forEachStoredRecord(in txn: ReadTransaction, from: UInt64, to: UInt64,
                                     _ body: (UInt64, UnsafeRawBufferPointer) throws -> Bool) throws {
        let first = max(from, 1)
        // The link before the first record read: the stored hash of the one
        // before it (a start past the head reads nothing and needs none).
        guard var previous = try linkBefore(first, in: txn) else { return }
        // Checked inline, records are held back in short runs, their links
        // hashed two at a time (see ``HashChain/firstBrokenLink(in:after:)``),
        // and only then given to `body`, in order: a record is never served
        // before its link is checked, and the records before a broken link
        // are served before the scan throws, as one at a time would. Runs
        // start at 2 and double up to 64, so a read of one or two records
        // hashes no more than it reads.
        var held: [UnsafeRawBufferPointer] = []
        var heldFirst = first
        var runLimit = 2
        var stopped = false
        func serveHeld() throws {
            guard !held.isEmpty else { return }
            let bad = previous.withUnsafeBytes { previous in
                held.withUnsafeBufferPointer { HashChain.firstBrokenLink(in: $0, after: previous) }
            }
            let good = bad ?? held.count
            for index in 0..<good where !stopped {
                if try !body(heldFirst + UInt64(index), held[index]) { stopped = true }
            }
            if let bad, !stopped { throw LedgerError.chainBreaks(at: heldFirst + UInt64(bad)) }
            if let last = held.last {
                previous.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: last[0..<EventCodec.hashBytes])) }
            }
            heldFirst += UInt64(held.count)
            held.removeAll(keepingCapacity: true)
            runLimit = min(runLimit * 2, 64)
        }
        do {
            try txn.withCursor(events) { cursor in
                var expected = first
                try cursor.forEach(from: sequenceKey(first)) { key, value in
                    guard let seq = readSequence(key), seq <= to else { return false }
                    guard seq == expected else {
                        try serveHeld()
                        if stopped { return false }
                        throw LedgerError.corrupt("sequence number \(expected) is missing from the log")
                    }
                    guard (try? EventCodec.split(record: value)) != nil else {
                        try serveHeld()
                        if stopped { return false }
                        throw LedgerError.corrupt("event \(seq) is shorter than a record's header")
                    }
                    expected += 1
                    if seq & Self.releaseMask == 0 { env.releaseMappedPages() }
                    held.append(value)
                    if held.count >= runLimit {
                        try serveHeld()
                        if stopped { return false }
                    }
                    return true
                }
            }
            try serveHeld()
        }
    }

    /// The stored hash of the event before `seq` (the genesis for 1); nil
    /// when `seq` is past the head. Throws when `seq` is stored but the one
    /// before it is not.
    private func linkBefore(_ seq: UInt64, in txn: ReadTransaction) throws -> [UInt8]? {
        if let hash = try storedChainHash(at: seq - 1, in: txn) { return hash }
        if try txn.withValue(events, key: sequenceKey(seq), { $0 == nil }) { return nil }
        throw LedgerError.corrupt("event \(seq - 1) is missing from the log or shorter than a record's header")
    }

    /// Calls `body` with the stored record of event `seq` (nil when there is
    /// none) once it is checked as every read checks a record: its stored
    /// hash is the link of its bytes after the stored hash of the event
    /// before it. For look-ups outside a scan (an event named by an index).
    func withCheckedRecord<T>(_ seq: UInt64, in txn: ReadTransaction, _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        guard let previous = try linkBefore(seq, in: txn) else { return try body(nil) }
        return try txn.withValue(events, key: sequenceKey(seq)) { record in
            guard let record else { return try body(nil) }
            guard let split = try? EventCodec.split(record: record),
                  previous.withUnsafeBytes({ HashChain.linkMatches(previous: $0, canonical: split.canonical, stored: split.hash) })
            else { throw LedgerError.chainBreaks(at: seq) }
            return try body(record)
        }
    }

    /// The key of a stream's event in `stream-events`: the stream name, 0x00,
    /// the version (``withStreamEventKey(_:version:_:)`` builds the same
    /// bytes on the stack).
    static func streamEventKey(_ stream: some Sequence<UInt8>, version: UInt64) -> [UInt8] {
        var key = [UInt8]()
        key.reserveCapacity(stream.underestimatedCount + 9)
        key.append(contentsOf: stream)
        key.append(0)
        withUnsafeBytes(of: version.bigEndian) { key.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        return key
    }

    /// Calls `body` with the `stream-events` key of version `version` of
    /// `stream`, built on the stack (the import builds one per event).
    static func withStreamEventKey<R>(_ stream: String, version: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var name = stream
        return try name.withUTF8 { utf8 in
            try withUnsafeTemporaryAllocation(byteCount: utf8.count + 9, alignment: 1) { key in
                key.copyMemory(from: UnsafeRawBufferPointer(utf8))
                key[utf8.count] = 0
                key.storeBytes(of: version.bigEndian, toByteOffset: utf8.count + 1, as: UInt64.self)
                return try body(UnsafeRawBufferPointer(key))
            }
        }
    }

    /// Writes the indexes of event `seq` with id `idKey` placed at `placement`:
    /// `ids` (unless `idKey` is nil: an append has claimed the id already),
    /// `stream-events` and, for a reversal, `reversals`. The one place that
    /// does so, for an append and for a rewrite of the indexes.
    func putIndexes(idKey: (some ByteSource)?, seq: UInt64, placement: Placement, in txn: WriteTransaction) throws {
        let seqKey = SequenceBytes(seq)
        if let idKey { try txn.put(ids, key: idKey, value: seqKey) }
        try Self.withStreamEventKey(placement.stream, version: placement.streamVersion) { key in
            try txn.put(streamEvents, key: key, value: seqKey)
        }
        if let reversed = placement.reversedSeq { try txn.put(reversals, key: SequenceBytes(reversed), value: seqKey) }
    }

    /// Long scans let go of the pages they have read every 65,536 events
    /// (``Environment/releaseMappedPages()``): resident memory then stays
    /// bounded by what a scan holds, not by the size of the log.
    static let releaseMask: UInt64 = (1 << 16) - 1

    /// Calls `body` with each stored record from `from` through `to` in
    /// sequence order, read in place (see ``EventRecordView``), until it
    /// returns false. The view is valid only inside `body`. With
    /// `checkingAhead`, for a fold whose result is used once the scan ends
    /// (the audit's reading of the log), links are checked and records read
    /// on a second thread (see ``forEachRecord(in:from:to:checkingAhead:_:)``).
    public func forEachRecord(from: UInt64 = 1, to: UInt64 = .max, checkingAhead: Bool = false,
                              _ body: (EventRecordView) throws -> Bool) throws {
        try env.read { txn in try forEachRecord(in: txn, from: from, to: to, checkingAhead: checkingAhead, body) }
    }

    /// Calls `body` with each stored record from `from` through `to`, read in
    /// place from the memory map (no `Event` is built), until it returns
    /// false. The same checks as ``forEachEvent(from:to:_:)``: no gap in the
    /// sequence, each record decodable and naming its own seq.
    ///
    /// With `checkingAhead` (folds, whose result is used only after the
    /// scan) a long read checks the links and reads the records on a second
    /// thread while `body` folds the ones before (see ``ReadAhead``). Every
    /// record still reaches `body` checked, in order, and the first problem
    /// in log order is the one thrown.
    func forEachRecord(in txn: ReadTransaction, from: UInt64, to: UInt64, checkingAhead: Bool = false,
                       _ body: (EventRecordView) throws -> Bool) throws {
        guard checkingAhead && readsAhead(from: from, to: to) else {
            try forEachStoredRecord(in: txn, from: from, to: to) { seq, value in try body(Self.view(of: value, seq: seq)) }
            return
        }
        try scanReadingAhead(in: txn, from: from, to: to, decodingEvents: false) { batch in
            for view in batch.views where try !body(view) { return false }
            return true
        }
    }

    /// Whether a scan from `from` through `to` is long enough for a second
    /// thread to pay for itself.
    private func readsAhead(from: UInt64, to: UInt64) -> Bool {
        let first = max(from, 1)
        return to >= first && (to == .max || to - first >= UInt64(ReadAhead.batchSize) * 4)
    }

    /// The scan behind the reads ahead: gives `serve` the records in
    /// batches, in order (their views, or their events when
    /// `decodingEvents`), each checked and read on a second thread, until
    /// `serve` returns false. A batch's problem is thrown after its good
    /// records are served; what the walk itself finds wrong, after every
    /// record before it.
    ///
    /// In a read transaction the second thread walks the cursor too, and
    /// the caller's thread only folds. A write transaction stays on its own
    /// thread: the scan walks there and hands the records over.
    private func scanReadingAhead(in txn: ReadTransaction, from: UInt64, to: UInt64, decodingEvents: Bool,
                                  _ serve: (ReadAhead.Batch) throws -> Bool) throws {
        let first = max(from, 1)
        guard let previous = try linkBefore(first, in: txn) else { return }
        if txn is WriteTransaction {
            try scanHandingOver(in: txn, first: first, to: to, previous: previous, decodingEvents: decodingEvents, serve)
            return
        }
        // The cursor is opened here, so that LMDB finds the database's root
        // on this thread before two threads read the transaction (the fold
        // looks up indexes in it meanwhile); the second thread only moves it.
        try txn.withCursor(events) { cursor in
            let walk = Walk(ledger: self, cursor: cursor, first: first, to: to, previous: previous)
            let reader = ReadAhead(decodesEvents: decodingEvents) { reader in
                try walk.ledger.walkRecords(walk.cursor, first: walk.first, to: walk.to, previous: walk.previous, hand: reader.hand)
            }
            defer { reader.close() }
            while let batch = try reader.nextRead() {
                if try !serve(batch) { return }
                if let problem = batch.problem { throw problem }
            }
        }
    }

    /// What the second thread needs to walk the log; the cursor and the
    /// transaction behind it are used by that thread alone until the walk ends.
    private struct Walk: @unchecked Sendable {
        let ledger: Ledger
        let cursor: Cursor
        let first: UInt64
        let to: UInt64
        let previous: [UInt8]
    }

    /// ``scanReadingAhead(in:from:to:decodingEvents:_:)`` in a write
    /// transaction: the walk on this thread, the checks and reads on the second.
    private func scanHandingOver(in txn: ReadTransaction, first: UInt64, to: UInt64, previous: [UInt8], decodingEvents: Bool,
                                 _ serve: (ReadAhead.Batch) throws -> Bool) throws {
        let reader = ReadAhead(decodesEvents: decodingEvents)
        defer { reader.close() }
        var stopped = false
        // Folds the oldest batch handed over, up to its problem if it has one.
        func serveOldest() throws {
            let done = reader.take()
            if try !serve(done) { stopped = true }
            if let problem = done.problem, !stopped { throw problem }
        }
        try txn.withCursor(events) { cursor in
            try walkRecords(cursor, first: first, to: to, previous: previous) { batch in
                reader.put(batch)
                // The fold takes a batch while the next one is read; only
                // then can it have stopped.
                if reader.outstanding >= ReadAhead.depth {
                    try serveOldest()
                    return !stopped
                }
                return true
            }
        }
        while !stopped && reader.outstanding > 0 { try serveOldest() }
    }

    /// Walks the stored records from `first` through `to` with `cursor`, in
    /// batches of ``ReadAhead/batchSize`` given to `hand` in order until it
    /// returns false. The last batch carries what the walk found wrong
    /// after it (a missing seq, a record shorter than its header) as its
    /// ``ReadAhead/Batch/endProblem``, and is handed over even when empty.
    private func walkRecords(_ cursor: Cursor, first: UInt64, to: UInt64, previous: [UInt8],
                             hand: (ReadAhead.Batch) throws -> Bool) throws {
        var batch = ReadAhead.Batch(firstSeq: first, previous: previous)
        var expected = first
        var handedAll = true
        try cursor.forEach(from: sequenceKey(first)) { key, value in
            guard let seq = readSequence(key), seq <= to else { return false }
            guard seq == expected else {
                batch.endProblem = .corrupt("sequence number \(expected) is missing from the log")
                return false
            }
            guard let split = try? EventCodec.split(record: value) else {
                batch.endProblem = .corrupt("event \(seq) is shorter than a record's header")
                return false
            }
            expected += 1
            if seq & Self.releaseMask == 0 { env.releaseMappedPages() }
            batch.records.append(value)
            if batch.records.count == ReadAhead.batchSize {
                let full = batch
                batch = ReadAhead.Batch(firstSeq: seq + 1, previous: Array(split.hash))
                guard try hand(full) else {
                    handedAll = false
                    return false
                }
            }
            return true
        }
        if handedAll && (!batch.records.isEmpty || batch.endProblem != nil) { _ = try hand(batch) }
    }

    /// A stored record read in place as event `seq`, or the problem that
    /// keeps it from being served.
    static func view(of record: UnsafeRawBufferPointer, seq: UInt64) throws(LedgerError) -> EventRecordView {
        let view: EventRecordView
        do {
            view = try EventRecordView(record: record)
        } catch {
            throw .corrupt("event \(seq) cannot be decoded (\(error))")
        }
        guard view.seq == seq else { throw .corrupt("the record stored under seq \(seq) names seq \(view.seq)") }
        return view
    }

    /// The sequence numbers of a stream's events, in stream order.
    public func sequenceNumbers(ofStream stream: String) throws -> [UInt64] {
        try env.read { txn in
            var prefix = Array(stream.utf8)
            prefix.append(0)
            var found: [UInt64] = []
            try txn.withCursor(streamEvents) { cursor in
                try cursor.forEach(from: prefix) { key, value in
                    guard key.count == prefix.count + 8, key.starts(with: prefix), let seq = readSequence(value) else { return false }
                    found.append(seq)
                    return true
                }
            }
            return found
        }
    }

    /// The stream state append-time validation keeps for `stream`.
    public func streamState(_ stream: String) throws -> StreamState? {
        try env.read { txn in
            try txn.withValue(streams, key: Array(stream.utf8)) { bytes in
                try bytes.map { try StreamState.decode($0) }
            }
        }
    }
}

/// A ledger may be shared by threads (the server's readers and its one
/// writer): every stored property is a constant, and its ``Environment``
/// runs each transaction on the calling thread and resizes the map only
/// while no transaction of the process is open.
extension Ledger: @unchecked Sendable {}

/// Wall-clock time for `recorded`.
public enum Clock {
    public static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    /// `2026-11-29T08:20:32.123456Z`.
    public static func iso8601(micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CalendarDate(dayNumber: Int32(days))
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(date)T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC). A bare date
    /// means the end of that day, so `--known-at 2016-03-31` includes all of it.
    public static func parse(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        if utf8.count == 10, let date = CalendarDate.parse(utf8) {
            return (Int64(date.dayNumber) + 1) * 86_400_000_000 - 1
        }
        guard utf8.count >= 20, utf8.last == 0x5A, utf8[10] == 0x54, utf8[13] == 0x3A, utf8[16] == 0x3A,
              let date = CalendarDate.parse(utf8[0..<10])
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in utf8[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              hour < 24, minute < 60, second < 60 else { return nil }
        var micros: Int64 = 0
        let rest = utf8.count - 1
        if rest > 19 {
            guard utf8[19] == 0x2E, rest - 20 >= 1, rest - 20 <= 6, let digits = number(20..<rest) else { return nil }
            micros = digits
            for _ in 0..<(6 - (rest - 20)) { micros *= 10 }
        } else if rest != 19 {
            return nil
        }
        return ((Int64(date.dayNumber) * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000) + micros
    }
}

extension Ledger {
    /// Length in bytes of the stored record of `seq` (0 when absent).
    public func recordLength(seq: UInt64) throws -> Int {
        try env.read { txn in try txn.withValue(events, key: sequenceKey(seq)) { $0?.count ?? 0 } }
    }
}
