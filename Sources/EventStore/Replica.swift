import LMDBKit
import LedgerCore

/// One record of a leader's log on its way to a replica: the chain hash the
/// leader stored and the canonical bytes it hashed (docs/FORMAT.md, "Event
/// records"). Everything else about the event is inside the canonical bytes.
public struct ReplicatedRecord: Sendable, Equatable {
    public var hash: [UInt8]
    public var canonical: [UInt8]

    public init(hash: [UInt8], canonical: [UInt8]) {
        self.hash = hash
        self.canonical = canonical
    }
}

/// A replica refused a batch: nothing of it was appended. `seq` is the
/// position of the first record that failed (the one the replica expected
/// there), and the head is the replica's, unchanged.
public struct ReplicationRefused: Error, Sendable, CustomStringConvertible {
    public var seq: UInt64
    public var reason: String
    public var headSeq: UInt64
    public var headHash: [UInt8]

    public var description: String {
        "event \(seq) refused: \(reason); nothing of this batch was appended, the replica's head is still "
            + "\(headSeq):\(HashChain.hex(headHash))"
    }
}

/// What one replicated batch did.
public struct ReplicationReport: Sendable, Equatable {
    public var appended: Int
    public var headSeq: UInt64
    public var headHash: [UInt8]
}

/// A ledger kept as a byte-for-byte copy of another ledger's log (a read
/// replica, see docs/REPLICATION.md): each record the leader stored is
/// appended with the leader's seq, recorded time, canonical bytes and hash,
/// and the replica derives its indexes, stream states, Merkle tree and
/// projections from them exactly as an import does, through the same
/// ``BatchWriter`` and projection fold. So `verify` gives the replica the
/// leader's head, and every view of it is the leader's view.
///
/// A record is appended only when it holds up on its own and as the next
/// link of the replica's log: its seq is the head's plus one, SHA-256 of the
/// head's hash and its canonical bytes is the hash it came with, it decodes
/// completely in the layout this program writes and satisfies every rule a
/// stored event satisfies, its recorded time is not before the head's, and
/// the append rules (ids used once, known subjects, stream versions, limits)
/// accept it after everything before it. The leader is not trusted to have
/// checked any of this.
public final class Replica {
    public let ledger: Ledger
    private let validator = EventParser()

    /// Takes `ledger` as a replica after the checks an import runs before it
    /// appends: the whole chain and the stored tree verify, projections of
    /// another version are rebuilt and a tree that lags the log is extended
    /// (each said through `notice`). Nothing is appended to a replica whose
    /// own log fails its check.
    public init(ledger: Ledger, notice: ((String) -> Void)? = nil) throws {
        guard !ledger.options.readOnly else {
            throw LedgerError.invalidRequest("a replica is written to; open the ledger at \(ledger.path) for writing")
        }
        guard ledger.options.keepsMerkleTree else {
            throw LedgerError.invalidRequest("a replica keeps the Merkle tree of its log")
        }
        self.ledger = ledger
        let check = try ledger.verify()
        if let bad = check.firstBadSeq {
            throw LedgerError.corrupt("the replica's log fails its check at seq \(bad): \(check.problem ?? "")")
        }
        if let problem = check.treeProblem { throw LedgerError.corrupt(problem) }
        try ledger.prepareProjections(notice: notice)
        let added = try ledger.catchUpMerkleTree()
        if added > 0 { notice?("extended the Merkle tree over \(added) event(s) appended before it was kept") }
    }

    /// The replica's head: where the next record must link.
    public func head() throws -> (seq: UInt64, hash: [UInt8]) {
        let head = try ledger.head()
        return (head.seq, head.hash)
    }

    /// Appends `records`, in order, as one transaction: all of them, or,
    /// when any is refused, none (``ReplicationRefused`` names the first
    /// refused seq and why). An empty batch changes nothing.
    @discardableResult
    public func append(_ records: [ReplicatedRecord]) throws -> ReplicationReport {
        guard !records.isEmpty else {
            let head = try ledger.head()
            return ReplicationReport(appended: 0, headSeq: head.seq, headHash: head.hash)
        }
        if ledger.options.anticipateGrowth {
            let bytes = records.reduce(0) { $0 + $1.canonical.count + $1.hash.count }
            let used = ledger.env.info().lastPage * ledger.env.pageSizeBytes
            try ledger.env.growMap(toAtLeast: used + bytes * 4 + (16 << 20))
        }
        var writtenChecksum: [UInt8]?
        let report = try ledger.env.write { txn in
            var batch = try BatchWriter(ledger: ledger, txn: txn)
            let projections = try Ledger.ProjectionWriter(ledger: ledger, txn: txn, placements: batch.state)
            try projections.catchUp(to: batch.nextSeq - 1)
            projections.foldCompactly()
            let start = (seq: batch.nextSeq - 1, hash: batch.previousHash)
            let head = try ledger.head(in: txn)
            var lastRecorded = head.seq == 0 ? Int64.min : head.recordedMicros
            for record in records {
                let seq = batch.nextSeq
                func refused(_ reason: String) -> ReplicationRefused {
                    ReplicationRefused(seq: seq, reason: reason, headSeq: start.seq, headHash: start.hash)
                }
                let stored = try checked(record, seq: seq, previous: batch.previousHash, lastRecorded: lastRecorded, refused)
                let content = Array(record.canonical[EventCodec.contentOffset...])
                let hash: [UInt8]
                do {
                    hash = try batch.appendReplicated(stored.event, content: content, recordedMicros: stored.recordedMicros)
                    try Ledger.fold(stored.event, seq: seq, record: batch.lastRecord, into: projections)
                } catch let error as FieldError {
                    throw refused("the append rules refuse it after the events before it: \(error)")
                }
                // The record was written from its own header and content, so
                // this holds whenever the header is what this program writes.
                guard hash == record.hash else {
                    throw refused("its header is not the one this program writes for seq \(seq) (schema version or layout)")
                }
                lastRecorded = stored.recordedMicros
            }
            try projections.flush()
            try batch.finish()
            writtenChecksum = projections.writtenChecksum
            return ReplicationReport(appended: records.count, headSeq: batch.nextSeq - 1, headHash: batch.previousHash)
        }
        if let writtenChecksum { ledger.verifiedHead?.rememberProjectionChecksum(writtenChecksum) }
        return report
    }

    /// The record decoded, once it holds up as the record at `seq` after a
    /// record with hash `previous` recorded at `lastRecorded`.
    private func checked(_ record: ReplicatedRecord, seq: UInt64, previous: [UInt8], lastRecorded: Int64,
                         _ refused: (String) -> ReplicationRefused) throws -> StoredEvent {
        guard record.hash.count == EventCodec.hashBytes else {
            throw refused("its hash is \(record.hash.count) bytes, not \(EventCodec.hashBytes)")
        }
        let canonical = record.canonical
        guard canonical.count > EventCodec.contentOffset else {
            throw refused("its canonical bytes (\(canonical.count)) are shorter than a record's header")
        }
        let named = canonical[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard named == seq else {
            let what = named > seq
                ? "event\(named - seq == 1 ? "" : "s") \(seq)\(named - seq == 1 ? "" : "–\(named - 1)") did not arrive"
                : "event \(named) is already in the replica"
            throw refused("the record is event \(named), the next one must be \(seq) (the replica's head is \(seq - 1)): \(what)")
        }
        let link = HashChain.link(previous: previous, canonical: canonical)
        guard link == record.hash else {
            throw refused("the chain breaks here: SHA-256 of the hash of event \(seq - 1) and these canonical bytes is "
                + "\(HashChain.hex(link)), not the hash \(HashChain.hex(record.hash)) the record came with")
        }
        let stored: StoredEvent
        do {
            stored = try (record.hash + canonical).withUnsafeBytes { try EventCodec.decode(record: $0) }
        } catch {
            throw refused("the record cannot be decoded (\(error))")
        }
        do {
            try validator.validateStored(stored.event)
        } catch {
            throw refused("the event breaks a rule every stored event satisfies: \(error)")
        }
        guard stored.recordedMicros >= lastRecorded else {
            throw refused("it was recorded at \(Clock.iso8601(micros: stored.recordedMicros)), before event \(seq - 1) "
                + "(\(Clock.iso8601(micros: lastRecorded))); recorded times never decrease along a log")
        }
        guard EventCodec.encodeContent(stored.event).elementsEqual(canonical[EventCodec.contentOffset...]) else {
            throw refused("its content is not in the canonical layout this program writes for that event")
        }
        return stored
    }
}
