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

    func damageBudgetLine(_ dir: WorkDirectory) throws {
        try damageFirstBudgetLine(in: Environment(path: dir.path + "/ledger"))
    }

    @Test("verify names a changed stored balance and exits 1; rebuild reports it as a finding (exit 1), repairs it, and verify passes again")
    func changedBalance() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let clean = try run(["verify"], in: dir.path)
        #expect(clean.status == 0)
        #expect(clean.stdout.hasPrefix("ok: 242 events, chain intact\n"), "\(clean.stdout)")
        #expect(clean.stderr.isEmpty, "\(clean.stderr)")
        try damageBudgetLine(dir)

        // --chain-only checks the log alone, which is intact.
        let chainOnly = try run(["verify", "--chain-only"], in: dir.path)
        #expect(chainOnly.status == 0, "\(chainOnly.stdout)")
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

    @Test("rebuild rewrites a damaged Merkle node from the events (exit 1) and keeps a sound tree, with the same root either way")
    func merkleTree() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let sound = try run(["rebuild", "--format", "json"], in: dir.path)
        #expect(sound.status == 0, "\(sound.stdout)\(sound.stderr)")
        let soundObject = try #require(try JSONSerialization.jsonObject(with: Data(sound.stdout.utf8)) as? [String: Any])
        let soundTree = try #require(soundObject["tree"] as? [String: Any])
        #expect(soundTree["size"] as? Int == 242)
        #expect(soundTree["differing"] as? Int == 0)
        let root = try #require(soundTree["rootHash"] as? String)

        // One byte of the first stored node changed on disk.
        try flipValueByte(in: Environment(path: dir.path + "/ledger"), database: "merkle", at: 0)
        let damaged = try run(["rebuild"], in: dir.path)
        #expect(damaged.status == 1, "\(damaged.stdout)")
        #expect(damaged.stdout.contains("FOUND the stored Merkle tree differing from the events"), "\(damaged.stdout)")
        #expect(damaged.stdout.contains("the stored tree differed in 1 place(s) and was rewritten from the events"), "\(damaged.stdout)")
        #expect(damaged.stdout.contains("merkle tree of 242 events, root \(root)\n"), "\(damaged.stdout)")
        let again = try run(["verify"], in: dir.path)
        #expect(again.status == 0, "\(again.stdout)")
        let second = try run(["rebuild"], in: dir.path)
        #expect(second.status == 0, "\(second.stdout)")
        #expect(second.stdout.contains("merkle tree of 242 events, root \(root)\nthe stored tree was the same\n"), "\(second.stdout)")
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

    /// Changes one byte of the stored record of event `seq` (its last byte, or the one `fromEnd` before).
    func damageEvent(_ dir: WorkDirectory, seq: UInt64, fromEnd: Int = 1) throws {
        let env = try Environment(path: dir.path + "/ledger")
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var record = try #require(try txn.get(events, key: sequenceKey(seq)))
            record[record.count - fromEnd] ^= 0x01
            try txn.put(events, key: sequenceKey(seq), value: record)
        }
    }

    @Test("balances refuses stored balances that do not add up to their checksum (exit 1, naming rebuild), import builds nothing on them (exit 4), and both work again once rebuilt")
    func balancesRefuseDamagedState() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let before = try run(["balances", "--format", "json"], in: dir.path)
        try #require(before.status == 0)
        try damageBudgetLine(dir)
        let damaged = try run(["balances"], in: dir.path)
        #expect(damaged.status == 1)
        #expect(damaged.stdout.isEmpty, "\(damaged.stdout)")
        #expect(damaged.stderr.contains("checksum") && damaged.stderr.contains("rebuild"), "\(damaged.stderr)")
        // The log itself is intact: a view that replays it is still served.
        let replayed = try run(["balances", "--format", "json", "--as-of-seq", "241"], in: dir.path)
        #expect(replayed.status == 0, "\(replayed.stderr)")
        // Nothing is built upon them.
        let more = dir.file("more.jsonl", #"{"id":"late-1","type":"person.registered","effective":"2017-12-01","data":{"person":"p-late","birthDate":"1990-01-01","sex":"F"}}"#)
        let refused = try run(["import", more], in: dir.path)
        #expect(refused.status == 4 && refused.stderr.contains("checksum") && refused.stderr.contains("nothing was appended"), "\(refused.stderr)")
        #expect(try run(["rebuild"], in: dir.path).status == 1)
        #expect(try run(["import", more], in: dir.path).status == 0)
        let after = try run(["balances", "--format", "json", "--as-of-seq", "242"], in: dir.path)
        #expect(after.status == 0 && after.stdout == before.stdout)
    }

    @Test("an as-of read refuses a snapshot that does not match its digest")
    func asOfRefusesDamagedSnapshot() throws {
        let dir = WorkDirectory()
        try #require(try run(["init"], in: dir.path).status == 0)
        let imported = try run(["import", sample], in: dir.path, environment: ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "100"])
        try #require(imported.status == 0)
        try #require(try run(["rebuild"], in: dir.path, environment: ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "100"]).status == 0)
        let good = try run(["balances", "--as-of-seq", "150", "--format", "json"], in: dir.path)
        try #require(good.status == 0)
        do {
            let env = try Environment(path: dir.path + "/ledger")
            let snapshots = try env.openDatabase(named: "projection-snapshots", create: false)
            try env.write { txn in
                var value = try #require(try txn.get(snapshots, key: sequenceKey(100)))
                value[value.count - 1] ^= 0x01
                try txn.put(snapshots, key: sequenceKey(100), value: value)
            }
        }
        let damaged = try run(["balances", "--as-of-seq", "150"], in: dir.path)
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("snapshot at seq 100 does not match its digest"), "\(damaged.stderr)")
        let verify = try run(["verify"], in: dir.path)
        #expect(verify.status == 1 && verify.stdout.contains("projection-snapshots"), "\(verify.stdout)")
    }

    @Test("verify names a whole snapshot that differs from the fold, and a snapshot digest whose snapshot is gone")
    func verifyNamesWholeSnapshotDamage() throws {
        let dir = WorkDirectory()
        try #require(try run(["init"], in: dir.path).status == 0)
        let environment = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "100"]
        try #require(try run(["import", sample], in: dir.path, environment: environment).status == 0)
        try #require(try run(["rebuild"], in: dir.path, environment: environment).status == 0)
        try #require(try run(["verify"], in: dir.path).status == 0)
        do {
            let env = try Environment(path: dir.path + "/ledger")
            let snapshots = try env.openDatabase(named: "projection-snapshots", create: false)
            try env.write { txn in
                // The first snapshot is whole (kind 2, person values packed):
                // one byte of its state changed, the second removed (its
                // digest stays).
                var value = try #require(try txn.get(snapshots, key: sequenceKey(100)))
                try #require(value.first == 2)
                value[value.count - 1] ^= 0x01
                try txn.put(snapshots, key: sequenceKey(100), value: value)
                #expect(try txn.delete(snapshots, key: sequenceKey(200)))
            }
        }
        let verify = try run(["verify"], in: dir.path)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("the state at seq 100"), "\(verify.stdout)")
        #expect(verify.stdout.contains("with no snapshot"), "\(verify.stdout)")
    }

    @Test("log refuses to show a changed event (exit 1, naming its seq), and import appends nothing to a log with a changed event")
    func readsAndImportRefuseDamagedEvents() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        try damageEvent(dir, seq: 57)
        let log = try run(["log", "--from", "50", "--to", "60"], in: dir.path)
        #expect(log.status == 1)
        #expect(log.stderr.contains("event 57 does not match its stored hash"), "\(log.stderr)")
        // The events before it are still shown by a read that stops before it.
        #expect(try run(["log", "--to", "56"], in: dir.path).status == 0)

        // Import checks the whole chain first: damage anywhere stops it.
        let more = dir.file("more.jsonl", #"{"id":"late-1","type":"person.registered","effective":"2017-12-01","data":{"person":"p-late","birthDate":"1990-01-01","sex":"F"}}"#)
        let refused = try run(["import", more], in: dir.path)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("fails its check at seq 57") && refused.stderr.contains("nothing was appended"),
                "\(refused.stderr)")
        let env = try Environment(path: dir.path + "/ledger")
        let events = try env.openDatabase(named: "events", create: false)
        #expect(try env.read { txn in try txn.statistics(events).entries } == 242)
    }

    @Test("a read dated before the head refuses a changed event among those it takes out (exit 1), and a changed date index")
    func datedReadRefusesDamage() throws {
        let dir = WorkDirectory()
        try importedSample(dir)
        let good = try run(["balances", "--by", "fund", "--effective-on", "2016-06-30", "--format", "json"], in: dir.path)
        try #require(good.status == 0)
        // Event 171 is dated 2016-12-01: the dated read takes it out of the stored state.
        try damageEvent(dir, seq: 171)
        let damaged = try run(["balances", "--by", "fund", "--effective-on", "2016-06-30"], in: dir.path)
        #expect(damaged.status == 1, "\(damaged.stdout)")
        #expect(damaged.stderr.contains("event 171 does not match its stored hash"), "\(damaged.stderr)")
        try damageEvent(dir, seq: 171)  // put back

        do {
            let env = try Environment(path: dir.path + "/ledger")
            let index = try env.openDatabase(named: "effective-index", create: false)
            try env.write { txn in
                var last: [UInt8]?
                try txn.withCursor(index) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, _ in
                        last = Array(key)
                        return true
                    }
                }
                try txn.delete(index, key: try #require(last))
            }
        }
        let indexDamaged = try run(["balances", "--by", "fund", "--effective-on", "2016-06-30"], in: dir.path)
        #expect(indexDamaged.status == 1, "\(indexDamaged.stdout)")
        #expect(indexDamaged.stderr.contains("effective-index"), "\(indexDamaged.stderr)")
    }
}

/// Flips the third byte from the end of the first budget line's stored
/// balances (within one of its amounts, so it still decodes), in a
/// transaction of its own, as a byte changed on disk would.
func damageFirstBudgetLine(in env: Environment) throws {
    try flipValueByte(in: env, database: "projection-entries", from: [UInt8(1)], at: -3)
}

/// Flips the lowest bit of byte `offset` (from the end when negative) of
/// the value of the first entry of `database` at or after `key`, in a
/// transaction of its own, as a byte changed on disk would.
func flipValueByte(in env: Environment, database: String, from key: [UInt8]? = nil, at offset: Int) throws {
    let db = try env.openDatabase(named: database, create: false)
    try env.write { txn in
        var found: ([UInt8], [UInt8])?
        try txn.withCursor(db) { cursor in
            try cursor.forEach(from: key) { key, value in
                found = (Array(key), Array(value))
                return false
            }
        }
        var (key, value) = try #require(found)
        value[offset < 0 ? value.count + offset : offset] ^= 0x01
        try txn.put(db, key: key, value: value)
    }
}
