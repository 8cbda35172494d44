import Foundation
import Testing

/// `audit` from the command line: the formats, --rule, --explain, --policy
/// and --fail-on-findings (exit 3), on the sample history (its planted
/// breaches are listed in Fixtures/sample-history.md; e-NNNN is seq NNNN)
/// and on small histories written here.
@Suite("The audit command")
struct AuditCommandTests {
    static let sample = packageRoot + "/Fixtures/sample-history.jsonl"
    static let golden = packageRoot + "/Fixtures/audit/sample-findings.json"
    static let seedName = "jilin-2015"

    func ledger(_ history: String? = nil) throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", history.map { dir.file("history.jsonl", $0) } ?? Self.sample], in: dir.path)
        return dir
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
    static func csvRecords(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? characters.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r\n" || c == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    @Test("the sample's findings: JSON equal to the reviewed golden; exit 0, or 3 with --fail-on-findings and the same output")
    func goldenAndExitCodes() throws {
        let dir = try ledger()
        let golden = try String(contentsOfFile: Self.golden, encoding: .utf8)
        let plain = try run(["audit", "--format", "json"], in: dir.path)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout == golden, "\(firstDifference(plain.stdout, golden))")
        let failing = try run(["audit", "--format", "json", "--fail-on-findings"], in: dir.path)
        #expect(failing.status == 3, "\(failing.stderr)")
        #expect(failing.stdout == golden)
        // The table too: exit 3, every finding printed first.
        let table = try run(["audit", "--fail-on-findings"], in: dir.path)
        #expect(table.status == 3)
        #expect(table.stdout.hasSuffix("13 findings against policy \(Self.seedName) (Fixtures/policy/seed/policy.json (built in)).\n"),
                "\(table.stdout.suffix(300))")
        // --output writes the same findings to a file, still exit 3.
        let written = try run(["audit", "--format", "json", "--fail-on-findings", "--output", "findings.json"], in: dir.path)
        #expect(written.status == 3 && written.stdout.isEmpty)
        #expect(try String(contentsOfFile: dir.path + "/findings.json", encoding: .utf8) == golden)
    }

    @Test("--fail-on-findings exits 0 when the view has no finding and 3 from the event that breaks a rule")
    func failOnFindingsFollowsTheView() throws {
        let dir = try ledger()
        // e-0170 overdraws employment-special/220204/2016 (sample-history.md).
        let before = try run(["audit", "--rule", "FUND-OVERDRAFT", "--as-of-seq", "169", "--fail-on-findings"], in: dir.path)
        #expect(before.status == 0, "\(before.stdout)\(before.stderr)")
        #expect(before.stdout == "No findings (policy \(Self.seedName)).\n")
        let at = try run(["audit", "--rule", "FUND-OVERDRAFT", "--as-of-seq", "170", "--fail-on-findings", "--format", "json"], in: dir.path)
        #expect(at.status == 3)
        let findings = try json(at.stdout)["findings"] as? [[String: Any]] ?? []
        #expect(findings.map { $0["trigger"] as? String } == ["e-0170"])
        #expect(findings.first?["amount"] as? String == "41000.00")
        // An empty view is no finding either.
        let empty = try run(["audit", "--as-of-seq", "0", "--fail-on-findings", "--format", "csv"], in: dir.path)
        #expect(empty.status == 0 && empty.stdout == "rule,clause,subject,trigger,events,amount,message\r\n", "\(empty.stdout)\(empty.stderr)")
    }

    @Test("--rule chooses rules (any case, repeatable); an unknown rule exits 2 naming the rules; the table cites clause and entries")
    func rules() throws {
        let dir = try ledger()
        let table = try runOK(["audit", "--rule", "LOAN-CAP"], in: dir.path)
        let lines = table.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(4)) == [
            "1. LOAN-CAP  person:p-006  10000.00 over",
            "   clause   (十一) 支持创业担保贷款发展 · Supporting start-up guarantee loans",
            "   trigger  e-0102",
            "   entries  e-0102 e-0035 e-0091",
        ], "\(table.stdout)")
        #expect(lines.contains { $0.split(separator: " ") == ["LOAN-CAP", "1", "10000.00"] }, "no summary row: \(table.stdout)")
        #expect(table.stdout.hasSuffix("\n1 finding against policy \(Self.seedName) (Fixtures/policy/seed/policy.json (built in)).\n"))
        #expect(try runOK(["audit", "--rule", "loan-cap"], in: dir.path).stdout == table.stdout)

        let csv = try runOK(["audit", "--rule", "loan-cap", "--rule", "FUND-OVERDRAFT", "--format", "csv"], in: dir.path)
        let records = Self.csvRecords(csv.stdout)
        #expect(records.first == ["rule", "clause", "subject", "trigger", "events", "amount", "message"])
        #expect(records.dropFirst().map { Array($0.prefix(6)) } == [
            ["FUND-OVERDRAFT", "三十一", "fund:employment-special/220204/2016", "e-0170", "e-0170", "41000.00"],
            ["LOAN-CAP", "十一", "person:p-006", "e-0102", "e-0102 e-0035 e-0091", "10000.00"],
        ], "\(csv.stdout)")
        // The message, with its commas, is one field.
        #expect(records.last?.count == 7)
        #expect(records.last?.last?.hasPrefix("Issuing ln-05 (60000.00) on 2016-03-15 brings p-006's outstanding") == true)

        let unknown = try run(["audit", "--rule", "LOAN-CAPS"], in: dir.path)
        #expect(unknown.status == 2 && unknown.stdout.isEmpty)
        #expect(unknown.stderr.contains("--rule: \"LOAN-CAPS\" is not one of LOAN-CAP, LOAN-CATEGORY"), "\(unknown.stderr)")
    }

    @Test("the CSV of every finding says what the JSON says; --output adds a byte-order mark")
    func csvEqualsJSON() throws {
        let dir = try ledger()
        let findings = try json(try runOK(["audit", "--format", "json"], in: dir.path).stdout)["findings"] as? [[String: Any]] ?? []
        #expect(findings.count == 13)
        let csv = try runOK(["audit", "--format", "csv"], in: dir.path)
        let rows = Array(Self.csvRecords(csv.stdout).dropFirst())
        #expect(rows.count == findings.count)
        for (row, finding) in zip(rows, findings) {
            let expected = [finding["rule"] as? String, finding["clause"] as? String, finding["subject"] as? String,
                            finding["trigger"] as? String, (finding["events"] as? [String])?.joined(separator: " "),
                            finding["amount"] as? String ?? "", finding["message"] as? String]
            #expect(row.map(Optional.some) == expected)
        }
        try runOK(["audit", "--format", "csv", "--output", "findings.csv"], in: dir.path)
        let file = try #require(FileManager.default.contents(atPath: dir.path + "/findings.csv"))
        #expect(Array(file.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: file.dropFirst(3), as: UTF8.self) == csv.stdout)
    }

    @Test("--explain walks through a finding in every format, ending with its message; an event without one exits 2")
    func explain() throws {
        let dir = try ledger()
        let message = "Issuing ln-05 (60000.00) on 2016-03-15 brings p-006's outstanding guaranteed principal to 110000.00, "
            + "above the 100000.00 cap for an individual loan then in force (clause 十一): 10000.00 over."
        let table = try runOK(["audit", "--explain", "e-0102"], in: dir.path)
        #expect(table.stdout.hasPrefix("LOAN-CAP  person:p-006  trigger e-0102  10000.00 over\n"), "\(table.stdout)")
        // The computation: both loans of p-006, the repayment, the sum against the cap.
        #expect(table.stdout.contains("    ln-01 (e-0035, issued 2015-05-12): 60000.00 − 10000.00 repaid 2016-01-15 (e-0091) = 50000.00\n"))
        #expect(table.stdout.contains("  Total 110000.00 against the cap 100000.00: 10000.00 over.\n"))
        #expect(table.stdout.hasSuffix("  Finding: " + message + "\n\n"))

        let object = try json(try runOK(["audit", "--explain", "e-0102", "--format", "json"], in: dir.path).stdout)
        let explained = try #require((object["findings"] as? [[String: Any]])?.first)
        #expect(explained["rule"] as? String == "LOAN-CAP" && explained["message"] as? String == message)
        let steps = try #require(explained["explanation"] as? [String])
        #expect(steps.count >= 3 && steps.last == "Finding: " + message)

        let csv = Self.csvRecords(try runOK(["audit", "--explain", "e-0102", "--format", "csv"], in: dir.path).stdout)
        #expect(csv.first == ["rule", "subject", "trigger", "step"])
        #expect(csv.dropFirst().map { $0.last ?? "" } == steps)
        #expect(csv.dropFirst().allSatisfy { Array($0.prefix(3)) == ["LOAN-CAP", "person:p-006", "e-0102"] })

        let lawful = try run(["audit", "--explain", "e-0001"], in: dir.path)
        #expect(lawful.status == 2 && lawful.stderr.contains("e-0001 triggers no finding in this view"), "\(lawful.stderr)")
        let otherRule = try run(["audit", "--explain", "e-0102", "--rule", "FUND-OVERDRAFT"], in: dir.path)
        #expect(otherRule.status == 2 && otherRule.stderr.contains("among the rules chosen"), "\(otherRule.stderr)")
        let unknown = try run(["audit", "--explain", "no-such-event"], in: dir.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("no live event no-such-event in this view"), "\(unknown.stderr)")
        // e-0054, keyed twice, is reversed at seq 55: before that it explains a DUPLICATE-PERIOD, after it is no live event.
        let beforeReversal = try runOK(["audit", "--explain", "e-0054", "--as-of-seq", "54"], in: dir.path)
        #expect(beforeReversal.stdout.hasPrefix("DUPLICATE-PERIOD  person:p-002  trigger e-0054  1200.00 over\n"), "\(beforeReversal.stdout)")
        let reversed = try run(["audit", "--explain", "e-0054"], in: dir.path)
        #expect(reversed.status == 2 && reversed.stderr.contains("no live event e-0054"), "\(reversed.stderr)")
    }

    /// Two individual loans of 150,000 and 200,000: above the seed's cap of
    /// 100,000; within the amended caps (150,000 from 2018-11-16, 200,000
    /// from 2020-04-15: 国发〔2018〕39号, 财金〔2020〕21号).
    static let loans = """
        {"id":"p2","type":"person.registered","effective":"2018-01-02","data":{"person":"P2","birthDate":"1985-01-01","sex":"M"}}
        {"id":"p4","type":"person.registered","effective":"2018-01-02","data":{"person":"P4","birthDate":"1985-01-01","sex":"M"}}
        {"id":"l2","type":"loan.issued","effective":"2018-11-16","data":{"loan":"L2","person":"P2","category":"individual","principal":"150000","rateBp":435,"benchmarkBp":435,"maturity":"2020-11-16","bank":"B","region":"220102"}}
        {"id":"l4","type":"loan.issued","effective":"2020-04-15","data":{"loan":"L4","person":"P4","category":"individual","principal":"200000","rateBp":435,"benchmarkBp":435,"maturity":"2022-04-15","bank":"B","region":"220102"}}

        """

    @Test("--policy DIR audits against another policy file, and names it; an unreadable policy exits 2")
    func policy() throws {
        let dir = try ledger(Self.loans)
        let seed = try run(["audit", "--fail-on-findings", "--format", "json"], in: dir.path)
        #expect(seed.status == 3)
        let findings = try json(seed.stdout)["findings"] as? [[String: Any]] ?? []
        #expect(findings.map { [$0["rule"] as? String, $0["trigger"] as? String, $0["amount"] as? String] }
            == [["LOAN-CAP", "l2", "50000.00"], ["LOAN-CAP", "l4", "100000.00"]])
        let amendedDirectory = packageRoot + "/Fixtures/policy/amended"
        let amended = try run(["audit", "--fail-on-findings", "--policy", amendedDirectory], in: dir.path)
        #expect(amended.status == 0, "\(amended.stdout)\(amended.stderr)")
        #expect(amended.stdout == "No findings (policy jilin-2015-amended).\n")
        let missing = try run(["audit", "--policy", dir.path + "/no-policy-here"], in: dir.path)
        #expect(missing.status == 2 && missing.stdout.isEmpty)
        #expect(missing.stderr.contains("--policy: \(dir.path)/no-policy-here/policy.json"), "\(missing.stderr)")
        let broken = dir.path + "/broken"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: false)
        dir.file("broken/policy.json", "{\"format\":1,")
        let refused = try run(["audit", "--policy", broken], in: dir.path)
        #expect(refused.status == 2 && refused.stderr.contains("--policy:"), "\(refused.stderr)")
    }

    /// One budget line of 1000.00 spent to exactly zero, then `extra` more.
    static func spend(extra: String?) -> String {
        var lines = [
            #"{"id":"a1","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"1000.00"}}"#,
            #"{"id":"g1","type":"subsidy.granted","effective":"2016-02-01","data":{"grant":"G1","program":"training","amount":"999.99","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
            #"{"id":"g2","type":"subsidy.granted","effective":"2016-03-01","data":{"grant":"G2","program":"training","amount":"0.01","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
        ]
        if let extra {
            lines.append(#"{"id":"g3","type":"subsidy.granted","effective":"2016-04-01","data":{"grant":"G3","program":"training","amount":"\#(extra)","fund":"employment-special","region":"220102","fiscalYear":2016}}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("FUND-OVERDRAFT from the command line: a line spent to exactly 0.00 passes (exit 0); 0.01 over fails (exit 3)")
    func overdraftBoundary() throws {
        let zero = try ledger(Self.spend(extra: nil))
        let lawful = try run(["audit", "--fail-on-findings"], in: zero.path)
        #expect(lawful.status == 0, "\(lawful.stdout)\(lawful.stderr)")
        #expect(lawful.stdout == "No findings (policy \(Self.seedName)).\n")
        let line = try runOK(["balances", "--format", "csv"], in: zero.path)
        #expect(line.stdout.contains("\r\nemployment-special,220102,2016,1000.00,1000.00,0.00,0.00,"), "\(line.stdout)")

        let over = try ledger(Self.spend(extra: "0.01"))
        let result = try run(["audit", "--fail-on-findings", "--format", "json"], in: over.path)
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let findings = try json(result.stdout)["findings"] as? [[String: Any]] ?? []
        #expect(findings.count == 1)
        #expect(findings.first?["rule"] as? String == "FUND-OVERDRAFT")
        #expect(findings.first?["trigger"] as? String == "g3")
        #expect(findings.first?["amount"] as? String == "0.01")
        #expect((findings.first?["message"] as? String)?.contains("has paid out 1000.01 against 1000.00 received: 0.01 overdrawn") == true,
                "\(findings.first?["message"] ?? "none")")
    }
}
