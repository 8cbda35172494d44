import Foundation
import Testing

/// Output that is never silently wrong or unsafe (docs/OUTPUT.md): CSV safe
/// to open in a spreadsheet, control characters escaped in messages, true
/// counts of refused lines, options honoured or refused, CSV with every
/// figure the JSON has.
@Suite("Output safety and truth")
struct OutputSafetyTests {
    let sample = packageRoot + "/Fixtures/tests/every-type.jsonl"

    /// A ledger holding the 19 events of every-type.jsonl.
    func ledger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        let created = try run(["init"], in: dir.path)
        #expect(created.status == 0, "\(created.stderr)")
        let imported = try run(["import", sample], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        return dir
    }

    /// The bytes below U+0020 other than a line feed, and the C1 controls.
    func controlCharacters(_ text: String) -> [UInt32] {
        text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }.map(\.value)
    }

    /// The records of a CSV text (RFC 4180 quoting; no quoted line breaks in these tests).
    func records(_ text: String) -> [[String]] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            var fields: [String] = []
            var field = ""
            var quoted = false
            let characters = Array(line)
            var index = 0
            while index < characters.count {
                let character = characters[index]
                index += 1
                if quoted {
                    if character != "\"" {
                        field.append(character)
                    } else if index < characters.count && characters[index] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else if character == "\"" {
                    quoted = true
                } else if character == "," {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            return fields
        }
    }

    @Test("a reconcile CSV cell that a spreadsheet would run as a formula starts with ', numbers stay numbers")
    func reconcileCSVIsSafe() throws {
        let dir = try ledger()
        // Vouchers the ledger does not have: each is listed missing-in-ledger.
        let statement = dir.file("statement.csv", "date,voucher,fund,region,amount\n"
            + "2016-02-01,V2016-0001,employment-special,220102,1500.50\n"
            + "2016-03-01,\"=HYPERLINK(\"\"http://x.example\"\")\",employment-special,220102,10\n"
            + "2016-03-02,@SUM(A1),employment-special,220102,11\n"
            + "2016-03-03,+1+2,employment-special,220102,12\n"
            + "2016-03-04,-1+2,employment-special,220102,13\n")
        let result = try run(["reconcile", "--fiscal-year", "2016", "--statement", statement, "--format", "csv"], in: dir.path)
        #expect(result.status == 3, "\(result.stderr)")
        let rows = records(result.stdout)
        let missing = rows.filter { $0.first == "missing-in-ledger" && $0.count > 1 }.map { $0[1] }
        #expect(missing.sorted() == ["'+1+2", "'-1+2", "'=HYPERLINK(\"http://x.example\")", "'@SUM(A1)"])
        // No cell of the whole output begins with a formula character unless it is a plain number.
        for row in rows {
            for cell in row {
                guard let first = cell.first, "=+-@\t\r".contains(first) else { continue }
                #expect(Double(cell) != nil, "cell \(cell) would run as a formula")
            }
        }
        #expect(rows.contains { $0.count > 5 && $0.first == "matched" && $0[1] == "V2016-0001" && $0[5] == "1500.50" })
    }

    @Test("negative amounts in CSV stay numbers")
    func negativeAmountsStayNumbers() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        // A budget line that paid out more than it received: available is negative.
        let events = dir.file("overdrawn.jsonl", """
            {"id":"o-1","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1970-01-01","sex":"M"}}
            {"id":"o-2","type":"fund.appropriated","effective":"2016-01-01","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"100"}}
            {"id":"o-3","type":"subsidy.granted","effective":"2016-02-01","data":{"grant":"G1","program":"service","amount":"112.34","fund":"employment-special","region":"220102","fiscalYear":2016}}

            """)
        let imported = try run(["import", events], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        let csv = try run(["balances", "--by", "fund", "--format", "csv"], in: dir.path)
        #expect(csv.status == 0)
        let rows = records(csv.stdout)
        let available = try #require(rows.first?.firstIndex(of: "available"))
        #expect(rows.dropFirst().map { available < $0.count ? $0[available] : "" } == ["-12.34"])
        let reconcile = try run(["reconcile", "--fiscal-year", "2016", "--format", "csv"], in: dir.path)
        #expect(reconcile.stdout.contains(",-12.34,"))
    }

    @Test("error messages escape ESC, BEL and NUL from the input instead of sending them to the terminal")
    func controlCharactersEscapedInMessages() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        // A value, a key and the file name each carry a control character.
        let name = "bad\u{1B}]0;owned\u{07}.jsonl"
        dir.file(name, #"{"id":"x\u001b[2J","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1970-01-01","sex":"M"}}"#
            + "\n" + #"{"id":"y","type":"person.registered","effective":"2016-01-04","data":{"person":"P2","birthDate":"1970-01-01","sex":"M","\u0000\u0007":1}}"#
            + "\n" + #"{"id":"z","type":"person.registered","effective":"2016-01-04\u009b31m","data":{"person":"P3","birthDate":"1970-01-01","sex":"M"}}"#
            + "\n")
        let result = try run(["import", name], in: dir.path)
        #expect(result.status == 2)
        #expect(controlCharacters(result.stderr) == [], "\(result.stderr.debugDescription)")
        #expect(result.stderr.contains(#"bad\u{1B}]0;owned\u{07}.jsonl:1: "#), "\(result.stderr)")
        #expect(result.stderr.contains(#""x\u{1B}[2J""#), "\(result.stderr)")
        #expect(result.stderr.contains(#"data.\u{00}\u{07}"#), "\(result.stderr)")
        #expect(result.stderr.contains(#"\u{9B}31m"#), "\(result.stderr)")

        // An argument echoed by a usage error, and a missing file's name.
        let usage = try run(["log", "--format", "x\u{1B}[31m"], in: dir.path)
        #expect(usage.status == 2)
        #expect(controlCharacters(usage.stderr) == [], "\(usage.stderr.debugDescription)")
        #expect(usage.stderr.contains(#"x\u{1B}[31m"#))
        let missing = try run(["import", "gone\u{1B}[2J.jsonl"], in: dir.path)
        #expect(missing.status == 2)
        #expect(controlCharacters(missing.stderr) == [], "\(missing.stderr.debugDescription)")
    }

    @Test("a statement's control characters and a file name are escaped in messages and in the table")
    func controlCharactersEscapedInReconcile() throws {
        let dir = try ledger()
        let bad = dir.file("bad\u{1B}[1m.csv", "date,voucher,fund,region,amount\n2016-02-01,\"V\u{1B}[2J\",employment-special,220102,1\n")
        let refused = try run(["reconcile", "--fiscal-year", "2016", "--statement", bad], in: dir.path)
        #expect(refused.status == 2)
        #expect(controlCharacters(refused.stderr) == [], "\(refused.stderr.debugDescription)")
        #expect(refused.stderr.contains(#"bad\u{1B}[1m.csv:2: voucher:"#), "\(refused.stderr)")
        let good = dir.file("ok\u{1B}[1m.csv", "date,voucher,fund,region,amount\n2016-02-01,V2016-0001,employment-special,220102,1500.50\n")
        let table = try run(["reconcile", "--fiscal-year", "2016", "--statement", good], in: dir.path)
        #expect(controlCharacters(table.stdout) == [], "\(table.stdout.debugDescription)")
        #expect(table.stdout.contains(#"ok\u{1B}[1m.csv"#), "\(table.stdout)")
    }

    /// `count` lines, each refused (an unknown event type).
    func badLines(_ count: Int) -> String {
        (1...count).map { #"{"id":"b-\#($0)","type":"no.such","effective":"2016-01-01","data":{}}"# }.joined(separator: "\n") + "\n"
    }

    @Test("more refused lines than listed: the summary and the JSON give the true count")
    func trueRefusedCount() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        // 250 refused lines, then a good one, then 10 more refused.
        let good = #"{"id":"g-1","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1970-01-01","sex":"M"}}"#
        let file = dir.file("many.jsonl", badLines(250) + good + "\n" + badLines(10).replacingOccurrences(of: "b-", with: "c-"))
        let table = try run(["import", file], in: dir.path)
        #expect(table.status == 2)
        let lines = table.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix(file + ":") }.count == 100)
        #expect(lines.last == "rejected: 260 line(s) refused, the first 100 listed above; nothing was appended", "\(table.stderr)")

        let json = try run(["import", file, "--format", "json"], in: dir.path)
        #expect(json.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["rejected"] as? Int == 260)
        #expect((object?["errors"] as? [Any])?.count == 100)
        #expect(object?["unlistedErrors"] as? Int == 160)
        #expect(object?["appended"] as? Int == 0)
        #expect(try run(["stats", "--format", "json"], in: dir.path).stdout.contains("\"events\":0"))

        // At most 100: every one listed, the summary says so plainly.
        let few = dir.file("few.jsonl", badLines(100))
        let listed = try run(["import", few, "--format", "json"], in: dir.path)
        #expect(listed.stderr.split(separator: "\n").last == "rejected: 100 line(s) refused; nothing was appended")
        let fewObject = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        #expect(fewObject?["rejected"] as? Int == 100)
        #expect(fewObject?["unlistedErrors"] as? Int == 0)
    }

    @Test("--as-of-seq past the head is refused by every command that takes it, naming the head")
    func asOfSeqPastHead() throws {
        let dir = try ledger()
        let verify = try run(["verify", "--format", "json"], in: dir.path)
        let head = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let hash = try #require(head["hash"] as? String)
        let commands: [[String]] = [
            ["log"], ["verify"], ["balances"], ["balances", "--by", "loan"], ["audit"], ["reconcile", "--fiscal-year", "2016"],
            ["reconcile", "--fiscal-year", "2016", "--statement", packageRoot + "/Fixtures/sample-statement.csv"],
            ["report", "performance", "--fiscal-year", "2016"], ["export", "hledger"], ["checkpoint"],
        ]
        for command in commands {
            let past = try run(command + ["--as-of-seq", "20"], in: dir.path)
            #expect(past.status == 2, "\(command): \(past.stdout)")
            #expect(past.stdout.isEmpty, "\(command)")
            #expect(past.stderr.contains("--as-of-seq 20 is past the head"), "\(command): \(past.stderr)")
            #expect(past.stderr.contains("the ledger has 19 events, head 19:" + hash), "\(command): \(past.stderr)")
            // The head itself is the whole ledger, as before.
            let atHead = try run(command + ["--as-of-seq", "19"], in: dir.path)
            #expect(atHead.status == 0 || (command.first == "reconcile" && atHead.status == 3), "\(command): \(atHead.stderr)")
        }
        let prove = try run(["prove", "t-01", "--size", "20"], in: dir.path)
        #expect(prove.status == 2)
        #expect(prove.stderr.contains("--size 20 is past the head: the ledger has 19 events, head 19:" + hash), "\(prove.stderr)")
    }

    @Test("export hledger refuses --format instead of ignoring it; its view options are still checked")
    func exportRefusesFormat() throws {
        let dir = try ledger()
        for format in ["json", "csv", "table"] {
            let result = try run(["export", "hledger", "--format", format], in: dir.path)
            #expect(result.status == 2, "\(format)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("--format"), "\(result.stderr)")
        }
        let badDate = try run(["export", "hledger", "--known-at", "yesterday"], in: dir.path)
        #expect(badDate.status == 2)
        #expect(badDate.stderr.contains("--known-at"))
        let journal = try run(["export", "hledger", "--effective-on", "2016-12-31"], in: dir.path)
        #expect(journal.status == 0)
        #expect(journal.stdout.contains("effective on or before 2016-12-31"))
    }

    @Test("stats CSV carries the head; verify CSV carries the head and the --expect result")
    func statsAndVerifyCSV() throws {
        let dir = try ledger()
        let verifyJSON = try run(["verify", "--format", "json"], in: dir.path)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(verifyJSON.stdout.utf8)) as? [String: Any])
        let hash = try #require(object["hash"] as? String)

        let stats = records(try run(["stats", "--format", "csv"], in: dir.path).stdout)
        #expect(stats.first == ["database", "entries", "bytes", "head", "hash"])
        #expect(stats.count > 1)
        for row in stats.dropFirst() { #expect(Array(row.suffix(2)) == ["19", hash]) }

        let plain = records(try run(["verify", "--format", "csv"], in: dir.path).stdout)
        #expect(plain.first?.prefix(5) == ["head", "hash", "ok", "firstBadSeq", "problem"])
        #expect(plain.count == 2)
        func field(_ rows: [[String]], _ name: String) -> String? {
            guard let index = rows.first?.firstIndex(of: name), rows.count > 1, index < rows[1].count else { return nil }
            return rows[1][index]
        }
        #expect(field(plain, "head") == "19" && field(plain, "hash") == hash && field(plain, "ok") == "true")
        #expect(field(plain, "expectSeq") == "" && field(plain, "expectMatches") == "")

        let matching = try run(["verify", "--format", "csv", "--expect", "19:" + hash], in: dir.path)
        #expect(matching.status == 0)
        let good = records(matching.stdout)
        #expect(field(good, "expectSeq") == "19" && field(good, "expectMatches") == "true")

        let wrong = String(repeating: "0", count: 64)
        let mismatch = try run(["verify", "--format", "csv", "--expect", "5:" + wrong], in: dir.path)
        #expect(mismatch.status == 1)
        let bad = records(mismatch.stdout)
        #expect(field(bad, "ok") == "false" && field(bad, "expectSeq") == "5" && field(bad, "expectMatches") == "false")
        #expect(field(bad, "expectActual")?.count == 64 && field(bad, "expectActual") != wrong)
        #expect(field(bad, "head") == "19")
    }

    @Test("log CSV has one column a value: the event's stream, expect and each data field")
    func logCSVColumns() throws {
        let dir = try ledger()
        let result = try run(["log", "--format", "csv"], in: dir.path)
        #expect(result.status == 0)
        let rows = records(result.stdout)
        let header = try #require(rows.first)
        // The original columns keep their names and places.
        #expect(Array(header.prefix(8)) == ["seq", "recorded", "hash", "id", "type", "effective", "data", "reversedBy"])
        #expect(Set(header).count == header.count)
        #expect(rows.count == 20)
        #expect(rows.allSatisfy { $0.count == header.count })
        func cell(_ id: String, _ column: String) -> String? {
            guard let index = header.firstIndex(of: column), let row = rows.first(where: { $0.count > 3 && $0[3] == id }) else { return nil }
            return index < row.count ? row[index] : nil
        }
        #expect(cell("t-08", "amount") == "1500.50")
        #expect(cell("t-08", "fund") == "employment-special")
        #expect(cell("t-08", "voucher") == "V2016-0001")
        #expect(cell("t-08", "periodStart") == "2016-01")
        #expect(cell("t-08", "stream") == "grant:G1")
        #expect(cell("t-08", "principal") == "")
        #expect(cell("t-11", "rateBp") == "435")
        #expect(cell("t-11", "bank") == "中国建设银行长春分行")
        #expect(cell("t-06", "stream") == "fund:employment-special/220100/2016")
        // A reversal belongs to its target's stream; the target names it.
        #expect(cell("t-18", "stream") == "grant:G1")
        #expect(cell("t-18", "target") == "t-10")
        #expect(cell("t-10", "reversedBy") == "18")
        #expect(cell("t-19", "expectStream") == "person:P1" && cell("t-19", "expectVersion") == "2")
        #expect(cell("t-01", "expectStream") == "" && cell("t-01", "sex") == "M")
        // The readable data column is kept.
        #expect(cell("t-05", "data") == "enterprise=E1 size=small region=220102")
        // Only a stream's own events: the reversal still shows its stream.
        let stream = records(try run(["log", "--format", "csv", "--stream", "grant:G1"], in: dir.path).stdout)
        #expect(stream.dropFirst().map { $0.count > 3 ? $0[3] : "" } == ["t-08", "t-10", "t-18"])
        #expect(stream.dropFirst().allSatisfy { $0.count > 8 && $0[8] == "grant:G1" })
    }
}
