import LedgerCore
import Projections
import Reports
import Testing

@Suite("reconcile: budget lines of a fiscal year")
struct BudgetLineTests {
    func report(_ region: String? = nil) throws -> BudgetLineReconciliation {
        try BudgetLineReconciliation(balances: Balances(liveEvents: events(history)), fiscalYear: 2016,
                                     scope: RegionScope(region), asOfSeq: UInt64(history.count))
    }

    @Test("each line: received = appropriated + in − out, paid by programme, recovered, available; the 2015 line is left out")
    func lines() throws {
        let r = try report()
        #expect(r.rows.map { "\($0.key.fund)/\($0.key.region)" } == [
            "employment-special/220000", "employment-special/220102", "employment-special/220122",
            "employment-special/220202", "employment-special/220204", "guarantee/220202",
        ])
        // 220102: 50,000 appropriated + 300,000 in − 20,000 out = 330,000 received;
        // paid si-difficulty 6,000 + 3,000 and internship 10,000 = 19,000;
        // recovered 1,000.50 (G1) + 2,000 (G4); available 330,000 − 19,000 + 3,000.50.
        let district = r.rows[1].figures
        #expect(district.appropriated == yuan("50000"))
        #expect(district.transferredIn == yuan("300000"))
        #expect(district.transferredOut == yuan("20000"))
        #expect(district.received == yuan("330000"))
        #expect(district.paidByProgramme == ["si-difficulty": yuan("9000"), "internship": yuan("10000")])
        #expect(district.paid == yuan("19000"))
        #expect(district.recovered == yuan("3000.50"))
        #expect(district.recoveredByProgramme == ["si-difficulty": yuan("1000.50"), "internship": yuan("2000")])
        #expect(district.available == yuan("314000.50"))
        #expect(!district.overdrawn)
        // The province sends 500,000 of its 1,000,000 down and pays 250,000 of training.
        #expect(r.rows[0].figures.received == yuan("500000"))
        #expect(r.rows[0].figures.available == yuan("250000"))
        // The guarantee line pays a compensation and gets 5,000 back from the borrower.
        let guarantee = r.rows[5].figures
        #expect(guarantee.paidByProgramme == [PayoutKind.guaranteeCompensation: yuan("60000")])
        #expect(guarantee.recovered == yuan("5000"))
        #expect(guarantee.available == yuan("445000"))
        // 220202's discount is a payout of its own kind.
        #expect(r.rows[3].figures.paidByProgramme == ["si-graduate": yuan("7200"), PayoutKind.interestDiscount: yuan("1200")])
    }

    @Test("a line that paid more than it received is overdrawn")
    func overdrawn() throws {
        let r = try report()
        // 220204 received 1,000 and paid 1,500 of services.
        #expect(r.overdrawnRows.map(\.key.region) == ["220204"])
        #expect(r.overdrawnRows[0].figures.available == yuan("-500"))
        #expect(r.renderJSON().contains(#""region":"220204","fiscalYear":2016,"received":"1000.00","paid":"1500.00","recovered":"0.00","available":"-500.00""#))
        #expect(r.renderJSON().contains(#""overdrawn":true}"#))
        #expect(r.renderTable().contains("OVERDRAWN"))
        #expect(r.renderCSV().contains("employment-special,220204,2016,1000.00,1500.00,0.00,-500.00,1000.00,0.00,0.00,true,service=1500.00,\r\n"))
    }

    @Test("totals add the lines; transfers inside the scope cancel out")
    func totals() throws {
        let t = try report().totals
        // 1,000,000 + 50,000 + 40,000 + 500,000 + 1,000 appropriated; the 520,000 moved between lines cancels.
        #expect(t.appropriated == yuan("1591000"))
        #expect(t.transferredIn == yuan("520000"))
        #expect(t.transferredOut == yuan("520000"))
        #expect(t.received == yuan("1591000"))
        // 250,000 + 19,000 + 4,500 + 8,400 + 1,500 + 60,000.
        #expect(t.paid == yuan("343400"))
        #expect(t.recovered == yuan("8000.50"))
        #expect(t.available == yuan("1255600.50"))
    }

    @Test("--region rolls counties up by code: a prefecture takes its counties, a county only itself")
    func regionScope() throws {
        let prefecture = try report("220100")
        #expect(prefecture.rows.map(\.key.region) == ["220102", "220122"])
        // Within 长春 the 20,000 from 220102 to 220122 cancels; 300,000 came from the province.
        #expect(prefecture.totals.received == yuan("390000"))
        #expect(prefecture.totals.transferredIn == yuan("320000"))
        #expect(prefecture.totals.available == yuan("369500.50"))
        let county = try report("220122")
        #expect(county.rows.map(\.key.region) == ["220122"])
        #expect(county.totals.received == yuan("60000"))
        #expect(county.totals.available == yuan("55500"))
        let province = try report("220000")
        #expect(province.totals == (try report()).totals)
        #expect(try report("230000").rows.isEmpty)
    }

    @Test("JSON: lines, totals, the year, the region and the sequence number of the view")
    func json() throws {
        let json = try report("220122").renderJSON()
        #expect(json == """
            {"lines":[
            {"fund":"employment-special","region":"220122","fiscalYear":2016,"received":"60000.00","paid":"4500.00","recovered":"0.00","available":"55500.00","appropriated":"40000.00","transferredIn":"20000.00","transferredOut":"0.00","paidByProgram":{"si-difficulty":"4500.00"},"recoveredByProgram":{},"overdrawn":false}
            ],
            "totals":{"received":"60000.00","paid":"4500.00","recovered":"0.00","available":"55500.00","appropriated":"40000.00","transferredIn":"20000.00","transferredOut":"0.00","paidByProgram":{"si-difficulty":"4500.00"},"recoveredByProgram":{},"overdrawnLines":0},
            "fiscalYear":2016,
            "region":"220122",
            "asOfSeq":\(history.count)}

            """)
    }
}
