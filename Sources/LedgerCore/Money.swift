/// An amount of money in fen (分, 1/100 yuan). Never floating point.
///
/// Arithmetic is checked: an overflow is an error a caller must handle, not a
/// wrap-around. Amounts enter as yuan strings (`"1500.50"`) and leave as yuan
/// strings with exactly two decimals (`"1500.50"`, `"-2000.00"`).
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var fen: Int64

    public init(fen: Int64) { self.fen = fen }

    public static let zero = Money(fen: 0)

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.fen < rhs.fen }

    /// The sum, or nil on overflow.
    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = fen.addingReportingOverflow(other.fen)
        return overflow ? nil : Money(fen: sum)
    }

    /// The difference, or nil on overflow.
    public func subtracting(_ other: Money) -> Money? {
        let (difference, overflow) = fen.subtractingReportingOverflow(other.fen)
        return overflow ? nil : Money(fen: difference)
    }

    /// Yuan with two decimals: `"1500.50"`, `"-0.01"`.
    public var yuan: String {
        let negative = fen < 0
        // Int64.min has no positive counterpart; go through the magnitude.
        let magnitude = fen.magnitude
        let whole = magnitude / 100
        let cents = magnitude % 100
        return (negative ? "-" : "") + String(whole) + (cents < 10 ? ".0" : ".") + String(cents)
    }

    public var description: String { yuan }

    /// Yuan with two decimals of a count of fen taken in 128 bits: a sum of
    /// many amounts that may pass Int64 (figures that cite the same money
    /// more than once).
    public static func yuan(fen: Int128) -> String {
        let magnitude = fen.magnitude
        let whole = magnitude / 100
        let cents = magnitude % 100
        return (fen < 0 ? "-" : "") + String(whole) + (cents < 10 ? ".0" : ".") + String(cents)
    }

    /// Why a yuan string was refused.
    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case malformed
        case tooManyDecimals
        case overflow
        case notPositive
    }

    /// Parses a yuan amount as the input format defines it: `0` or a digit
    /// 1–9 followed by digits, optionally `.` and one or two digits. No sign,
    /// no exponent, no spaces. The result may be zero; callers that need a
    /// positive amount check for it (see ``parsePositive(_:)``).
    public static func parse<S: Collection>(yuanBytes bytes: S) -> Result<Money, ParseError> where S.Element == UInt8 {
        if bytes.isEmpty { return .failure(.empty) }
        var whole: Int64 = 0
        var index = bytes.startIndex
        let first = bytes[index]
        guard first >= 0x30 && first <= 0x39 else { return .failure(.malformed) }
        var digits = 0
        while index != bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            if digits == 1 && first == 0x30 { return .failure(.malformed) }  // leading zero
            let digit = Int64(bytes[index] - 0x30)
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(digit)
            if o1 || o2 { return .failure(.overflow) }
            whole = next
            digits += 1
            index = bytes.index(after: index)
        }
        var cents: Int64 = 0
        if index != bytes.endIndex {
            guard bytes[index] == 0x2E else { return .failure(.malformed) }
            index = bytes.index(after: index)
            var decimals = 0
            while index != bytes.endIndex {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return .failure(.malformed) }
                decimals += 1
                if decimals > 2 { return .failure(.tooManyDecimals) }
                cents = cents * 10 + Int64(byte - 0x30)
                index = bytes.index(after: index)
            }
            if decimals == 0 { return .failure(.malformed) }
            if decimals == 1 { cents *= 10 }
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 100)
        let (total, o2) = scaled.addingReportingOverflow(cents)
        if o1 || o2 { return .failure(.overflow) }
        return .success(Money(fen: total))
    }

    /// Parses a yuan string that must be greater than zero.
    public static func parsePositive(_ text: String) -> Result<Money, ParseError> {
        var text = text
        return text.withUTF8 { bytes in
            switch parse(yuanBytes: bytes) {
            case .success(let money) where money.fen <= 0: return .failure(.notPositive)
            case let other: return other
            }
        }
    }
}

extension Money.ParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "is empty; write yuan such as \"1500\" or \"1500.50\""
        case .malformed: return "is not an amount in yuan; write digits with at most two decimals and no sign, spaces, exponent or leading zero, such as \"1500\" or \"1500.50\""
        case .tooManyDecimals: return "has more than two decimals; amounts are in yuan to the fen, such as \"1500.05\""
        case .overflow: return "is too large: it does not fit in a signed 64-bit count of fen"
        case .notPositive: return "must be greater than zero"
        }
    }
}

/// A sum of many amounts taken in 128 bits: totals over budget lines (a
/// region, a programme, a whole table) that a report must always be able to
/// give. Adding Int64 amounts to it cannot overflow (it would take 2^64 of
/// them).
public struct Total: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var fen: Int128

    public init(fen: Int128 = 0) { self.fen = fen }
    public init(_ money: Money) { fen = Int128(money.fen) }

    public static let zero = Total()

    public static func < (lhs: Total, rhs: Total) -> Bool { lhs.fen < rhs.fen }

    /// Adds `money` (`sign` -1 to subtract).
    public mutating func add(_ money: Money, sign: Int128 = 1) { fen += sign * Int128(money.fen) }
    public mutating func add(_ other: Total, sign: Int128 = 1) { fen += sign * other.fen }

    /// The total as ``Money`` when it fits in 64-bit fen.
    public var money: Money? { Int64(exactly: fen).map(Money.init(fen:)) }

    /// Yuan with two decimals, as ``Money/yuan``.
    public var yuan: String { Money.yuan(fen: fen) }
    public var description: String { yuan }
}
