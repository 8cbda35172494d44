import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Projections
import Testing

@Suite("Stored projections")
struct ProjectionStoreTests {
    /// Balances folded in memory from the parsed lines of a file, up to `prefix` events.
    func folded(_ path: String, prefix: Int = .max, view: LedgerView = .all) throws -> Balances {
        final class Lookup: EventLookup {
            var byID: [String: Event] = [:]
            var grants: [String: Event] = [:]
            func event(withID id: String) throws -> Event? { byID[id] }
            func grant(_ id: String) throws -> Event? { grants[id] }
        }
        let lookup = Lookup()
        var balances = Balances()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var count = 0
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            guard count < prefix else { break }
            let event = try EventParser().parse(String(line))
            guard lookup.byID[event.id] == nil else { continue }
            lookup.byID[event.id] = event
            if event.type == .subsidyGranted { lookup.grants[try #require(event.data.string(.grant))] = event }
            try balances.apply(event, view: view, lookup: lookup)
            count += 1
        }
        return balances
    }

    func digest(_ balances: Balances) -> String { Ledger.digest(of: StateCodec.canonicalBytes(balances)) }

    /// The sample history imported in three parts with a snapshot every 40
    /// events: reads start from a snapshot, the stored projections or
    /// nothing, and fold the rest from the memory map.
    func sampleInParts(_ dir: TemporaryDirectory) throws -> (ledger: Ledger, sample: String, lines: [String]) {
        let ledger = try makeLedger(dir, options: .init(snapshotIntervalEvents: 40))
        let sample = fixture("sample-history.jsonl")
        let lines = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").map(String.init)
        for range in [0..<45, 45..<130, 130..<lines.count] {
            _ = try ledger.importFiles([dir.file("part\(range.lowerBound).jsonl", lines[range].joined(separator: "\n"))]).get()
        }
        return (ledger, sample, lines)
    }

    @Test("reads through the compact fold equal a plain fold from the first event, at every prefix and on several business dates",
          .tags(.slow), .notInFastRuns)
    func compactFoldEqualsPlainFold() throws {
        let dir = TemporaryDirectory()
        let (ledger, sample, lines) = try sampleInParts(dir)
        #expect(try ledger.allEvents().contains { $0.event.type == .entryReversed }, "the sample must exercise reversals")
        let dates = try ["2015-06-30", "2016-03-15", "2016-12-31", "2017-06-30"].map { try #require(CalendarDate.parse($0)) }
        for prefix in 1...lines.count {
            let view = LedgerView(asOfSeq: UInt64(prefix))
            #expect(digest(try ledger.balances(view: view).balances) == digest(try folded(sample, prefix: prefix)), "prefix \(prefix)")
            guard prefix % 20 == 0 || prefix == lines.count else { continue }
            for date in dates {
                let dated = LedgerView(asOfSeq: UInt64(prefix), effectiveOn: date)
                #expect(digest(try ledger.balances(view: dated).balances) == digest(try folded(sample, prefix: prefix, view: dated)),
                        "prefix \(prefix) effective on \(date)")
            }
        }
        // A rebuild (compact) leaves the digest of the plain fold, with the same snapshots.
        #expect(try ledger.rebuildProjections().digest == digest(try folded(sample)))
    }

    @Test("events imported while a rebuild folds are folded into its last transaction: the rebuilt state covers them")
    func importDuringRebuild() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir, options: .init(snapshotIntervalEvents: 25))
        let sample = fixture("sample-history.jsonl")
        let lines = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").map(String.init)
        _ = try ledger.importFiles([dir.file("first.jsonl", lines[0..<150].joined(separator: "\n"))]).get()
        let rebuilt = try ledger.rebuildProjections(progress: nil) {
            // The fold has reached seq 150; an import appends the rest.
            _ = try ledger.importFiles([dir.file("rest.jsonl", lines[150...].joined(separator: "\n"))]).get()
        }
        #expect(rebuilt.head == UInt64(lines.count))
        #expect(rebuilt.digest == digest(try folded(sample)))
        #expect(try ledger.storedProjectionDigest()?.checkpoint == UInt64(lines.count))
        #expect(try ledger.storedProjectionDigest()?.digest == rebuilt.digest)
        for prefix in [24, 25, 140, 150, 151, 200, lines.count] {
            let (balances, _) = try ledger.balances(view: LedgerView(asOfSeq: UInt64(prefix)))
            #expect(digest(balances) == digest(try folded(sample, prefix: prefix)), "prefix \(prefix)")
            let dated = LedgerView(asOfSeq: UInt64(prefix), effectiveOn: CalendarDate.parse("2016-06-30"))
            #expect(digest(try ledger.balances(view: dated).balances) == digest(try folded(sample, prefix: prefix, view: dated)),
                    "prefix \(prefix) on 2016-06-30")
        }
        // A rebuild with nothing in between leaves the same state.
        #expect(try ledger.rebuildProjections().digest == rebuilt.digest)
    }

    @Test("incremental projections, a rebuild and an in-memory fold agree, at the head and at every prefix")
    func incrementalEqualsRebuild() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let sample = fixture("sample-history.jsonl")
        // Import in three batches so the stored state is carried across appends.
        let lines = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").map(String.init)
        for (index, range) in [0..<80, 80..<81, 81..<lines.count].enumerated() {
            let part = dir.file("part\(index).jsonl", lines[range].joined(separator: "\n"))
            _ = try ledger.importFiles([part]).get()
        }
        let incremental = try #require(try ledger.storedProjectionDigest())
        #expect(incremental.checkpoint == UInt64(lines.count))
        let expected = digest(try folded(sample))
        #expect(incremental.digest == expected)
        let rebuilt = try ledger.rebuildProjections()
        #expect(rebuilt.digest == expected)
        #expect(try ledger.storedProjectionDigest()?.digest == expected)
        #expect(try ledger.rebuildProjections().digest == expected)
        for prefix in [1, 17, 55, 80, 81, 150, 241] {
            let (balances, last) = try ledger.balances(view: LedgerView(asOfSeq: UInt64(prefix)))
            #expect(last == UInt64(prefix))
            #expect(digest(balances) == digest(try folded(sample, prefix: prefix)), "prefix \(prefix)")
        }
    }

    @Test("as-of reads start from the nearest snapshot and give what a fold of the prefix gives",
          .tags(.slow), .notInFastRuns, arguments: [UInt64(7), 50])
    func snapshots(interval: UInt64) throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir, options: .init(snapshotIntervalEvents: interval))
        let sample = fixture("sample-history.jsonl")
        let lines = try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").map(String.init)
        // Batches of 30: snapshots fall at batch ends once `interval` events have passed.
        var start = 0
        while start < lines.count {
            let end = min(lines.count, start + 30)
            _ = try ledger.importFiles([dir.file("b\(start).jsonl", lines[start..<end].joined(separator: "\n"))]).get()
            start = end
        }
        let incremental = try ledger.projectionStatus().snapshots
        #expect(incremental.count >= 4)
        let rebuilt = try ledger.rebuildProjections()
        #expect(rebuilt.digest == digest(try folded(sample)))
        // A rebuild snapshots at multiples of the interval.
        #expect(try ledger.projectionStatus().snapshots == Array(stride(from: interval, through: UInt64(lines.count), by: Int(interval))))
        for prefix in [1, 6, 7, 8, 49, 50, 51, 99, 100, 101, 199, 241, 242] {
            let (balances, _) = try ledger.balances(view: LedgerView(asOfSeq: UInt64(prefix)))
            #expect(digest(balances) == digest(try folded(sample, prefix: prefix)), "prefix \(prefix)")
            // Both axes: stored state minus what is dated later, against a fold that filters by date.
            for date in ["2015-03-31", "2015-12-31", "2016-06-30", "2016-12-31", "2017-09-30"] {
                let dated = LedgerView(asOfSeq: UInt64(prefix), effectiveOn: CalendarDate.parse(date))
                let (balances, _) = try ledger.balances(view: dated)
                #expect(digest(balances) == digest(try folded(sample, prefix: prefix, view: LedgerView(effectiveOn: CalendarDate.parse(date)))),
                        "prefix \(prefix) effective on \(date)")
            }
        }
    }

    @Test("a back-dated event recorded late changes the --effective-on view but not the --as-of-seq view before it")
    func bothTimeAxes() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let first = dir.file("a.jsonl", [
            #"{"id":"a1","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"f","region":"220102","fiscalYear":2016,"amount":"1000"}}"#,
            #"{"id":"a2","type":"fund.appropriated","effective":"2016-06-01","data":{"fund":"f","region":"220102","fiscalYear":2016,"amount":"500"}}"#,
        ].joined(separator: "\n"))
        _ = try ledger.importFiles([first]).get()
        // Recorded later, effective in March: back-dated.
        let late = dir.file("b.jsonl",
            #"{"id":"a3","type":"fund.appropriated","effective":"2016-03-01","data":{"fund":"f","region":"220102","fiscalYear":2016,"amount":"250"}}"#)
        _ = try ledger.importFiles([late]).get()
        let line = BudgetLineKey(fund: "f", region: "220102", fiscalYear: 2016)
        func received(_ view: LedgerView) throws -> String? { try ledger.balances(view: view).balances.lines[line]?.received.yuan }
        let march = CalendarDate.parse("2016-03-31")
        #expect(try received(LedgerView(effectiveOn: march)) == "1250.00")
        #expect(try received(LedgerView(asOfSeq: 2, effectiveOn: march)) == "1000.00")
        #expect(try received(LedgerView(asOfSeq: 2)) == "1500.00")
        #expect(try received(.all) == "1750.00")
        // --known-at before the second import sees only the first.
        let firstRecorded = try ledger.allEvents()[0].recordedMicros
        #expect(try received(LedgerView(knownAtMicros: firstRecorded)) == "1500.00")
    }

    @Test("projections of an older version are rebuilt on the next append, not trusted")
    func versionMismatch() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        _ = try ledger.importFiles([fixture("sample-history.jsonl")]).get()
        let good = try #require(try ledger.storedProjectionDigest())
        try ledger.corruptProjectionVersionForTesting()
        #expect(try ledger.storedProjectionDigest() == nil)
        // Reads fall back to the log.
        #expect(digest(try ledger.balances(view: .all).balances) == good.digest)
        _ = try ledger.importFiles([dir.file("empty.jsonl", "")]).get()
        #expect(try ledger.storedProjectionDigest()?.digest == good.digest)
    }

    @Test("projections of version 2 (snapshots of kinds 0 and 1) are read, verified and built on, not rebuilt")
    func version2ProjectionsContinue() throws {
        let dir = TemporaryDirectory()
        var options = Ledger.OpenOptions()
        options.snapshotIntervalEvents = 40
        let ledger = try makeLedger(dir, options: options)
        // The sample history, then 100 appropriations to one line: the
        // snapshots among them change that line only, so they are deltas.
        let appropriations = (0..<100).map { index in
            #"{"id":"v2-a\#(index)","type":"fund.appropriated","effective":"2017-03-01","data":{"fund":"employment-special","region":"220102","fiscalYear":2017,"amount":"10"}}"#
        }.joined(separator: "\n")
        _ = try ledger.importFiles([fixture("sample-history.jsonl"), dir.file("lines.jsonl", appropriations)]).get()
        _ = try ledger.rebuildProjections()
        // A rebuild writes a packed whole snapshot first, then packed deltas.
        let packedKinds = try ledger.snapshotKindsForTesting()
        #expect(packedKinds.first == 2 && packedKinds.contains(3), "\(packedKinds)")
        let seqs: [UInt64] = [40, 41, 79, 120, 201, 242, 281, 321, 342]
        var before: [UInt64: String] = [:]
        for seq in seqs { before[seq] = digest(try ledger.balances(view: LedgerView(asOfSeq: seq)).balances) }
        let stored = try #require(try ledger.storedProjectionDigest())

        try ledger.storeSnapshotsAsVersion2ForTesting()
        #expect(try ledger.snapshotKindsForTesting() == packedKinds.map { $0 - 2 })
        #expect(try ledger.projectionStatus().version == 2)
        for seq in seqs { #expect(digest(try ledger.balances(view: LedgerView(asOfSeq: seq)).balances) == before[seq], "as of \(seq)") }
        // verify compares them (a version it did not take would only be noted).
        let report = try ledger.checkDerivedData()
        #expect(report.ok && report.notes.isEmpty, "\(report.problems) \(report.notes)")
        #expect(report.checked.contains("projection-snapshots"))

        // An import continues them: nothing refolded, the old snapshots kept.
        var notices: [String] = []
        try ledger.prepareProjections { notices.append($0) }
        #expect(notices.isEmpty, "\(notices)")
        let more = dir.file("more.jsonl", #"{"id":"v2-1","type":"fund.appropriated","effective":"2016-03-01","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"250"}}"#)
        _ = try ledger.importFiles([more]).get()
        #expect(try ledger.projectionStatus().version == 3)
        #expect(try ledger.snapshotKindsForTesting().prefix(packedKinds.count) == packedKinds.map { $0 - 2 }[...])
        for seq in seqs { #expect(digest(try ledger.balances(view: LedgerView(asOfSeq: seq)).balances) == before[seq], "as of \(seq)") }
        #expect(try ledger.checkDerivedData().ok)
        let continued = try #require(try ledger.storedProjectionDigest())
        #expect(continued.digest != stored.digest)
        #expect(try ledger.rebuildProjections().digest == continued.digest)
    }

    /// Appropriations of `yuan` each, one per region, under a bound that
    /// lets amounts near 64 bits through (the seed policy would refuse them).
    func hugeAppropriations(_ regions: [String], yuan: String) -> String {
        regions.enumerated().map { index, region in
            "{\"id\":\"a-\(index)\",\"type\":\"fund.appropriated\",\"effective\":\"2016-01-01\",\"data\":{\"fund\":\"employment-special\","
                + "\"region\":\"\(region)\",\"fiscalYear\":2016,\"amount\":\"\(yuan)\"}}"
        }.joined(separator: "\n")
    }

    @Test("an import whose sums the compact fold cannot bound is folded the plain way: the same entries, and a real overflow is the line's error")
    func importBeyondTheCompactFold() throws {
        let bound = AmountBound([.init(from: CalendarDate(year: 2000, month: 1, day: 1)!, max: Money(fen: .max))])
        let parser = EventParser(amountBound: bound)
        final class NoLookup: EventLookup {
            func event(withID id: String) throws -> Event? { nil }
            func grant(_ id: String) throws -> Event? { nil }
        }

        // 5 × 10^18 fen on each of two lines, then a small one: the sum of
        // magnitudes passes Int64 at the second event, no line does.
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let text = hugeAppropriations(["220102", "220104"], yuan: "50000000000000000.00") + "\n"
            + hugeAppropriations(["220105"], yuan: "100.00").replacingOccurrences(of: "a-0", with: "a-2")
        let report = try ledger.importEvents(from: [InputFile(path: dir.file("huge.jsonl", text))], parser: parser)
        #expect(report.appended == 3)
        var plain = Balances()
        for line in text.split(separator: "\n") { try plain.apply(try parser.parse(String(line)), lookup: NoLookup()) }
        #expect(try ledger.storedProjectionDigest()?.digest == digest(plain))
        #expect(try ledger.rebuildProjections().digest == digest(plain))

        // Twice on one line: the second appropriation is refused, naming the
        // overflow, and nothing is appended.
        let other = TemporaryDirectory()
        let refused = try makeLedger(other)
        let twice = hugeAppropriations(["220102", "220102"], yuan: "50000000000000000.00")
        do {
            _ = try refused.importEvents(from: [InputFile(path: other.file("twice.jsonl", twice))], parser: parser)
            Issue.record("an overflowing import was accepted")
        } catch let rejected as ImportRejected {
            #expect(rejected.report.errors.map(\.line) == [2])
            #expect(rejected.report.errors.first.map { "\($0.error)".contains("would take appropriations of") } == true,
                    "\(rejected.report.errors)")
        }
        #expect(try refused.allEvents().isEmpty)
    }

    /// `balances` as a reader of lines and loans only would see it.
    func linesAndLoans(_ balances: Balances) -> Balances {
        var kept = balances
        kept.people = [:]
        kept.enterprises = [:]
        return kept
    }

    @Test("a read of lines and loans only gives the full read's lines and loans, from stored entries, snapshots, folds and dated views; people or enterprises alone likewise")
    func linesAndLoansRead() throws {
        let dir = TemporaryDirectory()
        let (ledger, _, lines) = try sampleInParts(dir)
        _ = try ledger.rebuildProjections()
        #expect(try ledger.projectionStatus().snapshots.count >= 4)
        for prefix in [1, 39, 40, 41, 80, 81, 119, 160, 200, 201, lines.count - 1, lines.count] {
            for date in [nil, "2015-06-30", "2016-12-31"] {
                let view = LedgerView(asOfSeq: UInt64(prefix), effectiveOn: date.flatMap(CalendarDate.parse))
                let full = try ledger.balances(view: view).balances
                let reduced = try ledger.balances(view: view, tables: .linesAndLoans).balances
                #expect(reduced.people.isEmpty && reduced.enterprises.isEmpty)
                #expect(digest(reduced) == digest(linesAndLoans(full)), "prefix \(prefix) effective on \(date ?? "any day")")
                var onlyPeople = full
                onlyPeople.enterprises = [:]
                #expect(digest(try ledger.balances(view: view, tables: .people).balances) == digest(onlyPeople), "people, prefix \(prefix)")
                var onlyEnterprises = full
                onlyEnterprises.people = [:]
                #expect(digest(try ledger.balances(view: view, tables: .enterprises).balances) == digest(onlyEnterprises),
                        "enterprises, prefix \(prefix)")
            }
            if prefix == lines.count { #expect(!linesAndLoans(try ledger.balances(view: .all).balances).lines.isEmpty) }
        }
    }

    @Test("a person entry or snapshot item the lines-and-loans read skips is still held to its checksum and digest")
    func linesAndLoansReadRefusesDamage() throws {
        let dir = TemporaryDirectory()
        let sample = fixture("sample-history.jsonl")
        do {
            let ledger = try makeLedger(dir, options: .init(snapshotIntervalEvents: 40))
            _ = try ledger.importFiles([sample]).get()
            _ = try ledger.rebuildProjections()
        }
        let path = dir.path + "/ledger"
        let head = try Ledger.open(at: path, options: .init(readOnly: true)).head().seq
        let env = try Environment(path: path)
        // A person entry of the stored projections (table 2): the head read.
        let entries = try env.openDatabase(named: "projection-entries", create: false)
        let original: (key: [UInt8], value: [UInt8]) = try env.read { txn in
            var found: ([UInt8], [UInt8])?
            try txn.withCursor(entries) { cursor in
                try cursor.forEach(from: [UInt8(2)]) { k, v in
                    found = (Array(k), Array(v))
                    return false
                }
            }
            return try #require(found)
        }
        #expect(original.key.first == 2)
        try env.write { txn in
            var value = original.value
            value[value.count - 1] ^= 0x01
            try txn.put(entries, key: original.key, value: value)
        }
        do {
            _ = try Ledger.open(at: path, options: .init(readOnly: true)).balances(view: .all, tables: .linesAndLoans)
            Issue.record("a damaged person entry was passed over")
        } catch LedgerError.corrupt(let message) {
            #expect(message.contains("rebuild"), "\(message)")
        }
        try env.write { txn in try txn.put(entries, key: original.key, value: original.value) }
        _ = try Ledger.open(at: path, options: .init(readOnly: true)).balances(view: .all, tables: .linesAndLoans)

        // A person item of the first snapshot: a read just after it.
        let snapshots = try env.openDatabase(named: "projection-snapshots", create: false)
        let (seq, snapshot): (UInt64, [UInt8]) = try env.read { txn in
            var first: (UInt64, [UInt8])?
            try txn.withCursor(snapshots) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { k, v in
                    first = (try #require(readSequence(k)), Array(v))
                    return false
                }
            }
            return try #require(first)
        }
        #expect(seq < head)
        // Items: table, key length (2 bytes), key, value length (4 bytes), value.
        var offset = 1, personValueEnd: Int?
        while offset < snapshot.count && personValueEnd == nil {
            let table = snapshot[offset]
            let keyLength = Int(snapshot[offset + 1]) << 8 | Int(snapshot[offset + 2])
            var at = offset + 3 + keyLength
            let valueLength = snapshot[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            at += 4 + valueLength
            if table == 2 { personValueEnd = at }
            offset = at
        }
        let end = try #require(personValueEnd, "the first snapshot holds a person entry")
        try env.write { txn in
            var value = snapshot
            value[end - 1] ^= 0x01
            try txn.put(snapshots, key: sequenceKey(seq), value: value)
        }
        do {
            _ = try Ledger.open(at: path, options: .init(readOnly: true)).balances(view: LedgerView(asOfSeq: seq + 1), tables: .linesAndLoans)
            Issue.record("a damaged snapshot was passed over")
        } catch LedgerError.corrupt(let message) {
            #expect(message.contains("snapshot at seq \(seq) does not match its digest"), "\(message)")
        }
    }
}
