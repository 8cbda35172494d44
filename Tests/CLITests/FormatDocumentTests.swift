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

    @Test("the Python reader replays whole and delta snapshots, packed person values unpacked from FORMAT.md, to the digest rebuild prints")
    func independentSnapshots() throws {
        let dir = WorkDirectory()
        let every40 = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "40"]
        try runOK(["init"], in: dir.path)
        // 242 sample events and 118 appropriations: 360, a snapshot at the
        // head; those among the appropriations change one line, so deltas.
        let appropriations = (0..<118).map { index in
            #"{"id":"fd-a\#(index)","type":"fund.appropriated","effective":"2017-03-01","data":{"fund":"employment-special","region":"220102","fiscalYear":2017,"amount":"10"}}"#
        }.joined(separator: "\n")
        try runOK(["import", packageRoot + "/Fixtures/sample-history.jsonl", dir.file("lines.jsonl", appropriations)],
                  in: dir.path, environment: every40)
        let rebuilt = try JSONSerialization.jsonObject(with: Data(try runOK(["rebuild", "--format", "json"], in: dir.path,
                                                                             environment: every40).stdout.utf8)) as? [String: Any]
        let theirs = try python([dir.path + "/ledger", "snapshots"])
        #expect(theirs.status == 0, "read-ledger.py snapshots: \(theirs.stderr)")
        let replayed = try theirs.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(replayed.map { $0["seq"] as? Int } == (1...9).map { 40 * $0 })
        let kinds = Set(replayed.compactMap { $0["kind"] as? Int })
        #expect(kinds == [2, 3], "\(kinds)")
        #expect(replayed.allSatisfy { $0["digestOk"] as? Bool == true })
        #expect(replayed.last?["digest"] as? String == rebuilt?["digest"] as? String)
        #expect(rebuilt?["head"] as? Int == 360)
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
