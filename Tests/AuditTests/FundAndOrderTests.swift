import Audit
import LedgerCore
import Policy
import Testing

/// FUND-OVERDRAFT, reversals, and business-date order against log order.
@Suite("Funds, reversals and order")
struct FundAndOrderTests {
    @Test("a spend effective before its appropriation overdraws the line, whenever either was keyed in")
    func spendBeforeAppropriation() throws {
        let history = [
            // Keyed in first, effective 2016-01-20.
            H.grant("g1", "G1", "training", amount: "1000", on: "2016-01-20"),
            // Keyed in later, effective 2016-02-01: too late for g1.
            H.appropriate("a1", "100000", on: "2016-02-01"),
        ]
        #expect(seen(try audit(history)) == [Seen(.fundOverdraft, "fund:employment-special/220102/2016", "g1", ["g1"], "1000.00")])
        // Dated before the grant, though keyed in after it: the line is in funds.
        let backDated = [history[0], H.appropriate("a1", "100000", on: "2016-01-19")]
        #expect(try audit(backDated).isEmpty)
        // The same day: ties go by sequence, and the appropriation came second.
        let sameDay = [history[0], H.appropriate("a1", "100000", on: "2016-01-20")]
        #expect(seen(try audit(sameDay)) == [Seen(.fundOverdraft, "fund:employment-special/220102/2016", "g1", ["g1"], "1000.00")])
        let sameDayFirst = [H.appropriate("a1", "100000", on: "2016-01-20"), history[0]]
        #expect(try audit(sameDayFirst).isEmpty)
    }

    @Test("a transfer out can overdraw a line; money coming in never does; recoveries pay back")
    func transfersAndRecoveries() throws {
        let history = [
            H.appropriate("a1", "1000", on: "2016-01-04", region: "220100"),
            // 1000 − 1500 = −500 received: the smaller of 1500 and the deficit 500.
            H.transfer("t1", "1500", from: "220100", to: "220104", on: "2016-01-05"),
            H.appropriate("a2", "1000", on: "2016-01-04", region: "220102"),
            H.grant("g1", "G1", "training", amount: "800", on: "2016-02-01"),
            H.recover("r1", "G1", "300", on: "2016-03-01"),
            // Paid out 800 − 300 + 400 = 900 of 1000: lawful.
            H.grant("g2", "G2", "training", amount: "400", on: "2016-04-01"),
            // 1100 against 1000: 100 overdrawn, the smaller of 200 and 100.
            H.grant("g3", "G3", "training", amount: "200", on: "2016-05-01"),
        ]
        #expect(seen(try audit(history)) == [
            Seen(.fundOverdraft, "fund:employment-special/220100/2016", "t1", ["t1"], "500.00"),
            Seen(.fundOverdraft, "fund:employment-special/220102/2016", "g3", ["g3"], "100.00"),
        ])
        let result = try Auditor().audit(try liveEvents(history))
        let steps = try result.explain(result.findings[1])
        #expect(steps.contains("Received = appropriations + transfers in − transfers out = 1000.00; paid out = payouts − recoveries = 1100.00."))
    }

    @Test("a line spent to exactly zero is lawful; one fen (0.01 yuan) more is an overdraft of 0.01")
    func overdraftBoundary() throws {
        let line = "fund:employment-special/220102/2016"
        let toZero = [
            H.appropriate("a1", "1000.00", on: "2016-01-04"),
            H.grant("g1", "G1", "training", amount: "999.99", on: "2016-02-01"),
            // 1000.00 paid against 1000.00 received: available exactly 0.00.
            H.grant("g2", "G2", "training", amount: "0.01", on: "2016-03-01"),
        ]
        #expect(try audit(toZero).isEmpty)
        let oneFenOver = toZero + [H.grant("g3", "G3", "training", amount: "0.01", on: "2016-04-01")]
        #expect(seen(try audit(oneFenOver)) == [Seen(.fundOverdraft, line, "g3", ["g3"], "0.01")])
        // A larger payout one fen over: the finding is the deficit, 0.01, not the payout.
        let largerOver = toZero.prefix(2) + [H.grant("g2", "G2", "training", amount: "0.02", on: "2016-03-01")]
        #expect(seen(try audit(Array(largerOver))) == [Seen(.fundOverdraft, line, "g2", ["g2"], "0.01")])
        // Recovering two fen (1000.01 − 0.02 = 999.99 paid) leaves room for exactly one more fen.
        let recovered = oneFenOver + [H.recover("r1", "G1", "0.02", on: "2016-05-01"),
                                      H.grant("g4", "G4", "training", amount: "0.01", on: "2016-06-01")]
        #expect(seen(try audit(recovered)).map(\.trigger) == ["g3"])
        // A transfer out to exactly zero, and one fen past it.
        let transfers = [
            H.appropriate("a2", "500.00", on: "2016-01-04", region: "220100"),
            H.transfer("t1", "499.99", from: "220100", to: "220104", on: "2016-01-05"),
            H.transfer("t2", "0.01", from: "220100", to: "220104", on: "2016-01-06"),
        ]
        #expect(try audit(transfers).isEmpty)
        let transferOver = transfers + [H.transfer("t3", "0.01", from: "220100", to: "220104", on: "2016-01-07")]
        #expect(seen(try audit(transferOver)) == [Seen(.fundOverdraft, "fund:employment-special/220100/2016", "t3", ["t3"], "0.01")])
    }

    @Test("a reversal removes a finding, whatever the reversal's own date; the view without it keeps the finding")
    func reversalRemovesFinding() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1970-01-01"),
            H.certify("c1", "P1", "employment-difficulty", on: "2015-01-05"),
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2016-01", "2016-03"), amount: "1500", on: "2016-04-01"),
            H.grant("g2", "G2", "si-difficulty", person: "P1", months: ("2016-03", "2016-03"), amount: "500", on: "2016-04-02"),
            // Dated years later, it still takes g2 out of every evaluation of the log that contains it.
            H.reverse("x1", "g2", on: "2019-01-01"),
        ]
        #expect(seen(try audit(history, asOfSeq: history.count - 1)) == [Seen(.duplicatePeriod, "person:P1", "g2", ["g2", "g1"], "500.00")])
        #expect(try audit(history).isEmpty)
    }

    @Test("findings sort by rule, subject, then the trigger's place in business-date order, not log order")
    func sortOrder() throws {
        let history = H.funds + [
            H.person("p2", "P2", born: "1985-01-01"), H.person("p1", "P1", born: "1985-01-01"),
            H.certify("c1", "P1", "entrepreneurship-training", on: "2015-06-01"),
            H.certify("c2", "P2", "entrepreneurship-training", on: "2015-06-01"),
            // Keyed in in the opposite order to their dates.
            H.grant("g4", "G4", "startup-once", person: "P1", amount: "10", on: "2016-09-01"),
            H.grant("g3", "G3", "startup-once", person: "P1", amount: "10", on: "2016-08-01"),
            H.grant("g2", "G2", "startup-once", person: "P2", amount: "10", on: "2016-07-01"),
            H.grant("g1", "G1", "startup-once", person: "P2", amount: "10", on: "2016-06-01"),
            H.grant("g0", "G0", "startup-once", person: "P1", amount: "10", on: "2016-05-01"),
        ]
        #expect(seen(try audit(history)).map(\.trigger) == ["g3", "g4", "g2"])
        #expect(seen(try audit(history))[1].events == ["g4", "g0", "g3"])
    }
}
