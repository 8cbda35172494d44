import LMDBKit
import LedgerTestSupport
import Testing

/// A write transaction stores and looks up through one cursor per database,
/// kept for the transaction's life. Whatever the order of stores, appends,
/// look-ups, deletes and clears, every read must see exactly what a plain
/// dictionary of the same calls holds, within the transaction and after it
/// commits, for values on a page and values longer than one.
@Suite("LMDB: a write transaction's kept cursors")
struct KeptCursorTests {
    /// Keys mostly just past the last one (as an import's are), the rest
    /// anywhere in a range a few leaf pages wide, so that look-ups land on
    /// the cursor's own page, on others, past the end and on absent keys.
    func key(_ random: inout SplitMix, next: inout Int) -> [UInt8] {
        let number: Int
        if random.below(3) > 0 {
            next += 1 + random.below(2)
            number = next
        } else {
            number = random.below(next + 50)
        }
        return Array("k\(String(number, radix: 10)).\(number % 7)".utf8)
    }

    @Test("random stores, appends, deletes and clears read back as a dictionary of the same calls", arguments: [1, 2, 3] as [UInt64])
    func matchesDictionary(seed: UInt64) throws {
        let dir = TemporaryDirectory()
        let env = try Environment(path: dir.path)
        let names = ["first", "second"]
        let databases = try names.map { try env.openDatabase(named: $0, create: true) }
        var models: [[[UInt8]: [UInt8]]] = [[:], [:]]
        var random = SplitMix(seed: seed)
        var next = [0, 0]
        for transaction in 0..<6 {
            try env.write { txn in
                for step in 0..<3_000 {
                    let which = random.below(2)
                    let database = databases[which]
                    let key = key(&random, next: &next[which])
                    // Now and then a value longer than a page (LMDB keeps it on overflow pages).
                    let length = random.below(50) == 0 ? 5_000 + random.below(10_000) : random.below(200)
                    let value = Array("v\(transaction).\(step)".utf8) + [UInt8](repeating: UInt8(step & 0xFF), count: length)
                    switch random.below(20) {
                    case 0..<8:
                        try txn.put(database, key: key, value: value)
                        models[which][key] = value
                    case 8..<10:
                        let inserted = try txn.insertNew(database, key: key, value: value)
                        #expect(inserted == (models[which][key] == nil), "insertNew of an absent key stores it, of a present one refuses")
                        if inserted { models[which][key] = value }
                    case 10..<12:
                        // An append succeeds exactly when the key is past every stored key.
                        let last = models[which].keys.max { $0.lexicographicallyPrecedes($1) }
                        let isLast = last.map { $0.lexicographicallyPrecedes(key) } ?? true
                        do {
                            try txn.append(database, key: key, value: value)
                            #expect(isLast, "append of a key before the last one must fail")
                            models[which][key] = value
                        } catch let error as LMDBError {
                            #expect(!isLast, "append of a key past the last one failed: \(error)")
                        }
                    case 12..<14:
                        let deleted = try txn.delete(database, key: key)
                        #expect(deleted == (models[which][key] != nil))
                        models[which][key] = nil
                    case 14:
                        if random.below(40) == 0 {
                            try txn.clear(database)
                            models[which] = [:]
                        }
                    default:
                        #expect(try txn.get(database, key: key) == models[which][key], "look-up of \(String(decoding: key, as: UTF8.self))")
                    }
                }
                // Every key, read in order inside the transaction.
                for (which, database) in databases.enumerated() {
                    #expect(try contents(of: database, in: txn) == sorted(models[which]))
                }
            }
        }
        try env.read { (txn: ReadTransaction) throws in
            for (which, database) in databases.enumerated() {
                #expect(try contents(of: database, in: txn) == sorted(models[which]))
                for (key, value) in models[which] { #expect(try txn.get(database, key: key) == value) }
            }
        }
    }

    func contents(of database: Database, in txn: ReadTransaction) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try txn.withCursor(database) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, value in
                out.append(Array(key))
                out.append(Array(value))
                return true
            }
        }
        return out
    }

    func sorted(_ model: [[UInt8]: [UInt8]]) -> [[UInt8]] {
        model.sorted { $0.key.lexicographicallyPrecedes($1.key) }.flatMap { [$0.key, $0.value] }
    }
}
