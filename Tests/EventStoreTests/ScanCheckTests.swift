import EventStore
import LMDBKit
import LedgerCore
import LedgerTestSupport
import Testing

/// A scan checks each record's link before it serves the record: runs of
/// records are held back and their links hashed two at a time. What a
/// reader sees must be what a check of one record at a time gives: every
/// record before a changed one, in order, then the error naming the
/// changed one; nothing after it; and a reader that stops early never
/// hears of a change past where it stopped.
@Suite("Scans serve only checked records, in order, and stop at the first broken link")
struct ScanCheckTests {
    /// A ledger of the sample history (242 events) with the record at
    /// `damaged` changed in its last byte (its stored hash left as it was).
    static func ledger(damaged: UInt64?, in dir: TemporaryDirectory) throws -> Ledger {
        let path = dir.path + "/ledger"
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([fixture("sample-history.jsonl")]).get()
        }
        if let damaged {
            let env = try Environment(path: path)
            let events = try env.openDatabase(named: "events", create: false)
            try env.write { txn in
                var record = try #require(try txn.get(events, key: sequenceKey(damaged)))
                record[record.count - 1] ^= 0x01
                try txn.put(events, key: sequenceKey(damaged), value: record)
            }
        }
        return try Ledger.open(at: path, options: .init(readOnly: true))
    }

    @Test("records before a changed one are served, then the scan names it", arguments: [1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 63, 64, 65, 127, 200, 242] as [UInt64])
    func stopsAtTheChange(damaged: UInt64) throws {
        let dir = TemporaryDirectory()
        let ledger = try Self.ledger(damaged: damaged, in: dir)
        for from: UInt64 in [1, 2, 3, max(1, damaged - 1), damaged] where from <= damaged {
            var served: [UInt64] = []
            #expect {
                try ledger.forEachRecord(from: from) { record in
                    served.append(record.seq)
                    return true
                }
            } throws: { error in
                "\(error)".contains("event \(damaged) does not match its stored hash")
            }
            #expect(served == Array(from..<damaged), "from \(from)")
            var decoded: [UInt64] = []
            #expect(throws: (any Error).self) {
                try ledger.forEachEvent(from: from) { stored in
                    decoded.append(stored.seq)
                    return true
                }
            }
            #expect(decoded == Array(from..<damaged), "from \(from), decoded")
        }
        // A reader that stops before the change hears nothing of it.
        if damaged > 1 {
            var served: [UInt64] = []
            try ledger.forEachRecord { record in
                served.append(record.seq)
                return record.seq < damaged - 1
            }
            #expect(served == Array(1..<damaged))
        }
        // A read that ends before the change does not report it either.
        if damaged > 1 {
            var count = 0
            try ledger.forEachRecord(to: damaged - 1) { _ in
                count += 1
                return true
            }
            #expect(count == Int(damaged - 1))
        }
    }

    @Test("an undamaged ledger is served whole, from any start, to any end, and stopped anywhere")
    func whole() throws {
        let dir = TemporaryDirectory()
        let ledger = try Self.ledger(damaged: nil, in: dir)
        let all = try ledger.allEvents()
        #expect(all.count == 242)
        var random = SplitMix(seed: 42)
        for _ in 0..<40 {
            let from = UInt64(1 + random.below(242))
            let to = from + UInt64(random.below(242))
            let stopAt = from + UInt64(random.below(300))
            var served: [(UInt64, [UInt8])] = []
            try ledger.forEachRecord(from: from, to: to) { record in
                served.append((record.seq, Array(record.storedHash)))
                return record.seq < stopAt
            }
            let last = min(to, 242, max(stopAt, from))
            #expect(served.map(\.0) == Array(from...last), "from \(from) to \(to) stopping at \(stopAt)")
            for (seq, hash) in served { #expect(hash == all[Int(seq) - 1].hash) }
        }
    }
}
