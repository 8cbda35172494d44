/// The largest amount one event may carry, by effective date: the policy's
/// `max-event-amount` (Fixtures/policy/), which append-time validation
/// needs. An amount above it cannot be true (no single appropriation,
/// grant or loan of the programmes comes near it) and is refused at import
/// naming the amount and the bound, so that sums of amounts stay far inside
/// 64-bit fen: 10,000,000,000 yuan a line would take over nine million
/// events on one budget line to pass Int64.
public struct AmountBound: Sendable, Hashable {
    /// One effective-dated value of the bound.
    public struct Entry: Sendable, Hashable {
        public let from: CalendarDate
        public let max: Money
        public init(from: CalendarDate, max: Money) {
            self.from = from
            self.max = max
        }
    }

    /// The policy parameter the bound comes from.
    public static let parameter = "max-event-amount"

    /// In ascending `from` order; at least one.
    public let entries: [Entry]

    public init(_ entries: [Entry]) {
        precondition(!entries.isEmpty, "a bound needs at least one entry")
        precondition(zip(entries, entries.dropFirst()).allSatisfy { $0.from < $1.from }, "entries in ascending date order")
        self.entries = entries
    }

    /// The entry in force on `date`: the last one from on or before it; the
    /// first one for dates before any (an event effective before the policy
    /// is still bounded).
    public func entry(on date: CalendarDate) -> Entry {
        entries.last { $0.from <= date } ?? entries[0]
    }

    /// The seed policy's bound (Fixtures/policy/seed/policy.json; a test
    /// holds the two equal): 10,000,000,000 yuan (10^12 fen) from 2015-01-01.
    public static let seed = AmountBound([Entry(from: CalendarDate(year: 2015, month: 1, day: 1)!, max: Money(fen: 1_000_000_000_000))])
}
