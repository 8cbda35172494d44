import LedgerCore

/// Checked integer arithmetic on fen: an overflow is an error, never a wrap.
enum Fen {
    static func add(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw AuditError.overflow(what()) }
        return sum
    }

    static func subtract(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        if overflow { throw AuditError.overflow(what()) }
        return difference
    }

    static func multiply(_ a: Int64, _ b: Int64, _ what: @autoclosure () -> String) throws -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw AuditError.overflow(what()) }
        return product
    }

    /// `numerator ÷ denominator` rounded half up, for numerator ≥ 0 and an
    /// even denominator > 0.
    static func divideHalfUp(_ numerator: Int64, by denominator: Int64) -> Int64 {
        precondition(numerator >= 0 && denominator > 0)
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        // remainder < denominator, so doubling it cannot overflow for the
        // denominators used here (a number of days, months or 3,600,000).
        return remainder * 2 >= denominator ? quotient + 1 : quotient
    }

    /// Pro rata (docs/RULES.md): `amount × part ÷ whole`, rounded half up to the
    /// fen. The product is taken in 128 bits, so it never overflows, and the
    /// result is never more than `amount`.
    static func proRata(_ amount: Money, _ part: Int, of whole: Int) -> Money {
        precondition(whole > 0 && part >= 0 && part <= whole && amount.fen >= 0, "pro rata \(part) of \(whole)")
        let product = amount.fen.multipliedFullWidth(by: Int64(part))
        let (quotient, remainder) = Int64(whole).dividingFullWidth(product)
        return Money(fen: remainder * 2 >= Int64(whole) ? quotient + 1 : quotient)
    }
}

/// An inclusive run of calendar months, as `YearMonth` indices.
struct MonthSpan: Hashable, Sendable {
    let first: Int32
    let last: Int32

    var count: Int { Int(last - first) + 1 }
    var indices: ClosedRange<Int32> { first...last }

    /// `2016-08 … 2016-10`, or `2016-08` for one month.
    var text: String {
        first == last ? YearMonth(index: first).description
            : YearMonth(index: first).description + " … " + YearMonth(index: last).description
    }

    /// The months a grant covers: its month period, or every month its date
    /// period touches; nil without a period (as the balances count them).
    static func of(_ record: EventRecordView) -> MonthSpan? {
        guard record.has(.periodStart), record.has(.periodEnd), record.holdsDate(.periodStart) == record.holdsDate(.periodEnd) else {
            return nil
        }
        return MonthSpan(first: record.month(.periodStart).index, last: record.month(.periodEnd).index)
    }
}

/// Integers covered so far (days or month indices): disjoint runs in
/// ascending order. Asking how much of a range is covered, and adding one,
/// costs a binary search plus the runs it touches.
struct Coverage {
    private(set) var runs: [(first: Int32, last: Int32)] = []

    /// The first run that ends on or after `value`.
    private func firstEnding(atOrAfter value: Int32) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].last < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// How many of `first…last` are covered already.
    func shared(_ first: Int32, _ last: Int32) -> Int {
        var index = firstEnding(atOrAfter: first)
        var count = 0
        while index < runs.count, runs[index].first <= last {
            count += Int(min(last, runs[index].last) - max(first, runs[index].first)) + 1
            index += 1
        }
        return count
    }

    /// Empties it, keeping its storage for the next subject.
    mutating func reset() { runs.removeAll(keepingCapacity: true) }

    /// Whether `value` is covered.
    func contains(_ value: Int32) -> Bool { shared(value, value) == 1 }

    /// Adds `first…last`, merging the runs it touches.
    mutating func insert(_ first: Int32, _ last: Int32) {
        let low = firstEnding(atOrAfter: first - 1)
        var high = low
        var merged = (first: first, last: last)
        while high < runs.count, runs[high].first <= last + 1 {
            merged = (min(merged.first, runs[high].first), max(merged.last, runs[high].last))
            high += 1
        }
        runs.replaceSubrange(low..<high, with: [merged])
    }
}

/// Words for messages.
enum Say {
    /// `5.60%` for 560 bp.
    static func percent(_ bp: Int64) -> String {
        let cents = bp % 100
        return "\(bp / 100)." + (cents < 10 ? "0" : "") + "\(cents)%"
    }

    /// `1 month`, `3 months`.
    static func count(_ number: Int, _ noun: String) -> String {
        number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
    }

    /// `2015-10-01 … 2015-12-31`.
    static func period(_ start: CalendarDate, _ end: CalendarDate) -> String {
        start == end ? start.description : "\(start) … \(end)"
    }

    /// `e-0028, e-0053 and e-0054`.
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }

    /// `a` or `an` before a word.
    static func article(_ word: String) -> String {
        guard let first = word.first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// `(十一)`.
    static func clause(_ clause: String) -> String { "(\(clause))" }

    /// The unrounded value of `numerator ÷ denominator` fen in yuan, to six
    /// decimals and truncated, for explanations (`1431.111111…`).
    static func exactYuan(_ numerator: Int64, over denominator: Int64) -> String {
        let (fen, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        // Six more decimals of a fen fraction: remainder × 10^6 ÷ denominator.
        let micro = remainder.multipliedFullWidth(by: 1_000_000)
        let (fraction, rest) = denominator.dividingFullWidth(micro)
        var digits = String(fraction)
        digits = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        return Money(fen: fen).yuan + digits + (rest == 0 ? "" : "…")
    }
}
