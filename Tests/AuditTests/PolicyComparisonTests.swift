import Audit
import LedgerCore
import Policy
import Testing

/// What-if: the same view under two policies, the findings that appear,
/// disappear or change amount, and the money by rule, region and year.
@Suite("What-if")
struct PolicyComparisonTests {
    static func sample() throws -> [String] {
        String(decoding: try fixtureBytes("Fixtures/sample-history.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func amended() throws -> Policy { try Policy.load(directory: packageRoot + "/Fixtures/policy/amended") }

    static func compare(_ lines: [String], _ base: Policy, _ other: Policy) throws -> ComparisonResult {
        try PolicyComparison(base: base, other: other).compare(try liveEvents(lines))
    }

    /// A change as the facts a test asserts.
    static func described(_ result: ComparisonResult) -> [String] {
        result.changes.map { change in
            "\(change.change.rawValue) \(change.finding.rule.rawValue) \(change.finding.subject) \(change.finding.trigger) "
                + "\(change.before?.amount?.yuan ?? "-") → \(change.after?.amount?.yuan ?? "-") "
                + "\(change.region ?? "-")/\(change.fiscalYear.map(String.init) ?? "-") \(Money.yuan(fen: change.difference))"
        }
    }

    static func summarised(_ result: ComparisonResult) -> [String] {
        result.summary.map { row in
            "\(row.rule.rawValue) \(row.region ?? "-")/\(row.fiscalYear.map(String.init) ?? "-") +\(row.appeared) -\(row.disappeared) "
                + "~\(row.changed) \(Money.yuan(fen: row.before)) → \(Money.yuan(fen: row.after)) = \(Money.yuan(fen: row.difference))"
        }
    }

    @Test("the seed against the amended policy on the sample history: no difference, since every loan predates the amendments")
    func sampleSeedVersusAmended() throws {
        // The amended file differs from the seed only in the caps from
        // 2018-11-16; the sample history ends on 2017-12-20, so its 13
        // findings stand under both, with the same amounts.
        let result = try Self.compare(try Self.sample(), .seed, try Self.amended())
        #expect(result.base.findings.count == 13 && result.other.findings.count == 13)
        #expect(result.changes.isEmpty && result.summary.isEmpty)
    }

    @Test("the same policy on both sides gives no difference")
    func samePolicy() throws {
        let result = try Self.compare(try Self.sample(), .seed, .seed)
        #expect(result.base.findings == result.other.findings && result.changes.isEmpty)
        let amended = try Self.compare(AmendedPolicyTests.history, try Self.amended(), try Self.amended())
        #expect(amended.changes.isEmpty && amended.base.findings.count == 6)
    }

    /// The loans of AmendedPolicyTests, issued around each amendment date
    /// (region 220102). Under the seed: P1 50,000, P2 50,000, P3 100,000,
    /// P4 100,000, P5 200,000, P6 30,000, P7 200,000 over. Under the
    /// amended caps (150,000 from 2018-11-16, 200,000 from 2020-04-15,
    /// 300,000 from 2023-09-12; enterprises 3,000,000 from 2018-11-16):
    /// P1 (2018-11-15) still 50,000; P2, P4, P5 and the graduate P6 within;
    /// P3 (2020-04-14) 200,000 − 150,000 = 50,000; P7 (2023-09-11)
    /// 300,000 − 200,000 = 100,000; E1's 3,500,000 in 2019 is 500,000 over.
    @Test("the seed against the amended policy on loans around each amendment: every change worked out by hand")
    func amendedLoans() throws {
        let result = try Self.compare(AmendedPolicyTests.history, .seed, try Self.amended())
        #expect(Self.described(result) == [
            "appeared LOAN-CAP enterprise:E1 l6 - → 500000.00 220102/2019 500000.00",
            "disappeared LOAN-CAP person:P2 l2 50000.00 → - 220102/2018 -50000.00",
            "changed LOAN-CAP person:P3 l3 100000.00 → 50000.00 220102/2020 -50000.00",
            "disappeared LOAN-CAP person:P4 l4 100000.00 → - 220102/2020 -100000.00",
            "disappeared LOAN-CAP person:P5 l5 200000.00 → - 220102/2023 -200000.00",
            "disappeared LOAN-CAP person:P6 l9 30000.00 → - 220102/2021 -30000.00",
            "changed LOAN-CAP person:P7 l7 200000.00 → 100000.00 220102/2023 -100000.00",
        ])
        #expect(Self.summarised(result) == [
            "LOAN-CAP 220102/2018 +0 -1 ~0 50000.00 → 0.00 = -50000.00",
            "LOAN-CAP 220102/2019 +1 -0 ~0 0.00 → 500000.00 = 500000.00",
            "LOAN-CAP 220102/2020 +0 -1 ~1 200000.00 → 50000.00 = -150000.00",
            "LOAN-CAP 220102/2021 +0 -1 ~0 30000.00 → 0.00 = -30000.00",
            "LOAN-CAP 220102/2023 +0 -1 ~1 400000.00 → 100000.00 = -300000.00",
        ])
        #expect(result.changes.reduce(Int128(0)) { $0 + $1.difference } == -3_000_000)
        // P1's finding, the repeated month and the rate finding are the same under both: no change.
        #expect(!result.changes.contains { $0.finding.trigger == "l1" || $0.finding.rule != .loanCap })
    }

    @Test("a --set override: the individual cap at 150,000 from 2016-01-01 takes away the sample's one LOAN-CAP finding")
    func overrideIndividualCap() throws {
        let other = try Policy.seed.overriding([try ParameterOverride.parse("loan-cap-individual=150000.00@2016-01-01")])
        #expect(try other.value(of: .loanCapIndividual, on: day("2015-12-31")).money.yuan == "100000.00")
        let entry = try other.value(of: .loanCapIndividual, on: day("2016-01-01"))
        #expect(entry.money.yuan == "150000.00" && entry.source == "what-if --set loan-cap-individual=150000.00@2016-01-01")
        #expect(other.source == "Fixtures/policy/seed/policy.json (built in) with --set loan-cap-individual=150000.00@2016-01-01")
        // p-006 owes 50,000 on ln-01 and borrows 60,000 more on 2016-03-15 (ln-05): 110,000, within 150,000.
        // p-011's graduate loan of 150,000 stays at the larger of the two caps, 150,000.
        let result = try Self.compare(try Self.sample(), .seed, other)
        #expect(Self.described(result) == ["disappeared LOAN-CAP person:p-006 e-0102 10000.00 → - 220102/2016 -10000.00"])
        #expect(result.other.findings.count == 12)
    }

    @Test("an override replaces an entry of the same date, and keeps later entries")
    func overrideEntries() throws {
        let amended = try Self.amended()
        let other = try amended.overriding([
            try ParameterOverride.parse("loan-cap-individual=120000@2015-01-01"),
            try ParameterOverride.parse("discount-rate-margin=250@2017-01-01"),
        ])
        let caps = try #require(other.parameters[.loanCapIndividual])
        #expect(caps.map { "\($0.from) \($0.money.yuan)" } == ["2015-01-01 120000.00", "2018-11-16 150000.00", "2020-04-15 200000.00",
                                                                "2023-09-12 300000.00"])
        #expect(caps.map(\.index) == [0, 1, 2, 3])
        #expect(try other.value(of: .discountRateMargin, on: day("2017-01-01")).integer == 250)
        #expect(try other.value(of: .discountRateMargin, on: day("2016-12-31")).integer == 300)
    }

    @Test("an override names the parameter and the unit when it cannot apply")
    func overrideErrors() throws {
        func refusal(_ text: String) -> String? {
            do {
                _ = try Policy.seed.overriding([try ParameterOverride.parse(text)])
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("loan-cap-individal=1@2016-01-01")
            == #"--set loan-cap-individal=1@2016-01-01: Fixtures/policy/seed/policy.json (built in) has no parameter "loan-cap-individal"; did you mean "loan-cap-individual"?"#)
        #expect(refusal("individual-loan-cap=150000@2016-01-01")?.hasPrefix(
            #"--set individual-loan-cap=150000@2016-01-01: Fixtures/policy/seed/policy.json (built in) has no parameter "individual-loan-cap"; it has difficulty-subsidy-term, discount-rate-margin, "#) == true)
        #expect(refusal("discount-rate-margin=2.5@2016-01-01")
            == #"--set discount-rate-margin=2.5@2016-01-01: "2.5" is not a whole number of basis-points between 0 and 10000"#)
        #expect(refusal("loan-cap-individual=abc@2016-01-01")?.hasPrefix(#"--set loan-cap-individual=abc@2016-01-01: "abc" "#) == true)
        #expect(refusal("loan-cap-individual=150000") == "--set loan-cap-individual=150000: the value needs the date it applies from: NAME=VALUE@YYYY-MM-DD")
        #expect(refusal("loan-cap-individual=150000@2016-02-30") == #"--set loan-cap-individual=150000@2016-02-30: "2016-02-30" is not a calendar date YYYY-MM-DD"#)
        #expect(refusal("150000@2016-01-01")?.hasPrefix("--set 150000@2016-01-01: write NAME=VALUE@YYYY-MM-DD") == true)
    }
}
