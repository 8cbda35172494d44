import Foundation
import Testing

/// `export hledger` re-checked by hledger itself (Debian package, installed by Tools/setup).
@Suite("hledger agrees with our balances")
struct HledgerTests {
    func hledger(_ arguments: [String]) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/hledger")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
                         stderr: String(decoding: errors, as: UTF8.self))
    }

    /// Imports `history`, exports it, runs `hledger check`, and compares
    /// hledger's balance of every budget line with `balances --by fund`.
    func check(history: String, extra: [String] = []) throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        let imported = try run(["import", "--no-progress", history], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        let journal = dir.path + "/ledger.journal"
        #expect(try run(["export", "hledger", "--output", journal] + extra, in: dir.path).status == 0)
        let checked = try hledger(["-f", journal, "check"])
        #expect(checked.status == 0, "hledger check: \(checked.stderr)")

        let csv = try hledger(["-f", journal, "balance", "assets:budget", "--flat", "--no-total", "--empty", "-O", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        var theirs: [String: String] = [:]
        for line in csv.stdout.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard fields.count >= 2 else { continue }
            theirs[fields[0]] = fields[1].replacingOccurrences(of: " CNY", with: "")
        }
        let json = try run(["balances", "--by", "fund", "--format", "json"] + extra, in: dir.path)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let lines = object?["lines"] as? [[String: Any]] ?? []
        #expect(!lines.isEmpty)
        var ours: [String: String] = [:]
        for line in lines {
            let account = "assets:budget:\(line["fund"]!):\(line["region"]!):\(line["fiscalYear"]!)"
            ours[account] = line["available"] as? String
        }
        // hledger prints 0 for an empty balance.
        #expect(ours.mapValues { $0 == "0.00" ? "0" : $0 } == theirs.mapValues { $0 == "0.00" ? "0" : $0 })
    }

    @Test("the sample history: hledger check passes and every budget line's balance equals ours to the fen")
    func sample() throws {
        try check(history: packageRoot + "/Fixtures/sample-history.jsonl")
        try check(history: packageRoot + "/Fixtures/sample-history.jsonl", extra: ["--effective-on", "2016-06-30"])
    }

    @Test("a generated history: the same, on thousands of events")
    func generated() throws {
        let dir = WorkDirectory()
        let generator = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("subsidy-ledger-gen").path
        let file = dir.path + "/generated.jsonl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: generator)
        process.arguments = ["--events", "20000", "--seed", "11", "--breach-rate", "20", "--output", file]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        try check(history: file)
    }
}
