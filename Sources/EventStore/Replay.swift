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
