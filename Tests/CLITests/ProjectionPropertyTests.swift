import Foundation
import Testing

/// For generated histories imported in random batches: the incrementally kept
/// projections equal a rebuild, and an as-of read through stored state equals
/// a full replay of the same prefix, at random prefixes.
@Suite("Projections on generated histories")
struct ProjectionPropertyTests {
    func generate(_ dir: WorkDirectory, events: Int, seed: Int) throws -> [String] {
        let generator = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("subsidy-ledger-gen").path
        let file = dir.path + "/history-\(seed).jsonl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: generator)
        process.arguments = ["--events", String(events), "--seed", String(seed), "--breach-rate", "30", "--years", "3", "--output", file]
        try process.run()
        process.waitUntilExit()
        return try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("incremental == rebuild == replay of the prefix", arguments: [3, 17])
    func property(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let dir = WorkDirectory()
        let lines = try generate(dir, events: 6000, seed: seed)
        try run(["init"], in: dir.path)
        let snapshots = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "700"]
        var start = 0
        var batch = 0
        while start < lines.count {
            let end = min(lines.count, start + 1 + random.below(1500))
            dir.file("batch\(batch).jsonl", lines[start..<end].joined(separator: "\n") + "\n")
            let imported = try run(["import", "--no-progress", "batch\(batch).jsonl"], in: dir.path, environment: snapshots)
            #expect(imported.status == 0, "\(imported.stderr)")
            start = end
            batch += 1
        }
        let stats = try run(["stats", "--format", "json"], in: dir.path)
        let snapshotList = ((try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])?["projections"]
            as? [String: Any])?["snapshots"] as? [Int] ?? []
        #expect(snapshotList.count >= 5, "imports in batches should have left snapshots")

        for by in ["fund", "person", "loan", "enterprise"] {
            var prefixes = [String(lines.count)] + snapshotList.prefix(2).map { String($0 + 1) }
            for _ in 0..<3 { prefixes.append(String(1 + random.below(lines.count))) }
            for prefix in prefixes {
                let stored = try run(["balances", "--by", by, "--format", "json", "--as-of-seq", prefix], in: dir.path)
                // --effective-on far in the future keeps every event but forces a full replay.
                let replayed = try run(["balances", "--by", by, "--format", "json", "--as-of-seq", prefix, "--effective-on", "2199-12-31"],
                                       in: dir.path)
                #expect(stored.status == 0 && replayed.status == 0)
                #expect(stored.stdout == replayed.stdout, "--by \(by) at seq \(prefix)")
            }
        }
        // Rebuilding gives the digest the incremental projections had.
        let rebuild = try run(["rebuild", "--format", "json"], in: dir.path, environment: snapshots)
        let object = try JSONSerialization.jsonObject(with: Data(rebuild.stdout.utf8)) as? [String: Any]
        #expect(object?["digest"] as? String == object?["previousDigest"] as? String)
        #expect(object?["head"] as? Int == lines.count)
    }
}
