import Testing
import LedgerCore
import LedgerTestSupport

@Suite("Append-time rules")
struct AppendRulesTests {
    /// Appends lines that must all pass.
    func state(_ lines: String...) -> MemoryState {
        let state = MemoryState()
        for line in lines {
            let error = state.append(line)
            #expect(error == nil, "setup line refused: \(error ?? "")")
        }
        return state
    }

    @Test("an event naming an unknown person, or effective before the person's registration, is refused")
    func unknownAndEarlyReferences() {
        let s = state(Line.person("e1", "P1", on: "2016-03-01"))
        #expect(s.append(Line.certify("e2", "P9", on: "2016-04-01"))?.hasPrefix("data.person: unknown person") == true)
        #expect(s.append(Line.certify("e3", "P1", on: "2016-02-29"))?.hasPrefix("effective:") == true)
        #expect(s.append(Line.grant("e4", "G1", person: "P1", on: "2016-02-01"))?.hasPrefix("effective:") == true)
        #expect(s.append(Line.certify("e5", "P1", on: "2016-03-01")) == nil)
    }

    @Test("ids of people, grants and loans are created once")
    func createdOnce() {
        let s = state(Line.person("e1", "P1"), Line.grant("e2", "G1", person: "P1"), Line.loan("e3", "L1", person: "P1"))
        #expect(s.append(Line.person("e4", "P1"))?.hasPrefix("data.person:") == true)
        #expect(s.append(Line.grant("e5", "G1", person: "P1"))?.hasPrefix("data.grant:") == true)
        #expect(s.append(Line.loan("e6", "L1", person: "P1"))?.hasPrefix("data.loan:") == true)
    }

    @Test("recoveries of a grant never exceed what was granted")
    func grantRecoveries() {
        let s = state(Line.person("e1", "P1"), Line.grant("e2", "G1", person: "P1", amount: "1000"),
                      Line.recover("e3", "G1", amount: "600"))
        #expect(s.append(Line.recover("e4", "G1", amount: "400.01"))?.hasPrefix("data.amount:") == true)
        #expect(s.append(Line.recover("e5", "G1", amount: "400")) == nil)
        #expect(s.append(Line.recover("e6", "G9", amount: "1"))?.hasPrefix("data.grant: unknown grant") == true)
    }

    @Test("repayments stay within the outstanding principal")
    func repayments() {
        let s = state(Line.person("e1", "P1"), Line.loan("e2", "L1", person: "P1", principal: "100000"), Line.repay("e3", "L1", "60000"))
        #expect(s.append(Line.repay("e4", "L1", "40000.01"))?.hasPrefix("data.principal:") == true)
        #expect(s.append(Line.repay("e5", "L1", "40000")) == nil)
        // Nothing outstanding: no default.
        #expect(s.append(Line.defaulted("e6", "L1"))?.hasPrefix("type:") == true)
    }

    @Test("a loan defaults once; compensation follows the default, recovery follows compensation")
    func defaultOrder() {
        let s = state(Line.person("e1", "P1"), Line.loan("e2", "L1", person: "P1"))
        #expect(s.append(Line.compensate("c0", "L1", "100"))?.contains("has not defaulted") == true)
        #expect(s.append(Line.defaulted("e3", "L1", on: "2017-01-10")) == nil)
        #expect(s.append(Line.defaulted("e4", "L1"))?.contains("already defaulted") == true)
        #expect(s.append(Line.compensate("e5", "L1", "100", on: "2017-01-09"))?.hasPrefix("effective:") == true)
        #expect(s.append(Line.guaranteeRecover("e6", "L1", "1"))?.contains("no compensation") == true)
        #expect(s.append(Line.compensate("e7", "L1", "500", on: "2017-01-10")) == nil)
        #expect(s.append(Line.guaranteeRecover("e8", "L1", "1", on: "2017-01-09"))?.hasPrefix("effective:") == true)
        #expect(s.append(Line.guaranteeRecover("e9", "L1", "500.01"))?.hasPrefix("data.amount:") == true)
        #expect(s.append(Line.guaranteeRecover("e10", "L1", "500")) == nil)
    }

    @Test("a reversal names a known, live, non-reversal event")
    func reversalTargets() {
        let s = state(Line.person("e1", "P1"), Line.certify("e2", "P1", on: "2016-02-01"))
        #expect(s.append(Line.reverse("r0", "nope"))?.contains("no event with id") == true)
        #expect(s.append(Line.reverse("r1", "e2")) == nil)
        #expect(s.append(Line.reverse("r2", "e2"))?.contains("already reversed") == true)
        #expect(s.append(Line.reverse("r3", "r1"))?.contains("cannot be reversed") == true)
        // The reversal joined the person's stream.
        #expect(s.streams["person:P1"]?.version == 3)
    }

    @Test("a reversal whose target live events depend on is refused until those are reversed")
    func reversalDependencies() {
        let s = state(Line.person("e1", "P1"), Line.grant("e2", "G1", person: "P1"), Line.recover("e3", "G1", amount: "10"),
                      Line.loan("e4", "L1", person: "P1"), Line.defaulted("e5", "L1"), Line.compensate("e6", "L1", "500"),
                      Line.guaranteeRecover("e7", "L1", "100"))
        #expect(s.append(Line.reverse("r1", "e1"))?.contains("depend") == true)
        #expect(s.append(Line.reverse("r2", "e2"))?.contains("depend") == true)
        #expect(s.append(Line.reverse("r3", "e5"))?.contains("compensation") == true)
        #expect(s.append(Line.reverse("r4", "e6"))?.contains("recoveries") == true)
        #expect(s.append(Line.reverse("r5", "e7")) == nil)
        #expect(s.append(Line.reverse("r6", "e6")) == nil)
        #expect(s.append(Line.reverse("r7", "e5")) == nil)
        #expect(s.append(Line.reverse("r8", "e3")) == nil)
        #expect(s.append(Line.reverse("r9", "e2")) == nil)
        #expect(s.append(Line.reverse("r10", "e1"))?.contains("depend") == true)  // the loan still names P1
        #expect(s.append(Line.reverse("r11", "e4")) == nil)
        #expect(s.append(Line.reverse("r12", "e1")) == nil)
        // The person no longer exists for new events.
        #expect(s.append(Line.certify("e8", "P1", on: "2017-07-01"))?.contains("no longer exists") == true)
    }

    @Test("a reversed recovery frees its amount again")
    func reversedRecovery() {
        let s = state(Line.person("e1", "P1"), Line.grant("e2", "G1", person: "P1", amount: "1000"),
                      Line.recover("e3", "G1", amount: "1000"), Line.reverse("r1", "e3"))
        #expect(s.append(Line.recover("e4", "G1", amount: "1000")) == nil)
    }

    @Test("expect checks the stream's version")
    func optimisticConcurrency() {
        let s = state(Line.person("e1", "P1"), Line.certify("e2", "P1", on: "2016-02-01"))
        let stale = #"{"id":"e3","type":"person.certified","effective":"2016-03-01","expect":{"stream":"person:P1","version":1},"data":{"person":"P1","kind":"veteran"}}"#
        #expect(s.append(stale)?.hasPrefix("expect.version: stream person:P1 is at version 2, not 1") == true)
        let current = #"{"id":"e4","type":"person.certified","effective":"2016-03-01","expect":{"stream":"person:P1","version":2},"data":{"person":"P1","kind":"veteran"}}"#
        #expect(s.append(current) == nil)
        let reversal = #"{"id":"e5","type":"entry.reversed","effective":"2016-03-01","expect":{"stream":"loan:X","version":3},"data":{"target":"e4","reason":"x"}}"#
        #expect(s.append(reversal)?.hasPrefix("expect.stream:") == true)
    }

    @Test("a refused event leaves the state exactly as it was")
    func refusalIsClean() {
        let s = state(Line.person("e1", "P1"), Line.grant("e2", "G1", person: "P1"))
        let before = s.streams
        #expect(s.append(Line.loan("e3", "L1", person: "P9")) != nil)
        #expect(s.append(Line.reverse("e4", "e1")) != nil)
        #expect(s.streams == before)
    }
}
