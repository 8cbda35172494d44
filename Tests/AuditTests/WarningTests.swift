import Audit
import LedgerCore
import Policy
import Testing

/// The early warnings of a history as of a date.
func warnings(_ lines: [String], asOf: String?, horizon: Int = 90, policy: Policy = .seed) throws -> WarningsResult {
    try EarlyWarnings(policy: policy, horizonDays: horizon).warnings(try liveEvents(lines), asOf: asOf.map { day($0) })
}

/// A warning as the facts a test asserts: kind, subject, projected date and
/// the figures in their units.
struct Warned: Equatable, CustomStringConvertible {
    var kind: WarningKind
    var subject: String
    var date: String?
    var figures: [String]

    init(_ kind: WarningKind, _ subject: String, _ date: String?, _ figures: [String]) {
        self.kind = kind
        self.subject = subject
        self.date = date
        self.figures = figures
    }

    init(_ warning: Warning) {
        self.init(warning.kind, warning.subject, warning.projectedDate?.description,
                  warning.figures.map { "\($0.name)=\($0.value.text)" })
    }

    var description: String { "\(kind.rawValue) \(subject) \(date ?? "-") [\(figures.joined(separator: ", "))]" }
}

func warned(_ result: WarningsResult, _ kind: WarningKind? = nil) -> [Warned] {
    result.warnings.filter { kind == nil || $0.kind == kind }.map(Warned.init)
}

/// Each warning at its boundary: exactly at the threshold, and one fen,
/// one basis point, one month or one day either side. Thresholds are the
/// seed's: 10,000 yuan of a loan cap, 3 months of a term, 25 bp of the
/// discount limit, 90 days of payments.
@Suite("Early warnings")
struct WarningTests {
    // MARK: LOAN-CAP-NEAR

    /// Individual cap 100,000.00, margin 10,000.00: headroom 10,000.01 is
    /// outside, 10,000.00 and 9,999.99 inside; 0 and over the cap inside.
    @Test("a borrower is named from exactly the margin below the cap, not a fen further")
    func loanCapMargin() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1985-01-01"), H.person("p2", "P2", born: "1985-01-01"),
            H.person("p3", "P3", born: "1985-01-01"), H.person("p4", "P4", born: "1985-01-01"),
            H.loan("l1", "L1", person: "P1", principal: "89999.99", maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l2", "L2", person: "P2", principal: "90000.00", maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l3", "L3", person: "P3", principal: "90000.01", maturity: "2018-01-01", on: "2016-01-10"),
            // Two loans, 60,000 + 50,000, less 10,000 repaid: exactly at the cap.
            H.loan("l4", "L4", person: "P4", principal: "60000", maturity: "2018-01-01", on: "2016-01-10"),
            H.repay("r4", "L4", "10000", on: "2016-03-01"),
            H.loan("l5", "L5", person: "P4", principal: "50000", maturity: "2018-01-01", on: "2016-04-01"),
        ]
        let result = try warnings(history, asOf: "2016-06-30")
        #expect(result.asOf == day("2016-06-30"))
        #expect(warned(result, .loanCapNear) == [
            Warned(.loanCapNear, "person:P2", nil, ["outstanding=90000.00", "cap=100000.00", "headroom=10000.00", "category=individual", "loans=L2"]),
            Warned(.loanCapNear, "person:P3", nil, ["outstanding=90000.01", "cap=100000.00", "headroom=9999.99", "category=individual", "loans=L3"]),
            Warned(.loanCapNear, "person:P4", nil, ["outstanding=100000.00", "cap=100000.00", "headroom=0.00", "category=individual", "loans=L4 L5"]),
        ])
        let p4 = try #require(result.warnings.first { $0.subject == "person:P4" })
        #expect(p4.events == ["l4", "l5"])
        #expect(p4.region == H.region && p4.fiscalYear == nil && p4.clause == "十一" && p4.projectedDate == nil)
        #expect(p4.threshold == WarningFigure("warning-loan-cap-margin", .money(Money(fen: 1_000_000))))
        #expect(p4.message == "On 2016-06-30 P4's outstanding guaranteed principal is 100000.00, exactly the 100000.00 cap for an "
            + "individual loan (clause 十一), within the 10000.00 warning margin: any new loan would break LOAN-CAP.")
        // One fen repaid the day after the as-of date does not count yet; as of that day it does.
        let repaid = history + [H.repay("r2", "L2", "0.01", on: "2016-07-01")]
        #expect(try warned(warnings(repaid, asOf: "2016-06-30"), .loanCapNear).map(\.subject) == ["person:P2", "person:P3", "person:P4"])
        #expect(try warned(warnings(repaid, asOf: "2016-07-01"), .loanCapNear).map(\.subject) == ["person:P3", "person:P4"])
    }
}
