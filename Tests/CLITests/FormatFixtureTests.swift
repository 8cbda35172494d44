import Foundation
import Testing

/// A ledger written by the format-1 code (Fixtures/ledgers/format-1, made by
/// Tools/record-format-fixture from Fixtures/sample-history.jsonl with
/// snapshots every 50 events) must keep opening, and give the outputs that
/// code gave (Fixtures/ledgers/format-1-expected). The committed ledger is
/// never opened in place: each test works on a copy.
@Suite("A committed format-1 ledger")
struct FormatFixtureTests {
    static let fixture = packageRoot + "/Fixtures/ledgers/format-1"
    static let expected = packageRoot + "/Fixtures/ledgers/format-1-expected"
    static let snapshots = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "50"]

    /// The byte-for-byte goldens: (file, arguments) from MANIFEST.
    static func manifest() throws -> [(file: String, arguments: [String])] {
        let text = try String(contentsOfFile: expected + "/MANIFEST", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard let file = words.first, !file.hasPrefix("#") else { return nil }
            return (file, Array(words.dropFirst()))
        }
    }

    static func golden(_ file: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: expected + "/" + file))
    }

    /// A working directory whose ./ledger is a copy of the committed ledger
    /// (data.mdb only; LMDB makes a fresh lock.mdb).
    static func copy() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try FileManager.default.createDirectory(atPath: dir.path + "/ledger", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: fixture + "/data.mdb", toPath: dir.path + "/ledger/data.mdb")
        return dir
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    func compareManifest(in dir: WorkDirectory, only: (String) -> Bool = { _ in true }) throws {
        let entries = try Self.manifest().filter { only($0.file) }
        #expect(entries.count > 0)
        for (file, arguments) in entries {
            let result = try run(arguments, in: dir.path)
            #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
            let golden = try Self.golden(file)
            #expect(Data(result.stdout.utf8) == golden,
                    "subsidy-ledger \(arguments.joined(separator: " ")) differs from \(file): \(firstDifference(result.stdout, String(decoding: golden, as: UTF8.self)))")
        }
    }

    @Test("opens the committed ledger and reproduces every recorded output byte for byte")
    func goldens() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/data.mdb"))
        let dir = try Self.copy()
        try compareManifest(in: dir)

        // stats: the storage figures (map size, bytes used, databases, the
        // projections' layout) are not the format and may change; the log's
        // figures may not.
        let stats = try Self.json(try runOK(["stats", "--format", "json"], in: dir.path).stdout)
        let goldenStats = try Self.json(String(decoding: try Self.golden("stats.json"), as: UTF8.self))
        for key in ["events", "head", "hash", "firstRecorded", "lastRecorded", "streams", "reversals", "formatVersion"] {
            #expect(stats[key] != nil && "\(stats[key]!)" == "\(goldenStats[key] ?? "absent")", "stats \(key)")
        }

        // verify --expect with the recorded head passes; a wrong hash fails.
        let head = try Self.json(String(decoding: try Self.golden("verify.json"), as: UTF8.self))
        let recordedHead = try #require(head["head"] as? Int), recordedHash = try #require(head["hash"] as? String)
        let digest = "\(recordedHead):\(recordedHash)"
        #expect(try run(["verify", "--expect", digest], in: dir.path).status == 0)
        #expect(try run(["verify", "--expect", "\(recordedHead):" + String(repeating: "0", count: 64)], in: dir.path).status == 1)

        // rebuild: the same digest as recorded, equal to the stored
        // projections' (previousDigest). The snapshot list is left out: where
        // a rebuild puts snapshots is not what this fixture pins.
        let rebuild = try Self.json(try runOK(["rebuild", "--format", "json"], in: dir.path, environment: Self.snapshots).stdout)
        let goldenRebuild = try Self.json(String(decoding: try Self.golden("rebuild.json"), as: UTF8.self))
        #expect(rebuild["head"] as? Int == goldenRebuild["head"] as? Int)
        #expect(rebuild["digest"] as? String == goldenRebuild["digest"] as? String)
        #expect(rebuild["previousDigest"] as? String == goldenRebuild["digest"] as? String)

        // After the rebuild, balances (now from rebuilt state) are unchanged.
        try compareManifest(in: dir, only: { $0.hasPrefix("balances-") })

        // The committed ledger was not written.
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/data.mdb")) == before)
        #expect(!FileManager.default.fileExists(atPath: Self.fixture + "/lock.mdb"),
                "something opened the committed fixture in place; work on a copy and delete its lock.mdb")
    }

    @Test("the format-1 ledger takes new events: verify passes and a rebuild equals the kept projections")
    func appendAfterwards() throws {
        let dir = try Self.copy()
        let head = try Self.json(String(decoding: try Self.golden("verify.json"), as: UTF8.self))
        let recordedHead = try #require(head["head"] as? Int)
        let recordedHash = try #require(head["hash"] as? String)
        let more = packageRoot + "/Fixtures/ledgers/format-1-append.jsonl"
        let imported = try runOK(["import", "--no-progress", more], in: dir.path, environment: Self.snapshots)
        #expect(imported.stdout.hasPrefix("appended 4, duplicates 0, rejected 0"), "\(imported.stdout)")

        let verify = try run(["verify", "--format", "json"], in: dir.path)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let after = try Self.json(verify.stdout)
        #expect(after["ok"] as? Bool == true)
        #expect(after["head"] as? Int == recordedHead + 4)
        // Nothing before the recorded head changed.
        #expect(try run(["verify", "--expect", "\(recordedHead):\(recordedHash)"], in: dir.path).status == 0)
        // The old events still print as recorded.
        let log = try run(["log", "--format", "json", "--from", "100", "--to", "110"], in: dir.path)
        #expect(Data(log.stdout.utf8) == (try Self.golden("log-100-110.json")))

        let rebuild = try Self.json(try runOK(["rebuild", "--format", "json"], in: dir.path, environment: Self.snapshots).stdout)
        #expect(rebuild["head"] as? Int == recordedHead + 4)
        #expect(rebuild["digest"] as? String != nil)
        #expect(rebuild["digest"] as? String == rebuild["previousDigest"] as? String)
        #expect(rebuild["previousCheckpoint"] as? Int == recordedHead + 4)

        // Balances up to the recorded head are still the recorded ones.
        for grouping in ["fund", "person", "loan", "enterprise", "region", "program"] {
            let result = try run(["balances", "--by", grouping, "--format", "json", "--as-of-seq", String(recordedHead)], in: dir.path)
            #expect(Data(result.stdout.utf8) == (try Self.golden("balances-\(grouping).json")), "--by \(grouping) at \(recordedHead)")
        }
    }

    @Test("the format-1 ledger, written before the Merkle tree, gets its tree on first use, and the independent reader agrees",
          .enabled(if: ExternalTool.runs(if: ExternalTool.pythonLMDB), ExternalTool.readerMissing))
    func treeOnFirstUse() throws {
        let dir = try Self.copy()
        let head = try #require(try Self.json(String(decoding: try Self.golden("verify.json"), as: UTF8.self))["head"] as? Int)
        let checkpoint = try run(["checkpoint"], in: dir.path)
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        #expect(checkpoint.stderr.contains("extending the Merkle tree over \(head) event(s)"), "\(checkpoint.stderr)")
        let lines = checkpoint.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("subsidy-ledger.local/") && lines[1] == "\(head)")
        let again = try run(["checkpoint"], in: dir.path)
        #expect(again.stdout == checkpoint.stdout && again.stderr.isEmpty)
        let reader = try readLedger([dir.path + "/ledger", "tree"])
        #expect(reader.status == 0, "read-ledger.py tree: \(reader.stderr)")
        let tree = try Self.json(reader.stdout)
        #expect(tree["size"] as? Int == head && tree["rootHash"] as? String == lines.last.map(String.init))
        #expect(try run(["verify"], in: dir.path).status == 0)
    }
}
