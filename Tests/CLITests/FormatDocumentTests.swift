import Foundation
import Testing

/// docs/FORMAT.md must stay exact: Tools/read-ledger.py, written from it
/// alone, must read what the tool writes.
@Suite("docs/FORMAT.md against an independent reader",
       .enabled(if: ExternalTool.runs(if: ExternalTool.pythonLMDB), ExternalTool.readerMissing))
struct FormatDocumentTests {
    func python(_ arguments: [String]) throws -> RunResult { try readLedger(arguments) }

    @Test("the Python reader verifies the same head and hash, and decodes every event as `log` prints it")
    func independentReader() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", packageRoot + "/Fixtures/tests/every-type.jsonl"], in: dir.path)
        let ours = try JSONSerialization.jsonObject(with: Data(try runOK(["verify", "--format", "json"], in: dir.path).stdout.utf8)) as? [String: Any]
        let theirsRun = try python([dir.path + "/ledger", "verify"])
        #expect(theirsRun.status == 0, "read-ledger.py verify: \(theirsRun.stderr)")
        let theirs = try JSONSerialization.jsonObject(with: Data(theirsRun.stdout.utf8)) as? [String: Any]
        #expect(theirs?["head"] as? Int == 19)
        #expect(theirs?["hash"] as? String == ours?["hash"] as? String)

        let log = try JSONSerialization.jsonObject(with: Data(try runOK(["log", "--format", "json"], in: dir.path).stdout.utf8)) as? [String: Any]
        let logged = (log?["events"] as? [[String: Any]] ?? []).map { NSDictionary(dictionary: $0) }
        let events = try python([dir.path + "/ledger", "events"])
        #expect(events.status == 0, "read-ledger.py events: \(events.stderr)")
        let decoded = try events.stdout.split(separator: "\n").map {
            NSDictionary(dictionary: try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:])
        }
        #expect(decoded.count == 19)
        #expect(decoded == logged)
    }

    @Test("the Python reader recomputes the Merkle tree from FORMAT.md and finds the stored frontier, nodes and root")
    func independentTree() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        let people = (1...600).map { Line.person("t-\($0)", "tp-\($0)") }.joined(separator: "\n")
        try runOK(["import", dir.file("people.jsonl", people)], in: dir.path)
        let theirs = try python([dir.path + "/ledger", "tree"])
        #expect(theirs.status == 0, "read-ledger.py tree: \(theirs.stderr)")
        let tree = try JSONSerialization.jsonObject(with: Data(theirs.stdout.utf8)) as? [String: Any]
        #expect(tree?["size"] as? Int == 600)
        #expect(tree?["storedNodes"] as? Int == 600 / 16 + 600 / 256)
        let checkpoint = try run(["checkpoint"], in: dir.path).stdout.split(separator: "\n")
        #expect(checkpoint.count == 3 && checkpoint[1] == "600")
        #expect(tree?["rootHash"] as? String == checkpoint.last.map(String.init))
    }
}
