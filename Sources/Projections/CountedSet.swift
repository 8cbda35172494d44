/// A multiset kept as a sorted array of (value, count) pairs: small, cheap
/// to copy, appends in order are O(1) — grants mostly arrive month after
/// month.
///
/// Each value sits beside its count in one array, so a province-size table
/// of these (a person's months and approval days under each programme) is
/// one allocation per set, and adding to a set or writing it out touches
/// one place in memory, not two.
public struct CountedSet<Value: Comparable & Hashable & Sendable>: Hashable, Sendable {
    /// One distinct value and how many times it is held (≥ 1).
    public struct Held: Hashable, Sendable {
        public var value: Value
        public var count: UInt32
    }

    /// The values held, ascending, each with its count.
    public private(set) var held: [Held] = []

    public init() {}

    /// Distinct values held.
    public var count: Int { held.count }
    public var isEmpty: Bool { held.isEmpty }
    public var min: Value? { held.first?.value }
    /// The distinct values, ascending.
    public var items: [Value] { held.map(\.value) }
    /// Their counts, in the same order as ``items``.
    public var counts: [UInt32] { held.map(\.count) }

    public func count(of value: Value) -> Int {
        guard let index = position(of: value), held[index].value == value else { return 0 }
        return Int(held[index].count)
    }

    /// Adds `delta` (may be negative) to the count of `value`, dropping it at zero.
    public mutating func add(_ value: Value, _ delta: Int) {
        if held.isEmpty || held[held.count - 1].value < value {
            precondition(delta > 0, "removing a value that is not held")
            held.append(Held(value: value, count: UInt32(delta)))
            return
        }
        let index = position(of: value) ?? held.count
        if index < held.count && held[index].value == value {
            let next = Int(held[index].count) + delta
            precondition(next >= 0, "count below zero")
            if next == 0 {
                held.remove(at: index)
            } else {
                held[index].count = UInt32(next)
            }
        } else {
            precondition(delta > 0, "removing a value that is not held")
            held.insert(Held(value: value, count: UInt32(delta)), at: index)
        }
    }

    /// The first index whose value is ≥ `value` (nil when empty).
    private func position(of value: Value) -> Int? {
        guard !held.isEmpty else { return nil }
        var low = 0, high = held.count
        while low < high {
            let middle = (low + high) / 2
            if held[middle].value < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Calls `body` with the pairs in place, for writing them out.
    public func withHeld<R>(_ body: (UnsafeBufferPointer<Held>) throws -> R) rethrows -> R {
        try held.withUnsafeBufferPointer(body)
    }

    /// From stored pairs already ascending and distinct, each counted ≥ 1.
    init(sorted held: [Held]) {
        self.held = held
    }
}
