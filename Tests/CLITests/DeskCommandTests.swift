import Foundation
import Testing

/// The budget officer's desk from the command line: `warnings` and
/// `audit --compare-with / --set` (what-if), on the sample history.
@Suite("The warnings command and what-if")
struct DeskCommandTests {
    static let sample = packageRoot + "/Fixtures/sample-history.jsonl"
    static let amended = packageRoot + "/Fixtures/policy/amended"

    func ledger(_ history: String? = nil) throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", history.map { dir.file("history.jsonl", $0) } ?? Self.sample], in: dir.path)
        return dir
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    // MARK: warnings

    @Test("warnings on the sample history: as of its last day, in each format")
    func sampleWarnings() throws {
        let dir = try ledger()
        let table = try runOK(["warnings"], in: dir.path).stdout
        #expect(table.hasPrefix("Early warnings as of 2017-12-20, looking 90 days ahead (to 2018-03-20); policy jilin-2015 "
            + "(Fixtures/policy/seed/policy.json (built in)).\n\n1. LOAN-CAP-NEAR  person:p-008\n"), "\(table)")
        #expect(table.contains("\n3. TERM-ENDING  person:p-001  2017-12-31\n"), "\(table)")
        #expect(table.hasSuffix("LOAN-CAP-NEAR         2\nTERM-ENDING           1\n3 warnings.\n"), "\(table)")

        let object = try json(try runOK(["warnings", "--format", "json"], in: dir.path).stdout)
        #expect(object["asOf"] as? String == "2017-12-20" && object["horizonDays"] as? Int == 90)
        #expect(object["horizonEnd"] as? String == "2018-03-20" && object["policy"] as? String == "jilin-2015")
        let warnings = try #require(object["warnings"] as? [[String: Any]])
        #expect(warnings.map { $0["kind"] as? String } == ["LOAN-CAP-NEAR", "LOAN-CAP-NEAR", "TERM-ENDING"])
        #expect(warnings.map { $0["subject"] as? String } == ["person:p-008", "person:p-011", "person:p-001"])
        let term = warnings[2]
        #expect(term["date"] as? String == "2017-12-31" && term["region"] as? String == "220104" && term["fiscalYear"] as? Int == 2017)
        let figures = try #require(term["figures"] as? [String: Any])
        #expect(figures["term"] as? Int == 36 && figures["covered"] as? Int == 38 && figures["left"] as? Int == 0)
        let threshold = try #require(term["threshold"] as? [String: Any])
        #expect(threshold["parameter"] as? String == "warning-term-months-left" && threshold["value"] as? Int == 3)
        let loan = try #require(warnings[1]["figures"] as? [String: Any])
        #expect(loan["outstanding"] as? String == "150000.00" && loan["headroom"] as? String == "-50000.00")

        let csv = try runOK(["warnings", "--format", "csv"], in: dir.path).stdout
        let records = AuditCommandTests.csvRecords(csv)
        #expect(records.first == ["kind", "subject", "region", "fiscalYear", "date", "clause", "figures", "threshold", "events", "message"])
        #expect(records.dropFirst().map { $0[0] } == ["LOAN-CAP-NEAR", "LOAN-CAP-NEAR", "TERM-ENDING"])
    }

    @Test("warnings follow the view: --effective-on is the as-of date, --horizon how far ahead")
    func viewAndHorizon() throws {
        let dir = try ledger()
        // On 2016-11-15 船营区's line has received 60,000 and paid 1,000 + 100,000 (e-0170, that day): 41,000 overdrawn,
        // and 100,000 paid in the 90 days up to it, so it lasts 0 more days: out on 2016-11-16.
        let object = try json(try runOK(["warnings", "--effective-on", "2016-11-15", "--horizon", "366d", "--format", "json"],
                                        in: dir.path).stdout)
        #expect(object["asOf"] as? String == "2016-11-15" && object["horizonEnd"] as? String == "2017-11-16")
        let warnings = try #require(object["warnings"] as? [[String: Any]])
        let budget = try #require(warnings.first { $0["kind"] as? String == "BUDGET-RUN-OUT" })
        #expect(budget["subject"] as? String == "fund:employment-special/220204/2016" && budget["date"] as? String == "2016-11-16")
        let figures = try #require(budget["figures"] as? [String: Any])
        #expect(figures["available"] as? String == "-41000.00" && figures["paidInWindow"] as? String == "100000.00"
            && figures["daysLasting"] as? Int == 0)
        // p-003 (female cadre, retires 2016-11-30) is paid to 2016-11 under the retirement extension.
        #expect(warnings.contains { $0["kind"] as? String == "EXTENSION-ENDING" && $0["subject"] as? String == "person:p-003"
            && $0["date"] as? String == "2016-11-30" })
        // A horizon of 0 days keeps only the dates of the as-of day itself; the loan caps have no date.
        let today = try json(try runOK(["warnings", "--effective-on", "2016-11-15", "--horizon", "0", "--format", "json"], in: dir.path).stdout)
        #expect((today["warnings"] as? [[String: Any]])?.allSatisfy { $0["kind"] as? String == "LOAN-CAP-NEAR" } == true)
        // A view of the first 10 events: no loan yet, no warning.
        let early = try runOK(["warnings", "--as-of-seq", "10"], in: dir.path).stdout
        #expect(early.hasPrefix("Early warnings as of 2015-01-05,") && early.hasSuffix("No warnings.\n"), "\(early)")

        for bad in ["90days", "-1", "d", "3661d"] {
            let refused = try run(["warnings", "--horizon", bad], in: dir.path)
            #expect(refused.status == 2 && refused.stderr.contains("--horizon"), "\(bad): \(refused.stderr)")
        }
    }

    @Test("warnings mask personal ids unless asked, and need the thresholds in the policy")
    func maskingAndPolicy() throws {
        let id = "220102199001011239"
        let dir = try ledger("""
            {"id":"p","type":"person.registered","effective":"2016-01-04","data":{"person":"\(id)","birthDate":"1990-01-01","sex":"M"}}
            {"id":"l","type":"loan.issued","effective":"2016-01-10","data":{"loan":"L","person":"\(id)","category":"individual","principal":"95000","rateBp":435,"benchmarkBp":435,"maturity":"2018-01-10","bank":"B","region":"220102"}}

            """)
        let masked = try runOK(["warnings"], in: dir.path).stdout
        #expect(masked.contains("LOAN-CAP-NEAR  person:2201**********1239") && !masked.contains(id), "\(masked)")
        let shown = try runOK(["warnings", "--show-personal-ids", "--format", "json"], in: dir.path).stdout
        #expect(shown.contains("\"subject\":\"person:\(id)\"") && shown.contains("On 2016-01-10 \(id)'s outstanding"), "\(shown)")

        // The audit's own policy directory without the warning thresholds: the audit runs, the warnings say what is missing.
        var text = try String(contentsOfFile: packageRoot + "/Fixtures/policy/seed/policy.json", encoding: .utf8)
        let start = try #require(text.range(of: "    \"warning-loan-cap-margin\": ["))
        let end = try #require(text.range(of: "    \"max-event-amount\": ["))
        text.removeSubrange(start.lowerBound..<end.lowerBound)
        try FileManager.default.createDirectory(atPath: dir.path + "/old", withIntermediateDirectories: false)
        dir.file("old/policy.json", text)
        try runOK(["audit", "--policy", dir.path + "/old"], in: dir.path)
        let refused = try run(["warnings", "--policy", dir.path + "/old"], in: dir.path)
        #expect(refused.status == 2 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("parameters.warning-loan-cap-margin: missing"), "\(refused.stderr)")
    }

    // MARK: what-if

    @Test("what-if: the amended policy changes nothing on the sample history, and the same policy never does")
    func compareWithAmended() throws {
        let dir = try ledger()
        let result = try runOK(["audit", "--compare-with", Self.amended, "--fail-on-findings"], in: dir.path)
        #expect(result.stdout == "What-if: 13 findings under jilin-2015 (Fixtures/policy/seed/policy.json (built in)), 13 under "
            + "jilin-2015-amended (\(Self.amended)/policy.json).\nNo differences.\n")
        let same = try json(try runOK(["audit", "--policy", Self.amended, "--compare-with", Self.amended, "--format", "json"], in: dir.path).stdout)
        #expect((same["changes"] as? [Any])?.isEmpty == true && (same["summary"] as? [Any])?.isEmpty == true)
    }

    @Test("what-if with --set: the summary, the list, JSON and CSV; exit 3 on a difference with --fail-on-findings")
    func setOverride() throws {
        let dir = try ledger()
        let set = ["audit", "--set", "loan-cap-individual=150000.00@2016-01-01"]
        let table = try runOK(set, in: dir.path).stdout
        #expect(table == """
            What-if: 13 findings under jilin-2015 (Fixtures/policy/seed/policy.json (built in)), 12 under jilin-2015 (Fixtures/policy/seed/policy.json (built in) with --set loan-cap-individual=150000.00@2016-01-01).

            RULE      REGION  YEAR  APPEARED  DISAPPEARED  CHANGED    BEFORE  AFTER  DIFFERENCE
            --------  ------  ----  --------  -----------  -------  --------  -----  ----------
            LOAN-CAP  220102  2016         0            1        0  10000.00   0.00   -10000.00
            TOTAL                          0            1        0  10000.00   0.00   -10000.00

            1. disappeared  LOAN-CAP  person:p-006  trigger e-0102  10000.00
               Issuing ln-05 (60000.00) on 2016-03-15 brings p-006's outstanding guaranteed principal to 110000.00, above the 100000.00 cap for an individual loan then in force (clause 十一): 10000.00 over.

            1 difference: 0 appeared, 1 disappeared, 0 changed; money at stake -10000.00.

            """, "\(firstDifference(table, ""))")
        let failing = try run(set + ["--fail-on-findings"], in: dir.path)
        #expect(failing.status == 3 && failing.stdout == table)

        let object = try json(try runOK(set + ["--format", "json"], in: dir.path).stdout)
        #expect((object["base"] as? [String: Any])?["findings"] as? Int == 13)
        #expect((object["other"] as? [String: Any])?["findings"] as? Int == 12)
        let summary = try #require(object["summary"] as? [[String: Any]])
        #expect(summary.count == 1 && summary[0]["rule"] as? String == "LOAN-CAP" && summary[0]["fiscalYear"] as? Int == 2016
            && summary[0]["difference"] as? String == "-10000.00" && summary[0]["disappeared"] as? Int == 1)
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.count == 1 && changes[0]["change"] as? String == "disappeared" && changes[0]["trigger"] as? String == "e-0102"
            && changes[0]["before"] as? String == "10000.00" && changes[0]["after"] is NSNull)
        #expect((changes[0]["finding"] as? [String: Any])?["amount"] as? String == "10000.00")

        let csv = AuditCommandTests.csvRecords(try runOK(set + ["--format", "csv"], in: dir.path).stdout)
        #expect(csv.first == ["change", "rule", "clause", "subject", "trigger", "region", "fiscalYear", "before", "after", "difference", "message"])
        #expect(Array(csv[1].prefix(10)) == ["disappeared", "LOAN-CAP", "十一", "person:p-006", "e-0102", "220102", "2016", "10000.00", "",
                                             "-10000.00"])

        // --rule limits both audits: nothing of LOAN-CAP, no difference.
        #expect(try runOK(set + ["--rule", "DISCOUNT-RATE"], in: dir.path).stdout.hasSuffix("No differences.\n"))
    }

    @Test("what-if refuses a bad --set, an unreadable --compare-with and --explain, with exit 2")
    func whatIfErrors() throws {
        let dir = try ledger()
        let misspelt = try run(["audit", "--set", "loan-cap-individal=150000@2016-01-01"], in: dir.path)
        #expect(misspelt.status == 2 && misspelt.stdout.isEmpty)
        #expect(misspelt.stderr.contains(#"has no parameter "loan-cap-individal"; did you mean "loan-cap-individual"?"#), "\(misspelt.stderr)")
        let undated = try run(["audit", "--set", "loan-cap-individual=150000"], in: dir.path)
        #expect(undated.status == 2 && undated.stderr.contains("NAME=VALUE@YYYY-MM-DD"), "\(undated.stderr)")
        let missing = try run(["audit", "--compare-with", dir.path + "/nowhere"], in: dir.path)
        #expect(missing.status == 2 && missing.stderr.contains("--compare-with: \(dir.path)/nowhere/policy.json"), "\(missing.stderr)")
        let explain = try run(["audit", "--explain", "e-0102", "--compare-with", Self.amended], in: dir.path)
        #expect(explain.status == 2 && explain.stderr.contains("--explain explains one audit"), "\(explain.stderr)")
    }

    /// The lines README.md shows after `command`, up to the next command or the end of the block.
    static func readmeOutput(after command: String) throws -> [String] {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: command) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.hasPrefix("$ ") && !$0.hasPrefix("```") })
    }

    @Test("the README's warnings and what-if examples are the tool's output (the lines it shows, in order)")
    func readmeExamples() throws {
        let dir = try ledger()
        for command in ["warnings --effective-on 2016-11-15", "audit --set loan-cap-individual=150000.00@2016-01-01"] {
            let shown = try Self.readmeOutput(after: "$ subsidy-ledger " + command)
            #expect(shown.count >= 3, "README.md has no `\(command)` example")
            let output = try runOK(command.split(separator: " ").map(String.init), in: dir.path).stdout
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // Each run of shown lines between the "…" elisions appears in the output, in order.
            var position = 0
            for line in shown where line != "…" {
                let found = output[position...].firstIndex(of: line)
                #expect(found != nil, "\(command): README line not in the output, in order: \(line)")
                position = (found ?? position) + 1
            }
        }
    }
}
