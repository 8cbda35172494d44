import LedgerCore
import Projections
import Reports
import Testing

/// Parses JSON lines (all valid) into events, in log order.
func events(_ lines: [String]) throws -> [Event] {
    try lines.map { try EventParser().parse($0) }
}

/// Yuan to money, for expectations: `yuan("-500")`. A mistyped amount
/// fails the test (not the whole runner).
func yuan(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Money {
    let negative = text.hasPrefix("-")
    switch Money.parsePositive(negative ? String(text.dropFirst()) : text) {
    case .success(let money): return negative ? Money(fen: -money.fen) : money
    case .failure(let error):
        Issue.record("\"\(text)\" is not an amount: \(error)", sourceLocation: sourceLocation)
        return Money(fen: .min)
    }
}

/// JSON lines for the hand-worked history below.
enum Make {
    static func appropriate(_ id: String, _ fund: String, _ region: String, _ year: Int, _ amount: String) -> String {
        #"{"id":"\#(id)","type":"fund.appropriated","effective":"\#(year)-01-04","data":{"fund":"\#(fund)","region":"\#(region)","fiscalYear":\#(year),"amount":"\#(amount)"}}"#
    }
    static func transfer(_ id: String, _ from: String, _ to: String, _ amount: String) -> String {
        #"{"id":"\#(id)","type":"fund.transferred","effective":"2016-01-20","data":{"fund":"employment-special","fromRegion":"\#(from)","toRegion":"\#(to)","fiscalYear":2016,"amount":"\#(amount)"}}"#
    }
    static func person(_ id: String, _ p: String) -> String {
        #"{"id":"\#(id)","type":"person.registered","effective":"2015-01-05","data":{"person":"\#(p)","birthDate":"1980-05-01","sex":"M"}}"#
    }
    static func enterprise(_ id: String, _ e: String, _ region: String) -> String {
        #"{"id":"\#(id)","type":"enterprise.registered","effective":"2015-01-05","data":{"enterprise":"\#(e)","size":"small","region":"\#(region)"}}"#
    }
    /// A grant; `subjects` is the JSON of its person/enterprise fields (may be empty).
    static func grant(_ id: String, _ g: String, _ programme: String, _ subjects: String, _ amount: String, region: String,
                      fund: String = "employment-special", year: Int = 2016, on day: String = "2016-06-15", voucher: String? = nil) -> String {
        let voucherField = voucher.map { #","voucher":"\#($0)""# } ?? ""
        return #"{"id":"\#(id)","type":"subsidy.granted","effective":"\#(day)","data":{"grant":"\#(g)","program":"\#(programme)"\#(subjects.isEmpty ? "" : "," + subjects),"amount":"\#(amount)","fund":"\#(fund)","region":"\#(region)","fiscalYear":\#(year)\#(voucherField)}}"#
    }
    static func recover(_ id: String, _ g: String, _ amount: String) -> String {
        #"{"id":"\#(id)","type":"subsidy.recovered","effective":"2016-09-01","data":{"grant":"\#(g)","amount":"\#(amount)"}}"#
    }
    static func loan(_ id: String, _ l: String, _ borrower: String, _ category: String, _ principal: String, region: String, on day: String) -> String {
        #"{"id":"\#(id)","type":"loan.issued","effective":"\#(day)","data":{"loan":"\#(l)",\#(borrower),"category":"\#(category)","principal":"\#(principal)","rateBp":435,"benchmarkBp":435,"maturity":"2019-01-01","bank":"B","region":"\#(region)"}}"#
    }
    static func discount(_ id: String, _ l: String, _ amount: String, region: String, voucher: String) -> String {
        #"{"id":"\#(id)","type":"loan.interestDiscounted","effective":"2016-07-10","data":{"loan":"\#(l)","periodStart":"2016-04-01","periodEnd":"2016-06-30","amount":"\#(amount)","fund":"employment-special","region":"\#(region)","fiscalYear":2016,"voucher":"\#(voucher)"}}"#
    }
    static func defaulted(_ id: String, _ l: String, on day: String) -> String {
        #"{"id":"\#(id)","type":"loan.defaulted","effective":"\#(day)","data":{"loan":"\#(l)"}}"#
    }
    static func compensate(_ id: String, _ l: String, _ amount: String, region: String, voucher: String) -> String {
        #"{"id":"\#(id)","type":"guarantee.compensated","effective":"2016-11-20","data":{"loan":"\#(l)","amount":"\#(amount)","fund":"guarantee","region":"\#(region)","fiscalYear":2016,"voucher":"\#(voucher)"}}"#
    }
    static func guaranteeRecover(_ id: String, _ l: String, _ amount: String, region: String) -> String {
        #"{"id":"\#(id)","type":"guarantee.recovered","effective":"2016-12-10","data":{"loan":"\#(l)","amount":"\#(amount)","fund":"guarantee","region":"\#(region)","fiscalYear":2016}}"#
    }
    static func writeOff(_ id: String, _ l: String, _ amount: String, on day: String) -> String {
        #"{"id":"\#(id)","type":"guarantee.writtenOff","effective":"\#(day)","data":{"loan":"\#(l)","amount":"\#(amount)","approval":"W"}}"#
    }
}

/// A province (220000) with two prefectures: 长春 220100 (counties 220102,
/// 220122) and 吉林 220200 (counties 220202, 220204). Every figure the tests
/// expect is worked out by hand in the comments of the tests.
let history: [String] = [
    Make.appropriate("a0", "employment-special", "220102", 2015, "10000"),
    Make.appropriate("a1", "employment-special", "220000", 2016, "1000000"),
    Make.transfer("t1", "220000", "220102", "300000"),
    Make.transfer("t2", "220000", "220202", "200000"),
    Make.appropriate("a2", "employment-special", "220102", 2016, "50000"),
    Make.appropriate("a3", "employment-special", "220122", 2016, "40000"),
    Make.transfer("t3", "220102", "220122", "20000"),
    Make.appropriate("a4", "guarantee", "220202", 2016, "500000"),
    Make.appropriate("a5", "employment-special", "220204", 2016, "1000"),
    Make.person("p1", "P1"), Make.person("p2", "P2"), Make.person("p3", "P3"),
    Make.enterprise("n1", "E1", "220102"), Make.enterprise("n2", "E2", "220202"),
    Make.grant("g7", "G7", "si-difficulty", #""person":"P2""#, "2000", region: "220102", year: 2015, on: "2015-06-15", voucher: "V007"),
    Make.grant("g1", "G1", "si-difficulty", #""person":"P1""#, "6000", region: "220102", voucher: "V001"),
    Make.grant("g2", "G2", "si-difficulty", #""person":"P1""#, "3000", region: "220102", voucher: "V002"),
    Make.grant("g3", "G3", "si-difficulty", #""person":"P2""#, "4500", region: "220122", voucher: "V003"),
    Make.grant("g4", "G4", "internship", #""enterprise":"E1""#, "10000", region: "220102", voucher: "V004"),
    Make.grant("g5", "G5", "si-graduate", #""person":"P3","enterprise":"E2""#, "7200", region: "220202", voucher: "V005"),
    Make.grant("g6", "G6", "training", "", "250000", region: "220000", voucher: "V006"),
    Make.grant("g8", "G8", "service", "", "1500", region: "220204", voucher: "V010"),
    Make.recover("r1", "G1", "1000.50"),
    Make.recover("r2", "G4", "2000"),
    Make.loan("l3", "L3", #""person":"P2""#, "individual", "50000", region: "220122", on: "2015-06-01"),
    Make.loan("l1", "L1", #""person":"P3""#, "individual", "100000", region: "220202", on: "2016-03-01"),
    Make.loan("l2", "L2", #""enterprise":"E1""#, "enterprise", "400000", region: "220102", on: "2016-05-01"),
    Make.discount("d1", "L1", "1200", region: "220202", voucher: "V008"),
    Make.defaulted("f3", "L3", on: "2016-02-01"),
    Make.writeOff("w3", "L3", "10000", on: "2016-06-01"),
    Make.defaulted("f1", "L1", on: "2016-11-01"),
    Make.compensate("c1", "L1", "60000", region: "220202", voucher: "V009"),
    Make.guaranteeRecover("y1", "L1", "5000", region: "220202"),
    Make.writeOff("w1", "L1", "20000", on: "2016-12-20"),
]
