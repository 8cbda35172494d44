/// Proleptic Gregorian dates as day numbers (days since 1970-01-01) and
/// months as month indexes (year × 12 + month − 1). Pure integer arithmetic
/// (Howard Hinnant's algorithms), no Foundation, so it is fast and exact.
enum Cal {
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ day: Int) -> (y: Int, m: Int, d: Int) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Whole years later; 29 February becomes 28 February in a common year
    /// (docs/RULES.md: retirement dates, the graduate window, the 5-year test).
    static func addYears(_ day: Int, _ years: Int) -> Int {
        let c = civil(day)
        let y = c.y + years
        return Self.day(y, c.m, min(c.d, daysIn(y, c.m)))
    }

    static func month(ofDay day: Int) -> Int {
        let c = civil(day)
        return c.y * 12 + c.m - 1
    }

    static func firstDay(ofMonth mi: Int) -> Int { day(mi / 12, mi % 12 + 1, 1) }

    static func lastDay(ofMonth mi: Int) -> Int {
        let y = mi / 12, m = mi % 12 + 1
        return day(y, m, daysIn(y, m))
    }

    static func year(ofDay day: Int) -> Int { civil(day).y }
}
