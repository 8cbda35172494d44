import LedgerCore
import Projections
import Testing

/// Events by id, for reversals and recoveries.
final class MemoryLookup: EventLookup {
    var byID: [String: Event] = [:]
    var grants: [String: Event] = [:]
    func event(withID id: String) throws -> Event? { byID[id] }
    func grant(_ id: String) throws -> Event? { grants[id] }
}

/// Folds JSON lines (all assumed valid) into balances under `view`; seq is the line's position.
func fold(_ lines: [String], view: LedgerView = .all) throws -> Balances {
    let lookup = MemoryLookup()
    var balances = Balances()
    for (index, line) in lines.enumerated() {
        let event = try EventParser().parse(line)
        lookup.byID[event.id] = event
        if event.type == .subsidyGranted { lookup.grants[try #require(event.data.string(.grant))] = event }
        guard view.inPrefix(seq: UInt64(index + 1), recordedMicros: 0) else { break }
        try balances.apply(event, view: view, lookup: lookup)
    }
    return balances
}

/// Yuan to money, for expectations: `yuan("-500")`. A mistyped amount
/// fails the test (not the whole runner).
func yuan(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Money {
    switch Money.parsePositive(text.hasPrefix("-") ? String(text.dropFirst()) : text) {
    case .success(let money): return money.negated(text.hasPrefix("-"))
    case .failure(let error):
        Issue.record("\"\(text)\" is not an amount: \(error)", sourceLocation: sourceLocation)
        return Money(fen: .min)
    }
}

extension Money {
    func negated(_ yes: Bool) -> Money { yes ? Money(fen: -fen) : self }
}

/// A small history whose balances are worked out by hand in the tests below.
let history: [String] = [
    #"{"id":"a1","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220100","fiscalYear":2016,"amount":"100000"}}"#,
    #"{"id":"a2","type":"fund.transferred","effective":"2016-01-20","data":{"fund":"employment-special","fromRegion":"220100","toRegion":"220102","fiscalYear":2016,"amount":"30000"}}"#,
    #"{"id":"p1","type":"person.registered","effective":"2016-01-05","data":{"person":"P1","birthDate":"1966-05-01","sex":"F"}}"#,
    #"{"id":"p2","type":"person.registered","effective":"2016-01-05","data":{"person":"P2","birthDate":"1993-05-01","sex":"M"}}"#,
    #"{"id":"e1","type":"enterprise.registered","effective":"2016-01-05","data":{"enterprise":"E1","size":"small","region":"220102"}}"#,
    #"{"id":"g1","type":"subsidy.granted","effective":"2016-07-01","data":{"grant":"G1","program":"si-difficulty","person":"P1","periodStart":"2016-01","periodEnd":"2016-06","amount":"6000","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
    #"{"id":"g2","type":"subsidy.granted","effective":"2016-10-01","data":{"grant":"G2","program":"si-difficulty","person":"P1","periodStart":"2016-04","periodEnd":"2016-09","amount":"6000","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
    #"{"id":"r1","type":"subsidy.recovered","effective":"2016-08-01","data":{"grant":"G1","amount":"1000.50"}}"#,
    #"{"id":"g3","type":"subsidy.granted","effective":"2016-06-01","data":{"grant":"G3","program":"si-graduate","person":"P2","enterprise":"E1","periodStart":"2016-03-10","periodEnd":"2016-05-31","amount":"1500","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
    #"{"id":"l1","type":"loan.issued","effective":"2016-03-15","data":{"loan":"L1","person":"P2","category":"graduate","principal":"100000","rateBp":435,"benchmarkBp":435,"maturity":"2018-03-14","bank":"B","region":"220102"}}"#,
    #"{"id":"l2","type":"loan.interestDiscounted","effective":"2016-06-30","data":{"loan":"L1","periodStart":"2016-03-15","periodEnd":"2016-06-30","amount":"1305","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
    #"{"id":"l3","type":"loan.repaid","effective":"2016-09-30","data":{"loan":"L1","principal":"20000"}}"#,
    #"{"id":"l4","type":"loan.defaulted","effective":"2017-01-15","data":{"loan":"L1"}}"#,
    #"{"id":"l5","type":"guarantee.compensated","effective":"2017-02-01","data":{"loan":"L1","amount":"80000","fund":"guarantee","region":"220102","fiscalYear":2017}}"#,
    #"{"id":"l6","type":"guarantee.recovered","effective":"2017-05-01","data":{"loan":"L1","amount":"10000","fund":"guarantee","region":"220102","fiscalYear":2017}}"#,
    #"{"id":"l7","type":"guarantee.writtenOff","effective":"2017-12-01","data":{"loan":"L1","amount":"5000","approval":"W-1"}}"#,
    #"{"id":"x1","type":"entry.reversed","effective":"2017-12-15","data":{"target":"g2","reason":"duplicate"}}"#,
]

@Suite("Balances as pure folds")
struct BalancesTests {
    let city = BudgetLineKey(fund: "employment-special", region: "220100", fiscalYear: 2016)
    let district = BudgetLineKey(fund: "employment-special", region: "220102", fiscalYear: 2016)
    let guarantee = BudgetLineKey(fund: "guarantee", region: "220102", fiscalYear: 2017)

    @Test("budget lines: transfers between regions, payouts by programme, recoveries, an overdrawn line")
    func budgetLines() throws {
        let b = try fold(history)
        #expect(b.lines[city]?.received == yuan("70000"))
        #expect(b.lines[city]?.transferredOut == yuan("30000"))
        #expect(b.lines[city]?.available == yuan("70000"))
        let d = try #require(b.lines[district])
        #expect(d.received == yuan("30000"))
        // G1 6000 (G2 reversed) + G3 1500 + discount 1305.
        #expect(d.paid == yuan("8805"))
        #expect(d.paidByProgramme == ["si-difficulty": yuan("6000"), "si-graduate": yuan("1500"), "interest-discount": yuan("1305")])
        #expect(d.recovered == yuan("1000.50"))
        #expect(d.available == yuan("22195.50"))
        let g = try #require(b.lines[guarantee])
        #expect(g.paid == yuan("80000") && g.recovered == yuan("10000"))
        #expect(g.available == yuan("-70000"))
        #expect(g.available.yuan == "-70000.00")
    }

    @Test("people and enterprises per programme: net of recoveries, distinct months, first approval")
    func peopleAndEnterprises() throws {
        let b = try fold(history)
        let p1 = try #require(b.people[.init(person: "P1", programme: "si-difficulty")])
        #expect(p1.granted == yuan("6000"))
        #expect(p1.net == yuan("4999.50"))
        #expect(p1.months == 6)
        #expect(p1.firstApproval?.description == "2016-07-01")
        // A date period covers every month it touches: 10 March – 31 May is 3 months.
        #expect(b.people[.init(person: "P2", programme: "si-graduate")]?.months == 3)
        #expect(b.enterprises[.init(enterprise: "E1", programme: "si-graduate")]?.granted == yuan("1500"))
    }

    @Test("loans: outstanding after a partial repayment, discounts, compensation, recovery, write-off, status")
    func loans() throws {
        let b = try fold(history)
        let loan = try #require(b.loans["L1"])
        #expect(loan.borrower == "person:P2" && loan.category == "graduate")
        #expect(loan.outstanding == yuan("80000"))
        #expect(loan.discounted == yuan("1305"))
        #expect(loan.compensated == yuan("80000") && loan.recovered == yuan("10000") && loan.writtenOff == yuan("5000"))
        #expect(loan.status == "written-off")
        #expect(try fold(Array(history.prefix(13))).loans["L1"]?.status == "defaulted")
        #expect(try fold(Array(history.prefix(12))).loans["L1"]?.status == "active")
    }

    @Test("a prefix before the reversal still counts the reversed grant; the reversal takes it out")
    func reversalByPrefix() throws {
        let before = try fold(history, view: LedgerView(asOfSeq: 16))
        let p1 = try #require(before.people[.init(person: "P1", programme: "si-difficulty")])
        #expect(p1.granted == yuan("12000"))
        #expect(p1.months == 9)
        #expect(before.lines[district]?.paid == yuan("14805"))
        let after = try fold(history)
        #expect(after.lines[district]?.paid == yuan("8805"))
    }

    @Test("--effective-on keeps events effective by the date; a later-dated reversal still removes its target")
    func effectiveOn() throws {
        // On 2016-09-30: G2 (2016-10-01) does not count yet, the recovery (2016-08-01) does.
        let b = try fold(history, view: LedgerView(effectiveOn: CalendarDate.parse("2016-09-30")))
        let p1 = try #require(b.people[.init(person: "P1", programme: "si-difficulty")])
        #expect(p1.granted == yuan("6000") && p1.recovered == yuan("1000.50"))
        #expect(b.loans["L1"]?.outstanding == yuan("80000"))
        #expect(b.lines[guarantee] == nil)
        // On 2016-12-31 G2 would count, but its reversal is in the log (dated 2017-12-15): it is out.
        let end = try fold(history, view: LedgerView(effectiveOn: CalendarDate.parse("2016-12-31")))
        #expect(end.people[.init(person: "P1", programme: "si-difficulty")]?.granted == yuan("6000"))
    }

    @Test("folding a reversal and its target leaves nothing behind")
    func reversalCancels() throws {
        let lines = [history[2], history[0], history[5],
                     #"{"id":"x","type":"entry.reversed","effective":"2016-12-01","data":{"target":"g1","reason":"r"}}"#]
        let b = try fold(lines)
        #expect(b.people.isEmpty)
        #expect(b.lines[district] == nil)
    }
}

@Suite("Counted sets")
struct CountedSetTests {
    @Test("counts rise and fall; a value leaves at zero; the minimum follows")
    func counts() {
        var set = CountedSet<Int>()
        set.add(5, 1); set.add(3, 1); set.add(9, 2); set.add(5, 1)
        #expect(set.items == [3, 5, 9])
        #expect(set.count(of: 5) == 2 && set.count(of: 9) == 2 && set.count(of: 4) == 0)
        set.add(3, -1)
        #expect(set.min == 5 && set.count == 2)
        set.add(5, -2); set.add(9, -2)
        #expect(set.isEmpty && set.min == nil)
    }
}

@Suite("Removing events")
struct RemovalTests {
    @Test("removing a grant and its recovery leaves no trace, in either order")
    func removeGrantAndRecovery() throws {
        let lookup = MemoryLookup()
        var events: [Event] = []
        for line in [history[2], history[0], history[5], history[7]] {
            let event = try EventParser().parse(line)
            lookup.byID[event.id] = event
            if event.type == .subsidyGranted { lookup.grants[try #require(event.data.string(.grant))] = event }
            events.append(event)
        }
        var base = Balances()
        try base.apply(events[1], lookup: lookup)
        for order in [[2, 3], [3, 2]] {
            var b = Balances()
            for event in events { try b.apply(event, lookup: lookup) }
            for index in order { try b.remove(events[index], lookup: lookup) }
            #expect(b.people.isEmpty, "order \(order)")
            #expect(StateCodec.canonicalBytes(b) == StateCodec.canonicalBytes(base), "order \(order)")
        }
    }
}
