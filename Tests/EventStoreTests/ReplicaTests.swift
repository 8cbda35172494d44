import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Testing

/// A replica's records are the leader's byte for byte, and it derives the
/// same indexes, balances and tree from them; a record that does not hold up
/// refuses its whole batch, naming its seq, and nothing is appended.
@Suite("Replica: a byte-for-byte copy of a leader's log")
struct ReplicaTests {
    /// The sample history imported in three batches (so three recorded
    /// times), with a snapshot every 40 events.
    func leader(_ dir: TemporaryDirectory) throws -> Ledger {
        let lines = try String(contentsOfFile: fixture("sample-history.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let ledger = try Ledger.create(at: dir.path + "/leader", options: Ledger.OpenOptions(snapshotIntervalEvents: 40))
        for (index, part) in [lines[..<90], lines[90..<170], lines[170...]].enumerated() {
            _ = try ledger.importFiles([dir.file("part-\(index).jsonl", part.joined(separator: "\n"))]).get()
        }
        return ledger
    }

    /// Every stored record of `ledger` as it travels: hash and canonical bytes.
    func records(of ledger: Ledger) throws -> [ReplicatedRecord] {
        var out: [ReplicatedRecord] = []
        try ledger.forEachRecord { record in
            out.append(ReplicatedRecord(hash: Array(record.storedHash), canonical: Array(record.canonical)))
            return true
        }
        return out
    }

    /// A new empty replica beside the leader.
    func replica(_ dir: TemporaryDirectory, snapshotInterval: UInt64 = 40) throws -> Replica {
        try Replica(ledger: Ledger.create(at: dir.path + "/replica", options: Ledger.OpenOptions(snapshotIntervalEvents: snapshotInterval)))
    }

    /// `canonical` with its seq and recorded time set, chained after `previous`.
    func forged(_ canonical: [UInt8], seq: UInt64? = nil, recorded: Int64? = nil, after previous: [UInt8]) -> ReplicatedRecord {
        var bytes = canonical
        if let seq { bytes.replaceSubrange(1..<9, with: withUnsafeBytes(of: seq.bigEndian, Array.init)) }
        if let recorded { bytes.replaceSubrange(9..<17, with: withUnsafeBytes(of: recorded.bigEndian, Array.init)) }
        return ReplicatedRecord(hash: HashChain.link(previous: previous, canonical: bytes), canonical: bytes)
    }

    func recorded(_ record: ReplicatedRecord) -> Int64 {
        Int64(bitPattern: record.canonical[9..<17].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Every key and value of the named databases of the ledger at `path`.
    func contents(_ path: String, _ names: [String]) throws -> [String: [[UInt8]]] {
        let env = try Environment(path: path, options: { var o = Environment.Options(); o.readOnly = true; return o }())
        var out: [String: [[UInt8]]] = [:]
        for name in names {
            let db = try env.openDatabase(named: name, create: false)
            var entries: [[UInt8]] = []
            try env.read { txn in
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, value in
                        entries.append(Array(key) + [0xFF, 0xFF] + Array(value))
                        return true
                    }
                }
            }
            out[name] = entries
        }
        return out
    }

    @Test("copied in batches other than the leader's imports, the replica verifies to the leader's head, with the same records, indexes, balances and tree",
          arguments: [1, 7, 50, 1000])
    func copy(batchSize: Int) throws {
        let dir = TemporaryDirectory()
        let leader = try leader(dir)
        let sent = try records(of: leader)
        let replica = try replica(dir, snapshotInterval: 25)
        var start = 0
        while start < sent.count {
            let batch = Array(sent[start..<min(sent.count, start + batchSize)])
            let report = try replica.append(batch)
            #expect(report.appended == batch.count)
            #expect(report.headSeq == UInt64(start + batch.count))
            #expect(report.headHash == batch.last?.hash)
            start += batch.count
        }
        let leaderCheck = try leader.verify()
        let replicaCheck = try replica.ledger.verify()
        #expect(leaderCheck.ok && replicaCheck.ok, "\(replicaCheck.problem ?? "") \(replicaCheck.treeProblem ?? "")")
        #expect(replicaCheck.headSeq == 242)
        #expect(replicaCheck.headSeq == leaderCheck.headSeq && replicaCheck.headHash == leaderCheck.headHash)
        #expect(try records(of: replica.ledger) == sent)
        #expect(try replica.ledger.allEvents() == leader.allEvents())
        let derived = try replica.ledger.checkDerivedData()
        #expect(derived.ok, "\(derived.problems)")
        #expect(derived.notes.isEmpty)
        // Snapshots fall where each ledger's own batches ended; everything
        // else derived is the same bytes.
        let names = ["ids", "streams", "stream-events", "reversals", "projection-entries", "effective-index", "merkle"]
        let mine = try contents(dir.path + "/replica", names), theirs = try contents(dir.path + "/leader", names)
        for name in names { #expect(mine[name] == theirs[name], "\(name) differs") }
        #expect(try replica.ledger.storedProjectionDigest()?.digest == leader.storedProjectionDigest()?.digest)
        #expect(try replica.ledger.treeHead(size: 242).rootHash == leader.treeHead(size: 242).rootHash)
        #expect(try replica.ledger.projectionStatus().checkpoint == 242)
    }

    /// A replica holding the first 100 events, the leader's records, and a check that it is unchanged.
    func started(_ dir: TemporaryDirectory) throws -> (replica: Replica, sent: [ReplicatedRecord], unchanged: () throws -> Void) {
        let leader = try leader(dir)
        let sent = try records(of: leader)
        let replica = try replica(dir)
        try replica.append(Array(sent[0..<100]))
        let before = try records(of: replica.ledger)
        return (replica, sent, {
            #expect(try records(of: replica.ledger) == before)
            let head = try replica.head()
            #expect(head.seq == 100 && head.hash == sent[99].hash)
            let check = try replica.ledger.verify()
            #expect(check.ok)
            #expect(try replica.ledger.checkDerivedData().ok)
            #expect(try replica.ledger.projectionStatus().checkpoint == 100)
        })
    }

    func refusal(_ body: () throws -> Void) -> ReplicationRefused? {
        do {
            try body()
        } catch let refused as ReplicationRefused {
            return refused
        } catch {
            Issue.record("expected a refusal, got \(error)")
        }
        return nil
    }

    @Test("a tampered hash, or tampered canonical bytes, refuse the batch at that seq; the good events before it in the batch are not appended either")
    func tampered() throws {
        let dir = TemporaryDirectory()
        let (replica, sent, unchanged) = try started(dir)
        var batch = Array(sent[100..<110])
        batch[4].hash[7] ^= 0x01
        let refused = try #require(refusal { try replica.append(batch) })
        #expect(refused.seq == 105)
        #expect(refused.headSeq == 100 && refused.headHash == sent[99].hash)
        #expect(refused.description.contains("event 105 refused: the chain breaks here"))
        try unchanged()

        batch = Array(sent[100..<110])
        batch[0].canonical[batch[0].canonical.count - 1] ^= 0x01
        #expect(refusal { try replica.append(batch) }?.seq == 101)
        try unchanged()
        // The same batch untouched goes in.
        #expect(try replica.append(Array(sent[100..<110])).headSeq == 110)
    }

    @Test("a skipped seq, and an event already held, are refused naming the seq the replica expected")
    func skippedSeq() throws {
        let dir = TemporaryDirectory()
        let (replica, sent, unchanged) = try started(dir)
        let skipped = try #require(refusal { try replica.append([sent[100], sent[101], sent[103]]) })
        #expect(skipped.seq == 103)
        #expect(skipped.reason.contains("the record is event 104, the next one must be 103"))
        #expect(skipped.reason.contains("event 103 did not arrive"))
        try unchanged()
        let again = try #require(refusal { try replica.append([sent[99]]) })
        #expect(again.seq == 101)
        #expect(again.reason.contains("event 100 is already in the replica"))
        try unchanged()
    }

    @Test("a recorded time earlier than the head's is refused though the record links")
    func decreasingRecordedTime() throws {
        let dir = TemporaryDirectory()
        let (replica, sent, unchanged) = try started(dir)
        let record = forged(sent[100].canonical, recorded: recorded(sent[99]) - 1, after: sent[99].hash)
        let refused = try #require(refusal { try replica.append([record]) })
        #expect(refused.seq == 101)
        #expect(refused.reason.contains("recorded times never decrease"))
        try unchanged()
        // Within one batch as well: the second record goes back in time.
        let first = sent[100]
        let second = forged(sent[101].canonical, recorded: recorded(first) - 1, after: first.hash)
        #expect(refusal { try replica.append([first, second]) }?.seq == 102)
        try unchanged()
    }

    @Test("an event whose id the replica already holds is refused as a conflict, never skipped as a duplicate")
    func conflictingID() throws {
        let dir = TemporaryDirectory()
        let (replica, sent, unchanged) = try started(dir)
        // Event 5's content again, as a properly linked event 101.
        let record = forged(sent[4].canonical, seq: 101, recorded: recorded(sent[100]), after: sent[99].hash)
        let refused = try #require(refusal { try replica.append([record]) })
        #expect(refused.seq == 101)
        #expect(refused.reason.contains("the append rules refuse it"))
        #expect(refused.reason.contains("already in the replica (seq 5)"))
        try unchanged()
    }

    @Test("a record that links but does not decode, or breaks a stored-event rule or an append rule, is refused")
    func undecodableOrInvalid() throws {
        let dir = TemporaryDirectory()
        let (replica, sent, unchanged) = try started(dir)
        let trailing = forged(sent[100].canonical + [0], after: sent[99].hash)
        #expect(refusal { try replica.append([trailing]) }?.reason.contains("cannot be decoded") == true)
        try unchanged()
        // A registration's effective date moved before the birth date the record holds.
        var events: [StoredEvent] = []
        try replica.ledger.forEachEvent { events.append($0); return true }
        let registration = try #require(events.first { $0.event.type == .personRegistered })
        var event = registration.event
        event.id = "replica-test-1"
        event.effective = CalendarDate(dayNumber: try #require(event.data.date(.birthDate)).dayNumber - 1)
        let invalid = forged(EventCodec.canonicalBytes(seq: 101, recordedMicros: recorded(sent[100]), content: EventCodec.encodeContent(event)),
                             after: sent[99].hash)
        #expect(refusal { try replica.append([invalid]) }?.reason.contains("breaks a rule every stored event satisfies") == true)
        try unchanged()
        // The same person registered a second time under a new id: the append rules refuse it.
        event = registration.event
        event.id = "replica-test-2"
        let twice = forged(EventCodec.canonicalBytes(seq: 101, recordedMicros: recorded(sent[100]), content: EventCodec.encodeContent(event)),
                           after: sent[99].hash)
        let refused = try #require(refusal { try replica.append([twice]) })
        #expect(refused.reason.contains("is already registered"))
        try unchanged()
    }

    @Test("a replica that holds other events than the leader's refuses the leader's next one: it does not link")
    func forked() throws {
        let dir = TemporaryDirectory()
        let leader = try leader(dir)
        let sent = try records(of: leader)
        let other = try Ledger.create(at: dir.path + "/replica")
        let lines = try String(contentsOfFile: fixture("sample-history.jsonl"), encoding: .utf8).split(separator: "\n")
        _ = try other.importFiles([dir.file("first.jsonl", lines[..<10].joined(separator: "\n"))]).get()
        let replica = try Replica(ledger: other)
        let refused = try #require(refusal { try replica.append([sent[10]]) })
        #expect(refused.seq == 11)
        #expect(refused.reason.contains("the chain breaks here"))
        #expect(try replica.head().seq == 10)
    }
}
