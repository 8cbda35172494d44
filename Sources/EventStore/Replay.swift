import LMDBKit
import LedgerCore
import Projections

/// Answers a fold's look-ups from the log's indexes inside one read
/// transaction, or inside an import's write transaction, whose
/// `stream-events` keys not written yet its `placements` hold.
final class IndexLookup: EventLookup {
    let ledger: Ledger
    let txn: ReadTransaction
    let placements: TransactionState?

    init(ledger: Ledger, txn: ReadTransaction, placements: TransactionState? = nil) {
        self.ledger = ledger
        self.txn = txn
        self.placements = placements
    }

    /// The seq of version `version` of stream `stream` (`stream-events`).
    private func seq(ofStream stream: [UInt8], version: UInt64) throws -> UInt64? {
        if let placements, let seq = stream.withUnsafeBytes({ placements.placedSeq(stream: $0, version: version) }) { return seq }
        return try txn.withValue(ledger.streamEvents, key: Ledger.streamEventKey(stream, version: version)) { $0.flatMap(readSequence) }
    }

    func event(at seq: UInt64) throws -> Event? {
        try ledger.withCheckedRecord(seq, in: txn) { record in
            guard let record else { return nil }
            do {
                return try EventCodec.decode(record: record).event
            } catch {
                throw LedgerError.corrupt("event \(seq) cannot be decoded (\(error))")
            }
        }
    }

    func seq(ofID id: String) throws -> UInt64? {
        try txn.withValue(ledger.ids, key: Array(id.utf8)) { $0.flatMap(readSequence) }
    }

    func event(withID id: String) throws -> Event? {
        guard let seq = try seq(ofID: id) else { return nil }
        return try event(at: seq)
    }

    func grant(_ id: String) throws -> Event? {
        // A grant's stream starts with the subsidy.granted that created it.
        guard let seq = try seq(ofStream: Array(Streams.grant(id).utf8), version: 0) else { return nil }
        return try event(at: seq)
    }
}

extension IndexLookup: RecordLookup {
    func record(ofEventID id: UnsafeRawBufferPointer) throws -> [UInt8]? {
        guard let seq = try txn.withValue(ledger.ids, key: id, { $0.flatMap(readSequence) }) else { return nil }
        return try ledger.withCheckedRecord(seq, in: txn) { record in
            guard let record else { throw LedgerError.corrupt("the ids entry of \(printable(id)) names event \(seq), which is missing") }
            // The index answered with the event it names, not another.
            guard let view = try? EventRecordView(record: record), view.id.elementsEqual(id) else {
                throw LedgerError.corrupt("the ids entry of \(printable(id)) names event \(seq), which has another id")
            }
            return Array(record)
        }
    }

    func record(ofGrant id: UnsafeRawBufferPointer) throws -> [UInt8]? {
        guard let seq = try seq(ofStream: Array("grant:".utf8) + Array(id), version: 0) else { return nil }
        return try ledger.withCheckedRecord(seq, in: txn) { record in
            guard let record else { throw LedgerError.corrupt("the stream-events entry of grant \(printable(id)) names event \(seq), which is missing") }
            return Array(record)
        }
    }
}

extension Ledger {
    /// The balances of `view`.
    ///
    /// Without a business-date filter the answer starts from stored state:
    /// the current projections when the view reaches their checkpoint, or
    /// else the nearest snapshot at or before the view's last event, and
    /// folds only the events after it. With `--effective-on` it replays the
    /// prefix, keeping the events effective by that date.
    ///
    /// With `tables` ``Balances/Tables/linesAndLoans`` the person and
    /// enterprise entries are neither read nor folded: the same lines and
    /// loans, in a fraction of the time and memory at province size. The
    /// stored bytes they skip are still held to their checksum and digests.
    public func balances(view: LedgerView, tables: Balances.Tables = .all) throws -> (balances: Balances, lastSeq: UInt64) {
        try env.read { txn in
            let head = try head(in: txn).seq
            let last = try lastSeq(of: view, head: head, in: txn)
            let lookup = IndexLookup(ledger: self, txn: txn)
            var balances = Balances(tables: tables)
            var from: UInt64 = 1
            if let date = view.effectiveOn {
                // Start from stored state and take out what is dated after the
                // view's date, when that is less work than replaying the prefix.
                if var start = try storedStart(upTo: last, tables: tables, in: txn),
                   let removed = try datedAfter(date, upTo: start.seq, limit: Int(last / 2), in: txn) {
                    // Taken, not shared: a second reference would make the
                    // first change copy every dictionary of the state.
                    swap(&balances, &start.balances)
                    for seq in removed {
                        guard let event = try lookup.event(at: seq) else { throw LedgerError.corrupt("indexed event \(seq) is missing") }
                        try balances.remove(event, lookup: lookup)
                    }
                    from = start.seq + 1
                }
            } else if var start = try storedStart(upTo: last, tables: tables, in: txn) {
                swap(&balances, &start.balances)
                from = start.seq + 1
            }
            if from <= last {
                try fold(&balances, from: from, to: last, view: view, in: txn)
            }
            return (balances, last)
        }
    }

    /// Folds the events `from`…`to` of `view` into `balances`: by
    /// ``CompactBalances`` straight from the memory map, or by ``Balances``
    /// for a history the compact fold does not handle (the same state).
    /// In place, so that a state nobody else holds is changed, not copied.
    func fold(_ balances: inout Balances, from: UInt64, to last: UInt64, view: LedgerView, in txn: ReadTransaction) throws {
        let lookup = IndexLookup(ledger: self, txn: txn)
        // Moving a large state into the compact form and back costs more
        // than folding a few events into it as it is.
        let entries = balances.lines.count + balances.people.count + balances.enterprises.count + balances.loans.count
        if last - from + 1 > UInt64(entries) {
            do {
                var compact = try CompactBalances(balances, effectiveOn: view.effectiveOn)
                try compact.fold(events: last - from + 1) { compact in
                    try forEachRecord(in: txn, from: from, to: last, checkingAhead: true) { record in
                        try compact.apply(record, lookup: lookup)
                        return true
                    }
                }
                balances = compact.materialize()
                return
            } catch is CompactBalances.Unsupported {
                // Folded below by Balances, which names the problem if there is one.
            }
        }
        try forEachEvent(in: txn, from: from, to: last) { stored in
            try balances.apply(stored.event, view: view, lookup: lookup)
            return true
        }
    }

    /// The live events up to `seq` dated after `date`, from the effective
    /// index: the ones a stored state at `seq` holds and a view dated `date`
    /// must not. Nil when there are more than `limit` (replaying is then
    /// cheaper) or the index does not reach `seq`.
    func datedAfter(_ date: CalendarDate, upTo seq: UInt64, limit: Int, in txn: ReadTransaction) throws -> [UInt64]? {
        guard let effectiveIndex else { return nil }
        // An index with keys added or taken away is not served: it holds one
        // key per event of the log that is not a reversal.
        if let projectionMeta, try readProjectionMeta(in: txn, projectionMeta).checkpoint == (try head(in: txn).seq) {
            let keys = try txn.statistics(effectiveIndex).entries
            let expected = Int(try head(in: txn).seq) - (try txn.statistics(reversals).entries)
            if keys != expected {
                throw LedgerError.corrupt("the effective-index holds \(keys) keys; the log gives \(expected); "
                    + "`subsidy-ledger rebuild` rewrites the index from the log")
            }
        }
        var found: [UInt64] = []
        var scanned = 0
        var tooMany = false
        try txn.withCursor(effectiveIndex) { cursor in
            try cursor.forEach(from: Self.effectiveKey(date.addingDays(1), seq: 0)) { key, _ in
                scanned += 1
                guard scanned <= max(limit, 1) * 2 else {
                    tooMany = true
                    return false
                }
                guard key.count == 12, let eventSeq = readSequence(UnsafeRawBufferPointer(rebasing: key[4...])) else {
                    throw LedgerError.corrupt("an effective-index key is not 12 bytes")
                }
                guard eventSeq <= seq else { return true }
                // Reversed by a reversal the stored state already folded: not in it.
                if let reversal = try txn.withValue(reversals, key: sequenceKey(eventSeq), { $0.flatMap(readSequence) }), reversal <= seq {
                    return true
                }
                // The index key's day is the event's own (a changed key is not served).
                let day = Int32(bitPattern: UInt32(bigEndian: key.loadUnaligned(as: UInt32.self)) ^ 0x8000_0000)
                try withCheckedRecord(eventSeq, in: txn) { record in
                    guard let record, let view = try? EventRecordView(record: record), view.effective.dayNumber == day,
                          view.type != .entryReversed
                    else {
                        throw LedgerError.corrupt("the effective-index names event \(eventSeq) on day \(day), which the event does not say; "
                            + "`subsidy-ledger rebuild` rewrites the index from the log")
                    }
                }
                found.append(eventSeq)
                if found.count > limit {
                    tooMany = true
                    return false
                }
                return true
            }
        }
        return tooMany ? nil : found
    }

    /// The stored state closest below `last`: the current projections if
    /// their checkpoint is ≤ `last`, else the latest snapshot ≤ `last`.
    func storedStart(upTo last: UInt64, tables: Balances.Tables = .all, in txn: ReadTransaction) throws -> (seq: UInt64, balances: Balances)? {
        guard let entries = projectionEntries, let meta = projectionMeta, let snapshots = projectionSnapshots else { return nil }
        let (version, checkpoint) = try readProjectionMeta(in: txn, meta)
        guard Self.isCurrent(projectionVersion: version) else { return nil }
        // Balances written before they carried a checksum are not served:
        // the log is folded instead (the next import or rebuild adds one).
        if checkpoint <= last && checkpoint > 0, try readChecksum(in: txn, meta) != nil {
            var balances = Balances(tables: tables)
            var sum = EntrySum()
            var undecodable: String?
            try txn.withCursor(entries) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    guard let first = key.first, let table = StateCodec.Table(rawValue: first) else {
                        throw LedgerError.corrupt("a projection entry has an unknown table")
                    }
                    let entryKey = UnsafeRawBufferPointer(rebasing: key[1...])
                    sum.add(table, key: entryKey, value: value)
                    do {
                        try StateCodec.insert(table, key: entryKey, value: value, into: &balances)
                    } catch {
                        if undecodable == nil { undecodable = "\(error)" }
                    }
                    return true
                }
            }
            // The checksum first: it says what happened to bytes that also fail to decode.
            if let problem = try checksumProblem(sum, checkpoint: checkpoint, meta: meta, in: txn) {
                throw LedgerError.corrupt("\(problem); `subsidy-ledger rebuild` rewrites them from the log")
            }
            if let undecodable {
                throw LedgerError.corrupt("the stored balances cannot be decoded (\(undecodable)); `subsidy-ledger rebuild` rewrites them from the log")
            }
            return (checkpoint, balances)
        }
        // The snapshots at or before `last` from the latest whole one on:
        // it and the deltas after it give the state at the last of them.
        var chain: [UInt64] = []
        try txn.withCursor(snapshots) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, value in
                guard let seq = readSequence(key), seq <= last else { return false }
                let kind: StateCodec.SnapshotKind
                do {
                    kind = try StateCodec.snapshotKind(value)
                } catch {
                    throw LedgerError.corrupt("snapshot \(seq) cannot be decoded (\(error))")
                }
                if kind.isWhole { chain = [] }
                if kind.isWhole || !chain.isEmpty { chain.append(seq) }
                return true
            }
        }
        guard let best = chain.last else { return nil }
        // Snapshots written before they carried a digest are not used (the
        // next import rebuilds the projections).
        for seq in chain where try txn.get(meta, key: Self.snapshotDigestKey(seq)) == nil { return nil }
        var balances = Balances(tables: tables)
        for seq in chain {
            try txn.withValue(snapshots, key: sequenceKey(seq)) { bytes in
                guard let bytes else { throw LedgerError.corrupt("snapshot \(seq) vanished") }
                if let problem = try snapshotProblem(seq: seq, value: bytes, meta: meta, in: txn) {
                    throw LedgerError.corrupt("\(problem); `subsidy-ledger rebuild` rewrites the snapshots from the log")
                }
                do {
                    try StateCodec.apply(snapshot: bytes, to: &balances)
                } catch {
                    throw LedgerError.corrupt("snapshot \(seq) cannot be decoded (\(error))")
                }
            }
        }
        return (best, balances)
    }

    /// The last seq of the view's log prefix (0 for an empty one).
    public func lastSeq(of view: LedgerView) throws -> UInt64 {
        try env.read { txn in try lastSeq(of: view, head: try head(in: txn).seq, in: txn) }
    }

    /// The last seq of the view's log prefix: bounded by `--as-of-seq`, and
    /// by `--known-at` through a binary search (recorded times never decrease).
    func lastSeq(of view: LedgerView, head: UInt64, in txn: ReadTransaction) throws -> UInt64 {
        var last = min(view.asOfSeq ?? head, head)
        guard let knownAt = view.knownAtMicros else { return last }
        func recorded(_ seq: UInt64) throws -> Int64 {
            try txn.withValue(events, key: sequenceKey(seq)) { record in
                guard let record, record.count >= 32 + 17 else { throw LedgerError.corrupt("event \(seq) is missing or short") }
                var reader = ByteReader(record, offset: 32 + 9)
                return try reader.i64()
            }
        }
        guard last > 0, try recorded(1) <= knownAt else { return 0 }
        var low: UInt64 = 1
        while low < last {
            let middle = low + (last - low + 1) / 2
            if try recorded(middle) <= knownAt { low = middle } else { last = middle - 1 }
        }
        return low
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
        try forEachLiveEvent(view: view) { kept.append($0) }
        return kept
    }

    /// Streams the live events of `view` in log order without holding them
    /// (a ten-million-event log is never in memory at once).
    public func forEachLiveEvent(view: LedgerView, _ body: (SequencedEvent) throws -> Void) throws {
        try withLivePrefix(view) { txn, last, isLive in
            try forEachEvent(in: txn, from: 1, to: last) { stored in
                if isLive(stored.seq, stored.event.type, stored.event.effective) {
                    try body(SequencedEvent(seq: stored.seq, recordedMicros: stored.recordedMicros, event: stored.event))
                }
                return true
            }
        }
    }

    /// The live events of `view` as their stored records read in place, for
    /// a caller that decodes only the events it needs and uses what it
    /// gathers once the scan ends (the reports): the records are checked and
    /// read on a second thread while `body` runs. The view is valid only
    /// inside `body`.
    public func forEachLiveRecord(view: LedgerView, _ body: (EventRecordView) throws -> Void) throws {
        try withLivePrefix(view) { txn, last, isLive in
            try forEachRecord(in: txn, from: 1, to: last, checkingAhead: true) { record in
                if isLive(record.seq, record.type, record.effective) { try body(record) }
                return true
            }
        }
    }

    /// Calls `body` in one read transaction with the view's last seq and
    /// whether an event of the prefix is live: not a reversal, effective by
    /// the view's date, not reversed within the prefix. The reversals and the
    /// events come from that one transaction, so an import committed
    /// meanwhile cannot make a reversed event count.
    private func withLivePrefix(
        _ view: LedgerView,
        _ body: (ReadTransaction, UInt64, (UInt64, EventType, CalendarDate) -> Bool) throws -> Void
    ) throws {
        try env.read { txn in
            let reversals = try reversalMap(in: txn)
            let last = try lastSeq(of: view, head: try head(in: txn).seq, in: txn)
            guard last > 0 else { return }
            try body(txn, last) { seq, type, effective in
                guard type != .entryReversed, view.counts(effective: effective) else { return false }
                if let reversal = reversals[seq], reversal <= last { return false }
                return true
            }
        }
    }

    /// The whole event of a record read in place.
    public static func decoded(_ record: EventRecordView) throws -> StoredEvent {
        do {
            return try record.decoded()
        } catch {
            throw LedgerError.corrupt("event \(record.seq) cannot be decoded (\(error))")
        }
    }
}

extension Ledger {
    /// Runs `body` with look-ups answered from one consistent snapshot of the log.
    public func withLookup<T>(_ body: (EventLookup) throws -> T) throws -> T {
        try env.read { txn in try body(IndexLookup(ledger: self, txn: txn)) }
    }
}

extension Ledger {
    /// Every reversal: reversed seq → seq of its `entry.reversed`. Reversals
    /// are rare corrections, so the map is small.
    public func reversalMap() throws -> [UInt64: UInt64] {
        try env.read { txn in try reversalMap(in: txn) }
    }

    /// The reversals of the events `targets` only: a reader that walks the
    /// log a window at a time (a subscription) reads the reversals of that
    /// window, not every reversal of the ledger each time.
    public func reversalMap(targets: ClosedRange<UInt64>) throws -> [UInt64: UInt64] {
        try env.read { txn in try reversalMap(in: txn, targets: targets) }
    }

    func reversalMap(in txn: ReadTransaction, targets: ClosedRange<UInt64>? = nil) throws -> [UInt64: UInt64] {
        var map: [UInt64: UInt64] = [:]
        try txn.withCursor(reversals) { cursor in
            // Keys are big-endian target seqs: key order is seq order.
            try cursor.forEach(from: targets.map { sequenceKey($0.lowerBound) }) { key, value in
                guard let target = readSequence(key), let reversal = readSequence(value) else {
                    throw LedgerError.corrupt("a reversals entry is not two sequence numbers")
                }
                if let targets, target > targets.upperBound { return false }
                map[target] = reversal
                return true
            }
        }
        return map
    }
}

extension Ledger {
    /// The stored event with id `id` and the seq of the reversal that
    /// reverses it (if any), in one read transaction; nil when the ledger
    /// has no such event. The record is checked as every read checks one,
    /// and must carry the id its index entry is under.
    public func storedEvent(withID id: String) throws -> (event: StoredEvent, reversedBy: UInt64?)? {
        try env.read { txn in
            guard let seq = try IndexLookup(ledger: self, txn: txn).seq(ofID: id) else { return nil }
            let stored = try withCheckedRecord(seq, in: txn) { record -> StoredEvent in
                guard let record else { throw LedgerError.corrupt("the ids entry of \(id) names event \(seq), which is missing") }
                do {
                    return try EventCodec.decode(record: record)
                } catch {
                    throw LedgerError.corrupt("event \(seq) cannot be decoded (\(error))")
                }
            }
            guard stored.seq == seq, stored.event.id == id else {
                throw LedgerError.corrupt("the ids entry of \(id) names event \(seq), which is another event")
            }
            let reversal = try txn.withValue(reversals, key: sequenceKey(seq)) { $0.flatMap(readSequence) }
            return (stored, reversal)
        }
    }
}
