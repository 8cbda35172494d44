import LedgerCore
import Projections
import Reports
import Testing

@Suite("reconcile --statement: matching treasury lines to ledger payments by voucher")
struct StatementMatchingTests {
    /// Two more city awards under one voucher (a ledger-side duplicate) and a
    /// service purchase without a voucher.
    let extra = [
        Make.grant("g9", "G9", "city-award", "", "400", region: "220000", voucher: "V011"),
        Make.grant("g10", "G10", "city-award", "", "400", region: "220000", voucher: "V011"),
        Make.grant("g11", "G11", "service", "", "300", region: "220102"),
    ]

    /// One line of each outcome; line numbers in the comments.
    let statementText = """
        date,voucher,fund,region,amount
        2016-06-15,V001,employment-special,220102,6000.00
        2016-06-15,V002,employment-special,220102,3300.00
        2016-06-15,V004,employment-special,220102,10000
        2016-06-16,V004,employment-special,220102,10000
        2016-06-15,V005,employment-special,220204,7200
        2016-06-15,V006,employment-special,220000,250000
        2016-06-15,V007,employment-special,220102,2000
        2016-12-30,V999,employment-special,220102,100
        2016-07-10,V008,employment-special,220202,1200
        2016-11-20,V009,guarantee,220202,60000
        2016-06-15,V010,employment-special,220204,1500
        2016-06-15,V011,employment-special,220000,800

        """

    func match(_ region: String? = nil) throws -> StatementReconciliation {
        let statement = try TreasuryStatement.parse(Array(statementText.utf8), file: "t.csv")
        return try StatementReconciliation(statement: statement, liveEvents: events(history + extra), fiscalYear: 2016,
                                           scope: RegionScope(region), asOfSeq: 99)
    }

    @Test("every kind of difference, each voucher in exactly one outcome")
    func everyKind() throws {
        let r = try match()
        #expect(r.matched == ["V001", "V006", "V008", "V009", "V010"])
        // V002: the treasury paid 300 more than the ledger records.
        #expect(r.mismatches.map { [$0.voucher, $0.payment.event, String($0.line.line), $0.payment.amount.yuan, $0.line.amount.yuan,
                                    $0.difference.yuan] } == [["V002", "g2", "3", "3000.00", "3300.00", "300.00"]])
        // V003 (g3, 4,500) never reached the treasury.
        #expect(r.missingInStatement.map(\.event) == ["g3"])
        // V007 is a payment of the 2015 line; V999 is unknown to the ledger.
        #expect(r.missingInLedger.map { $0.line.voucher } == ["V007", "V999"])
        #expect(r.missingInLedger.map { $0.line.line } == [8, 9])
        #expect(r.missingInLedger[0].elsewhere?.event == "g7")
        #expect(r.missingInLedger[0].elsewhere?.line.fiscalYear == 2015)
        #expect(r.missingInLedger[1].elsewhere == nil)
        // V004 is twice in the statement, V011 twice in the ledger: duplicates, not matches.
        #expect(r.duplicates.map { "\($0.voucher) \($0.side.rawValue)" } == ["V004 statement", "V011 ledger"])
        #expect(r.duplicates[0].lines == [4, 5])
        #expect(r.duplicates[0].events == ["g4"])
        #expect(r.duplicates[0].ledger == yuan("10000"))
        #expect(r.duplicates[0].statement == yuan("20000"))
        #expect(r.duplicates[1].events == ["g9", "g10"])
        #expect(r.duplicates[1].ledger == yuan("800"))
        #expect(r.duplicates[1].statement == yuan("800"))
        // V005: same amount, booked to 220202 in the ledger but paid for 220204.
        #expect(r.misattributed.map { [$0.voucher, $0.payment.line.region, $0.line.region] } == [["V005", "220202", "220204"]])
        #expect(r.withoutVoucher.map(\.event) == ["g11"])
        #expect(r.differenceCount == 7)
        #expect(!r.reconciles)
        #expect(r.ledgerPayments == 11)
        #expect(r.statementLines == 12)
    }

    @Test("JSON has the five documented lists first, each entry with the documented fields first")
    func json() throws {
        let json = try match().renderJSON()
        #expect(json.hasPrefix("""
            {"matched":["V001","V006","V008","V009","V010"],
            "mismatches":[
            {"voucher":"V002","ledger":"3000.00","statement":"3300.00","difference":"300.00","event":"g2","line":3}
            ],
            "missingInLedger":[
            {"voucher":"V007","line":8,"amount":"2000.00","date":"2016-06-15","fund":"employment-special","region":"220102","elsewhere":{"event":"g7","amount":"2000.00","fund":"employment-special","region":"220102","fiscalYear":2015}},
            {"voucher":"V999","line":9,"amount":"100.00","date":"2016-12-30","fund":"employment-special","region":"220102","elsewhere":null}
            ],
            "missingInStatement":[
            {"voucher":"V003","event":"g3","amount":"4500.00","date":"2016-06-15","fund":"employment-special","region":"220122","program":"si-difficulty"}
            ],
            "duplicates":[
            {"voucher":"V004","side":"statement","lines":[4,5],"events":["g4"],"ledger":"10000.00","statement":"20000.00"},
            {"voucher":"V011","side":"ledger","lines":[13],"events":["g9","g10"],"ledger":"800.00","statement":"800.00"}
            ],
            "misattributed":[
            {"voucher":"V005","event":"g5","line":6,"ledgerFund":"employment-special","statementFund":"employment-special","ledgerRegion":"220202","statementRegion":"220204"}
            ],
            "withoutVoucher":[
            {"event":"g11","amount":"300.00","date":"2016-06-15","fund":"employment-special","region":"220102","program":"service"}
            ],
            "fiscalYear":2016,
            "region":null,
            "statement":"t.csv",
            """))
        #expect(json.hasSuffix("\"differences\":7,\n\"asOfSeq\":99}\n"))
    }

    @Test("--region keeps the payments of the region's lines and the statement lines of the region")
    func regionScope() throws {
        let r = try match("220100")
        // In 长春: V001–V004 and V007/V999 on the statement; V005, V006, V008–V011 are elsewhere.
        #expect(r.matched == ["V001"])
        #expect(r.mismatches.map(\.voucher) == ["V002"])
        #expect(r.missingInStatement.map(\.event) == ["g3"])
        #expect(r.missingInLedger.map(\.line.voucher) == ["V007", "V999"])
        #expect(r.duplicates.map(\.voucher) == ["V004"])
        #expect(r.misattributed.isEmpty)
        #expect(r.withoutVoucher.map(\.event) == ["g11"])
    }

    @Test("a statement line of another region naming a payment in scope is caught as misattributed")
    func wrongRegionInScope() throws {
        let text = "date,voucher,fund,region,amount\n2016-06-15,V003,employment-special,220202,4500\n"
        let statement = try TreasuryStatement.parse(Array(text.utf8), file: "t.csv")
        let r = try StatementReconciliation(statement: statement, liveEvents: events(history), fiscalYear: 2016,
                                            scope: RegionScope("220122"), asOfSeq: 1)
        #expect(r.misattributed.map(\.voucher) == ["V003"])
        #expect(r.matched.isEmpty)
        #expect(!r.reconciles)
    }

    @Test("a voucher on both sides with another fund and another amount is a mismatch and misattributed, one difference")
    func mismatchAndMisattributed() throws {
        let text = "date,voucher,fund,region,amount\n2016-06-15,V001,guarantee,220102,6001\n"
        let statement = try TreasuryStatement.parse(Array(text.utf8), file: "t.csv")
        let r = try StatementReconciliation(statement: statement, liveEvents: events(history), fiscalYear: 2016,
                                            scope: RegionScope("220102"), asOfSeq: 1)
        #expect(r.mismatches.map(\.difference) == [yuan("1")])
        #expect(r.misattributed.map { [$0.payment.line.fund, $0.line.fund] } == [["employment-special", "guarantee"]])
        // V002 and V004 of 220102 are missing from this statement.
        #expect(r.missingInStatement.map(\.voucher) == ["V002", "V004"])
        #expect(r.differenceCount == 3)
    }

    @Test("a statement equal to the ledger reconciles")
    func equal() throws {
        let payments = try events(history).compactMap(LedgerPayment.init).filter { $0.line.fiscalYear == 2016 && $0.voucher != nil }
        var text = "voucher,amount,date,region,fund\r\n"  // another column order
        for p in payments.reversed() { text += "\(p.voucher!),\(p.amount.yuan),\(p.date),\(p.line.region),\(p.line.fund)\r\n" }
        let statement = try TreasuryStatement.parse(Array(text.utf8), file: "t.csv")
        let r = try StatementReconciliation(statement: statement, liveEvents: events(history), fiscalYear: 2016, scope: .all, asOfSeq: 1)
        #expect(r.reconciles)
        #expect(r.matched == ["V001", "V002", "V003", "V004", "V005", "V006", "V008", "V009", "V010"])
        #expect(r.renderTable().hasSuffix("9 vouchers matched; everything reconciles.\n"))
        #expect(r.renderCSV().split(separator: "\r\n").count == 10)
    }

    @Test("a reversed payment is not a ledger payment")
    func reversed() throws {
        // Live events leave out g2 once it is reversed: its voucher is then missing in the ledger.
        let live = try events(history).filter { $0.id != "g2" }
        let text = "date,voucher,fund,region,amount\n2016-06-15,V002,employment-special,220102,3000\n"
        let statement = try TreasuryStatement.parse(Array(text.utf8), file: "t.csv")
        let r = try StatementReconciliation(statement: statement, liveEvents: live, fiscalYear: 2016, scope: RegionScope("220102"),
                                            asOfSeq: 1)
        #expect(r.missingInLedger.map(\.line.voucher) == ["V002"])
    }
}
