import Audit
import LedgerCore
import Policy
import Testing

/// TERM-LIMIT, PAST-RETIREMENT, DUPLICATE-PERIOD, ONCE-ONLY and ELIGIBILITY
/// on both sides of their boundaries, figures worked out by hand.
@Suite("Grant rules")
struct GrantRuleTests {
    static func difficulty(_ id: String, _ person: String, born: String, sex: String = "M", group: String? = nil) -> [String] {
        [H.person(id, person, born: born, sex: sex, group: group),
         H.certify(id + "c", person, "employment-difficulty", on: "2015-01-05")]
    }

    // MARK: TERM-LIMIT

    @Test("36 distinct months with overlapping grants are lawful; the 37th month is beyond the term")
    func thirtySixAndThirtySeven() throws {
        let history = H.funds + Self.difficulty("p1", "P1", born: "1970-01-01") + [
            // 24 months.
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2015-01", "2016-12"), amount: "2400", on: "2015-02-01"),
            // 18 months, 6 already covered: 24 + 12 = 36, exactly the term.
            H.grant("g2", "G2", "si-difficulty", person: "P1", months: ("2016-07", "2017-12"), amount: "1800", on: "2017-01-10"),
            // 2017-12 again and 2018-01 new: month 37. 200 × 1 ÷ 2 = 100.00.
            H.grant("g3", "G3", "si-difficulty", person: "P1", months: ("2017-12", "2018-01"), amount: "200", on: "2018-02-01"),
            // Nothing new: no TERM-LIMIT (a DUPLICATE-PERIOD).
            H.grant("g4", "G4", "si-difficulty", person: "P1", months: ("2017-01", "2017-06"), amount: "600", on: "2018-03-01"),
            // Three new months past the term: all of it, 300.00.
            H.grant("g5", "G5", "si-difficulty", person: "P1", months: ("2018-02", "2018-04"), amount: "300", on: "2018-05-01"),
        ]
        #expect(seen(try audit(history, rules: [.termLimit])) == [
            Seen(.termLimit, "person:P1", "g3", ["g3", "g1", "g2"], "100.00"),
            Seen(.termLimit, "person:P1", "g5", ["g5", "g1", "g2", "g3"], "300.00"),
        ])
        // The repeated months are DUPLICATE-PERIOD findings: g2 6 of 18 (600.00),
        // g3 1 of 2 (100.00), g4 all 6 (600.00).
        #expect(seen(try audit(history, rules: [.duplicatePeriod])) == [
            Seen(.duplicatePeriod, "person:P1", "g2", ["g2", "g1"], "600.00"),
            Seen(.duplicatePeriod, "person:P1", "g3", ["g3", "g2"], "100.00"),
            Seen(.duplicatePeriod, "person:P1", "g4", ["g4", "g2"], "600.00"),
        ])
        let result = try Auditor(rules: [.termLimit]).audit(try liveEvents(history))
        let steps = try result.explain(result.findings[0])
        #expect(steps.contains("  g2 (2017-01-10): 2016-07 … 2017-12, 12 new months, 36 in all"))
    }

    @Test("first approval just over 5 years before retirement: the term applies; just under: it does not")
    func retirementExtension() throws {
        // Born 1960-06-15, a man retires on 2020-06-15.
        let history = H.funds + Self.difficulty("q1", "Q1", born: "1960-06-15") + Self.difficulty("q2", "Q2", born: "1960-06-15") + [
            // 2015-06-16 + 5 years = 2020-06-16: retirement is less than 5 years away, no term.
            H.grant("g1", "G1", "si-difficulty", person: "Q1", months: ("2015-06", "2018-09"), amount: "4000", on: "2015-06-16"),
            // 2015-06-15 + 5 years = 2020-06-15: not less than 5 years, the term applies.
            // 40 months, 4 beyond 36: 4000 × 4 ÷ 40 = 400.00.
            H.grant("g2", "G2", "si-difficulty", person: "Q2", months: ("2015-06", "2018-09"), amount: "4000", on: "2015-06-15"),
        ]
        #expect(seen(try audit(history)) == [Seen(.termLimit, "person:Q2", "g2", ["g2"], "400.00")])
    }

    @Test("the first approval is the earliest grant by business date, not the first keyed in")
    func firstApprovalByBusinessDate() throws {
        let history = H.funds + Self.difficulty("q1", "Q1", born: "1960-06-15") + [
            // Keyed in first, dated 2015-06-16 (which alone would lift the term).
            H.grant("gA", "GA", "si-difficulty", person: "Q1", months: ("2015-06", "2018-09"), amount: "4000", on: "2015-06-16"),
            // Keyed in second, dated 2015-06-15: the first approval, so the term applies.
            H.grant("gB", "GB", "si-difficulty", person: "Q1", months: ("2015-05", "2015-05"), amount: "100", on: "2015-06-15"),
        ]
        // gB's month, then gA's 40: months 2 … 41, 5 beyond: 4000 × 5 ÷ 40 = 500.00.
        #expect(seen(try audit(history)) == [Seen(.termLimit, "person:Q1", "gA", ["gA", "gB"], "500.00")])
    }

    @Test("the graduate-hire subsidy's term is 12 months and is never extended")
    func graduateHireTerm() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1994-01-01"), H.enterprise("e1", "E1", size: "micro"),
            H.certify("c1", "P1", "college-graduate", on: "2016-01-05", graduated: "2016-06-30"),
            H.grant("g1", "G1", "si-graduate", person: "P1", enterprise: "E1", months: ("2016-07", "2017-06"), amount: "1200", on: "2017-07-01", year: 2017),
            H.grant("g2", "G2", "si-graduate", person: "P1", enterprise: "E1", months: ("2017-07", "2017-07"), amount: "100", on: "2017-08-01", year: 2017),
        ]
        // Month 13 is beyond the 12-month term (all of g2). g2 is also not
        // eligible: its first month, 2017-07, is not in the graduation year.
        #expect(seen(try audit(history)) == [
            Seen(.eligibility, "person:P1", "g2", ["g2"], "100.00"),
            Seen(.termLimit, "person:P1", "g2", ["g2", "g1"], "100.00"),
        ])
    }

    // MARK: PAST-RETIREMENT

    @Test("coverage of the month that begins on the retirement date is past it; the month that begins the day before is not")
    func pastRetirement() throws {
        let history = H.funds + Self.difficulty("r1", "R1", born: "1966-08-01", sex: "F") + Self.difficulty("r2", "R2", born: "1966-08-02", sex: "F") + [
            // A female worker born 1966-08-01 retires on 2016-08-01: August begins on it.
            H.grant("g1", "G1", "post-allowance", person: "R1", months: ("2016-07", "2016-08"), amount: "2000", on: "2016-09-01"),
            // Born 1966-08-02: August begins before her retirement; September after.
            H.grant("g2", "G2", "post-allowance", person: "R2", months: ("2016-07", "2016-08"), amount: "2000", on: "2016-09-01"),
            H.grant("g3", "G3", "post-allowance", person: "R2", months: ("2016-09", "2016-11"), amount: "3000", on: "2016-12-01"),
        ]
        #expect(seen(try audit(history, rules: [.pastRetirement])) == [
            Seen(.pastRetirement, "person:R1", "g1", ["g1", "r1"], "1000.00"),
            Seen(.pastRetirement, "person:R2", "g3", ["g3", "r2"], "3000.00"),
        ])
    }

    @Test("a female cadre born on 29 February retires on 28 February in a common year")
    func leapDayRetirement() throws {
        let history = H.funds + Self.difficulty("r1", "R1", born: "1964-02-29", sex: "F", group: "female-cadre") + [
            // 55 years on: 2019-02-28. February begins before it, March after: 2000 × 1 ÷ 2.
            H.grant("g1", "G1", "post-allowance", person: "R1", months: ("2019-02", "2019-03"), amount: "2000", on: "2019-04-01", year: 2019),
        ]
        let findings = try audit(history, rules: [.pastRetirement, .termLimit])
        #expect(seen(findings) == [Seen(.pastRetirement, "person:R1", "g1", ["g1", "r1"], "1000.00")])
        #expect(findings[0].message.contains("retirement on 2019-02-28 (female cadre, age 55)"))
    }

    @Test("a finding that depends on a retirement date from 2025 on says the reform is not carried")
    func reformNote() throws {
        let history = H.funds + Self.difficulty("r1", "R1", born: "1965-03-10") + Self.difficulty("r2", "R2", born: "1964-03-10") + [
            // Retires 2025-03-10: April 2025 is past it.
            H.grant("g1", "G1", "si-difficulty", person: "R1", months: ("2025-03", "2025-04"), amount: "2000", on: "2025-05-01", year: 2025),
            // Retired 2024-03-10: no note.
            H.grant("g2", "G2", "si-difficulty", person: "R2", months: ("2024-03", "2024-04"), amount: "2000", on: "2024-05-01", year: 2024),
        ]
        let findings = try audit(history, rules: [.pastRetirement])
        #expect(seen(findings) == [
            Seen(.pastRetirement, "person:R1", "g1", ["g1", "r1"], "1000.00"),
            Seen(.pastRetirement, "person:R2", "g2", ["g2", "r2"], "1000.00"),
        ])
        #expect(findings[0].message.hasSuffix("Note: the retirement date 2025-03-10 falls on or after 2025-01-01, from when the gradual "
            + "retirement-age reform applies (全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日）); "
            + "the policy file does not carry it yet, so the age before the reform was used."))
        #expect(!findings[1].message.contains("Note:"))
    }

    // MARK: DUPLICATE-PERIOD

    @Test("a date period covers every month it touches; other programmes and other people do not repeat it")
    func duplicatePeriod() throws {
        let history = H.funds + Self.difficulty("p1", "P1", born: "1970-01-01") + Self.difficulty("p2", "P2", born: "1970-01-01") + [
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2016-03-15", "2016-04-10"), amount: "1000", on: "2016-05-01"),
            H.grant("g2", "G2", "post-allowance", person: "P1", months: ("2016-04", "2016-05"), amount: "1000", on: "2016-06-01"),
            H.grant("g3", "G3", "si-difficulty", person: "P2", months: ("2016-04", "2016-05"), amount: "1000", on: "2016-06-01"),
            // April repeats g1's: 1000 × 1 ÷ 2 = 500.00.
            H.grant("g4", "G4", "si-difficulty", person: "P1", months: ("2016-04", "2016-05"), amount: "1000", on: "2016-06-01"),
        ]
        #expect(seen(try audit(history)) == [Seen(.duplicatePeriod, "person:P1", "g4", ["g4", "g1"], "500.00")])
    }

    @Test("pro rata rounds half up to the fen: 0.03 × 1 ÷ 2 = 1.5 fen is 0.02, 0.01 × 1 ÷ 3 is 0.00")
    func proRataHalfUp() throws {
        let history = H.funds + Self.difficulty("p1", "P1", born: "1970-01-01") + [
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2016-01", "2016-03"), amount: "3", on: "2016-04-01"),
            H.grant("g2", "G2", "si-difficulty", person: "P1", months: ("2016-03", "2016-04"), amount: "0.03", on: "2016-05-01"),
            H.grant("g3", "G3", "si-difficulty", person: "P1", months: ("2016-04", "2016-06"), amount: "0.01", on: "2016-06-01"),
        ]
        #expect(seen(try audit(history)) == [
            Seen(.duplicatePeriod, "person:P1", "g2", ["g2", "g1"], "0.02"),
            Seen(.duplicatePeriod, "person:P1", "g3", ["g3", "g2"], "0.00"),
        ])
    }

    // MARK: ONCE-ONLY

    @Test("a second start-up subsidy is a finding at the later one by business date; reversing the first removes it")
    func onceOnly() throws {
        let base = H.funds + [
            H.person("s1", "S1", born: "1985-01-01"),
            H.certify("s1c", "S1", "entrepreneurship-training", on: "2016-01-10"),
            // Keyed in first, dated later.
            H.grant("g2", "G2", "startup-once", person: "S1", amount: "5000", on: "2016-05-01"),
            H.grant("g1", "G1", "startup-once", person: "S1", amount: "5000", on: "2016-03-01"),
        ]
        #expect(seen(try audit(base)) == [Seen(.onceOnly, "person:S1", "g2", ["g2", "g1"], "5000.00")])
        #expect(try audit(base + [H.reverse("x1", "g1", on: "2016-06-01")]).isEmpty)
    }

    // MARK: ELIGIBILITY

    @Test("a certification dated after the grant or expired before it does not count; one dated that day does")
    func certificationDates() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1970-01-01"), H.person("p2", "P2", born: "1970-01-01"),
            H.person("p3", "P3", born: "1970-01-01"), H.person("p4", "P4", born: "1970-01-01"),
            // Keyed in before the grant, effective the day after it.
            H.certify("c1", "P1", "employment-difficulty", on: "2016-03-02"),
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2016-01", "2016-02"), amount: "1000", on: "2016-03-01"),
            // Effective the grant's day, keyed in after it.
            H.grant("g2", "G2", "si-difficulty", person: "P2", months: ("2016-01", "2016-02"), amount: "1000", on: "2016-03-01"),
            H.certify("c2", "P2", "employment-difficulty", on: "2016-03-01"),
            // Valid until 2016-03-31: held that day, not the next.
            H.certify("c3", "P3", "employment-difficulty", on: "2016-01-05", until: "2016-03-31"),
            H.certify("c4", "P4", "employment-difficulty", on: "2016-01-05", until: "2016-03-31"),
            H.grant("g3", "G3", "post-allowance", person: "P3", months: ("2016-03", "2016-03"), amount: "1200", on: "2016-03-31"),
            H.grant("g4", "G4", "post-allowance", person: "P4", months: ("2016-03", "2016-03"), amount: "1200", on: "2016-04-01"),
        ]
        let findings = try audit(history)
        #expect(seen(findings) == [
            Seen(.eligibility, "person:P1", "g1", ["g1"], "1000.00"),
            Seen(.eligibility, "person:P4", "g4", ["g4"], "1200.00"),
        ])
        #expect(findings[1].message == "G4 (post-allowance, 1200.00): P4 did not hold an employment-difficulty certification on 2016-04-01, which post-allowance requires.")
    }

    @Test("graduation in the grant's year (job-seeking) or the first covered month's year (si-graduate); small or micro payers")
    func graduateYearAndSize() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1994-01-01"), H.person("p2", "P2", born: "1994-01-01"),
            H.enterprise("e1", "E1", size: "small"), H.enterprise("e2", "E2", size: "medium"),
            H.certify("c1", "P1", "college-graduate", on: "2016-03-01", graduated: "2016-06-30"),
            H.certify("c2", "P2", "college-graduate", on: "2016-03-01", graduated: "2016-06-30"),
            // The last day of the graduation year, and the first day after it.
            H.grant("j1", "J1", "job-seeking", person: "P1", amount: "1000", on: "2016-12-31"),
            H.grant("j2", "J2", "job-seeking", person: "P2", amount: "1000", on: "2017-01-01", year: 2017),
            // First covered month 2016-12 is in the graduation year; 2017-01 is not.
            H.grant("s1", "S1", "si-graduate", person: "P1", enterprise: "E1", months: ("2016-12", "2017-11"), amount: "1200", on: "2017-03-01", year: 2017),
            H.grant("s2", "S2", "si-graduate", person: "P2", enterprise: "E1", months: ("2017-01", "2017-12"), amount: "1200", on: "2017-03-01", year: 2017),
            // A medium payer: the enterprise is the subject…
            H.grant("s3", "S3", "si-graduate", person: "P1", enterprise: "E2", months: ("2016-12", "2016-12"), amount: "100", on: "2017-03-01", year: 2017),
            // … unless the person fails too.
            H.grant("s4", "S4", "si-graduate", person: "P2", enterprise: "E2", months: ("2017-01", "2017-01"), amount: "100", on: "2017-03-01", year: 2017),
        ]
        let findings = try audit(history, rules: [.eligibility])
        #expect(seen(findings) == [
            Seen(.eligibility, "enterprise:E2", "s3", ["s3", "e2"], "100.00"),
            Seen(.eligibility, "person:P2", "j2", ["j2"], "1000.00"),
            Seen(.eligibility, "person:P2", "s2", ["s2"], "1200.00"),
            Seen(.eligibility, "person:P2", "s4", ["s4", "e2"], "100.00"),
        ])
        #expect(findings[3].message == "S4 (si-graduate, 100.00): P2 did not hold a college-graduate certification with graduation in 2017 "
            + "(the year of the first month covered, 2017-01) on 2017-03-01, which si-graduate requires. "
            + "si-graduate is paid only to micro and small enterprises, and E2 is medium.")
    }
}
