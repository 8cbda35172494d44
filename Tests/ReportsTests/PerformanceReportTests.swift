import LedgerCore
import Projections
import Reports
import Testing

@Suite("report performance")
struct PerformanceReportTests {
    /// Findings as the audit would give them, placed by their trigger.
    let findings = [
        PerformanceReport.FindingInput(rule: "FUND-OVERDRAFT", trigger: "g8"),  // 220204, fiscal 2016
        PerformanceReport.FindingInput(rule: "ONCE-ONLY", trigger: "g2"),  // 220102, fiscal 2016
        PerformanceReport.FindingInput(rule: "LOAN-CAP", trigger: "l2"),  // loan issued 2016 at 220102
        PerformanceReport.FindingInput(rule: "DUPLICATE-PERIOD", trigger: "g7"),  // the 2015 line: another year
        PerformanceReport.FindingInput(rule: "WRITEOFF-BASIS", trigger: "w3"),  // written off 2016, loan of 220122
        PerformanceReport.FindingInput(rule: "ELIGIBILITY", trigger: "zz"),  // not a live event
    ]

    func report(_ level: RegionLevel?, region: String? = nil, findings: [PerformanceReport.FindingInput]? = nil) throws -> PerformanceReport {
        let live = try events(history)
        return try PerformanceReport(balances: Balances(liveEvents: live), liveEvents: live, findings: findings ?? self.findings,
                                     fiscalYear: 2016, level: level, scope: RegionScope(region), asOfSeq: 7)
    }

    @Test("prefectures: execution rate over lines with transfers and recoveries")
    func executionRates() throws {
        let r = try report(.prefecture)
        #expect(r.regions.map(\.code) == ["220100", "220200"])
        let changchun = r.regions[0], jilin = r.regions[1]
        // 220102 + 220122: received 330,000 + 60,000 (the 20,000 between them cancels);
        // paid 19,000 + 4,500; recovered 3,000.50.
        #expect(changchun.received == yuan("390000"))
        #expect(changchun.paid == yuan("23500"))
        #expect(changchun.recovered == yuan("3000.50"))
        // (23,500 − 3,000.50) ÷ 390,000 = 0.05256…
        #expect(changchun.executionRate == "0.0526")
        // 220202 (200,000 in, 8,400 paid), guarantee/220202 (500,000; 60,000 paid, 5,000 back),
        // 220204 (1,000; 1,500 paid): (69,900 − 5,000) ÷ 701,000 = 0.09258…
        #expect(jilin.received == yuan("701000"))
        #expect(jilin.paid == yuan("69900"))
        #expect(jilin.recovered == yuan("5000"))
        #expect(jilin.executionRate == "0.0926")
        #expect(jilin.discounted == yuan("1200"))
        #expect(jilin.compensated == yuan("60000"))
    }

    @Test("roll-ups from county to province add up")
    func rollUps() throws {
        let all = try report(nil)
        #expect(all.regions.map(\.code) == ["220000", "220100", "220102", "220122", "220200", "220202", "220204"])
        let byCode = Dictionary(uniqueKeysWithValues: all.regions.map { ($0.code, $0) })
        func region(_ code: String) throws -> PerformanceReport.Region { try #require(byCode[code], "no region \(code)") }
        func sum(_ codes: [String], _ figure: (PerformanceReport.Region) -> Money) throws -> Money {
            Money(fen: try codes.reduce(0) { $0 + figure(try region($1)).fen })
        }
        for figure in [\PerformanceReport.Region.received, \.paid, \.recovered, \.discounted, \.compensated, \.writtenOff] {
            #expect(try region("220100")[keyPath: figure] == sum(["220102", "220122"], { $0[keyPath: figure] }))
            #expect(try region("220200")[keyPath: figure] == sum(["220202", "220204"], { $0[keyPath: figure] }))
        }
        // The province adds its own line (500,000 left after sending 500,000 down; 250,000 of training) to its prefectures'.
        let province = try region("220000")
        #expect(province.received == yuan("1591000"))
        #expect(try province.received == sum(["220100", "220200"], \.received) + yuan("500000"))
        #expect(province.paid == yuan("343400"))
        #expect(province.recovered == yuan("8000.50"))
        // (343,400 − 8,000.50) ÷ 1,591,000 = 0.21081…
        #expect(province.executionRate == "0.2108")
        #expect(province.levelText == "province")
        #expect(try report(.county).regions.map(\.code) == ["220102", "220122", "220202", "220204"])
        #expect(try report(.province).regions.map(\.code) == ["220000"])
    }

    @Test("people and enterprises: distinct per programme, from the year's live grants; subsidy per person net of recoveries")
    func people() throws {
        let r = try report(.prefecture)
        let changchun = r.regions[0], jilin = r.regions[1]
        // P1 twice (G1, G2) and P2 (G3); G7 is a 2015 grant.
        #expect(changchun.people == ["si-difficulty": 2])
        #expect(changchun.enterprises == ["internship": 1])
        #expect(changchun.peopleTotal == 2)
        // (6,000 + 3,000 + 4,500 − 1,000.50) ÷ 2 = 6,249.75.
        #expect(changchun.subsidyPerPerson == ["si-difficulty": yuan("6249.75")])
        #expect(jilin.people == ["si-graduate": 1])
        #expect(jilin.enterprises == ["si-graduate": 1])
        #expect(jilin.subsidyPerPerson == ["si-graduate": yuan("7200")])
        let province = try report(.province).regions[0]
        #expect(province.people == ["si-difficulty": 2, "si-graduate": 1])
        #expect(province.peopleTotal == 3)
        #expect(province.enterprisesTotal == 2)
    }

    @Test("loans: the year's issues, their defaults, compensations and write-offs; write-offs of the year at the loan's region")
    func loans() throws {
        let r = try report(.prefecture)
        let changchun = r.regions[0], jilin = r.regions[1]
        // L2 (400,000, enterprise) is 长春's only 2016 loan; L3 was issued in 2015.
        #expect(changchun.loans.count == 1)
        #expect(changchun.loans.amount == yuan("400000"))
        #expect(changchun.defaultRate == "0.0000")
        // L3's 10,000 write-off is in 2016, at 220122.
        #expect(changchun.writtenOff == yuan("10000"))
        // L1: 100,000, defaulted, 60,000 compensated, 20,000 written off.
        #expect(jilin.loans == PerformanceReport.LoanCohort(count: 1, amount: yuan("100000"), defaulted: 1, compensated: yuan("60000"),
                                                            writtenOff: yuan("20000")))
        #expect(jilin.defaultRate == "1.0000")
        #expect(jilin.compensationRate == "0.6000")
        #expect(jilin.writeOffRate == "0.2000")
        let province = try report(.province).regions[0]
        #expect(province.defaultRate == "0.5000")
        #expect(province.compensationRate == "0.1200")
        #expect(province.writeOffRate == "0.0400")
        #expect(province.writtenOff == yuan("30000"))
        // 220122 had no loan in 2016: no rate.
        let county = try report(.county, region: "220122").regions[0]
        #expect(county.loans.count == 0)
        #expect(county.defaultRate == nil)
    }

    @Test("findings are placed by their trigger's budget line, or the loan's region and the event's year")
    func findingsByRule() throws {
        let r = try report(.prefecture)
        #expect(r.regions[0].findings == ["LOAN-CAP": 1, "ONCE-ONLY": 1, "WRITEOFF-BASIS": 1])
        #expect(r.regions[1].findings == ["FUND-OVERDRAFT": 1])
        #expect(r.findingsWithoutRegion == ["ELIGIBILITY": 1])
        let unaudited = try PerformanceReport(balances: Balances(liveEvents: events(history)), liveEvents: events(history), findings: nil,
                                              fiscalYear: 2016, level: .prefecture, scope: .all, asOfSeq: 7)
        #expect(!unaudited.audited)
        #expect(unaudited.renderTable().hasSuffix("(no audit was run)\n"))
    }

    @Test("--region keeps the rows inside it")
    func regionScope() throws {
        #expect(try report(nil, region: "220200").regions.map(\.code) == ["220200", "220202", "220204"])
        #expect(try report(.province, region: "220200").regions.isEmpty)
    }

    @Test("JSON: the documented fields first, rates as strings or null, added fields after")
    func json() throws {
        let json = try report(.county, region: "220122").renderJSON()
        #expect(json == """
            {"regions":[
            {"region":"220122","level":"county","received":"60000.00","paid":"4500.00","recovered":"0.00","executionRate":"0.0750","people":{"si-difficulty":1},"enterprises":{},"loansIssued":{"count":0,"amount":"0.00","defaulted":0,"compensated":"0.00","writtenOff":"0.00"},"defaultRate":null,"compensated":"0.00","writtenOff":"10000.00","discounted":"0.00","findings":{"WRITEOFF-BASIS":1},"peopleTotal":1,"enterprisesTotal":0,"subsidyPerPerson":{"si-difficulty":"4500.00"},"compensationRate":null,"writeOffRate":null}
            ],
            "fiscalYear":2016,
            "level":"county",
            "region":"220122",
            "audited":true,
            "findingsWithoutRegion":{"ELIGIBILITY":1},
            "asOfSeq":7}

            """)
        let csv = try report(.county, region: "220122").renderCSV()
        #expect(csv.hasPrefix("region,level,received,paid,recovered,executionRate,people,enterprises,loansIssuedCount,"))
        #expect(csv.hasSuffix("\r\n220122,county,60000.00,4500.00,0.00,0.0750,si-difficulty=1,,0,0.00,,0.00,10000.00,0.00,WRITEOFF-BASIS=1,1,0,si-difficulty=4500.00,0,0.00,0.00,,\r\n"))
    }

    @Test("rates: four decimals, half up, exact in integers at the extremes")
    func rates() {
        #expect(Rate.format(1, 3) == "0.3333")
        #expect(Rate.format(2, 3) == "0.6667")
        #expect(Rate.format(1, 8) == "0.1250")
        #expect(Rate.format(1, 20_000) == "0.0001")  // 0.00005: half up
        #expect(Rate.format(1, 20_001) == "0.0000")
        #expect(Rate.format(-1, 20_000) == "-0.0001")
        #expect(Rate.format(-1, 20_001) == "0.0000")
        #expect(Rate.format(99_995, 100_000) == "1.0000")  // the carry into the whole part
        #expect(Rate.format(3, 2) == "1.5000")
        #expect(Rate.format(0, 5) == "0.0000")
        #expect(Rate.format(5, 0) == nil)
        #expect(Rate.format(Int64.max, 1) == "9223372036854775807.0000")
        #expect(Rate.format(Int64.min, 1) == "-9223372036854775808.0000")
        #expect(Rate.format(Int64.max, Int64.max) == "1.0000")
        #expect(Rate.format(Int64.max - 1, Int64.max) == "1.0000")
        #expect(Rate.format(1, Int64.max) == "0.0000")
        #expect(Rate.divideHalfUp(yuan("0.05"), by: 2) == yuan("0.03"))
        #expect(Rate.divideHalfUp(yuan("0.05"), by: 3) == yuan("0.02"))
        #expect(Rate.divideHalfUp(yuan("-0.05"), by: 2) == yuan("-0.03"))
        #expect(Rate.divideHalfUp(Money(fen: .min), by: 1) == Money(fen: .min))
    }
}

extension PerformanceReport.Region {
    var levelText: String { level.rawValue }
}

extension Money {
    static func + (a: Money, b: Money) -> Money { Money(fen: a.fen + b.fen) }
}
