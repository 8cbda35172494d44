import Audit
import LedgerCore
import Policy
import Testing

/// A change of policy is data: the amended file (national amendments of the
/// guarantee-loan caps) changes exactly the LOAN-CAP findings whose loans
/// fall under a changed cap, and nothing else.
@Suite("Amended policy")
struct AmendedPolicyTests {
    static let history: [String] = H.funds + [
        H.person("p1", "P1", born: "1985-01-01", on: "2018-01-02"), H.person("p2", "P2", born: "1985-01-01", on: "2018-01-02"),
        H.person("p3", "P3", born: "1985-01-01", on: "2018-01-02"), H.person("p4", "P4", born: "1985-01-01", on: "2018-01-02"),
        H.person("p5", "P5", born: "1985-01-01", on: "2018-01-02"), H.person("p6", "P6", born: "1998-01-01", on: "2018-01-02"),
        H.person("p7", "P7", born: "1985-01-01", on: "2018-01-02"), H.person("p8", "P8", born: "1970-01-01", on: "2018-01-02"),
        H.person("p9", "P9", born: "1985-01-01", on: "2018-01-02"),
        H.enterprise("e1", "E1", on: "2018-01-02"), H.enterprise("e2", "E2", on: "2018-01-02"),
        // The day before 国发〔2018〕39号: 100,000 in both.
        H.loan("l1", "L1", person: "P1", principal: "150000", maturity: "2020-11-15", on: "2018-11-15"),
        // Its first day: 150,000 in the amended file.
        H.loan("l2", "L2", person: "P2", principal: "150000", maturity: "2020-11-16", on: "2018-11-16"),
        // The day before 财金〔2020〕21号 (150,000), and its first day (200,000).
        H.loan("l3", "L3", person: "P3", principal: "200000", maturity: "2022-04-14", on: "2020-04-14"),
        H.loan("l4", "L4", person: "P4", principal: "200000", maturity: "2022-04-15", on: "2020-04-15"),
        // The day before 财金〔2023〕75号 (200,000), and its first day (300,000).
        H.loan("l7", "L7", person: "P7", principal: "300000", maturity: "2025-09-11", on: "2023-09-11"),
        H.loan("l5", "L5", person: "P5", principal: "300000", maturity: "2025-09-12", on: "2023-09-12"),
        // Enterprises: 3,000,000 from 2018-11-16 until 4,000,000 again from 2023-09-12.
        H.loan("l6", "L6", enterprise: "E1", category: "enterprise", principal: "3500000", maturity: "2021-06-01", on: "2019-06-01"),
        H.loan("l8", "L8", enterprise: "E2", category: "enterprise", principal: "4000000", maturity: "2026-01-10", on: "2024-01-10"),
        // A graduate within two years: 150,000 graduate cap in both files, but
        // the amended individual cap of 200,000 is larger and applies.
        H.certify("c6", "P6", "college-graduate", on: "2020-07-01", graduated: "2020-07-01"),
        H.loan("l9", "L9", person: "P6", category: "graduate", principal: "180000", maturity: "2023-03-01", on: "2021-03-01"),
        // Findings the caps do not touch: a repeated month in 2019, a discount above the rate limit in 2022.
        H.certify("c8", "P8", "employment-difficulty", on: "2018-01-02"),
        H.grant("g1", "G1", "si-difficulty", person: "P8", months: ("2019-01", "2019-03"), amount: "1500", on: "2019-04-01", year: 2019),
        H.grant("g2", "G2", "si-difficulty", person: "P8", months: ("2019-03", "2019-05"), amount: "1500", on: "2019-06-01", year: 2019),
        H.loan("l10", "L10", person: "P9", principal: "50000", rateBp: 800, benchmarkBp: 435, maturity: "2024-01-01", on: "2022-01-01"),
        H.discount("d10", "L10", "2022-01-01", "2022-03-31", amount: "100", on: "2022-04-10", year: 2022),
    ]

    static let otherFindings = [
        Seen(.discountRate, "loan:L10", "d10", ["d10", "l10"], "100.00"),
        Seen(.duplicatePeriod, "person:P8", "g2", ["g2", "g1"], "500.00"),
    ]

    @Test("under the seed every loan above 100,000 (150,000 for the graduate) is over the cap")
    func seed() throws {
        let findings = seen(try audit(Self.history, policy: .seed))
        #expect(findings.filter { $0.rule == .loanCap } == [
            Seen(.loanCap, "person:P1", "l1", ["l1"], "50000.00"),
            Seen(.loanCap, "person:P2", "l2", ["l2"], "50000.00"),
            Seen(.loanCap, "person:P3", "l3", ["l3"], "100000.00"),
            Seen(.loanCap, "person:P4", "l4", ["l4"], "100000.00"),
            Seen(.loanCap, "person:P5", "l5", ["l5"], "200000.00"),
            Seen(.loanCap, "person:P6", "l9", ["l9"], "30000.00"),
            Seen(.loanCap, "person:P7", "l7", ["l7"], "200000.00"),
        ])
        #expect(findings.filter { $0.rule != .loanCap } == Self.otherFindings)
    }

    @Test("the amended policy changes exactly the findings it should, and nothing else")
    func amended() throws {
        let amended = try Policy.load(directory: packageRoot + "/Fixtures/policy/amended")
        let before = seen(try audit(Self.history, policy: .seed))
        let after = seen(try audit(Self.history, policy: amended))
        #expect(after.filter { $0.rule == .loanCap } == [
            Seen(.loanCap, "enterprise:E1", "l6", ["l6"], "500000.00"),
            Seen(.loanCap, "person:P1", "l1", ["l1"], "50000.00"),
            Seen(.loanCap, "person:P3", "l3", ["l3"], "50000.00"),
            Seen(.loanCap, "person:P7", "l7", ["l7"], "100000.00"),
        ])
        #expect(after.filter { $0.rule != .loanCap } == Self.otherFindings)
        // Gone: L2, L4, L5 and the graduate's L9 are within the new caps.
        #expect(before.filter { !after.contains($0) }.map(\.trigger) == ["l2", "l3", "l4", "l5", "l9", "l7"])
        // New or changed: the enterprise cap fell to 3,000,000; L3 and L7 are over by less.
        #expect(after.filter { !before.contains($0) }.map(\.trigger) == ["l6", "l3", "l7"])
        let message = try #require(try audit(Self.history, policy: amended).first { $0.trigger == "l3" }).message
        #expect(message == "Issuing L3 (200000.00) on 2020-04-14 brings P3's outstanding guaranteed principal to 200000.00, "
            + "above the 150000.00 cap for an individual loan then in force (国发〔2018〕39号): 50000.00 over.")
    }
}
