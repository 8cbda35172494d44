import EventStore
import Foundation
import LMDBKit
import LedgerCore
import LedgerTestSupport
import Testing

/// The import keeps an import batch's stream states in memory and writes
/// each changed one once (at the end of the batch, or when the cache is
/// full), and hashes the Merkle tree on a second thread. Both must store
/// exactly what the plain paths compute. For generated histories (reversals,
/// back-dated events, planted breaches) imported in random batches, with
/// lines repeated as duplicates, a refused batch in between, and a cache of
/// a handful of streams so that it is written out in mid-batch many times:
/// - `checkDerivedData` (which replays the append rules with the plain,
///   uncached state into a scratch store) finds `streams`, `ids`,
///   `stream-events`, `reversals` and the projections as the log implies;
/// - `rebuildMerkleTree` (which hashes the tree inline, from the events)
///   finds no stored node or frontier differing;
/// - the same history imported in one batch with the default cache gives
///   the same `streams`, `ids`, `stream-events`, `reversals` and
///   `projection-entries`, entry for entry.
@Suite("Import fast paths on generated histories")
struct ImportPathPropertyTests {
    static let compared = ["streams", "ids", "stream-events", "reversals", "projection-entries"]

    func entries(_ path: String) throws -> [String: [([UInt8], [UInt8])]] {
        var options = Environment.Options()
        options.readOnly = true
        let env = try Environment(path: path, options: options)
        var all: [String: [([UInt8], [UInt8])]] = [:]
        for name in Self.compared {
            let db = try env.openDatabase(named: name, create: false)
            var found: [([UInt8], [UInt8])] = []
            try env.read { txn in
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, value in
                        found.append((Array(key), Array(value)))
                        return true
                    }
                }
            }
            all[name] = found
        }
        return all
    }

    @Test("stream states kept per batch, the tree hashed on a second thread and pages released mid-batch store what the plain paths compute",
          arguments: [4, 9])
    func sameAsPlain(seed: Int) throws {
        let dir = WorkDirectory()
        let history = dir.path + "/history.jsonl"
        try generateHistory(["--events", "1500", "--seed", String(seed), "--breach-rate", "30", "--years", "3"], to: history)
        let lines = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("\"entry.reversed\"") })

        // In batches, with a tiny stream cache.
        let batched = dir.path + "/batched"
        do {
            var options = Ledger.OpenOptions()
            options.streamCacheLimit = 5
            // The map's pages and the input's parsed pages are dropped all
            // through each batch: what is read again must be what was there.
            options.mapReleaseEvents = 7
            options.inputReleaseBytes = 1
            let ledger = try Ledger.create(at: batched, options: options)
            var random = SplitMix(seed: UInt64(seed))
            var next = 0
            var part = 0
            var duplicates = 0
            while next < lines.count {
                let end = min(lines.count, next + 1 + random.below(400))
                // A few lines of the batch before, again: duplicates to skip.
                let again = min(next, random.below(4))
                let batch = Array(lines[(next - again)..<end])
                part += 1
                if part == 2 {
                    // Refused as a whole (the last line names an unknown
                    // grant): nothing of it may stay, in memory or stored.
                    let refused = dir.path + "/refused.jsonl"
                    let bad = #"{"id":"bad-1","type":"subsidy.recovered","effective":"2016-01-01","data":{"grant":"no-such-grant","amount":"1","reason":"x"}}"#
                    try (batch + [bad]).joined(separator: "\n").write(toFile: refused, atomically: false, encoding: .utf8)
                    #expect(throws: ImportRejected.self) { try ledger.importEvents(from: [try InputFile(path: refused)]) }
                }
                let file = dir.path + "/part-\(part).jsonl"
                try batch.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
                let report = try ledger.importEvents(from: [try InputFile(path: file)])
                #expect(report.appended == end - next && report.duplicates == again)
                duplicates += report.duplicates
                next = end
            }
            #expect(part > 3 && duplicates > 0)
            #expect(try ledger.head().seq == UInt64(lines.count))
            let derived = try ledger.checkDerivedData()
            #expect(derived.ok, "\(derived.problems)")
            let tree = try ledger.rebuildMerkleTree()
            #expect(tree.size == UInt64(lines.count) && tree.differing == 0)
        }

        // In one batch, with the default cache.
        let whole = dir.path + "/whole"
        do {
            let ledger = try Ledger.create(at: whole)
            let report = try ledger.importEvents(from: [try InputFile(path: history)])
            #expect(report.appended == lines.count)
        }

        let a = try entries(batched)
        let b = try entries(whole)
        for name in Self.compared {
            let left = try #require(a[name]), right = try #require(b[name])
            #expect(!left.isEmpty || name == "reversals")
            #expect(left.count == right.count, "\(name): \(left.count) entries in batches, \(right.count) in one")
            let same = zip(left, right).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            #expect(same, "\(name) differs between the batched and the single import")
        }
    }
}
