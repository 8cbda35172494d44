import Foundation
import Testing

/// `export hledger` re-checked by hledger itself (Debian package, installed
/// by Tools/setup; skipped, saying so, where it is absent, except under
/// Tools/test and CI, which require it).
@Suite("hledger agrees with our balances", .tags(.slow), .notInFastRuns,
       .enabled(if: ExternalTool.runs(if: ExternalTool.hledger != nil), ExternalTool.hledgerMissing))
struct HledgerTests {
    func hledger(_ arguments: [String]) throws -> RunResult {
        let hledger = try #require(ExternalTool.hledger, ExternalTool.hledgerMissing)
        return try runProcess(hledger, arguments)
    }

    /// Imports `history`, exports it, runs `hledger check`, and compares
    /// hledger's balance of every budget line with `balances --by fund`.
    func check(history: String, extra: [String] = []) throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", history], in: dir.path)
        let journal = dir.path + "/ledger.journal"
        try runOK(["export", "hledger", "--output", journal] + extra, in: dir.path)
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
        let json = try runOK(["balances", "--by", "fund", "--format", "json"] + extra, in: dir.path)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let lines = object?["lines"] as? [[String: Any]] ?? []
        #expect(!lines.isEmpty)
        var ours: [String: String] = [:]
        for line in lines {
            let fund = try #require(line["fund"] as? String), region = try #require(line["region"] as? String)
            let year = try #require(line["fiscalYear"] as? Int)
            let account = "assets:budget:\(fund):\(region):\(year)"
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
        let file = dir.path + "/generated.jsonl"
        try generateHistory(["--events", "20000", "--seed", "11", "--breach-rate", "20"], to: file)
        try check(history: file)
    }
}
