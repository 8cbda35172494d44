import EventStore
import LedgerCore
import Projections

/// Which stored events `log` prints and `/v1/events` lists: a range of
/// sequence numbers, types, one stream, and a view (docs/OUTPUT.md). One
/// selection for both, so a page of the API is a slice of the log's output.
public struct EventQuery: Sendable {
    public var from: UInt64 = 1
    public var to: UInt64?
    /// Empty: every type.
    public var types: Set<EventType> = []
    public var stream: String?
    public var view: LedgerView = .all

    public init(from: UInt64 = 1, to: UInt64? = nil, types: Set<EventType> = [], stream: String? = nil, view: LedgerView = .all) {
        self.from = from
        self.to = to
        self.types = types
        self.stream = stream
        self.view = view
    }

    /// The last seq the selection can reach in a log whose head is `head`:
    /// `to`, the view's `--as-of-seq` and the head, whichever is first.
    /// Reading the head once and passing it to every step pins the answer
    /// to one log, whatever is appended meanwhile.
    public func lastSeq(head: UInt64) -> UInt64 {
        min(to ?? .max, view.asOfSeq ?? .max, head)
    }

    /// Reversed seq → seq of its reversal, for the reversals inside the
    /// view's log prefix (of a log whose head is `head`).
    public func reversedBy(_ reversals: [UInt64: UInt64], head: UInt64) -> [UInt64: UInt64] {
        let prefixEnd = min(view.asOfSeq ?? .max, head)
        return reversals.filter { $0.value <= prefixEnd }
    }

    /// Whether a stored event is selected by type and view (the range and
    /// stream are the scan's).
    public func accepts(_ stored: StoredEvent) -> Bool {
        view.inPrefix(seq: stored.seq, recordedMicros: stored.recordedMicros) && view.counts(stored.event)
            && (types.isEmpty || types.contains(stored.event.type))
    }

    /// Calls `body` with each selected event from `from` through `last`
    /// (``lastSeq(head:)``), in log order, until it returns false.
    public func forEach(in ledger: Ledger, through last: UInt64, _ body: (StoredEvent) throws -> Bool) throws {
        try walk(in: ledger, through: last, withCanonical: false) { stored, _ in try body(stored) }
    }

    /// As ``forEach(in:through:_:)``, with each event's canonical bytes as
    /// stored (what a replica appends and re-links).
    public func forEachWithCanonical(in ledger: Ledger, through last: UInt64, _ body: (StoredEvent, [UInt8]) throws -> Bool) throws {
        try walk(in: ledger, through: last, withCanonical: true) { stored, canonical in try body(stored, canonical ?? []) }
    }

    private func walk(in ledger: Ledger, through last: UInt64, withCanonical: Bool,
                      _ body: (StoredEvent, [UInt8]?) throws -> Bool) throws {
        // Every record read is checked as every read checks one (its link).
        func read(_ first: UInt64, _ final: UInt64, _ visit: (StoredEvent, [UInt8]?) throws -> Bool) throws {
            if withCanonical {
                try ledger.forEachRecord(from: first, to: final) { record in
                    try visit(try Ledger.decoded(record), Array(record.canonical))
                }
            } else {
                try ledger.forEachEvent(from: first, to: final) { stored in try visit(stored, nil) }
            }
        }
        if let stream {
            for seq in try ledger.sequenceNumbers(ofStream: stream) where seq >= from && seq <= last {
                var goOn = true
                try read(seq, seq) { stored, canonical in
                    if accepts(stored) { goOn = try body(stored, canonical) }
                    return false
                }
                if !goOn { return }
            }
        } else {
            try read(from, last) { stored, canonical in
                // Recorded times never decrease: past --known-at nothing more can match.
                if let knownAt = view.knownAtMicros, stored.recordedMicros > knownAt { return false }
                if accepts(stored) { return try body(stored, canonical) }
                return true
            }
        }
    }
}
