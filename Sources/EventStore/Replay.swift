import LMDBKit
import LedgerCore
import Projections

/// Answers a fold's look-ups from the log's indexes inside one read transaction.
final class IndexLookup: EventLookup {
    let ledger: Ledger
    let txn: ReadTransaction

    init(ledger: Ledger, txn: ReadTransaction) {
        self.ledger = ledger
        self.txn = txn
    }

    func event(at seq: UInt64) throws -> Event? {
        try txn.withValue(ledger.events, key: sequenceKey(seq)) { record in
            guard let record else { return nil }
            do {
                return try EventCodec.decode(record: record).event
            } catch {
                throw LedgerError.corrupt("event \(seq) cannot be decoded (\(error))")
            }
        }
    }

    func event(withID id: String) throws -> Event? {
        guard let seq = try txn.withValue(ledger.ids, key: Array(id.utf8), { $0.flatMap(readSequence) }) else { return nil }
        return try event(at: seq)
    }

    func grant(_ id: String) throws -> Event? {
        // A grant's stream starts with the subsidy.granted that created it.
        var key = Array(Streams.grant(id).utf8)
        key.append(0)
        key += sequenceKey(0)
        guard let seq = try txn.withValue(ledger.streamEvents, key: key, { $0.flatMap(readSequence) }) else { return nil }
        return try event(at: seq)
    }
}

extension Ledger {
    /// Replays the log prefix of `view` into every balance.
    public func balances(view: LedgerView) throws -> (balances: Balances, lastSeq: UInt64) {
        try env.read { txn in
            let lookup = IndexLookup(ledger: self, txn: txn)
            var balances = Balances()
            var lastSeq: UInt64 = 0
            try txn.withCursor(events) { cursor in
                try cursor.forEach(from: sequenceKey(1)) { key, value in
                    guard let seq = readSequence(key) else { throw LedgerError.corrupt("an events key is not 8 bytes") }
                    let stored: StoredEvent
                    do {
                        stored = try EventCodec.decode(record: value)
                    } catch {
                        throw LedgerError.corrupt("event \(seq) cannot be decoded (\(error))")
                    }
                    // Recorded times never decrease: the first event past the view ends it.
                    guard view.inPrefix(seq: seq, recordedMicros: stored.recordedMicros) else { return false }
                    try balances.apply(stored.event, view: view, lookup: lookup)
                    lastSeq = seq
                    return true
                }
            }
            return (balances, lastSeq)
        }
    }
}

/// One event of a view, with its place in the log.
public struct SequencedEvent: Sendable {
    public var seq: UInt64
    public var recordedMicros: Int64
    public var event: Event
}

extension Ledger {
    /// The live events of `view` in log order: the prefix's events effective
    /// by the view's date, without reversals and without the events they
    /// reverse (a reversal in the prefix removes its target whatever its
    /// own date).
    public func liveEvents(view: LedgerView) throws -> [SequencedEvent] {
        var kept: [SequencedEvent] = []
        var reversed = Set<UInt64>()
        try env.read { txn in
            try txn.withCursor(events) { cursor in
                try cursor.forEach(from: sequenceKey(1)) { key, value in
                    guard let seq = readSequence(key) else { throw LedgerError.corrupt("an events key is not 8 bytes") }
                    let stored: StoredEvent
                    do {
                        stored = try EventCodec.decode(record: value)
                    } catch {
                        throw LedgerError.corrupt("event \(seq) cannot be decoded (\(error))")
                    }
                    guard view.inPrefix(seq: seq, recordedMicros: stored.recordedMicros) else { return false }
                    if stored.event.type == .entryReversed {
                        let target = stored.event.data.string(.target)!
                        if let targetSeq = try txn.withValue(ids, key: Array(target.utf8), { $0.flatMap(readSequence) }) {
                            reversed.insert(targetSeq)
                        }
                    } else if view.counts(stored.event) {
                        kept.append(SequencedEvent(seq: seq, recordedMicros: stored.recordedMicros, event: stored.event))
                    }
                    return true
                }
            }
        }
        return reversed.isEmpty ? kept : kept.filter { !reversed.contains($0.seq) }
    }
}

extension Ledger {
    /// Runs `body` with look-ups answered from one consistent snapshot of the log.
    public func withLookup<T>(_ body: (EventLookup) throws -> T) throws -> T {
        try env.read { txn in try body(IndexLookup(ledger: self, txn: txn)) }
    }
}
