import Foundation
import Testing

/// Personal identity numbers are masked in every output unless
/// `--show-personal-ids` is given (docs/EVENTS.md, "Personal data").
@Suite("Personal identity numbers in output")
struct PersonalIDTests {
    /// Two valid resident identity numbers (GB 11643 check character) that
    /// mask alike, and a third used inside a loan id.
    static let first = "220102199001011239"
    static let second = "220102195107011239"
    static let third = "220202198511304569"
    static let masked = "2201**********1239"
    static let everyID = [first, second, third]

    /// Fixtures/tests/every-type.jsonl with people P1 and P2 named by their
    /// identity numbers, loan L1 by an id holding the third, a voucher and
    /// a reason holding the first.
    static func history() throws -> String {
        var text = try String(contentsOfFile: packageRoot + "/Fixtures/tests/every-type.jsonl", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"P1\"", with: "\"\(first)\"")
            .replacingOccurrences(of: "person:P1", with: "person:\(first)")
            .replacingOccurrences(of: "\"P2\"", with: "\"\(second)\"")
            .replacingOccurrences(of: "\"L1\"", with: "\"LN-\(third)\"")
            .replacingOccurrences(of: "\"V2016-0002\"", with: "\"\(first)\"")
            .replacingOccurrences(of: "recovery booked twice", with: "booked twice for \(first)")
        return text
    }

    func ledger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        #expect(try run(["init"], in: dir.path).status == 0)
        dir.file("people.jsonl", try Self.history())
        let imported = try run(["import", "people.jsonl"], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        return dir
    }

    /// Runs a command and checks no identity number appears in its output or errors.
    @discardableResult
    func masked(_ arguments: [String], in dir: WorkDirectory, status: Int32 = 0,
                sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let result = try run(arguments, in: dir.path)
        #expect(result.status == status, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        for id in Self.everyID {
            #expect(!result.stdout.contains(id) && !result.stderr.contains(id), "\(arguments) shows \(id)",
                    sourceLocation: sourceLocation)
        }
        return result
    }

    @Test("log masks people in table, JSON and CSV; --show-personal-ids shows them")
    func log() throws {
        let dir = try ledger()
        for format in ["table", "json", "csv"] {
            let result = try masked(["log", "--format", format], in: dir)
            #expect(result.stdout.contains(Self.masked), "\(format)")
            #expect(result.stdout.contains("LN-2202**********4569"), "\(format)")
        }
        let json = try masked(["log", "--format", "json", "--from", "19", "--to", "19"], in: dir)
        #expect(json.stdout.contains("\"stream\":\"person:\(Self.masked)\""))
        let shown = try run(["log", "--format", "json", "--show-personal-ids"], in: dir.path)
        #expect(shown.status == 0)
        for id in Self.everyID { #expect(shown.stdout.contains(id)) }
        // Filtering takes the real id.
        let stream = try masked(["log", "--stream", "person:\(Self.first)", "--format", "json"], in: dir)
        #expect(stream.stdout.components(separatedBy: "\"seq\":").count - 1 == 3)
    }

    @Test("balances mask people and borrowers without merging two people who look alike")
    func balances() throws {
        let dir = try ledger()
        for format in ["table", "json", "csv"] {
            let people = try masked(["balances", "--by", "person", "--format", format], in: dir)
            // Two people, two rows, though their masked ids are the same.
            #expect(people.stdout.components(separatedBy: Self.masked).count - 1 == 2, "\(format): \(people.stdout)")
            try masked(["balances", "--by", "loan", "--format", format], in: dir)
        }
        let json = try masked(["balances", "--by", "person", "--format", "json"], in: dir)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = object?["people"] as? [[String: Any]] ?? []
        #expect(Set(rows.compactMap { $0["program"] as? String }) == ["si-difficulty", "si-graduate"])
        let loans = try masked(["balances", "--by", "loan", "--format", "json"], in: dir)
        #expect(loans.stdout.contains("\"borrower\":\"person:\(Self.masked)\""))
        let shown = try run(["balances", "--by", "person", "--show-personal-ids"], in: dir.path)
        #expect(shown.stdout.contains(Self.first) && shown.stdout.contains(Self.second))
        for by in ["fund", "enterprise", "program", "region"] { try masked(["balances", "--by", by], in: dir) }
    }

    @Test("audit findings, their messages and explanations are masked")
    func audit() throws {
        let dir = try ledger()
        var triggers: [String] = []
        for format in ["table", "json", "csv"] {
            let result = try masked(["audit", "--format", format], in: dir)
            #expect(result.stdout.contains(Self.masked) || format == "table" && result.stdout.contains("No findings"))
            if format == "json" {
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                let findings = object?["findings"] as? [[String: Any]] ?? []
                #expect(!findings.isEmpty)
                triggers = findings.compactMap { $0["trigger"] as? String }
            }
        }
        for trigger in Set(triggers) {
            for format in ["table", "json", "csv"] { try masked(["audit", "--explain", trigger, "--format", format], in: dir) }
        }
        let shown = try run(["audit", "--format", "json", "--show-personal-ids"], in: dir.path)
        #expect(shown.stdout.contains("person:\(Self.second)"))
    }

    @Test("reconcile, report performance, export hledger and stats are masked")
    func reports() throws {
        let dir = try ledger()
        dir.file("statement.csv", "date,voucher,fund,region,amount\n2016-02-01,V2016-0001,employment-special,220102,1500.50\n")
        for format in ["table", "json", "csv"] {
            try masked(["reconcile", "--fiscal-year", "2016", "--format", format], in: dir)
            let matched = try masked(["reconcile", "--fiscal-year", "2016", "--statement", "statement.csv", "--format", format],
                                     in: dir, status: 3)
            #expect(matched.stdout.contains(Self.masked), "\(format): the voucher missing in the statement")
            try masked(["report", "performance", "--fiscal-year", "2016", "--format", format], in: dir)
            try masked(["stats", "--format", format], in: dir)
        }
        let journal = try masked(["export", "hledger"], in: dir)
        #expect(journal.stdout.contains("assets:guarantee-receivable:LN-2202**********4569"))
        #expect(journal.stdout.contains("person=\(Self.masked)"))
        let shown = try run(["export", "hledger", "--show-personal-ids"], in: dir.path)
        #expect(shown.stdout.contains("LN-\(Self.third)"))
    }

    @Test("hledger accounts of two loans that mask alike stay apart")
    func hledgerAccountsStayApart() throws {
        let dir = try ledger()
        // A second loan whose id masks like the first one's.
        let lookalike = "LN-220202195004104569"
        let more = """
            {"id":"x-1","type":"loan.issued","effective":"2016-03-16","data":{"loan":"\(lookalike)","person":"\(Self.first)","category":"individual","principal":"50000","rateBp":435,"benchmarkBp":435,"maturity":"2018-03-14","bank":"b","region":"220102"}}
            {"id":"x-2","type":"loan.defaulted","effective":"2016-12-01","data":{"loan":"\(lookalike)"}}
            {"id":"x-3","type":"guarantee.compensated","effective":"2017-02-02","data":{"loan":"\(lookalike)","amount":"100","fund":"guarantee","region":"220102","fiscalYear":2017}}

            """
        dir.file("more.jsonl", more)
        #expect(try run(["import", "more.jsonl"], in: dir.path).status == 0)
        let journal = try masked(["export", "hledger"], in: dir)
        #expect(journal.stdout.contains("assets:guarantee-receivable:LN-2202**********4569~2  100.00 CNY = 100.00 CNY"),
                "\(journal.stdout)")
    }

    @Test("error messages that echo an id are masked")
    func errors() throws {
        let dir = try ledger()
        dir.file("again.jsonl", """
            {"id":"again","type":"person.registered","effective":"2016-05-01","data":{"person":"\(Self.first)","birthDate":"1990-01-01","sex":"M"}}

            """)
        let refused = try masked(["import", "again.jsonl"], in: dir, status: 2)
        #expect(refused.stderr.contains("again.jsonl:1: data.person:") && refused.stderr.contains(Self.masked), "\(refused.stderr)")
        let shown = try run(["import", "again.jsonl", "--show-personal-ids"], in: dir.path)
        #expect(shown.status == 2 && shown.stderr.contains(Self.first))
        try masked(["audit", "--explain", Self.first], in: dir, status: 2)
        try masked(["log", "--stream", "person:\(Self.first)x"], in: dir)
    }

    @Test("prove refuses an event holding a personal id unless --show-personal-ids; the bundle then checks")
    func prove() throws {
        let dir = try ledger()
        #expect(try run(["key", "generate", "test.example/k"], in: dir.path).status == 0)
        let refused = try masked(["prove", "t-01"], in: dir, status: 2)
        #expect(refused.stderr.contains("--show-personal-ids") && refused.stderr.contains("data.person \(Self.masked)"))
        let refusedBundle = try masked(["prove", "t-01", "--sign", "test.example_k.key", "--bundle", "b.json"], in: dir, status: 2)
        #expect(refusedBundle.stderr.contains("--show-personal-ids"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/b.json"))
        // An event holding no personal id is proved as before.
        try masked(["prove", "t-05"], in: dir)
        // A consistency proof holds no event.
        try masked(["prove", "--from-size", "3"], in: dir)

        let made = try run(["prove", "t-01", "--sign", "test.example_k.key", "--bundle", "b.json", "--show-personal-ids"], in: dir.path)
        #expect(made.status == 0, "\(made.stderr)")
        let bundle = try String(contentsOfFile: dir.path + "/b.json", encoding: .utf8)
        #expect(bundle.contains(Self.first))
        let checked = try run(["check-proof", "b.json", "--key", "test.example_k.pub"], in: dir.path)
        #expect(checked.status == 0, "\(checked.stderr)")
    }
}

/// The bound on one event's amount (policy `max-event-amount`), and sums
/// that no valid ledger can make overflow.
@Suite("Plausible amounts")
struct AmountBoundTests {
    func appropriation(_ id: String, region: String, amount: String) -> String {
        "{\"id\":\"\(id)\",\"type\":\"fund.appropriated\",\"effective\":\"2016-01-01\",\"data\":{\"fund\":\"employment-special\","
            + "\"region\":\"\(region)\",\"fiscalYear\":2016,\"amount\":\"\(amount)\"}}\n"
    }

    @Test("two appropriations of 5 × 10^16 yuan are refused at import naming the line, the amount and the bound")
    func hugeAppropriations() throws {
        let dir = WorkDirectory()
        #expect(try run(["init"], in: dir.path).status == 0)
        dir.file("huge.jsonl", appropriation("a-1", region: "220102", amount: "50000000000000000")
            + appropriation("a-2", region: "220104", amount: "50000000000000000"))
        let result = try run(["import", "huge.jsonl"], in: dir.path)
        #expect(result.status == 2)
        for line in 1...2 {
            #expect(result.stderr.contains("huge.jsonl:\(line): data.amount: 50000000000000000.00 yuan is more than one event may carry"),
                    "\(result.stderr)")
        }
        #expect(result.stderr.contains("10000000000.00 yuan (policy parameter max-event-amount"))
        #expect(!result.stderr.contains("Error") && !result.stderr.contains("OverflowError"))
        // Nothing was appended, and every report still works.
        for arguments in [["balances", "--by", "region"], ["reconcile", "--fiscal-year", "2016"],
                          ["report", "performance", "--fiscal-year", "2016"]] {
            let report = try run(arguments, in: dir.path)
            #expect(report.status == 0, "\(arguments): \(report.stderr)")
        }
    }

    @Test("the bound itself is accepted, one fen over is refused; many lines at the bound still add up")
    func atTheBound() throws {
        let dir = WorkDirectory()
        #expect(try run(["init"], in: dir.path).status == 0)
        dir.file("over.jsonl", appropriation("a-0", region: "220102", amount: "10000000000.01"))
        let over = try run(["import", "over.jsonl"], in: dir.path)
        #expect(over.status == 2)
        #expect(over.stderr.contains("over.jsonl:1: data.amount: 10000000000.01 yuan is more than one event may carry"))
        #expect(over.stderr.contains("0.01 yuan over"))
        var lines = ""
        for index in 0..<6 { lines += appropriation("a-\(index)", region: ["220102", "220104", "220202"][index % 3], amount: "10000000000") }
        dir.file("at.jsonl", lines)
        let at = try run(["import", "at.jsonl"], in: dir.path)
        #expect(at.status == 0, "\(at.stderr)")
        let regions = try run(["balances", "--by", "region", "--format", "json"], in: dir.path)
        #expect(regions.status == 0)
        #expect(regions.stdout.contains("{\"region\":\"220000\",\"level\":\"province\",\"received\":\"60000000000.00\""))
        let loan = """
            {"id":"p","type":"person.registered","effective":"2016-01-01","data":{"person":"p","birthDate":"1990-01-01","sex":"M"}}
            {"id":"l","type":"loan.issued","effective":"2016-01-02","data":{"loan":"l","person":"p","category":"individual","principal":"10000000000.01","rateBp":435,"benchmarkBp":435,"maturity":"2018-01-01","bank":"b","region":"220102"}}

            """
        dir.file("loan.jsonl", loan)
        let principal = try run(["import", "loan.jsonl"], in: dir.path)
        #expect(principal.status == 2 && principal.stderr.contains("loan.jsonl:2: data.principal: 10000000000.01 yuan"))
    }
}
