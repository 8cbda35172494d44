@testable import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Projections
import Testing

/// Every derived database is compared with what the log implies: a changed,
/// missing or extra entry in any of them is named, and `rewriteIndexes` and
/// a rebuild put it right.
@Suite("Derived data: every derived database checked against the log")
struct DerivedCheckTests {
    /// The sample history imported in three batches, with a snapshot every
    /// 40 events, so that imports write snapshots; `rebuilt` rebuilds the
    /// projections afterwards, which writes whole and delta snapshots.
    func sampleLedger(_ dir: TemporaryDirectory, rebuilt: Bool) throws -> String {
        let lines = try String(contentsOfFile: fixture("sample-history.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let options = Ledger.OpenOptions(snapshotIntervalEvents: 40)
        let ledger = try makeLedger(dir, options: options)
        for (index, part) in [lines[..<90], lines[90..<170], lines[170...]].enumerated() {
            let report = try ledger.importFiles([dir.file("part-\(index).jsonl", part.joined(separator: "\n"))]).get()
            #expect(report.appended == part.count)
        }
        if rebuilt { _ = try ledger.rebuildProjections() }
        return dir.path + "/ledger"
    }

    /// Changes `database` of the closed ledger at `path` with `change`.
    func tamper(_ path: String, _ database: String, _ change: (WriteTransaction, Database) throws -> Void) throws {
        let env = try Environment(path: path)
        let db = try env.openDatabase(named: database, create: false)
        try env.write { txn in try change(txn, db) }
    }

    /// The first entry of `db` (or the one at `key`), its value with the last byte flipped.
    func flipLastValueByte(key: [UInt8]? = nil) -> (WriteTransaction, Database) throws -> Void {
        { txn, db in
            var entry: ([UInt8], [UInt8])?
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: key) { k, v in
                    entry = (Array(k), Array(v))
                    return false
                }
            }
            var (k, v) = try #require(entry)
            v[v.count - 1] ^= 0x01
            try txn.put(db, key: k, value: v)
        }
    }

    @Test("a sound ledger passes, whether its snapshots were written by imports or by a rebuild", arguments: [false, true])
    func sound(rebuilt: Bool) throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: rebuilt)
        let report = try Ledger.open(at: path).checkDerivedData()
        #expect(report.ok, "\(report.problems)")
        #expect(report.checked.count == 8)
        #expect(report.notes.isEmpty)
        let status = try Ledger.open(at: path).projectionStatus()
        #expect(status.snapshots.count == (rebuilt ? 6 : 3))
    }

    @Test("a changed byte in any derived database is named, and repaired by rewriteIndexes and a rebuild",
          arguments: ["ids", "streams", "stream-events", "reversals", "projection-entries", "projection-meta",
                      "projection-snapshots"])
    func changedValue(database: String) throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: database == "projection-snapshots")
        // projection-meta: its checkpoint, not its version (a version it does not know is set aside, not compared).
        let key: [UInt8]? = database == "projection-meta" ? Array("checkpoint".utf8) : nil
        try tamper(path, database, flipLastValueByte(key: key))
        let report = try Ledger.open(at: path).checkDerivedData()
        #expect(!report.ok)
        #expect(report.problems.contains { $0.database == database }, "\(report.problems)")
        // Nothing else is blamed.
        #expect(report.problems.allSatisfy { $0.database == database }, "\(report.problems)")

        let ledger = try Ledger.open(at: path)
        try ledger.rewriteIndexes()
        _ = try ledger.rebuildProjections()
        let after = try ledger.checkDerivedData()
        #expect(after.ok, "\(after.problems)")
    }

    @Test("the byte that moved a budget line by 655.36 yuan is caught: the entry is named")
    func budgetLineByte() throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: false)
        // Table 1 holds the budget lines; byte −3 of a value is within its last amount.
        try tamper(path, "projection-entries") { txn, db in
            var entry: ([UInt8], [UInt8])?
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: [UInt8(1)]) { k, v in
                    entry = (Array(k), Array(v))
                    return false
                }
            }
            var (k, v) = try #require(entry)
            v[v.count - 3] ^= 0x01
            try txn.put(db, key: k, value: v)
        }
        let report = try Ledger.open(at: path).checkDerivedData()
        let problem = try #require(report.problems.first)
        #expect(problem.database == "projection-entries")
        #expect(problem.message.contains("entry of budget line"), "\(problem.message)")
    }

    @Test("a missing and an extra entry are both named", arguments: ["ids", "streams", "stream-events", "reversals", "effective-index"])
    func missingAndExtra(database: String) throws {
        for extra in [false, true] {
            let dir = TemporaryDirectory()
            let path = try sampleLedger(dir, rebuilt: false)
            try tamper(path, database) { txn, db in
                var first: ([UInt8], [UInt8])?
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { k, v in
                        first = (Array(k), Array(v))
                        return false
                    }
                }
                let (k, v) = try #require(first)
                if extra {
                    // A key no event gives: the first one with a byte added.
                    try txn.put(db, key: k + [0x7E], value: v)
                } else {
                    try txn.delete(db, key: k)
                }
            }
            let report = try Ledger.open(at: path).checkDerivedData()
            #expect(report.problems.contains { $0.database == database }, "\(extra ? "extra" : "missing") \(database): \(report.problems)")
            if database == "streams" {
                // The walk of the two sides in key order names that one
                // entry, and nothing after it is out of step.
                #expect(report.problemCount == 1, "\(report.problems)")
                let said = extra ? "a stream no event opens" : "which the log opens"
                #expect(report.problems.first?.message.hasSuffix(said) == true, "\(report.problems)")
            }
        }
    }

    @Test("stored balances at the head missing an entry, holding an extra one or one of no known table are named",
          arguments: ["missing first", "missing last", "extra last", "extra middle", "unknown table"])
    func headEntriesMissingAndExtra(damage: String) throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: false)
        try tamper(path, "projection-entries") { txn, db in
            var entries: [([UInt8], [UInt8])] = []
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { k, v in
                    entries.append((Array(k), Array(v)))
                    return true
                }
            }
            let (firstKey, _) = try #require(entries.first)
            let (lastKey, lastValue) = try #require(entries.last)
            let (middleKey, middleValue) = entries[entries.count / 2]
            switch damage {
            case "missing first": try txn.delete(db, key: firstKey)
            case "missing last": try txn.delete(db, key: lastKey)
            // Keys the fold does not give: an existing one with a byte added.
            case "extra last": try txn.put(db, key: lastKey + [0x7E], value: lastValue)
            case "extra middle": try txn.put(db, key: middleKey + [0x7E], value: middleValue)
            default: try txn.put(db, key: [0xEE, 0x41], value: lastValue)
            }
        }
        let report = try Ledger.open(at: path).checkDerivedData()
        #expect(report.problems.contains { $0.database == "projection-entries" }, "\(damage): \(report.problems)")
        #expect(report.problems.allSatisfy { $0.database == "projection-entries" }, "\(damage): \(report.problems)")
    }

    @Test("a rebuild writes a date index missing a key, holding an extra one or emptied anew, and leaves a sound one as it was")
    func rebuildMendsDateIndex() throws {
        let soundDir = TemporaryDirectory()
        let soundPath = try sampleLedger(soundDir, rebuilt: false)
        let soundDigest = try Ledger.open(at: soundPath).rebuildProjections().digest
        #expect(try Ledger.open(at: soundPath).checkDerivedData().ok)
        for damage in ["missing", "extra", "emptied"] {
            let dir = TemporaryDirectory()
            let path = try sampleLedger(dir, rebuilt: false)
            try tamper(path, "effective-index") { txn, db in
                var keys: [[UInt8]] = []
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { k, _ in
                        keys.append(Array(k))
                        return true
                    }
                }
                switch damage {
                case "missing": try txn.delete(db, key: keys[keys.count / 2])
                case "extra": try txn.put(db, key: keys[0] + [0x7E], value: [UInt8]())
                default: try txn.clear(db)
                }
            }
            #expect(try !Ledger.open(at: path).checkDerivedData().ok, "\(damage): the damage is seen")
            let digest = try Ledger.open(at: path).rebuildProjections().digest
            #expect(digest == soundDigest)
            let report = try Ledger.open(at: path).checkDerivedData()
            #expect(report.ok, "\(damage): \(report.problems)")
        }
    }

    /// The sample history, then 100 appropriations to one line, rebuilt with
    /// a snapshot every 40 events: the snapshots among the appropriations
    /// change that line only, so they are deltas (kind 3).
    func deltaLedger(_ dir: TemporaryDirectory) throws -> (path: String, deltas: [UInt64]) {
        let ledger = try makeLedger(dir, options: Ledger.OpenOptions(snapshotIntervalEvents: 40))
        let appropriations = (0..<100).map { index in
            #"{"id":"d-a\#(index)","type":"fund.appropriated","effective":"2017-03-01","data":{"fund":"employment-special","region":"220102","fiscalYear":2017,"amount":"10"}}"#
        }.joined(separator: "\n")
        _ = try ledger.importFiles([fixture("sample-history.jsonl"), dir.file("lines.jsonl", appropriations)]).get()
        _ = try ledger.rebuildProjections()
        let path = dir.path + "/ledger"
        var deltas: [UInt64] = []
        try tamper(path, "projection-snapshots") { txn, db in
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    if value.first == StateCodec.SnapshotKind.packedDelta.rawValue {
                        deltas.append(key.reduce(0) { $0 << 8 | UInt64($1) })
                    }
                    return true
                }
            }
        }
        return (path, deltas)
    }

    @Test("a changed delta snapshot is found by its content alone (its digest gone) and named at its seq; sound deltas pass")
    func changedDelta() throws {
        let probeDir = TemporaryDirectory()
        let probe = try deltaLedger(probeDir)
        #expect(probe.deltas.count >= 2, "the rebuild writes deltas")
        let sound = try Ledger.open(at: probe.path).checkDerivedData()
        #expect(sound.ok && sound.notes.isEmpty, "\(sound.problems) \(sound.notes)")
        for seq in probe.deltas {
            let dir = TemporaryDirectory()
            let (path, _) = try deltaLedger(dir)
            let key = (0..<8).map { UInt8(truncatingIfNeeded: seq >> (56 - 8 * UInt64($0))) }
            try tamper(path, "projection-snapshots", flipLastValueByte(key: key))
            try tamper(path, "projection-meta") { txn, db in
                try txn.delete(db, key: Array("snapshot".utf8) + key)
            }
            let report = try Ledger.open(at: path).checkDerivedData()
            let problem = try #require(report.problems.first, "a flipped byte in the delta at \(seq)")
            #expect(problem.database == "projection-snapshots")
            #expect(problem.message.contains("at seq \(seq)"), "\(problem.message)")
        }
    }

    @Test("the refold of the indexes in parts of 7 events, over a scratch map that must grow, finds what one part finds",
          arguments: ["", "ids", "streams", "stream-events", "reversals"])
    func refoldInParts(database: String) throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: true)
        if !database.isEmpty {
            // The middle entry, so that parts before and after it count.
            try tamper(path, database) { txn, db in
                var keys: [[UInt8]] = []
                try txn.withCursor(db) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, _ in
                        keys.append(Array(key))
                        return true
                    }
                }
                let key = keys[keys.count / 2]
                var value = try #require(try txn.get(db, key: key))
                value[value.count - 1] ^= 0x01
                try txn.put(db, key: key, value: value)
            }
        }
        let ledger = try Ledger.open(at: path)
        let whole = try ledger.checkDerivedData()
        let parts = try ledger.checkDerivedData(scratchPartEvents: 7, scratchMapBytes: 16 << 10)
        #expect(whole.ok == database.isEmpty, "\(whole.problems)")
        #expect(parts.problems == whole.problems)
        #expect(parts.problemCount == whole.problemCount && parts.checked == whole.checked && parts.notes == whole.notes)
    }

    @Test("a part of the refold that runs again after its scratch map grew starts from the part's own start: a reversal in it is not taken twice")
    func partRunAgain() throws {
        let dir = TemporaryDirectory()
        let ledger = try Ledger.open(at: try sampleLedger(dir, rebuilt: false))
        // Parts of every size up to 40 over a map of 16 KiB: the map grows
        // in some part holding the sample's reversal for some of them.
        for part in UInt64(1)...40 {
            let report = try ledger.checkDerivedData(scratchPartEvents: part, scratchMapBytes: 16 << 10)
            #expect(report.ok, "parts of \(part): \(report.problems)")
        }
    }

    @Test("snapshots written before snapshots carried a digest are noted, not blamed; the next import rebuilds the projections")
    func snapshotsWithoutDigest() throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: true)
        try tamper(path, "projection-meta") { txn, db in
            var keys: [[UInt8]] = []
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: Array("snapshot".utf8)) { key, _ in
                    guard key.starts(with: Array("snapshot".utf8)) else { return false }
                    keys.append(Array(key))
                    return true
                }
            }
            #expect(keys.count == 6)
            for key in keys { try txn.delete(db, key: key) }
        }
        let report = try Ledger.open(at: path).checkDerivedData()
        #expect(report.ok, "\(report.problems)")
        #expect(report.notes.contains { $0.contains("6 snapshot(s) written before snapshots carried a digest") }, "\(report.notes)")
        let ledger = try Ledger.open(at: path, options: Ledger.OpenOptions(snapshotIntervalEvents: 40))
        var notices: [String] = []
        _ = try ledger.importEvents(from: [try InputFile(path: dir.file("late.jsonl",
            #"{"id":"late-1","type":"person.registered","effective":"2017-12-01","data":{"person":"p-late","birthDate":"1990-01-01","sex":"F"}}"#))],
            notice: { notices.append($0) })
        #expect(notices.contains { $0.contains("without the checksum and snapshot digests") }, "\(notices)")
        let after = try ledger.checkDerivedData()
        #expect(after.ok && after.notes.isEmpty, "\(after.problems) \(after.notes)")
    }

    @Test("the projections checked beside the refold give the report they give checked after it, damaged or not; with the reversals stored as the log implies they are kept",
          arguments: ["sound", "reversal repointed", "reversal missing", "reversal unreadable", "projection entry", "reversal and projection entry",
                      "stream state", "snapshot"])
    func sideBySide(damage: String) throws {
        let dir = TemporaryDirectory()
        let path = try sampleLedger(dir, rebuilt: true)
        func firstKey(_ txn: WriteTransaction, _ db: Database) throws -> [UInt8] {
            var first: [UInt8]?
            try txn.withCursor(db) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { k, _ in
                    first = Array(k)
                    return false
                }
            }
            return try #require(first)
        }
        switch damage {
        case "reversal repointed":
            try tamper(path, "reversals", flipLastValueByte())
        case "reversal missing":
            try tamper(path, "reversals") { txn, db in try txn.delete(db, key: try firstKey(txn, db)) }
        case "reversal unreadable":
            try tamper(path, "reversals") { txn, db in try txn.put(db, key: try firstKey(txn, db) + [0], value: [1, 2, 3]) }
        case "projection entry":
            try tamper(path, "projection-entries", flipLastValueByte())
        case "reversal and projection entry":
            try tamper(path, "reversals") { txn, db in try txn.delete(db, key: try firstKey(txn, db)) }
            try tamper(path, "projection-entries", flipLastValueByte())
        case "stream state":
            try tamper(path, "streams", flipLastValueByte())
        case "snapshot":
            try tamper(path, "projection-snapshots", flipLastValueByte())
        default:
            break
        }
        let ledger = try Ledger.open(at: path)
        let beside = try ledger.checkDerivedData(scratchPartEvents: DerivedCheck.scratchPartEvents, scratchMapBytes: nil, sideBySide: true)
        let after = try ledger.checkDerivedData(scratchPartEvents: DerivedCheck.scratchPartEvents, scratchMapBytes: nil, sideBySide: false)
        #expect(beside.report.problems == after.report.problems)
        #expect(beside.report.problemCount == after.report.problemCount)
        #expect(beside.report.checked == after.report.checked)
        #expect(beside.report.notes == after.report.notes)
        #expect(!after.keptSideBySide)
        // Kept exactly when `reversals` holds what the log implies.
        #expect(beside.keptSideBySide == !damage.hasPrefix("reversal"), "\(damage)")
        #expect(beside.report.ok == (damage == "sound"), "\(damage): \(beside.report.problems)")
        if damage.hasPrefix("reversal") {
            #expect(beside.report.problems.contains { $0.database == "reversals" })
        }
        if damage.hasSuffix("projection entry") {
            #expect(beside.report.problems.contains { $0.database == "projection-entries" })
        }
    }
}

/// Long folds check the chain on a second thread; a broken link still stops them.
@Suite("Chain checks of long folds")
struct LongFoldChainTests {
    /// How many records a read-ahead scan of the whole log served, each in
    /// order, before it threw; the error it threw must contain `message`.
    static func servedBeforeFailing(_ ledger: Ledger, with message: String) throws -> UInt64 {
        var served: UInt64 = 0
        #expect {
            try ledger.forEachRecord(checkingAhead: true) { record in
                #expect(record.seq == served + 1)
                served = record.seq
                return true
            }
        } throws: { error in
            "\(error)".contains(message)
        }
        return served
    }

    @Test("a rebuild and an as-of fold over 20,000 events refuse a changed record in the middle, naming its seq; a sound rebuild gives the same digest twice")
    func brokenLinkInLongFold() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        let lines = (1...20_000).map { n in
            #"{"id":"r-\#(n)","type":"person.registered","effective":"2016-01-04","data":{"person":"p-\#(n)","birthDate":"1990-05-01","sex":"F"}}"#
        }
        let digest: String
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("people.jsonl", lines.joined(separator: "\n"))]).get()
            digest = try ledger.rebuildProjections().digest
            #expect(try ledger.rebuildProjections().digest == digest)
        }
        do {
            let env = try Environment(path: path)
            let events = try env.openDatabase(named: "events", create: false)
            try env.write { txn in
                var record = try #require(try txn.get(events, key: sequenceKey(12_345)))
                record[record.count - 1] ^= 0x01
                try txn.put(events, key: sequenceKey(12_345), value: record)
            }
        }
        let ledger = try Ledger.open(at: path)
        #expect {
            _ = try ledger.rebuildProjections()
        } throws: { error in
            "\(error)".contains("event 12345 does not match its stored hash")
        }
        #expect {
            _ = try ledger.balances(view: LedgerView(asOfSeq: 19_000))
        } throws: { error in
            "\(error)".contains("event 12345 does not match its stored hash")
        }
        // A fold that stops before the changed record is served.
        #expect(throws: Never.self) { _ = try ledger.balances(view: LedgerView(asOfSeq: 12_344)) }
        // The audit's reading and the reports' live records read ahead too:
        // the records before the change are served in order, then it is named.
        #expect(try Self.servedBeforeFailing(ledger, with: "event 12345 does not match its stored hash") == 12_344)
        var live = 0
        #expect {
            try ledger.forEachLiveRecord(view: LedgerView()) { _ in live += 1 }
        } throws: { error in
            "\(error)".contains("event 12345 does not match its stored hash")
        }
        #expect(live == 12_344)
        // A read that stops before it (the audit's view ends there) is served whole.
        #expect(throws: Never.self) {
            try ledger.forEachRecord(checkingAhead: true) { record in record.seq < 12_000 }
        }
    }

    @Test("a record missing or cut short in the middle of a long fold is named once the records before it are served, whether the second thread walks the log (a read) or is handed it (a write)",
          arguments: [false, true])
    func walkProblemsInLongFold(cutShort: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        let lines = (1...20_000).map { n in
            #"{"id":"r-\#(n)","type":"person.registered","effective":"2016-01-04","data":{"person":"p-\#(n)","birthDate":"1990-05-01","sex":"F"}}"#
        }
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("people.jsonl", lines.joined(separator: "\n"))]).get()
        }
        do {
            let env = try Environment(path: path)
            let events = try env.openDatabase(named: "events", create: false)
            try env.write { txn in
                if cutShort {
                    try txn.put(events, key: sequenceKey(14_000), value: [UInt8](repeating: 7, count: 40))
                } else {
                    _ = try txn.delete(events, key: sequenceKey(14_000))
                }
            }
        }
        let expected = cutShort ? "event 14000 is shorter than a record's header" : "sequence number 14000 is missing from the log"
        let ledger = try Ledger.open(at: path)
        #expect(try Self.servedBeforeFailing(ledger, with: expected) == 13_999)
        // A fold that stops before the damage is served whole.
        var served: UInt64 = 0
        #expect(throws: Never.self) {
            try ledger.forEachRecord(checkingAhead: true) { record in
                served = record.seq
                return record.seq < 13_000
            }
        }
        #expect(served == 13_000)
        // The Merkle tree is recomputed inside a write transaction: the scan walks there.
        #expect {
            _ = try ledger.rebuildMerkleTree()
        } throws: { error in
            "\(error)".contains(expected)
        }
        #expect {
            _ = try ledger.rebuildProjections()
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("the refold of the append rules over 20,000 events, its events decoded on a second thread, finds what the refold in short parts read inline finds")
    func refoldReadAhead() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        var lines: [String] = []
        for n in 1...18_000 {
            lines.append(#"{"id":"r-\#(n)","type":"person.registered","effective":"2016-01-04","data":{"person":"p-\#(n)","birthDate":"1990-05-01","sex":"F"}}"#)
            if n % 9 == 0 {
                lines.append(#"{"id":"x-\#(n)","type":"entry.reversed","effective":"2016-02-01","data":{"target":"r-\#(n)","reason":"entered twice"}}"#)
            }
        }
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("people.jsonl", lines.joined(separator: "\n"))]).get()
        }
        // Parts of 5,000 events are read inline; one part of all 20,000 reads ahead.
        let sound = try Ledger.open(at: path)
        let ahead = try sound.checkDerivedData()
        let inline = try sound.checkDerivedData(scratchPartEvents: 5_000, scratchMapBytes: nil)
        #expect(ahead.ok && inline.ok, "\(ahead.problems) \(inline.problems)")
        // A reversal's entry gone and a stream's state changed, past the middle.
        do {
            let env = try Environment(path: path)
            let reversals = try env.openDatabase(named: "reversals", create: false)
            let streams = try env.openDatabase(named: "streams", create: false)
            try env.write { txn in
                let reversed = try #require(try sound.sequenceNumbers(ofStream: "person:p-16200").first)
                try txn.delete(reversals, key: sequenceKey(reversed))
                var state = try #require(try txn.get(streams, key: Array("person:p-17001".utf8)))
                state[state.count - 1] ^= 0x01
                try txn.put(streams, key: Array("person:p-17001".utf8), value: state)
            }
        }
        let damaged = try Ledger.open(at: path)
        let aheadDamaged = try damaged.checkDerivedData()
        let inlineDamaged = try damaged.checkDerivedData(scratchPartEvents: 5_000, scratchMapBytes: nil)
        #expect(aheadDamaged.problems == inlineDamaged.problems)
        #expect(aheadDamaged.problems.contains { $0.database == "reversals" })
        #expect(aheadDamaged.problems.contains { $0.database == "streams" && $0.message.contains("person:p-17001") })
    }
}
