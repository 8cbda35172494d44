import Foundation
import Testing

/// `balances` from the command line, on a small history whose every figure
/// is worked out by hand below: each `--by` in table, JSON and CSV, the
/// roll-up of counties to prefectures and the province, and the views.
@Suite("The balances command")
struct BalancesCommandTests {
    /// Province 220000 with prefectures 220100 (counties 220102, 220104) and
    /// 220200 (county 220202); one fund, fiscal year 2016.
    static let history = """
        {"id":"a1","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"10000"}}
        {"id":"a2","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220202","fiscalYear":2016,"amount":"5000"}}
        {"id":"a3","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220000","fiscalYear":2016,"amount":"100000"}}
        {"id":"t1","type":"fund.transferred","effective":"2016-01-10","data":{"fund":"employment-special","fromRegion":"220000","toRegion":"220104","fiscalYear":2016,"amount":"2000"}}
        {"id":"p1","type":"person.registered","effective":"2015-01-05","data":{"person":"P1","birthDate":"1980-05-01","sex":"M"}}
        {"id":"n1","type":"enterprise.registered","effective":"2015-01-05","data":{"enterprise":"E1","size":"small","region":"220202"}}
        {"id":"g1","type":"subsidy.granted","effective":"2016-04-01","data":{"grant":"G1","program":"si-difficulty","person":"P1","periodStart":"2016-01","periodEnd":"2016-03","amount":"1500.50","fund":"employment-special","region":"220102","fiscalYear":2016}}
        {"id":"g2","type":"subsidy.granted","effective":"2016-05-01","data":{"grant":"G2","program":"internship","enterprise":"E1","amount":"3000","fund":"employment-special","region":"220202","fiscalYear":2016}}
        {"id":"r1","type":"subsidy.recovered","effective":"2016-06-01","data":{"grant":"G1","amount":"500.25"}}
        {"id":"l1","type":"loan.issued","effective":"2016-02-01","data":{"loan":"L1","person":"P1","category":"individual","principal":"100000","rateBp":435,"benchmarkBp":435,"maturity":"2018-02-01","bank":"B","region":"220102"}}
        {"id":"y1","type":"loan.repaid","effective":"2016-08-01","data":{"loan":"L1","principal":"20000"}}

        """

    /// What each grouping must show: the CSV header (the JSON keys, in
    /// order), the rows, and the table's TOTAL row (nil: the table has none).
    struct Expected {
        var grouping: String
        var jsonName: String
        var header: [String]
        var rows: [[String]]
        var total: [String]?
    }

    static let expected: [Expected] = [
        // Received = appropriations + transfers in − transfers out; available = received − paid + recovered.
        // 220000: 100000 − 2000 sent to 220104. 220102: 10000 − 1500.50 + 500.25 = 8999.75. 220202: 5000 − 3000.
        Expected(grouping: "fund", jsonName: "lines",
                 header: ["fund", "region", "fiscalYear", "received", "paid", "recovered", "available", "appropriated",
                          "transferredIn", "transferredOut"],
                 rows: [["employment-special", "220000", "2016", "98000.00", "0.00", "0.00", "98000.00", "100000.00", "0.00", "2000.00"],
                        ["employment-special", "220102", "2016", "10000.00", "1500.50", "500.25", "8999.75", "10000.00", "0.00", "0.00"],
                        ["employment-special", "220104", "2016", "2000.00", "0.00", "0.00", "2000.00", "0.00", "2000.00", "0.00"],
                        ["employment-special", "220202", "2016", "5000.00", "3000.00", "0.00", "2000.00", "5000.00", "0.00", "0.00"]],
                 total: ["TOTAL", "115000.00", "4500.50", "500.25", "110999.75", "115000.00", "2000.00", "2000.00"]),
        // Counties roll up to their prefecture and the province; the transfer
        // inside the province cancels out there (115000 = all appropriations).
        Expected(grouping: "region", jsonName: "regions",
                 header: ["region", "level", "received", "paid", "recovered", "available"],
                 rows: [["220000", "province", "115000.00", "4500.50", "500.25", "110999.75"],
                        ["220100", "prefecture", "12000.00", "1500.50", "500.25", "10999.75"],
                        ["220102", "county", "10000.00", "1500.50", "500.25", "8999.75"],
                        ["220104", "county", "2000.00", "0.00", "0.00", "2000.00"],
                        ["220200", "prefecture", "5000.00", "3000.00", "0.00", "2000.00"],
                        ["220202", "county", "5000.00", "3000.00", "0.00", "2000.00"]],
                 total: nil),
        // G1 covers 2016-01 … 2016-03: three months; net 1500.50 − 500.25.
        Expected(grouping: "person", jsonName: "people",
                 header: ["person", "program", "granted", "recovered", "net", "months", "firstApproval", "grants"],
                 rows: [["P1", "si-difficulty", "1500.50", "500.25", "1000.25", "3", "2016-04-01", "1"]],
                 total: ["TOTAL", "1500.50", "500.25", "1000.25", "1"]),
        Expected(grouping: "enterprise", jsonName: "enterprises",
                 header: ["enterprise", "program", "granted", "recovered", "net", "grants"],
                 rows: [["E1", "internship", "3000.00", "0.00", "3000.00", "1"]],
                 total: ["TOTAL", "3000.00", "0.00", "3000.00", "1"]),
        // 100000 lent, 20000 repaid: 80000 outstanding.
        Expected(grouping: "loan", jsonName: "loans",
                 header: ["loan", "borrower", "category", "principal", "repaid", "outstanding", "discounted", "compensated",
                          "recovered", "writtenOff", "status", "region", "issued"],
                 rows: [["L1", "person:P1", "individual", "100000.00", "20000.00", "80000.00", "0.00", "0.00", "0.00", "0.00",
                         "active", "220102", "2016-02-01"]],
                 total: ["TOTAL", "100000.00", "20000.00", "80000.00", "0.00", "0.00", "0.00", "0.00"]),
        Expected(grouping: "program", jsonName: "programs",
                 header: ["program", "paid", "recovered", "net", "people", "enterprises"],
                 rows: [["internship", "3000.00", "0.00", "3000.00", "0", "1"],
                        ["si-difficulty", "1500.50", "500.25", "1000.25", "1", "0"]],
                 total: ["TOTAL", "4500.50", "500.25", "4000.25"]),
    ]

    func ledger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        let imported = try runOK(["import", dir.file("history.jsonl", Self.history)], in: dir.path)
        try #require(imported.stdout.hasPrefix("appended 11, duplicates 0, rejected 0"), "\(imported.stdout)")
        return dir
    }

    /// A JSON value as the CSV and the table print it.
    static func text(_ value: Any?) -> String {
        switch value {
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        case let other?: return "\(other)"
        case nil: return "(absent)"
        }
    }

    @Test("every --by in table, JSON and CSV shows the hand-worked figures, with totals")
    func everyGroupingAndFormat() throws {
        let dir = try ledger()
        for expected in Self.expected {
            let by = ["balances", "--by", expected.grouping]

            let csv = try runOK(by + ["--format", "csv"], in: dir.path)
            let csvLines = ([expected.header] + expected.rows).map { $0.joined(separator: ",") + "\r\n" }.joined()
            #expect(csv.stdout == csvLines, "--by \(expected.grouping) --format csv: \(firstDifference(csv.stdout, csvLines))")

            let json = try runOK(by + ["--format", "json"], in: dir.path)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(Array(object.keys) == [expected.jsonName], "--by \(expected.grouping) --format json")
            let rows = try #require(object[expected.jsonName] as? [[String: Any]], "--by \(expected.grouping): \(json.stdout)")
            #expect(rows.map { row in expected.header.map { Self.text(row[$0]) } } == expected.rows, "--by \(expected.grouping) --format json")

            let table = try runOK(by, in: dir.path)
            let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(lines.first?.first == expected.header[0].uppercased(), "--by \(expected.grouping): \(table.stdout)")
            // A header, a rule, the rows, then (with totals) a rule and TOTAL.
            let body = Array(lines.dropFirst(2).prefix(expected.rows.count))
            #expect(body == expected.rows, "--by \(expected.grouping): \(table.stdout)")
            if let total = expected.total {
                #expect(lines.count == expected.rows.count + 4, "--by \(expected.grouping): \(table.stdout)")
                #expect(lines.last == total, "--by \(expected.grouping): \(table.stdout)")
            } else {
                #expect(lines.count == expected.rows.count + 2, "--by \(expected.grouping): \(table.stdout)")
            }
        }
    }

    @Test("--output writes CSV with a byte-order mark, the same rows; the default is --by fund; a bad --by exits 2")
    func outputAndUsage() throws {
        let dir = try ledger()
        try runOK(["balances", "--by", "region", "--format", "csv", "--output", "regions.csv"], in: dir.path)
        let written = try #require(FileManager.default.contents(atPath: dir.path + "/regions.csv"))
        #expect(Array(written.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let shown = try runOK(["balances", "--by", "region", "--format", "csv"], in: dir.path).stdout
        #expect(String(decoding: written.dropFirst(3), as: UTF8.self) == shown)
        #expect(try runOK(["balances"], in: dir.path).stdout == (try runOK(["balances", "--by", "fund"], in: dir.path).stdout))
        let bad = try run(["balances", "--by", "city"], in: dir.path)
        #expect(bad.status == 2 && bad.stderr.contains("--by: \"city\" is not one of fund, person, enterprise, loan, program, region"),
                "\(bad.status) \(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }

    @Test("the roll-ups follow the view: before the recovery (--as-of-seq 8), and by business date (--effective-on)")
    func views() throws {
        let dir = try ledger()
        func regions(_ extra: [String]) throws -> [String: [String]] {
            let result = try runOK(["balances", "--by", "region", "--format", "csv"] + extra, in: dir.path)
            var byCode: [String: [String]] = [:]
            for line in result.stdout.split(separator: "\r\n").dropFirst() {
                let fields = line.split(separator: ",").map(String.init)
                byCode[fields[0]] = Array(fields.dropFirst(2))
            }
            return byCode
        }
        // Seq 8 is g2: the recovery r1 (seq 9) not yet recorded. 220102: 10000 − 1500.50.
        let before = try regions(["--as-of-seq", "8"])
        #expect(before["220102"] == ["10000.00", "1500.50", "0.00", "8499.50"])
        #expect(before["220100"] == ["12000.00", "1500.50", "0.00", "10499.50"])
        #expect(before["220000"] == ["115000.00", "4500.50", "0.00", "110499.50"])
        // By 2016-04-30 G1 (2016-04-01) is paid, G2 (2016-05-01) not yet, nor the recovery.
        let april = try regions(["--effective-on", "2016-04-30"])
        #expect(april["220200"] == ["5000.00", "0.00", "0.00", "5000.00"])
        #expect(april["220000"] == ["115000.00", "1500.50", "0.00", "113499.50"])
        // Before anything was effective (2015-12-31): no budget line yet.
        #expect(try regions(["--effective-on", "2015-12-31"]).isEmpty)
    }
}
