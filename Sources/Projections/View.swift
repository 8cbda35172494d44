import LedgerCore

/// Which part of the log an answer is about (docs/OUTPUT.md): the first N events,
/// the events recorded by a time, and of those the events effective by a
/// business date. A reversal inside the prefix removes its target from the
/// view whatever the reversal's own effective date.
public struct LedgerView: Hashable, Sendable {
    /// Only events with seq ≤ this.
    public var asOfSeq: UInt64?
    /// Only events recorded at or before this (microseconds, UTC).
    public var knownAtMicros: Int64?
    /// Of those, only events effective on or before this date count.
    public var effectiveOn: CalendarDate?

    public init(asOfSeq: UInt64? = nil, knownAtMicros: Int64? = nil, effectiveOn: CalendarDate? = nil) {
        self.asOfSeq = asOfSeq
        self.knownAtMicros = knownAtMicros
        self.effectiveOn = effectiveOn
    }

    /// The whole log.
    public static let all = LedgerView()

    /// Whether a stored event is in the log prefix (transaction time).
    public func inPrefix(seq: UInt64, recordedMicros: Int64) -> Bool {
        if let asOfSeq, seq > asOfSeq { return false }
        if let knownAtMicros, recordedMicros > knownAtMicros { return false }
        return true
    }

    /// Whether an event of the prefix counts by its business date.
    public func counts(_ event: Event) -> Bool { counts(effective: event.effective) }

    /// Whether an event effective on `effective` counts by its business date.
    public func counts(effective: CalendarDate) -> Bool {
        guard let effectiveOn else { return true }
        return effective <= effectiveOn
    }
}

/// An arithmetic overflow in a projection: a total beyond Int64 fen.
public struct OverflowError: Error, CustomStringConvertible, Sendable {
    public let what: String
    public var description: String { "a total overflowed 64-bit fen: \(what)" }
}

extension Money {
    /// Adds `other` (negative to subtract), throwing on overflow.
    public mutating func add(_ other: Money, sign: Int64 = 1, _ what: @autoclosure () -> String) throws {
        let (scaled, o1) = other.fen.multipliedReportingOverflow(by: sign)
        let (sum, o2) = fen.addingReportingOverflow(scaled)
        if o1 || o2 { throw OverflowError(what: what()) }
        fen = sum
    }
}
