import Foundation
import LMDBKit
import LedgerCore
import Testing

/// `verify` and `rebuild` from the command line on a ledger whose derived
/// data, or whose log, was changed behind the program's back.
@Suite("verify and rebuild on damaged derived data")
struct DerivedCommandTests {
    let sample = packageRoot + "/Fixtures/sample-history.jsonl"

    /// A ledger in `dir` holding the sample history.
    func importedSample(_ dir: WorkDirectory) throws {
        let created = try run(["init"], in: dir.path)
        try #require(created.status == 0, "init: \(created.stderr)")
        let imported = try run(["import", sample], in: dir.path)
        try #require(imported.status == 0, "import: \(imported.stderr)")
    }

    /// Flips the third byte from the end of the first budget line's stored
    /// balances (within one of its amounts), as a byte changed on disk would.
    func damageBudgetLine(_ dir: WorkDirectory) throws {
        let env = try Environment(path: dir.path + "/ledger")
        let entries = try env.openDatabase(named: "projection-entries", create: false)
        try env.write { txn in
            var found: ([UInt8], [UInt8])?
            try txn.withCursor(entries) { cursor in
                try cursor.forEach(from: [UInt8(1)]) { key, value in
                    found = (Array(key), Array(value))
                    return false
                }
            }
            var (key, value) = try #require(found)
            value[value.count - 3] ^= 0x01
            try txn.put(entries, key: key, value: value)
        }
    }

    @Test("verify names a changed stored balance and exits 1; rebuild reports it as a finding (exit 1), repairs it, and verify passes again")
    func changedBalance() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let clean = try run(["verify"], in: dir.path)
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("derived data matches the log"), "\(clean.stdout)")
        try damageBudgetLine(dir)

        let verify = try run(["verify"], in: dir.path)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED: the derived data differs"), "\(verify.stdout)")
        #expect(verify.stdout.contains("projection-entries"), "\(verify.stdout)")
        #expect(verify.stdout.contains("budget line employment-special/220000/2015"), "\(verify.stdout)")
        let json = try run(["verify", "--format", "json"], in: dir.path)
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        let derived = try #require(object["derived"] as? [String: Any])
        #expect(derived["problemCount"] as? Int == 1)

        let rebuild = try run(["rebuild"], in: dir.path)
        #expect(rebuild.status == 1)
        #expect(rebuild.stdout.contains("FOUND 1 difference"), "\(rebuild.stdout)")
        #expect(rebuild.stdout.contains("projection-entries"), "\(rebuild.stdout)")
        let again = try run(["verify"], in: dir.path)
        #expect(again.status == 0, "\(again.stdout)")
        // A second rebuild of a sound ledger finds nothing.
        let second = try run(["rebuild"], in: dir.path)
        #expect(second.status == 0, "\(second.stdout)")
        #expect(!second.stdout.contains("FOUND"))
    }

    @Test("rebuild refuses a log that fails its check, naming the bad seq")
    func brokenChain() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        do {
            let env = try Environment(path: dir.path + "/ledger")
            let events = try env.openDatabase(named: "events", create: false)
            try env.write { txn in
                var record = try #require(try txn.get(events, key: sequenceKey(100)))
                record[record.count - 1] ^= 0x01
                try txn.put(events, key: sequenceKey(100), value: record)
            }
        }
        let rebuild = try run(["rebuild"], in: dir.path)
        #expect(rebuild.status == 1)
        #expect(rebuild.stderr.contains("seq 100"), "\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("nothing was rebuilt"), "\(rebuild.stderr)")
    }

    @Test("verify --expect on a chain broken before the digest names the first bad record")
    func expectOnBrokenChain() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let good = try run(["verify", "--format", "json"], in: dir.path)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(good.stdout.utf8)) as? [String: Any])
        let hash = try #require(object["hash"] as? String)
        do {
            let env = try Environment(path: dir.path + "/ledger")
            let events = try env.openDatabase(named: "events", create: false)
            try env.write { txn in
                var record = try #require(try txn.get(events, key: sequenceKey(17)))
                record[record.count - 1] ^= 0x01
                try txn.put(events, key: sequenceKey(17), value: record)
            }
        }
        let verify = try run(["verify", "--expect", "242:\(hash)"], in: dir.path)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED at seq 17"), "\(verify.stdout)")
        #expect(verify.stdout.contains("the chain breaks at seq 17"), "\(verify.stdout)")
        #expect(!verify.stdout.contains("has no event"), "\(verify.stdout)")
    }
}
