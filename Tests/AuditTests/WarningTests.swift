import Audit
import LedgerCore
import Policy
import Testing

/// The early warnings of a history as of a date. Every history a test
/// warns about is also warned about in Chinese: the same warnings in the
/// same order, each message in Chinese.
func warnings(_ lines: [String], asOf: String?, horizon: Int = 90, policy: Policy = .seed,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> WarningsResult {
    let events = try liveEvents(lines)
    let english = try EarlyWarnings(policy: policy, horizonDays: horizon).warnings(events, asOf: asOf.map { day($0) })
    let chinese = try EarlyWarnings(policy: policy, horizonDays: horizon, language: .chinese).warnings(events, asOf: asOf.map { day($0) })
    expectSameInChinese(english, chinese, sourceLocation: sourceLocation)
    return english
}

/// The Chinese warnings are the English ones, in the same order, with their
/// messages in Chinese.
func expectSameInChinese(_ english: WarningsResult, _ chinese: WarningsResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(english.language == .english && chinese.language == .chinese, sourceLocation: sourceLocation)
    #expect(warned(english) == warned(chinese), sourceLocation: sourceLocation)
    #expect(english.warnings.map(\.events) == chinese.warnings.map(\.events), sourceLocation: sourceLocation)
    for (en, zh) in zip(english.warnings, chinese.warnings) {
        expectChinese(zh.message, insteadOf: en.message, sourceLocation: sourceLocation)
        var same = zh
        same.message = en.message
        #expect(same == en, sourceLocation: sourceLocation)
    }
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
            + "individual loan (clause 十一): any new loan would break LOAN-CAP.")
        let p3 = try #require(result.warnings.first { $0.subject == "person:P3" })
        #expect(p3.message == "On 2016-06-30 P3's outstanding guaranteed principal is 90000.01, 9999.99 below the 100000.00 cap for an "
            + "individual loan (clause 十一): within the 10000.00 warning margin; a new loan of more than 9999.99 would break LOAN-CAP.")
        // One fen repaid the day after the as-of date does not count yet; as of that day it does.
        let repaid = history + [H.repay("r2", "L2", "0.01", on: "2016-07-01")]
        #expect(try warned(warnings(repaid, asOf: "2016-06-30"), .loanCapNear).map(\.subject) == ["person:P2", "person:P3", "person:P4"])
        #expect(try warned(warnings(repaid, asOf: "2016-07-01"), .loanCapNear).map(\.subject) == ["person:P3", "person:P4"])
    }

    // MARK: TERM-ENDING

    /// si-difficulty has a 36-month term; 3 months left is a warning, 4 is not.
    /// Paid on month by month from 2017-09, 3 months left end with 2017-12.
    static let terms: [String] = H.funds + [
        H.person("a", "A", born: "1985-01-01"), H.person("b", "B", born: "1985-01-01"), H.person("c", "C", born: "1985-01-01"),
        // 33 months covered (2015-01 … 2017-09): 3 left.
        H.grant("ga", "GA", "si-difficulty", person: "A", months: ("2015-01", "2017-09"), amount: "3300", on: "2017-09-28", year: 2017),
        // 32 months: 4 left.
        H.grant("gb", "GB", "si-difficulty", person: "B", months: ("2015-02", "2017-09"), amount: "3200", on: "2017-09-28", year: 2017),
        // 36 months, the last one 2017-09: none left, the term ends with 2017-09.
        H.grant("gc1", "GC1", "si-difficulty", person: "C", months: ("2014-10", "2016-12"), amount: "2700", on: "2017-01-05", year: 2017),
        H.grant("gc2", "GC2", "si-difficulty", person: "C", months: ("2016-10", "2017-09"), amount: "1200", on: "2017-09-30", year: 2017),
    ]

    @Test("TERM-ENDING: 3 months left is named, 4 are not; the end of the term is projected month by month")
    func termMonthsLeft() throws {
        let result = try warnings(Self.terms, asOf: "2017-09-30", horizon: 92)
        #expect(warned(result, .termEnding) == [
            Warned(.termEnding, "person:A", "2017-12-31", ["programme=si-difficulty", "term=36 months", "covered=33 months",
                                                            "lastCovered=2017-09", "lastMonth=2017-12", "left=3 months"]),
            Warned(.termEnding, "person:C", "2017-09-30", ["programme=si-difficulty", "term=36 months", "covered=36 months",
                                                            "lastCovered=2017-09", "lastMonth=2017-09", "left=0 months"]),
        ])
        let a = try #require(result.warnings.first { $0.subject == "person:A" })
        #expect(a.events == ["ga"] && a.region == H.region && a.fiscalYear == 2017 && a.clause == "十七")
        #expect(a.threshold == WarningFigure("warning-term-months-left", .months(3)))
        #expect(a.message == "A has 33 distinct months of si-difficulty covered of the 36-month term (parameter difficulty-subsidy-term "
            + "from 2015-01-01, clause (十七), seed): 3 months left; paid on month by month from 2017-09, the term ends with 2017-12.")
        let c = try #require(result.warnings.first { $0.subject == "person:C" })
        #expect(c.events == ["gc1", "gc2"])
    }

    @Test("TERM-ENDING: the projected end must be on or after the as-of date and within the horizon, to the day")
    func termDates() throws {
        // C's term ended with 2017-09: named on its last day, not the day after.
        #expect(try warned(warnings(Self.terms, asOf: "2017-10-01", horizon: 91), .termEnding).map(\.subject) == ["person:A"])
        // A's ends on 2017-12-31: 90 days after 2017-10-02, 91 after 2017-10-01.
        #expect(try warned(warnings(Self.terms, asOf: "2017-10-02", horizon: 90), .termEnding).map(\.subject) == ["person:A"])
        #expect(try warned(warnings(Self.terms, asOf: "2017-10-02", horizon: 89), .termEnding).isEmpty)
        #expect(try warned(warnings(Self.terms, asOf: "2017-10-01", horizon: 90), .termEnding).isEmpty)
    }

    // MARK: EXTENSION-ENDING

    /// Female workers retire at 50. Each was first approved less than 5
    /// years before retirement, so the term is lifted and the grants run to
    /// the last month that begins before retirement.
    static let extensions: [String] = H.funds + [
        // Retires 2016-08-12: the last month payable is 2016-08.
        H.person("q1", "Q1", born: "1966-08-12", sex: "F"), H.person("q2", "Q2", born: "1966-08-12", sex: "F"),
        // Retires 2016-09-01: 2016-09 begins on the retirement date, so 2016-08 is the last.
        H.person("q3", "Q3", born: "1966-09-01", sex: "F"),
        // Retires 2016-09-02: 2016-09 begins the day before, so it is payable.
        H.person("q4", "Q4", born: "1966-09-02", sex: "F"), H.person("q5", "Q5", born: "1966-09-02", sex: "F"),
        H.grant("g1", "G1", "post-allowance", person: "Q1", months: ("2015-01", "2016-05"), amount: "1700", on: "2016-06-05"),
        H.grant("g2", "G2", "post-allowance", person: "Q2", months: ("2015-01", "2016-04"), amount: "1600", on: "2016-06-05"),
        H.grant("g3", "G3", "post-allowance", person: "Q3", months: ("2015-01", "2016-05"), amount: "1700", on: "2016-06-05"),
        H.grant("g4", "G4", "post-allowance", person: "Q4", months: ("2015-01", "2016-05"), amount: "1700", on: "2016-06-05"),
        H.grant("g5", "G5", "post-allowance", person: "Q5", months: ("2015-01", "2016-06"), amount: "1800", on: "2016-06-05"),
    ]

    @Test("EXTENSION-ENDING: months left to the last month before retirement, to the day of the retirement date")
    func extensionEnding() throws {
        let result = try warnings(Self.extensions, asOf: "2016-06-30", horizon: 92)
        #expect(warned(result, .extensionEnding) == [
            Warned(.extensionEnding, "person:Q1", "2016-08-31", ["programme=post-allowance", "retirement=2016-08-12", "covered=17 months",
                                                                  "lastCovered=2016-05", "lastMonth=2016-08", "left=3 months"]),
            Warned(.extensionEnding, "person:Q3", "2016-08-31", ["programme=post-allowance", "retirement=2016-09-01", "covered=17 months",
                                                                  "lastCovered=2016-05", "lastMonth=2016-08", "left=3 months"]),
            Warned(.extensionEnding, "person:Q5", "2016-09-30", ["programme=post-allowance", "retirement=2016-09-02", "covered=18 months",
                                                                  "lastCovered=2016-06", "lastMonth=2016-09", "left=3 months"]),
        ])
        #expect(result.warnings.allSatisfy { $0.kind == .extensionEnding })
        let q1 = try #require(result.warnings.first)
        #expect(q1.message == "Q1 is paid post-allowance past the term under the retirement extension, which ends with retirement on "
            + "2016-08-12 (female worker, age 50): the last month payable is 2016-08; covered up to 2016-05, 3 months left.")
        // Q5's extension ends on 2016-09-30, 92 days after the as-of date.
        #expect(try warned(warnings(Self.extensions, asOf: "2016-06-30", horizon: 91), .extensionEnding).map(\.subject)
            == ["person:Q1", "person:Q3"])
    }

    // MARK: DISCOUNT-RATE-NEAR

    @Test("DISCOUNT-RATE-NEAR: 25 bp or less below benchmark + 300 bp, running loans to persons only")
    func discountRate() throws {
        let people = (1...7).map { H.person("r\($0)", "R\($0)", born: "1985-01-01") }
        let history = H.funds + people + [H.enterprise("e1", "E1")] + [
            H.loan("l1", "L1", person: "R1", principal: "50000", rateBp: 710, maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l2", "L2", person: "R2", principal: "50000", rateBp: 709, maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l3", "L3", person: "R3", principal: "50000", rateBp: 735, maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l4", "L4", person: "R4", principal: "50000", rateBp: 736, maturity: "2018-01-01", on: "2016-01-10"),
            // At the limit but matured the day before the as-of date, repaid, or defaulted.
            H.loan("l5", "L5", person: "R5", principal: "50000", rateBp: 735, maturity: "2016-06-29", on: "2016-01-10"),
            H.loan("l6", "L6", person: "R6", principal: "50000", rateBp: 735, maturity: "2018-01-01", on: "2016-01-10"),
            H.repay("p6", "L6", "50000", on: "2016-05-01"),
            H.loan("l7", "L7", person: "R7", principal: "50000", rateBp: 735, maturity: "2018-01-01", on: "2016-01-10"),
            H.defaulted("d7", "L7", on: "2016-05-01"),
            // Maturing on the as-of date: still running.
            H.loan("l8", "L8", person: "R1", principal: "10000", rateBp: 735, maturity: "2016-06-30", on: "2016-01-10"),
            H.loan("l9", "L9", enterprise: "E1", category: "enterprise", principal: "50000", rateBp: 735, maturity: "2018-01-01", on: "2016-01-10"),
            H.discount("i1", "L1", "2016-01-10", "2016-03-31", amount: "100", on: "2016-04-10"),
        ]
        let result = try warnings(history, asOf: "2016-06-30")
        #expect(warned(result, .discountRateNear) == [
            Warned(.discountRateNear, "loan:L1", nil, ["rate=710 bp", "benchmark=435 bp", "limit=735 bp", "belowLimit=25 bp",
                                                        "outstanding=50000.00", "maturity=2018-01-01"]),
            Warned(.discountRateNear, "loan:L3", nil, ["rate=735 bp", "benchmark=435 bp", "limit=735 bp", "belowLimit=0 bp",
                                                        "outstanding=50000.00", "maturity=2018-01-01"]),
            Warned(.discountRateNear, "loan:L8", nil, ["rate=735 bp", "benchmark=435 bp", "limit=735 bp", "belowLimit=0 bp",
                                                        "outstanding=10000.00", "maturity=2016-06-30"]),
        ])
        let l1 = try #require(result.warnings.first { $0.subject == "loan:L1" })
        #expect(l1.events == ["l1", "i1"] && l1.region == H.region && l1.clause == "十一")
        #expect(l1.threshold == WarningFigure("warning-discount-rate-margin", .basisPoints(25)))
        #expect(l1.message == "L1, lent to R1 at 710 bp against a 435 bp benchmark, is 25 bp below the 735 bp limit of interest "
            + "discounts (benchmark + 300 bp, parameter discount-rate-margin from 2015-01-01, clause (十一), seed), within the 25 bp "
            + "warning margin; 50000.00 is outstanding until 2018-01-01.")
    }

    // MARK: BUDGET-RUN-OUT

    /// One line of 100,000.00 for 2016, 10,000.00 paid before the 90-day
    /// window that ends on 2016-10-02 (2016-07-05 … 2016-10-02), `recent`
    /// paid inside it on `day`. 90 days are left in the year after 2016-10-02.
    static func budget(recent: String, on day: String = "2016-08-01") -> [String] {
        [
            H.appropriate("a1", "100000", on: "2016-01-04"),
            H.grant("g1", "G1", "training", amount: "10000", on: "2016-06-01"),
            H.grant("g2", "G2", "training", amount: recent, on: day),
        ]
    }

    @Test("BUDGET-RUN-OUT: money that lasts exactly to the year end is no warning; a fen less runs out on 2016-12-31")
    func budgetYearEnd() throws {
        // 45,000.00 left at 45,000.00 ÷ 90 a day: 45000.00 × 90 ÷ 45000.00 = 90 days, to 2016-12-31 exactly.
        #expect(try warnings(Self.budget(recent: "45000.00"), asOf: "2016-10-02").warnings.isEmpty)
        // 44,999.99 left at 45,000.01 ÷ 90 a day: floor(4499999 × 90 ÷ 4500001) = 89 days, so the 90th, 2016-12-31, is not covered.
        let result = try warnings(Self.budget(recent: "45000.01"), asOf: "2016-10-02")
        #expect(warned(result) == [
            Warned(.budgetRunOut, "fund:employment-special/220102/2016", "2016-12-31",
                   ["available=44999.99", "paidInWindow=45000.01", "window=90 days", "daysLasting=89 days", "yearEnd=2016-12-31"]),
        ])
        let warning = try #require(result.warnings.first)
        #expect(warning.region == "220102" && warning.fiscalYear == 2016 && warning.clause == "三十一" && warning.events.isEmpty)
        #expect(warning.threshold == WarningFigure("warning-payment-window", .days(90)))
        #expect(warning.message == "Budget line employment-special/220102/2016 has 44999.99 available on 2016-10-02 and paid out 45000.01 "
            + "in the 90 days up to it: at that rate the money lasts 89 more days and runs out on 2016-12-31, before the fiscal year "
            + "ends on 2016-12-31.")
        // The window's first day counts; the day before it does not (no payments in the window: no rate, no warning).
        #expect(try warned(warnings(Self.budget(recent: "45000.01", on: "2016-07-05"), asOf: "2016-10-02")).count == 1)
        #expect(try warnings(Self.budget(recent: "45000.01", on: "2016-07-04"), asOf: "2016-10-02").warnings.isEmpty)
    }

    @Test("BUDGET-RUN-OUT: the projected date, and the horizon it must fall within")
    func budgetRunOutDate() throws {
        // As of 2016-06-30 the window is 2016-04-02 … 2016-06-30. 100,000 − 43,000 − 27,000 = 30,000 left at
        // 27,000 ÷ 90 = 300 a day: 30000 × 90 ÷ 27000 = 100 days, so the money runs out on the 101st, 2016-10-09.
        let history = [
            H.appropriate("a1", "100000", on: "2016-01-04"),
            H.grant("g1", "G1", "training", amount: "43000", on: "2016-02-01"),
            H.grant("g2", "G2", "training", amount: "27000", on: "2016-05-01"),
        ]
        #expect(try warned(warnings(history, asOf: "2016-06-30", horizon: 101)).map(\.date) == ["2016-10-09"])
        #expect(try warnings(history, asOf: "2016-06-30", horizon: 100).warnings.isEmpty)
        // A recovery in the window lowers the rate: 27,000 − 2,700 = 24,300 a window, 32,700 left:
        // floor(32700 × 90 ÷ 24300) = floor(121.1…) = 121 days, so it runs out on the 122nd, 2016-10-30.
        let recovered = history + [H.recover("r1", "G2", "2700", on: "2016-06-01")]
        #expect(try warnings(recovered, asOf: "2016-06-30", horizon: 200).warnings.first?.figures.map(\.value.text)
            == ["32700.00", "24300.00", "90 days", "121 days", "2016-12-31"])
        #expect(try warned(warnings(recovered, asOf: "2016-06-30", horizon: 200)).map(\.date) == ["2016-10-30"])
    }

    // MARK: CERTIFICATION-EXPIRING

    /// As of 2016-06-30 with a 90-day horizon (to 2016-09-28) and the
    /// payment window 2016-04-02 … 2016-06-30.
    static func certification(until: String, paid: String = "2016-05-01", renewal: String? = nil) -> [String] {
        var lines = H.funds + [
            H.person("w", "W", born: "1985-01-01"),
            H.certify("cw", "W", "employment-difficulty", on: "2015-01-05", until: until),
            H.grant("gw", "GW", "si-difficulty", person: "W", months: ("2016-01", "2016-03"), amount: "1500", on: paid),
        ]
        if let renewal { lines.append(H.certify("cr", "W", "employment-difficulty", on: renewal, until: "2020-12-31")) }
        return lines
    }

    @Test("CERTIFICATION-EXPIRING: a last valid day from the as-of date to the horizon's end, while the person is still paid")
    func certificationExpiring() throws {
        let result = try warnings(Self.certification(until: "2016-09-28"), asOf: "2016-06-30")
        #expect(warned(result) == [
            Warned(.certificationExpiring, "person:W", "2016-09-28", ["certification=employment-difficulty", "validUntil=2016-09-28",
                                                                       "programmes=si-difficulty", "lastPaid=2016-05-01"]),
        ])
        let warning = try #require(result.warnings.first)
        #expect(warning.events == ["cw", "gw"] && warning.clause == "十七" && warning.fiscalYear == 2016)
        #expect(warning.message == "W's employment-difficulty certification (cw) is valid until 2016-09-28, and W is still paid "
            + "si-difficulty, which needs it (last grant gw on 2016-05-01, within the 90 days window): no renewal is recorded, so a "
            + "grant dated after 2016-09-28 would break ELIGIBILITY.")
        // One day past the horizon; the as-of date itself; the day before it (already expired).
        #expect(try warnings(Self.certification(until: "2016-09-29"), asOf: "2016-06-30").warnings.isEmpty)
        #expect(try warned(warnings(Self.certification(until: "2016-06-30"), asOf: "2016-06-30")).count == 1)
        #expect(try warnings(Self.certification(until: "2016-06-29"), asOf: "2016-06-30").warnings.isEmpty)
        // Paid on the window's first day, and the day before it (no longer paid).
        #expect(try warned(warnings(Self.certification(until: "2016-09-28", paid: "2016-04-02"), asOf: "2016-06-30")).count == 1)
        #expect(try warnings(Self.certification(until: "2016-09-28", paid: "2016-04-01"), asOf: "2016-06-30").warnings.isEmpty)
        // A renewal effective the day after the last valid day closes the gap; one a day later does not.
        #expect(try warnings(Self.certification(until: "2016-09-28", renewal: "2016-09-29"), asOf: "2016-06-30").warnings.isEmpty)
        #expect(try warned(warnings(Self.certification(until: "2016-09-28", renewal: "2016-09-30"), asOf: "2016-06-30")).count == 1)
    }

    // MARK: The whole

    @Test("without a date the warnings are as of the view's latest effective date; an empty view has none")
    func asOfAndEmpty() throws {
        #expect(try warnings(Self.terms, asOf: nil).asOf == day("2017-09-30"))
        let empty = try warnings([], asOf: nil)
        #expect(empty.asOf == nil && empty.warnings.isEmpty && empty.horizonEnd == nil)
    }

    @Test("a policy without the thresholds cannot give warnings, and says which parameter is missing")
    func missingThreshold() throws {
        var text = String(decoding: try fixtureBytes("Fixtures/policy/seed/policy.json"), as: UTF8.self)
        let start = try #require(text.range(of: "    \"warning-loan-cap-margin\": ["))
        let end = try #require(text.range(of: "    \"max-event-amount\": ["))
        text.removeSubrange(start.lowerBound..<end.lowerBound)
        let policy = try PolicyLoader.parse(Array(text.utf8), source: "edited.json")
        // The audit does not need them.
        #expect(try audit(Self.budget(recent: "45000.01"), policy: policy).isEmpty)
        #expect(throws: AuditError.policy(PolicyError(file: "edited.json", path: "parameters.warning-loan-cap-margin",
                                                      message: "missing; a rule needs it on 2016-08-01"))) {
            try warnings(Self.budget(recent: "45000.01"), asOf: nil, policy: policy)
        }
    }

    @Test("a threshold in the wrong unit is refused when the policy is read, naming the path")
    func thresholdUnit() throws {
        let text = String(decoding: try fixtureBytes("Fixtures/policy/seed/policy.json"), as: UTF8.self)
            .replacingOccurrences(of: #""value": 90, "unit": "days""#, with: #""value": 3, "unit": "months""#)
        #expect(throws: PolicyError(file: "edited.json", path: "parameters.warning-payment-window",
                                    message: "parameter \"warning-payment-window\" is in months; an early warning needs days")) {
            try PolicyLoader.parse(Array(text.utf8), source: "edited.json")
        }
    }

    @Test("the sample history as of its last day: two borrowers at or over their cap, one term used up")
    func sampleHistory() throws {
        let lines = String(decoding: try fixtureBytes("Fixtures/sample-history.jsonl"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let result = try warnings(lines, asOf: nil)
        #expect(result.asOf == day("2017-12-20"))
        #expect(warned(result).map(\.description) == [
            "LOAN-CAP-NEAR person:p-008 - [outstanding=100000.00, cap=100000.00, headroom=0.00, category=individual, loans=ln-03]",
            "LOAN-CAP-NEAR person:p-011 - [outstanding=150000.00, cap=100000.00, headroom=-50000.00, category=individual, loans=ln-06]",
            "TERM-ENDING person:p-001 2017-12-31 [programme=si-difficulty, term=36 months, covered=38 months, lastCovered=2017-12, lastMonth=2017-12, left=0 months]",
        ])
    }
}
