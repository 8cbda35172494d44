import Foundation
import Testing

/// `reconcile` and `report performance` on the sample history
/// (Fixtures/sample-history.jsonl; the statement's planted differences are
/// described at the end of Fixtures/sample-history.md).
@Suite("reconcile and report performance")
struct ReconcileCommandTests {
    let history = packageRoot + "/Fixtures/sample-history.jsonl"
    let statement = packageRoot + "/Fixtures/sample-statement.csv"

    func sampleLedger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", history], in: dir.path)
        return dir
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("the sample statement shows exactly the four planted differences, and exits 3")
    func plantedDifferences() throws {
        let dir = try sampleLedger()
        let result = try run(["reconcile", "--fiscal-year", "2016", "--statement", statement, "--format", "json"], in: dir.path)
        #expect(result.status == 3, "\(result.stderr)")
        let object = try json(result.stdout)
        let matched = object["matched"] as? [String] ?? []
        // 63 payments with a voucher: one mismatched, one missing from the statement, and the
        // duplicated V2016-000031 not counted as matched.
        #expect(matched.count == 60)
        #expect(!matched.contains("V2016-000031"))
        #expect(matched == matched.sorted())
        let mismatches = object["mismatches"] as? [[String: Any]] ?? []
        #expect(mismatches.count == 1)
        #expect(mismatches.first?["voucher"] as? String == "V2016-000046")
        #expect(mismatches.first?["ledger"] as? String == "1560.00")
        #expect(mismatches.first?["statement"] as? String == "1650.00")
        #expect(mismatches.first?["difference"] as? String == "90.00")
        #expect(mismatches.first?["event"] as? String == "e-0154")
        #expect(mismatches.first?["line"] as? Int == 48)
        let missingInLedger = object["missingInLedger"] as? [[String: Any]] ?? []
        #expect(missingInLedger.count == 1)
        #expect(missingInLedger.first?["voucher"] as? String == "V2016-000999")
        #expect(missingInLedger.first?["line"] as? Int == 65)
        #expect(missingInLedger.first?["amount"] as? String == "4800.00")
        let missingInStatement = object["missingInStatement"] as? [[String: Any]] ?? []
        #expect(missingInStatement.count == 1)
        #expect(missingInStatement.first?["voucher"] as? String == "V2016-000050")
        #expect(missingInStatement.first?["event"] as? String == "e-0158")
        #expect(missingInStatement.first?["amount"] as? String == "1667.50")
        let duplicates = object["duplicates"] as? [[String: Any]] ?? []
        #expect(duplicates.count == 1)
        #expect(duplicates.first?["voucher"] as? String == "V2016-000031")
        #expect(duplicates.first?["side"] as? String == "statement")
        #expect(duplicates.first?["lines"] as? [Int] == [32, 33])
        #expect((object["misattributed"] as? [Any])?.isEmpty == true)
        // The city award e-0174 has no voucher: listed, but not a difference.
        #expect((object["withoutVoucher"] as? [[String: Any]])?.map { $0["event"] as? String } == ["e-0174"])
        #expect(object["differences"] as? Int == 4)

        let table = try run(["reconcile", "--fiscal-year", "2016", "--statement", statement], in: dir.path)
        #expect(table.status == 3)
        #expect(table.stdout.hasSuffix("60 vouchers matched; 4 vouchers differ: 1 amount mismatch, 1 missing in the ledger, "
            + "1 missing in the statement, 1 duplicate.\n"))
        let csv = try run(["reconcile", "--fiscal-year", "2016", "--statement", statement, "--format", "csv"], in: dir.path)
        #expect(csv.status == 3)
        #expect(csv.stdout.contains("\r\nmismatch,V2016-000046,,e-0154,48,1560.00,1650.00,90.00,employment-special,220202,employment-special,220202\r\n"))
    }

    @Test("a statement equal to the ledger exits 0")
    func equalStatement() throws {
        let dir = try sampleLedger()
        // The sample statement with its planted differences undone.
        var lines = try String(contentsOfFile: statement, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[47] == "2016-09-15,V2016-000046,employment-special,220202,1650.00")
        lines[47] = "2016-09-15,V2016-000046,employment-special,220202,1560.00"
        #expect(lines[64].hasPrefix("2016-12-28,V2016-000999,"))
        lines.remove(at: 64)
        #expect(lines[32] == lines[31])
        lines.remove(at: 32)
        lines.insert("2016-10-12,V2016-000050,employment-special,220202,1667.50", at: 50)
        let fixed = dir.file("fixed.csv", "\u{FEFF}" + lines.joined(separator: "\r\n"))
        let result = try run(["reconcile", "--fiscal-year", "2016", "--statement", fixed], in: dir.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("63 vouchers matched; everything reconciles.\n"))
    }

    @Test("a malformed statement exits 2 naming every bad line, and nothing is matched")
    func malformedStatement() throws {
        let dir = try sampleLedger()
        let bad = dir.file("bad.csv", "date,voucher,fund,region,amount\n2016-01-10,V2016-000001,employment-special,220102,abc\n"
            + "2016-01-14,V2016-000002,employment-special,220104,1239.44\n2016-13-01,V2016-000003,employment-special,220102,782.00\n")
        let result = try run(["reconcile", "--fiscal-year", "2016", "--statement", bad, "--format", "json"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("\(bad):2: amount: \"abc\" is not an amount in yuan"))
        #expect(result.stderr.contains("\(bad):4: date: \"2016-13-01\" is not a calendar date YYYY-MM-DD"))
        #expect(result.stderr.contains("2 problems in the statement; nothing was matched"))
        let missing = dir.file("missing.csv", "date,voucher,fund,amount\n")
        let header = try run(["reconcile", "--fiscal-year", "2016", "--statement", missing], in: dir.path)
        #expect(header.status == 2)
        #expect(header.stderr.contains("\(missing):1: header: no \"region\" column"))
        let absent = try run(["reconcile", "--fiscal-year", "2016", "--statement", dir.path + "/absent.csv"], in: dir.path)
        #expect(absent.status == 2)
        #expect(absent.stderr.contains("cannot read"))
        #expect(try run(["reconcile", "--fiscal-year", "2016", "--region", "2201"], in: dir.path).status == 2)
        #expect(try run(["reconcile", "--fiscal-year", "16"], in: dir.path).status == 2)
        #expect(try run(["report", "performance", "--fiscal-year", "2016", "--level", "city"], in: dir.path).status == 2)
    }

    @Test("budget lines of a year: a prefecture rolls up its counties; nothing overdrawn at the end of 2016")
    func budgetLines() throws {
        let dir = try sampleLedger()
        let result = try run(["reconcile", "--fiscal-year", "2016", "--region", "220200", "--format", "json"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result.stdout)
        let lines = object["lines"] as? [[String: Any]] ?? []
        #expect(lines.map { "\($0["fund"] as? String ?? "")/\($0["region"] as? String ?? "")" } == [
            "employment-special/220202", "employment-special/220204", "guarantee/220202",
            "unemployment-insurance/220202", "unemployment-insurance/220204",
        ])
        // 船营区: its 60,000 and the supplementary 100,000 (e-0171); 1,000 + 100,000 paid.
        let chuanying = lines[1]
        #expect(chuanying["received"] as? String == "160000.00")
        #expect(chuanying["paid"] as? String == "101000.00")
        #expect(chuanying["available"] as? String == "59000.00")
        #expect(chuanying["overdrawn"] as? Bool == false)
        #expect((object["totals"] as? [String: Any])?["received"] as? String == "2260000.00")
        // Before the supplementary appropriation (seq 171) the line was overdrawn.
        let before = try run(["reconcile", "--fiscal-year", "2016", "--region", "220204", "--as-of-seq", "170"], in: dir.path)
        #expect(before.stdout.contains("OVERDRAWN"))
        #expect(before.stdout.contains("Overdrawn (paid out more than received, net of recoveries): employment-special/220204 -41000.00."))
    }

    @Test("a report taken with --as-of-seq N is byte-identical after more events are appended")
    func asOfReproducibility() throws {
        let dir = try sampleLedger()
        let commands: [[String]] = [
            ["reconcile", "--fiscal-year", "2016", "--statement", statement, "--format", "json"],
            ["reconcile", "--fiscal-year", "2016", "--statement", statement],
            ["reconcile", "--fiscal-year", "2016", "--format", "csv"],
            ["report", "performance", "--fiscal-year", "2016", "--level", "prefecture", "--format", "json"],
            ["report", "performance", "--fiscal-year", "2016"],
        ]
        func take(_ extra: [String]) throws -> [String] {
            try commands.map { try run($0 + extra, in: dir.path).stdout }
        }
        let before = try take(["--as-of-seq", "242"])
        #expect(before == (try take([])))
        // A 2016 payment the statement lacks, and the reversal of a matched one.
        let more = dir.file("more.jsonl", """
            {"id":"x-0001","type":"subsidy.granted","effective":"2016-12-30","data":{"grant":"gx-1","program":"training","amount":"100","fund":"employment-special","region":"220102","fiscalYear":2016,"voucher":"V2016-X"}}
            {"id":"x-0002","type":"entry.reversed","effective":"2017-12-31","data":{"target":"e-0154","reason":"keyed in error"}}

            """)
        try runOK(["import", more], in: dir.path)
        #expect(try take(["--as-of-seq", "242"]) == before)
        let after = try take([])
        for index in commands.indices { #expect(after[index] != before[index], "\(commands[index])") }
        let object = try json(after[0])
        #expect((object["missingInStatement"] as? [[String: Any]])?.map { $0["voucher"] as? String } == ["V2016-000050", "V2016-X"])
        #expect((object["missingInLedger"] as? [[String: Any]])?.map { $0["voucher"] as? String } == ["V2016-000046", "V2016-000999"])
    }

    @Test("report performance: the documented fields per region, findings from the audit, --ledger before the subcommand")
    func performance() throws {
        let dir = try sampleLedger()
        let result = try run(["--ledger", dir.path + "/ledger", "report", "performance", "--fiscal-year", "2016", "--level", "province",
                              "--format", "json"], in: "/")
        #expect(result.status == 0, "\(result.stderr)")
        let regions = try json(result.stdout)["regions"] as? [[String: Any]] ?? []
        #expect(regions.count == 1)
        let province = try #require(regions.first)
        for key in ["region", "level", "received", "paid", "recovered", "executionRate", "people", "enterprises", "loansIssued",
                    "defaultRate", "compensated", "writtenOff", "discounted", "findings"] {
            #expect(province[key] != nil, "\(key)")
        }
        #expect(province["region"] as? String == "220000")
        // Every budget line of 2016 (`reconcile` totals: 6,920,000 received, 3,253,817.54 paid, 1,100 recovered).
        #expect(province["received"] as? String == "6920000.00")
        #expect(province["paid"] as? String == "3253817.54")
        #expect(province["recovered"] as? String == "1100.00")
        // (3,253,817.54 − 1,100) ÷ 6,920,000 = 0.47004…
        #expect(province["executionRate"] as? String == "0.4700")
        // The eight planted findings triggered in 2016.
        let findings = province["findings"] as? [String: Int] ?? [:]
        #expect(findings == ["DISCOUNT-EXCESS": 1, "DISCOUNT-OVERLAP": 1, "DUPLICATE-PERIOD": 1, "ELIGIBILITY": 1, "FUND-OVERDRAFT": 1,
                             "LOAN-CAP": 1, "LOAN-CATEGORY": 1, "PAST-RETIREMENT": 1])
        let csv = try run(["report", "performance", "--fiscal-year", "2016", "--format", "csv", "--output", "out.csv"], in: dir.path)
        #expect(csv.status == 0)
        let written = try #require(FileManager.default.contents(atPath: dir.path + "/out.csv"))
        #expect(Array(written.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: written.dropFirst(3), as: UTF8.self).hasPrefix("region,level,received,paid,recovered,executionRate,"))
    }
}
