import Audit
import LedgerCore
import Policy
import Testing

/// LOAN-CAP, LOAN-CATEGORY, DISCOUNT-RATE, DISCOUNT-EXCESS, DISCOUNT-OVERLAP
/// and WRITEOFF-BASIS on both sides of their boundaries. Every expected
/// figure is worked out by hand in the comments.
@Suite("Loan rules")
struct LoanRuleTests {
    static let people = H.funds + [
        H.person("p1", "P1", born: "1980-01-01"), H.person("p2", "P2", born: "1980-01-01"),
        H.person("p3", "P3", born: "1980-01-01"), H.person("p4", "P4", born: "1980-01-01"),
    ]

    // MARK: LOAN-CAP

    @Test("a loan exactly at the 100,000 individual cap is lawful; one fen over is a finding of 0.01")
    func capBoundary() throws {
        let history = Self.people + [
            H.loan("l1", "L1", person: "P1", principal: "100000", maturity: "2018-03-01", on: "2016-03-01"),
            H.loan("l2", "L2", person: "P2", principal: "100000.01", maturity: "2018-03-01", on: "2016-03-01"),
        ]
        #expect(seen(try audit(history)) == [Seen(.loanCap, "person:P2", "l2", ["l2"], "0.01")])
    }

    @Test("outstanding after a partial repayment, counted by its date even when keyed in after the new loan")
    func partialRepayment() throws {
        func history(repaid: String, on repaidOn: String) -> [String] {
            Self.people + [
                H.loan("l1", "L1", person: "P1", principal: "60000", maturity: "2018-01-10", on: "2016-01-10"),
                H.loan("l2", "L2", person: "P1", principal: "60000", maturity: "2018-03-01", on: "2016-03-01"),
                // Keyed in after L2, dated the same day: it counts.
                H.repay("r1", "L1", repaid, on: repaidOn),
            ]
        }
        // 60,000 − 20,000 + 60,000 = 100,000: at the cap.
        #expect(try audit(history(repaid: "20000", on: "2016-03-01"), rules: [.loanCap]).isEmpty)
        // 60,000 − 19,999.99 + 60,000 = 100,000.01.
        #expect(seen(try audit(history(repaid: "19999.99", on: "2016-03-01"), rules: [.loanCap]))
            == [Seen(.loanCap, "person:P1", "l2", ["l2", "l1", "r1"], "0.01")])
        // A repayment dated the day after the issue does not count: 120,000.
        #expect(seen(try audit(history(repaid: "20000", on: "2016-03-02"), rules: [.loanCap]))
            == [Seen(.loanCap, "person:P1", "l2", ["l2", "l1"], "20000.00")])
    }

    @Test("matured, unpaid and defaulted loans still count")
    func maturedAndDefaulted() throws {
        let history = Self.people + [
            H.loan("l1", "L1", person: "P1", principal: "60000", maturity: "2016-01-10", on: "2015-01-10"),
            H.defaulted("d1", "L1", on: "2016-02-01"),
            H.loan("l2", "L2", person: "P1", principal: "60000", maturity: "2018-06-01", on: "2016-06-01"),
        ]
        #expect(seen(try audit(history, rules: [.loanCap, .loanCategory])) == [Seen(.loanCap, "person:P1", "l2", ["l2", "l1"], "20000.00")])
    }

    @Test("graduate cap: the day before two years after graduation is inside, that day is outside (and 29 February)")
    func graduateWindow() throws {
        let history = Self.people + [
            H.certify("c3", "P3", "college-graduate", on: "2016-01-05", graduated: "2014-07-01"),
            H.certify("c4", "P4", "college-graduate", on: "2016-01-05", graduated: "2014-07-01"),
            // 2014-07-01 + 2 years = 2016-07-01: 2016-06-30 is inside the window.
            H.loan("l3", "L3", person: "P3", category: "graduate", principal: "150000", maturity: "2018-06-30", on: "2016-06-30"),
            // 2016-07-01 is not: judged as individual, 150,000 − 100,000 over.
            H.loan("l4", "L4", person: "P4", category: "graduate", principal: "150000", maturity: "2018-07-01", on: "2016-07-01"),
        ]
        #expect(seen(try audit(history)) == [
            Seen(.loanCap, "person:P4", "l4", ["l4"], "50000.00"),
            Seen(.loanCategory, "person:P4", "l4", ["l4"], nil),
        ])
        // Graduated 2016-02-29: two years on is 2018-02-28.
        let leap = Self.people + [
            H.certify("c1", "P1", "college-graduate", on: "2016-03-01", graduated: "2016-02-29"),
            H.certify("c2", "P2", "college-graduate", on: "2016-03-01", graduated: "2016-02-29"),
            H.loan("l1", "L1", person: "P1", category: "graduate", principal: "150000", maturity: "2020-01-01", on: "2018-02-27"),
            H.loan("l2", "L2", person: "P2", category: "graduate", principal: "150000", maturity: "2020-01-01", on: "2018-02-28"),
        ]
        #expect(seen(try audit(leap, rules: [.loanCategory])) == [Seen(.loanCategory, "person:P2", "l2", ["l2"], nil)])
    }

    @Test("a graduate certification dated after the issue, or expired, does not count; one dated that day does, whenever keyed in")
    func graduateCertificationDates() throws {
        let history = Self.people + [
            // Keyed in before the loan, effective the day after it.
            H.certify("c1", "P1", "college-graduate", on: "2016-07-02", graduated: "2016-06-30"),
            H.loan("l1", "L1", person: "P1", category: "graduate", principal: "120000", maturity: "2018-07-01", on: "2016-07-01"),
            // Expired the day before the issue.
            H.certify("c2", "P2", "college-graduate", on: "2016-01-05", graduated: "2016-06-30", until: "2016-06-30"),
            H.loan("l2", "L2", person: "P2", category: "graduate", principal: "120000", maturity: "2018-07-01", on: "2016-07-01"),
            // Keyed in after the loan, effective the same day: held on the issue date.
            H.loan("l3", "L3", person: "P3", category: "graduate", principal: "120000", maturity: "2018-07-01", on: "2016-07-01"),
            H.certify("c3", "P3", "college-graduate", on: "2016-07-01", graduated: "2016-06-30"),
        ]
        #expect(seen(try audit(history)) == [
            Seen(.loanCap, "person:P1", "l1", ["l1"], "20000.00"),
            Seen(.loanCap, "person:P2", "l2", ["l2"], "20000.00"),
            Seen(.loanCategory, "person:P1", "l1", ["l1"], nil),
            Seen(.loanCategory, "person:P2", "l2", ["l2"], nil),
        ])
    }

    @Test("category corrections: enterprise loans to persons, personal loans to enterprises")
    func categoryCorrections() throws {
        let history = Self.people + [
            H.enterprise("e1", "E1"), H.enterprise("e2", "E2"),
            H.certify("c2", "P2", "college-graduate", on: "2016-01-05", graduated: "2015-07-01"),
            // A person without a graduate certification: judged individual, 120,000 − 100,000.
            H.loan("l1", "L1", person: "P1", category: "enterprise", principal: "120000", maturity: "2018-01-01", on: "2016-01-10"),
            // A qualifying graduate: judged graduate, 120,000 is within 150,000.
            H.loan("l2", "L2", person: "P2", category: "enterprise", principal: "120000", maturity: "2018-01-01", on: "2016-01-10"),
            // Enterprises: judged as enterprise loans under the 4,000,000 cap.
            H.loan("l3", "L3", enterprise: "E1", category: "individual", principal: "3000000", maturity: "2018-01-01", on: "2016-01-10"),
            H.loan("l4", "L4", enterprise: "E2", category: "graduate", principal: "4000000.01", maturity: "2018-01-01", on: "2016-01-10"),
        ]
        #expect(seen(try audit(history)) == [
            Seen(.loanCap, "enterprise:E2", "l4", ["l4"], "0.01"),
            Seen(.loanCap, "person:P1", "l1", ["l1"], "20000.00"),
            Seen(.loanCategory, "enterprise:E1", "l3", ["l3"], nil),
            Seen(.loanCategory, "enterprise:E2", "l4", ["l4"], nil),
            Seen(.loanCategory, "person:P1", "l1", ["l1"], nil),
            Seen(.loanCategory, "person:P2", "l2", ["l2"], nil),
        ])
    }

    // MARK: DISCOUNT-RATE

    @Test("a rate of benchmark + 300 bp may be discounted, + 301 bp may not; enterprises are not limited")
    func discountRate() throws {
        let history = Self.people + [
            H.enterprise("e1", "E1"),
            H.loan("l1", "L1", person: "P1", principal: "50000", rateBp: 735, benchmarkBp: 435, maturity: "2018-01-01", on: "2016-01-01"),
            H.loan("l2", "L2", person: "P2", principal: "50000", rateBp: 736, benchmarkBp: 435, maturity: "2018-01-01", on: "2016-01-01"),
            H.loan("l3", "L3", enterprise: "E1", category: "enterprise", principal: "50000", rateBp: 900, benchmarkBp: 435,
                   maturity: "2018-01-01", on: "2016-01-01"),
            H.discount("d1", "L1", "2016-01-01", "2016-03-31", amount: "100", on: "2016-04-10"),
            H.discount("d2", "L2", "2016-01-01", "2016-03-31", amount: "100.01", on: "2016-04-10"),
            H.discount("d3", "L3", "2016-01-01", "2016-03-31", amount: "100", on: "2016-04-10"),
        ]
        #expect(seen(try audit(history, rules: [.discountRate])) == [Seen(.discountRate, "loan:L2", "d2", ["d2", "l2"], "100.01")])
    }

    // MARK: DISCOUNT-EXCESS

    /// 100,000 at 360 bp: 100,000 × 3.60% ÷ 360 = 10.00 a day.
    static func tenADay(_ id: String, _ loan: String, person: String, maturity: String = "2018-01-01") -> String {
        H.loan(id, loan, person: person, principal: "100000", rateBp: 360, benchmarkBp: 360, maturity: maturity, on: "2016-01-01")
    }

    @Test("a discount bound with a repayment inside the period: equal is lawful, one fen more is not")
    func excessWithRepayment() throws {
        func history(_ amount: String) -> [String] {
            Self.people + [
                Self.tenADay("l1", "L1", person: "P1"),
                H.discount("d1", "L1", "2016-01-01", "2016-01-20", amount: amount, on: "2016-02-01"),
                // Keyed in after the discount; by its date it halves the last 10 days.
                H.repay("r1", "L1", "50000", on: "2016-01-11"),
            ]
        }
        // 10 days × 10.00 + 10 days × 5.00 = 150.00.
        #expect(try audit(history("150"), rules: [.discountExcess]).isEmpty)
        #expect(seen(try audit(history("150.01"), rules: [.discountExcess]))
            == [Seen(.discountExcess, "loan:L1", "d1", ["d1", "l1", "r1"], "0.01")])
        let result = try Auditor(rules: [.discountExcess]).audit(try liveEvents(history("150.01")))
        let steps = try result.explain(result.findings[0])
        #expect(steps.contains("  2016-01-01 … 2016-01-10: 10 days × 100000.00 outstanding"))
        #expect(steps.contains("  2016-01-11 … 2016-01-20: 10 days × 50000.00 outstanding"))
        #expect(steps.contains("Due = Σ outstanding × days × 3.60% ÷ 360 = 150.00000000 → 150.00, rounded half up to the fen once."))
    }

    @Test("the day sum is rounded once, half up: three half-fen days are due 0.02, not 0.03")
    func roundedOnce() throws {
        // 100.00 = 10,000 fen at 180 bp: 10,000 × 180 ÷ 3,600,000 = 0.5 fen a day.
        func history(_ amount: String) -> [String] {
            Self.people + [
                H.loan("l1", "L1", person: "P1", principal: "100", rateBp: 180, benchmarkBp: 180, maturity: "2017-01-01", on: "2016-01-01"),
                H.discount("d1", "L1", "2016-01-01", "2016-01-03", amount: amount, on: "2016-02-01"),
            ]
        }
        #expect(try audit(history("0.02"), rules: [.discountExcess]).isEmpty)
        #expect(seen(try audit(history("0.03"), rules: [.discountExcess])) == [Seen(.discountExcess, "loan:L1", "d1", ["d1", "l1"], "0.01")])
    }

    @Test("days from the default date and from maturity are not due, whenever the default was keyed in")
    func excessAfterDefaultAndMaturity() throws {
        let history = Self.people + [
            Self.tenADay("l1", "L1", person: "P1", maturity: "2016-03-01"),
            Self.tenADay("l2", "L2", person: "P2", maturity: "2016-03-01"),
            H.discount("d1", "L1", "2016-02-01", "2016-03-31", amount: "300", on: "2016-04-05"),
            // Keyed in after the discount, dated before: days from 2016-02-21 are not due.
            H.defaulted("x1", "L1", on: "2016-02-21"),
            // No default: 2016-02-01 … 2016-02-29, 29 days before maturity, 290.00.
            H.discount("d2", "L2", "2016-02-01", "2016-03-31", amount: "290", on: "2016-04-05"),
        ]
        // L1: 2016-02-01 … 2016-02-20, 20 days × 10.00 = 200.00 due; 300.00 paid.
        #expect(seen(try audit(history, rules: [.discountExcess])) == [Seen(.discountExcess, "loan:L1", "d1", ["d1", "l1", "x1"], "100.00")])
    }

    // MARK: DISCOUNT-OVERLAP

    @Test("discounts overlapping by one day, and adjacent ones that do not")
    func overlapByOneDay() throws {
        let history = Self.people + [
            Self.tenADay("l1", "L1", person: "P1"),
            H.discount("d1", "L1", "2016-01-01", "2016-03-31", amount: "910", on: "2016-04-05"),
            // 2016-03-31 … 2016-06-30 is 92 days, one of them shared: 920.00 × 1 ÷ 92 = 10.00.
            H.discount("d2", "L1", "2016-03-31", "2016-06-30", amount: "920", on: "2016-07-05"),
            H.discount("d3", "L1", "2016-07-01", "2016-09-30", amount: "920", on: "2016-10-05"),
        ]
        #expect(seen(try audit(history, rules: [.discountOverlap])) == [Seen(.discountOverlap, "loan:L1", "d2", ["d2", "d1"], "10.00")])
    }

    @Test("the later discount by business date is the trigger, not the later one in the log")
    func overlapTriggerByBusinessDate() throws {
        let history = Self.people + [
            Self.tenADay("l1", "L1", person: "P1"),
            // Keyed in first, paid later: 91 days.
            H.discount("dA", "L1", "2016-04-01", "2016-06-30", amount: "910", on: "2016-07-10"),
            // Keyed in second, paid earlier: 2016-01-01 … 2016-04-15, 106 days.
            H.discount("dB", "L1", "2016-01-01", "2016-04-15", amount: "1590", on: "2016-04-10"),
        ]
        // dA shares 2016-04-01 … 2016-04-15 with dB: 910 × 15 ÷ 91 = 150.00
        // (dB as the trigger would have been 1590 × 15 ÷ 106 = 225.00).
        #expect(seen(try audit(history, rules: [.discountOverlap])) == [Seen(.discountOverlap, "loan:L1", "dA", ["dA", "dB"], "150.00")])
    }

    @Test("a day covered by two earlier discounts is one shared day")
    func overlapCountsDaysOnce() throws {
        let history = Self.people + [
            Self.tenADay("l1", "L1", person: "P1"),
            H.discount("d1", "L1", "2016-01-01", "2016-01-10", amount: "100", on: "2016-02-01"),
            // 8 days, 6 of them (2016-01-05 … 2016-01-10) in d1: 80 × 6 ÷ 8 = 60.00.
            H.discount("d2", "L1", "2016-01-05", "2016-01-12", amount: "80", on: "2016-02-02"),
            // 7 days; 2016-01-08 … 2016-01-10 are in d1 and d2, 2016-01-11 … 2016-01-12 in d2:
            // 5 shared days, not 8: 11 fen × 5 ÷ 7 = 7.86 fen → 0.08 (8 days would be 0.11 × 8 ÷ 7, more than the discount).
            H.discount("d3", "L1", "2016-01-08", "2016-01-14", amount: "0.11", on: "2016-02-03"),
        ]
        #expect(seen(try audit(history, rules: [.discountOverlap])) == [
            Seen(.discountOverlap, "loan:L1", "d2", ["d2", "d1"], "60.00"),
            Seen(.discountOverlap, "loan:L1", "d3", ["d3", "d1", "d2"], "0.08"),
        ])
    }

    // MARK: WRITEOFF-BASIS

    @Test("write-offs: without a default, beyond compensated − recovered, and by the dates of what they rest on")
    func writeOffBasis() throws {
        let history = Self.people + [
            H.loan("l1", "L1", person: "P1", principal: "100000", maturity: "2018-01-01", on: "2016-01-01"),
            H.writeOff("w1", "L1", "1000", on: "2016-06-01"),

            H.loan("l2", "L2", person: "P2", principal: "100000", maturity: "2018-01-01", on: "2016-01-01"),
            H.defaulted("x2", "L2", on: "2016-06-01"),
            H.compensate("c2", "L2", "80000", on: "2016-07-01"),
            H.recoverGuarantee("g2", "L2", "10000", on: "2016-09-01"),
            // 80,000 − 10,000 = 70,000: exactly the basis.
            H.writeOff("w2", "L2", "70000", on: "2016-10-01"),
            // One more write-off of 1,000: 71,000 against 70,000.
            H.writeOff("w3", "L2", "1000", on: "2016-11-01"),

            H.loan("l3", "L3", person: "P3", principal: "100000", maturity: "2018-01-01", on: "2016-01-01"),
            H.defaulted("x3", "L3", on: "2016-06-01"),
            H.compensate("c3", "L3", "50000", on: "2016-07-01"),
            // Keyed in before the write-off, dated after it: does not reduce its basis.
            H.recoverGuarantee("g3", "L3", "5000", on: "2016-12-01"),
            H.writeOff("w4", "L3", "80000", on: "2016-10-01"),
            // Keyed in after the write-off, dated before it: part of its basis (50,000 + 30,000).
            H.compensate("c4", "L3", "30000", on: "2016-08-01"),

            H.loan("l4", "L4", person: "P4", principal: "100000", maturity: "2018-01-01", on: "2016-01-01"),
            H.defaulted("x4", "L4", on: "2016-06-01"),
            H.writeOff("w5", "L4", "100", on: "2016-07-01"),
        ]
        #expect(seen(try audit(history, rules: [.writeoffBasis])) == [
            Seen(.writeoffBasis, "loan:L1", "w1", ["w1"], "1000.00"),
            Seen(.writeoffBasis, "loan:L2", "w3", ["w3", "x2", "c2", "g2", "w2"], "1000.00"),
            Seen(.writeoffBasis, "loan:L4", "w5", ["w5", "x4"], "100.00"),
        ])
        let messages = try audit(history, rules: [.writeoffBasis]).map(\.message)
        #expect(messages[0] == "L1 had not defaulted by 2016-06-01, so the write-off of 1000.00 on that date has no basis: 1000.00.")
        #expect(messages[2] == "L4 had defaulted but had not been compensated by 2016-07-01, so the write-off of 100.00 on that date has no basis: 100.00.")
    }
}
