import Dispatch
import Glibc
import LMDBKit
import LedgerCore
import Proofs

/// The outcome of recomputing the hash chain.
public struct VerifyReport: Sendable {
    public var headSeq: UInt64 = 0
    public var headHash: [UInt8] = HashChain.genesis
    /// The first sequence number at which the log is not what was written.
    public var firstBadSeq: UInt64?
    public var problem: String?
    /// The result of `--expect SEQ:HASH`, when asked.
    public var expectation: (seq: UInt64, matches: Bool, actual: [UInt8]?)?
    /// The Merkle tree recomputed from the verified events.
    public var tree: MerkleFrontier = MerkleFrontier()
    /// How many events the stored tree covers (nil when it was never built).
    public var storedTreeSize: UInt64?
    /// What differs between the stored tree and the recomputed one.
    public var treeProblem: String?
    /// The derived databases compared with the log, when they were (only
    /// for the whole log, and only once its chain is intact).
    public var derived: DerivedReport?
    /// When `--expect` names a seq at or after the first bad record: the
    /// digest cannot be confirmed, and this is where the chain broke.
    public var expectationBrokenAt: UInt64?

    public var ok: Bool {
        firstBadSeq == nil && treeProblem == nil && (expectation?.matches ?? true) && (derived?.ok ?? true)
    }
}

/// A problem `verify` found: where, and which check. Checks of one record
/// run in a fixed order, so when the hashing thread and the decoding thread
/// both find something the earliest record wins and, within it, the check
/// that comes first.
struct VerifyProblem {
    enum Check: Int, Comparable {
        case sequence = 0, decoding, hash, namedSeq, rules, recordedTime
        static func < (a: Check, b: Check) -> Bool { a.rawValue < b.rawValue }
    }
    var seq: UInt64
    var check: Check
    var message: String
    /// The hash of the record before `seq` (the last good head).
    var previousHash: [UInt8]

    func precedes(_ other: VerifyProblem?) -> Bool {
        guard let other else { return true }
        return (seq, check) < (other.seq, other.check)
    }
}

/// Decodes and validates stored records on a second thread while `verify`
/// hashes the chain on its own: the two halves of the check cost about the
/// same, so a log verifies in the time of the slower one, not their sum.
/// Records are handed over as pointers into the memory map, valid while the
/// read transaction that found them is open (the caller waits for this
/// checker before ending it).
final class RecordChecker: @unchecked Sendable {
    struct Batch: @unchecked Sendable {
        var seqs: [UInt64] = []
        var records: [UnsafeRawBufferPointer] = []
        /// The chain hash of each record, 32 bytes apiece, and of the one before the batch.
        var hashes: [UInt8] = []
        /// The Merkle leaf hash of each record (taken by the hashing thread).
        var leafHashes: [MerkleHash] = []
        var previousHash: [UInt8] = []
    }

    static let batchSize = 4096
    private var handoff: BatchHandoff<Batch>!
    /// The first problem found (written by the checker, read after `finish`).
    private(set) var problem: VerifyProblem?
    /// The Merkle tree over the checked records, and the nodes at the stored
    /// levels it completed (read after `finish`).
    private(set) var tree = MerkleFrontier()
    private(set) var storedLevelNodes: [[UInt8]: MerkleHash] = [:]
    /// The tree as it was at `keepFrontierAt` leaves, the size the stored
    /// frontier claims, to compare it with when the log has grown past it.
    let keepFrontierAt: UInt64?
    private(set) var keptFrontier: MerkleFrontier?
    private let validator = EventParser()

    init(keepFrontierAt: UInt64? = nil) {
        self.keepFrontierAt = keepFrontierAt
        if keepFrontierAt == 0 { keptFrontier = MerkleFrontier() }
        handoff = BatchHandoff { [unowned self] batch in
            if let found = check(batch) {
                problem = found
                return false
            }
            return true
        }
    }

    /// Set once a problem is found, so the hashing thread can stop early.
    var hasFailed: Bool { handoff.hasStopped }

    /// Hands a batch over, waiting while the checker is behind.
    func put(_ batch: Batch) { handoff.put(batch) }

    /// No more batches; waits until every queued one is checked.
    func finish() { handoff.finish() }

    /// Checks one batch; the first problem in it, or nil.
    private func check(_ batch: Batch) -> VerifyProblem? {
            for index in batch.seqs.indices {
                let seq = batch.seqs[index]
                func problem(_ check: VerifyProblem.Check, _ message: String) -> VerifyProblem {
                    let previous = index == 0 ? batch.previousHash : Array(batch.hashes[(index - 1) * 32..<index * 32])
                    return VerifyProblem(seq: seq, check: check, message: message, previousHash: previous)
                }
                tree.append(batch.leafHashes[index]) { level, index, hash in
                    if MerkleLayout.isStored(level: level) {
                        storedLevelNodes[MerkleLayout.nodeKey(level: level, index: index)] = hash
                    }
                }
                if tree.size == keepFrontierAt { keptFrontier = tree }
                // Read in place; a record that fails is decoded whole, so the
                // problem is named in the full decoder's and validator's words.
                if let record = try? EventRecordView(record: batch.records[index]), record.seq == seq,
                   validator.isValidStored(record) {
                    continue
                }
                let stored: StoredEvent
                do {
                    stored = try EventCodec.decode(record: batch.records[index])
                } catch {
                    return (problem(.decoding, "the record cannot be decoded (\(error))"))
                }
                guard stored.seq == seq else { return (problem(.namedSeq, "the record names sequence \(stored.seq)")) }
                do {
                    try validator.validateStored(stored.event)
                } catch {
                    return (problem(.rules, "the stored event breaks a rule every event must satisfy: \(error)"))
                }
                // The in-place reading refused what the full one accepts:
                // the two disagree, which is a fault of this program, and
                // the record is reported rather than passed.
                return problem(.rules, "the record reads differently in place and decoded whole")
            }
            return nil
    }
}

extension Ledger {
    /// Recomputes every link of the chain, checks the sequence has no gaps,
    /// that each record decodes and names its own sequence number, and that
    /// recorded times never decrease. Stops at the first bad record.
    ///
    /// The chain is hashed on this thread while a second one decodes and
    /// validates the same records (``RecordChecker``); the first problem of
    /// either, in log order, is the one reported.
    ///
    /// Each record's link is SHA-256 of the stored hash before it and its
    /// canonical bytes, so the links of a batch do not wait for each other:
    /// they are checked a batch at a time, two interleaved
    /// (``HashChain/firstBrokenLink(in:after:)``), and until then each
    /// record's stored hash stands for its link. A broken link is reported
    /// at its record, ahead of any later problem and of a problem of the
    /// same record that is checked after the hash.
    public func verify(expect: (seq: UInt64, hash: [UInt8])? = nil, upTo lastSeq: UInt64 = .max, progress: ((UInt64) -> Void)? = nil) throws -> VerifyReport {
        var report = VerifyReport()
        var found: VerifyProblem?
        try env.read { txn in
            // The stored hash of the last record passed (genesis before the
            // first), in the memory map while the transaction is open.
            var previousStored: UnsafeRawBufferPointer?
            func previousHash() -> [UInt8] { previousStored.map { Array($0) } ?? HashChain.genesis }
            var expectedSeq: UInt64 = 1
            var lastRecorded = Int64.min
            let storedTree = Result { try storedFrontier(in: txn) }
            let checker = RecordChecker(keepFrontierAt: (try? storedTree.get())??.size)
            var batch = RecordChecker.Batch()
            func startBatch() {
                batch = RecordChecker.Batch()
                batch.seqs.reserveCapacity(RecordChecker.batchSize)
                batch.records.reserveCapacity(RecordChecker.batchSize)
                batch.hashes.reserveCapacity(RecordChecker.batchSize * 32)
                batch.leafHashes.reserveCapacity(RecordChecker.batchSize)
                batch.previousHash = previousHash()
            }
            /// Checks the links of the batch; a broken one becomes the
            /// problem found when it comes first. True when all link.
            func checkLinks() -> Bool {
                let broken = batch.records.withUnsafeBufferPointer { records in
                    batch.previousHash.withUnsafeBytes { HashChain.firstBrokenLink(in: records, after: $0) }
                }
                guard let index = broken else { return true }
                let before = index == 0 ? batch.previousHash : Array(batch.hashes[(index - 1) * 32..<index * 32])
                let problem = VerifyProblem(seq: batch.seqs[index], check: .hash,
                                            message: "the stored hash does not match the record's bytes and the previous hash",
                                            previousHash: before)
                if problem.precedes(found) { found = problem }
                return false
            }
            startBatch()
            do {
                try txn.withCursor(events) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, value in
                        func bad(_ seq: UInt64, _ check: VerifyProblem.Check, _ problem: String) -> Bool {
                            found = VerifyProblem(seq: seq, check: check, message: problem, previousHash: previousHash())
                            return false
                        }
                        guard let seq = readSequence(key) else {
                            return bad(expectedSeq, .sequence, "a key of the events database is not an 8-byte sequence number")
                        }
                        if seq > lastSeq { return false }
                        guard seq == expectedSeq else { return bad(expectedSeq, .sequence, "sequence number \(expectedSeq) is missing (next stored is \(seq))") }
                        if seq & Self.releaseMask == 0 {
                            env.releaseMappedPages()
                            if checker.hasFailed { return false }
                        }
                        let canonical: UnsafeRawBufferPointer
                        let storedHash: UnsafeRawBufferPointer
                        do {
                            (storedHash, canonical) = try EventCodec.split(record: value)
                        } catch {
                            return bad(seq, .decoding, "the record cannot be decoded (\(error))")
                        }
                        // The record goes to the checker even when this thread
                        // finds it bad: a decoding problem of the same record
                        // comes first in the order of checks.
                        batch.seqs.append(seq)
                        batch.records.append(value)
                        batch.hashes.append(contentsOf: storedHash)
                        // Every leaf hash is taken here, the tree's nodes on the
                        // checker: with the links hashed two at a time, the two
                        // threads then carry about the same share of the work.
                        batch.leafHashes.append(Merkle.leafHash(canonical))
                        // split guarantees the header: the recorded time is at offset 9.
                        let recorded = Int64(bitPattern: UInt64(bigEndian: canonical.loadUnaligned(fromByteOffset: 9, as: UInt64.self)))
                        guard recorded >= lastRecorded else { return bad(seq, .recordedTime, "recorded time goes backwards") }
                        if let expect, expect.seq == seq {
                            // Its link is checked with its batch; a broken one takes this back.
                            report.expectation = (seq, expect.hash.elementsEqual(storedHash), Array(storedHash))
                        }
                        lastRecorded = recorded
                        previousStored = storedHash
                        report.headSeq = seq
                        expectedSeq += 1
                        if batch.seqs.count == RecordChecker.batchSize {
                            let linked = checkLinks()
                            checker.put(batch)
                            startBatch()
                            if !linked { return false }
                        }
                        if let progress, seq % 1_000_000 == 0 { progress(seq) }
                        return true
                    }
                }
            } catch {
                checker.finish()
                throw error
            }
            report.headHash = previousHash()
            // The last batch's links (also when a problem stopped the scan:
            // a broken link before it comes first).
            if !batch.seqs.isEmpty {
                _ = checkLinks()
                checker.put(batch)
            }
            checker.finish()
            if let problem = checker.problem, problem.precedes(found) { found = problem }
            if found == nil {
                report.tree = checker.tree
                do {
                    if let stored = try storedTree.get() {
                        report.storedTreeSize = stored.size
                        let wholeLog = checker.tree.size == (try head(in: txn).seq)
                        report.treeProblem = try compareTree(stored: stored, computed: checker.tree, kept: checker.keptFrontier,
                                                             wholeLog: wholeLog, nodes: checker.storedLevelNodes, in: txn)
                    }
                } catch let error as LedgerError {
                    report.treeProblem = "\(error)"
                }
            }
        }
        if let found {
            report.firstBadSeq = found.seq
            report.problem = found.message
            report.headSeq = found.seq - 1
            report.headHash = found.previousHash
            if let expectation = report.expectation, expectation.seq >= found.seq { report.expectation = nil }
            if let expect, expect.seq >= found.seq {
                report.expectation = (expect.seq, false, nil)
                report.expectationBrokenAt = found.seq
            }
        }
        if let expect, report.expectation == nil {
            report.expectation = (expect.seq, expect.seq == 0 && expect.hash == HashChain.genesis, nil)
        }
        return report
    }

    /// Compares the stored tree with the one recomputed from the events:
    /// the stored frontier with the recomputed tree at the frontier's size,
    /// and every stored node of a complete subtree within both. Nil when
    /// they agree.
    private func compareTree(stored: MerkleFrontier, computed: MerkleFrontier, kept: MerkleFrontier?, wholeLog: Bool,
                             nodes: [[UInt8]: MerkleHash], in txn: ReadTransaction) throws -> String? {
        let covered = min(stored.size, computed.size)
        if stored.size > computed.size {
            if wholeLog { return "the stored Merkle frontier claims \(stored.size) events; the log has \(computed.size)" }
        } else if stored != (stored.size == computed.size ? computed : kept) {
            return "the stored Merkle frontier differs from the one the first \(stored.size) events give"
        }
        var matched = 0
        var problem: String?
        if let merkle {
            try txn.withCursor(merkle) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    guard key.count == 9, value.count == 32 else {
                        problem = "the merkle database holds an entry that is not a 9-byte key and a 32-byte hash"
                        return false
                    }
                    let level = Int(key[0])
                    let index = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
                    guard MerkleLayout.isStored(level: level), level < 64 else {
                        problem = "the merkle database holds a node at level \(level), which is never stored"
                        return false
                    }
                    let next = index.addingReportingOverflow(1)
                    let end = next.partialValue.multipliedReportingOverflow(by: UInt64(1) << level)
                    guard !next.overflow, !end.overflow, end.partialValue <= stored.size else {
                        problem = "the merkle database holds a node (level \(level), index \(index)) beyond the tree's \(stored.size) leaves"
                        return false
                    }
                    guard end.partialValue <= covered else { return true }
                    guard let expected = nodes[Array(key)], expected.bytes.elementsEqual(value) else {
                        problem = "the Merkle tree's node at level \(level), index \(index) differs from the one the events give"
                        return false
                    }
                    matched += 1
                    return true
                }
            }
        }
        if let problem { return problem }
        let expected = nodes.keys.count { key in
            let level = Int(key[0])
            let index = key[1...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (index + 1) << level <= covered
        }
        if matched != expected {
            return "the Merkle tree is missing \(expected - matched) of the \(expected) stored nodes the events give"
        }
        return nil
    }

    /// Counts and sizes for `stats`.
    public struct Statistics: Sendable {
        public var events: UInt64
        public var headHash: [UInt8]
        public var firstRecordedMicros: Int64?
        public var lastRecordedMicros: Int64?
        public var streams: Int
        public var reversals: Int
        public var databases: [(name: String, entries: Int, bytes: Int)]
        public var mapSizeBytes: Int
        public var usedBytes: Int
        public var formatVersion: UInt32
    }

    public func statistics() throws -> Statistics {
        try env.read { txn in
            let head = try head(in: txn)
            var first: Int64?
            try txn.withCursor(events) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { _, value in
                    let (_, canonical) = try EventCodec.split(record: value)
                    var reader = ByteReader(canonical, offset: 9)
                    first = try reader.i64()
                    return false
                }
            }
            var databases: [(String, Int, Int)] = []
            let all: [Database?] = [events, ids, streams, streamEvents, reversals, meta,
                                    projectionEntries, projectionMeta, projectionSnapshots, effectiveIndex, merkle]
            for (name, db) in zip(Self.databaseNames, all) {
                guard let db else { continue }
                let stat = try txn.statistics(db)
                databases.append((name, stat.entries, stat.bytes))
            }
            let info = env.info()
            return Statistics(
                events: head.seq, headHash: head.hash, firstRecordedMicros: first,
                lastRecordedMicros: head.seq > 0 ? head.recordedMicros : nil,
                streams: try txn.statistics(streams).entries, reversals: try txn.statistics(reversals).entries,
                databases: databases, mapSizeBytes: info.mapSizeBytes,
                usedBytes: (info.lastPage + 1) * env.pageSizeBytes, formatVersion: Self.formatVersion)
        }
    }
}
