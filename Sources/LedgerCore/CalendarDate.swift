/// A calendar date without time or zone, stored as days since 1970-01-01.
///
/// Business dates (`effective`, birth dates, maturities) are calendar dates:
/// no time zone can move them. Accepted range: 1900-01-01 … 2199-12-31.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    public var dayNumber: Int32

    public init(dayNumber: Int32) { self.dayNumber = dayNumber }

    public static let minYear = 1900
    public static let maxYear = 2199

    /// The date for a valid year, month and day; nil when that day does not exist.
    public init?(year: Int, month: Int, day: Int) {
        guard (Self.minYear...Self.maxYear).contains(year), (1...12).contains(month),
              day >= 1, day <= Self.daysIn(year: year, month: month)
        else { return nil }
        self.dayNumber = Int32(Self.daysFromCivil(year: year, month: month, day: day))
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Year, month and day.
    public var components: (year: Int, month: Int, day: Int) { Self.civil(fromDays: Int(dayNumber)) }
    public var year: Int { components.year }

    /// The month this date falls in.
    public var yearMonth: YearMonth {
        let c = components
        return YearMonth(year: c.year, month: c.month)
    }

    /// This date plus whole years; 29 February becomes 28 February in a
    /// common year (the rule for birthdays, retirement and graduation windows).
    public func addingYears(_ years: Int) -> CalendarDate {
        let c = components
        let year = c.year + years
        let day = min(c.day, Self.daysIn(year: year, month: c.month))
        return CalendarDate(dayNumber: Int32(Self.daysFromCivil(year: year, month: c.month, day: day)))
    }

    public func addingDays(_ days: Int) -> CalendarDate { CalendarDate(dayNumber: dayNumber + Int32(days)) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let c = components
        return Self.pad(c.year, 4) + "-" + Self.pad(c.month, 2) + "-" + Self.pad(c.day, 2)
    }

    /// Parses exactly `YYYY-MM-DD` naming a day that exists.
    public static func parse(_ b: UnsafeRawBufferPointer) -> CalendarDate? {
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D,
              let year = digits(b, 0, 4), let month = digits(b, 5, 2), let day = digits(b, 8, 2)
        else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    public static func parse(_ bytes: some Collection<UInt8>) -> CalendarDate? {
        Array(bytes).withUnsafeBytes { parse($0) }
    }

    public static func parse(_ text: String) -> CalendarDate? { parse(Array(text.utf8)) }

    static func digits(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for index in start..<start + count {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A calendar month, stored as `year × 12 + (month − 1)`.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var index: Int32

    public init(index: Int32) { self.index = index }
    public init(year: Int, month: Int) { self.index = Int32(year * 12 + month - 1) }

    public static func < (lhs: YearMonth, rhs: YearMonth) -> Bool { lhs.index < rhs.index }

    public var year: Int { Int(index) / 12 }
    public var month: Int { Int(index) % 12 + 1 }
    public var firstDay: CalendarDate { CalendarDate(year: year, month: month, day: 1)! }
    public var lastDay: CalendarDate { CalendarDate(year: year, month: month, day: CalendarDate.daysIn(year: year, month: month))! }

    /// `YYYY-MM`.
    public var description: String { CalendarDate.pad(year, 4) + "-" + CalendarDate.pad(month, 2) }

    /// Parses exactly `YYYY-MM` within the accepted years.
    public static func parse(_ b: UnsafeRawBufferPointer) -> YearMonth? {
        guard b.count == 7, b[4] == 0x2D, let year = CalendarDate.digits(b, 0, 4), let month = CalendarDate.digits(b, 5, 2),
              (CalendarDate.minYear...CalendarDate.maxYear).contains(year), (1...12).contains(month)
        else { return nil }
        return YearMonth(year: year, month: month)
    }

    public static func parse(_ bytes: some Collection<UInt8>) -> YearMonth? {
        Array(bytes).withUnsafeBytes { parse($0) }
    }
}
