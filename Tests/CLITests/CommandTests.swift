import Foundation
import Testing

@Suite("The subsidy-ledger command")
struct CommandTests {
    let sample = packageRoot + "/Fixtures/tests/every-type.jsonl"

    @Test("init, import, verify and log work on ./ledger by default; SUBSIDY_LEDGER and --ledger name another")
    func happyPath() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        let imported = try run(["import", sample], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("appended 19, duplicates 0, rejected 0\nhead 19 "))
        let verify = try run(["verify", "--format", "json"], in: dir.path)
        #expect(verify.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(object?["head"] as? Int == 19)
        #expect(object?["ok"] as? Bool == true)
        #expect((object?["hash"] as? String)?.count == 64)

        let again = try run(["import", sample], in: dir.path)
        #expect(again.stdout.hasPrefix("appended 0, duplicates 19, rejected 0"))

        #expect(try run(["init"], in: dir.path, environment: ["SUBSIDY_LEDGER": "other"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/other/data.mdb"))
        #expect(try run(["stats", "--ledger", "other", "--format", "json"], in: dir.path).stdout.contains("\"events\":0"))
    }

    @Test("log filters by seq range, type, stream and the as-of options")
    func logFilters() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", sample], in: dir.path)
        func seqs(_ arguments: [String]) throws -> [Int] {
            let result = try run(["log", "--format", "json"] + arguments, in: dir.path)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let events = object?["events"] as? [[String: Any]] ?? []
            return events.compactMap { $0["seq"] as? Int }
        }
        #expect(try seqs([]) == Array(1...19))
        #expect(try seqs(["--from", "5", "--to", "7"]) == [5, 6, 7])
        #expect(try seqs(["--as-of-seq", "3"]) == [1, 2, 3])
        #expect(try seqs(["--type", "loan.repaid", "--type", "loan.defaulted"]) == [13, 14])
        #expect(try seqs(["--stream", "grant:G1"]) == [8, 10, 18])
        #expect(try seqs(["--effective-on", "2016-01-05"]) == [1, 2, 3, 4, 6])
        #expect(try seqs(["--known-at", "2000-01-01"]) == [])
        #expect(try seqs(["--known-at", "2199-01-01T00:00:00Z"]).count == 19)
        let csv = try run(["log", "--format", "csv", "--to", "1"], in: dir.path)
        // Columns are only ever added: the original ones keep their names and places.
        #expect(csv.stdout.split(separator: "\n").first?.hasPrefix("seq,recorded,hash,id,type,effective,data") == true)
        let table = try run(["log", "--to", "2"], in: dir.path)
        #expect(table.stdout.contains("person.registered"))
        // t-10 (seq 10) is reversed by t-18 (seq 18): marked from seq 18 on, not before.
        let reversed = try run(["log", "--from", "10", "--to", "10"], in: dir.path)
        #expect(reversed.stdout.contains("[reversed by seq 18]"))
        let before = try run(["log", "--from", "10", "--to", "10", "--as-of-seq", "17"], in: dir.path)
        #expect(!before.stdout.contains("reversed by"))
    }

    @Test("a bad line exits 2 with FILE:LINE: field: reason on stderr, and nothing is written")
    func rejectedImport() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", sample], in: dir.path)
        let before = try run(["verify", "--format", "json"], in: dir.path).stdout
        let bad = dir.file("bad.jsonl", Line.person("n1", "N1") + "\n" + #"{"id":"n2","type":"fund.appropriated","effective":"2016-01-01","data":{"fund":"f","region":"220100","fiscalYear":2016,"amount":1000}}"# + "\n")
        let result = try run(["import", bad], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(bad):2: data.amount: must be a string of yuan"))
        #expect(result.stderr.contains("nothing was appended"))
        #expect(try run(["verify", "--format", "json"], in: dir.path).stdout == before)
    }

    @Test("standard input imports with -")
    func standardInput() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        let result = try run(["import", "-"], in: dir.path, stdin: Line.person("s1", "S1") + "\n")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("appended 1,"))
    }

    @Test("exit codes: 4 when the ledger cannot be opened, 2 for usage errors and a second init, 1 when verify fails")
    func exitCodes() throws {
        let dir = WorkDirectory()
        let missing = try run(["verify"], in: dir.path)
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("no ledger at ./ledger"))
        #expect(try run(["import", "x.jsonl"], in: dir.path).status == 2)  // unreadable file: input error
        #expect(try run(["log", "--format", "xml"], in: dir.path).status == 2)
        #expect(try run(["log", "--effective-on", "2016-02-30"], in: dir.path).status == 2)
        #expect(try run(["frobnicate"], in: dir.path).status == 2)
        try runOK(["init"], in: dir.path)
        let second = try run(["init"], in: dir.path)
        #expect(second.status == 2)
        #expect(second.stderr.contains("already exists"))
        #expect(try run(["verify", "--expect", "3:abc"], in: dir.path).status == 2)
        try runOK(["import", sample], in: dir.path)
        let wrong = String(repeating: "0", count: 64)
        let mismatch = try run(["verify", "--expect", "3:" + wrong], in: dir.path)
        #expect(mismatch.status == 1)
        #expect(mismatch.stdout.contains("MISMATCH"))
        // A prefix chosen by recorded time: before the import, nothing.
        #expect(try run(["verify", "--known-at", "2000-01-01"], in: dir.path).stdout.contains("ok: 0 events"))
        #expect(try run(["verify", "--effective-on", "2016-01-01"], in: dir.path).status == 2)
    }

    @Test("help names every command and the exit codes")
    func help() throws {
        let dir = WorkDirectory()
        let help = try run(["--help"], in: dir.path)
        #expect(help.status == 0)
        for command in ["init", "import", "log", "verify", "stats"] {
            #expect(help.stdout.contains("  \(command) "), "help lacks \(command)")
        }
        #expect(help.stdout.contains("4 the ledger cannot be opened"))
        let importHelp = try run(["import", "--help"], in: dir.path)
        #expect(importHelp.stdout.contains("atomic"))
    }
}
