/// A multiset kept as a sorted array of (value, count): small, cheap to copy,
/// appends in order are O(1) — grants mostly arrive month after month.
public struct CountedSet<Value: Comparable & Hashable & Sendable>: Hashable, Sendable {
    public private(set) var items: [Value] = []
    public private(set) var counts: [UInt32] = []

    public init() {}

    /// Distinct values held.
    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }
    public var min: Value? { items.first }

    public func count(of value: Value) -> Int {
        guard let index = position(of: value), items[index] == value else { return 0 }
        return Int(counts[index])
    }

    /// Adds `delta` (may be negative) to the count of `value`, dropping it at zero.
    public mutating func add(_ value: Value, _ delta: Int) {
        if items.isEmpty || items[items.count - 1] < value {
            precondition(delta > 0, "removing a value that is not held")
            items.append(value)
            counts.append(UInt32(delta))
            return
        }
        let index = position(of: value) ?? items.count
        if index < items.count && items[index] == value {
            let next = Int(counts[index]) + delta
            precondition(next >= 0, "count below zero")
            if next == 0 {
                items.remove(at: index)
                counts.remove(at: index)
            } else {
                counts[index] = UInt32(next)
            }
        } else {
            precondition(delta > 0, "removing a value that is not held")
            items.insert(value, at: index)
            counts.insert(UInt32(delta), at: index)
        }
    }

    /// The first index whose value is ≥ `value` (nil when empty).
    private func position(of value: Value) -> Int? {
        guard !items.isEmpty else { return nil }
        var low = 0, high = items.count
        while low < high {
            let middle = (low + high) / 2
            if items[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// From stored values already ascending and distinct, each with its
    /// count (≥ 1), as two arrays of the same length.
    init(sortedItems items: [Value], counts: [UInt32]) {
        precondition(items.count == counts.count, "\(items.count) values with \(counts.count) counts")
        self.items = items
        self.counts = counts
    }
}
