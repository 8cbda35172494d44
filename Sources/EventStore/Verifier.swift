import LMDBKit
import LedgerCore

/// The outcome of recomputing the hash chain.
public struct VerifyReport: Sendable {
    public var headSeq: UInt64 = 0
    public var headHash: [UInt8] = HashChain.genesis
    /// The first sequence number at which the log is not what was written.
    public var firstBadSeq: UInt64?
    public var problem: String?
    /// The result of `--expect SEQ:HASH`, when asked.
    public var expectation: (seq: UInt64, matches: Bool, actual: [UInt8]?)?

    public var ok: Bool { firstBadSeq == nil && (expectation?.matches ?? true) }
}

extension Ledger {
    /// Recomputes every link of the chain, checks the sequence has no gaps,
    /// that each record decodes and names its own sequence number, and that
    /// recorded times never decrease. Stops at the first bad record.
    public func verify(expect: (seq: UInt64, hash: [UInt8])? = nil, upTo lastSeq: UInt64 = .max, progress: ((UInt64) -> Void)? = nil) throws -> VerifyReport {
        var report = VerifyReport()
        let validator = EventParser()
        try env.read { txn in
            var previous = HashChain.genesis
            var expectedSeq: UInt64 = 1
            var lastRecorded = Int64.min
            try txn.withCursor(events) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    func bad(_ seq: UInt64, _ problem: String) -> Bool {
                        report.firstBadSeq = seq
                        report.problem = problem
                        return false
                    }
                    guard let seq = readSequence(key) else { return bad(expectedSeq, "a key of the events database is not an 8-byte sequence number") }
                    if seq > lastSeq { return false }
                    guard seq == expectedSeq else { return bad(expectedSeq, "sequence number \(expectedSeq) is missing (next stored is \(seq))") }
                    if seq & Self.releaseMask == 0 { env.releaseMappedPages() }
                    let stored: StoredEvent
                    let canonical: UnsafeRawBufferPointer
                    let storedHash: UnsafeRawBufferPointer
                    do {
                        (storedHash, canonical) = try EventCodec.split(record: value)
                        stored = try EventCodec.decode(record: value)
                    } catch {
                        return bad(seq, "the record cannot be decoded (\(error))")
                    }
                    let hash = previous.withUnsafeBytes { HashChain.link(previous: $0, canonical: canonical) }
                    guard storedHash.elementsEqual(hash) else { return bad(seq, "the stored hash does not match the record's bytes and the previous hash") }
                    guard stored.seq == seq else { return bad(seq, "the record names sequence \(stored.seq)") }
                    do {
                        try validator.validateStored(stored.event)
                    } catch {
                        return bad(seq, "the stored event breaks a rule every event must satisfy: \(error)")
                    }
                    guard stored.recordedMicros >= lastRecorded else { return bad(seq, "recorded time goes backwards") }
                    if let expect, expect.seq == seq {
                        report.expectation = (seq, expect.hash == hash, hash)
                    }
                    lastRecorded = stored.recordedMicros
                    previous = hash
                    report.headSeq = seq
                    report.headHash = hash
                    expectedSeq += 1
                    if let progress, seq % 1_000_000 == 0 { progress(seq) }
                    return true
                }
            }
        }
        if let expect, report.expectation == nil {
            report.expectation = (expect.seq, expect.seq == 0 && expect.hash == HashChain.genesis, nil)
        }
        return report
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
                                    projectionEntries, projectionMeta, projectionSnapshots, effectiveIndex]
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
