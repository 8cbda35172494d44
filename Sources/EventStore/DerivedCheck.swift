import Foundation
import LMDBKit
import LedgerCore
import Projections

/// Something a derived database holds that the log does not imply.
public struct DerivedProblem: Sendable, Equatable, CustomStringConvertible {
    /// The database, as named in docs/FORMAT.md (`ids`, `streams`, …).
    public var database: String
    public var message: String

    public var description: String { "\(database): \(message)" }
}

/// The outcome of checking every derived database against the log.
public struct DerivedReport: Sendable {
    /// The databases compared entry by entry with what the log implies.
    public var checked: [String] = []
    /// What differs, at most ``DerivedCheck/maxProblemsPerDatabase`` per database.
    public var problems: [DerivedProblem] = []
    /// How many differences were found in all (more than are listed when a database differs a lot).
    public var problemCount = 0
    /// Why a database was not compared (an earlier projection version, say).
    public var notes: [String] = []

    public var ok: Bool { problemCount == 0 }
}

/// Recomputes every derived database from the events alone and compares it
/// with what is stored, naming each difference. Runs inside one read
/// transaction, so a concurrent import cannot make it see half a batch.
///
/// The append-time indexes (`ids`, `streams`, `stream-events`,
/// `reversals`) are recomputed by the same ``AppendRules`` an import runs,
/// over a state held in memory; the stored projections (`projection-entries`,
/// `projection-meta`, every snapshot, `effective-index`) by the compact fold
/// a rebuild runs, compared at each stored snapshot's seq and at the head.
/// The Merkle tree is checked by ``Ledger/verify(expect:upTo:progress:)``.
struct DerivedCheck {
    static let maxProblemsPerDatabase = 5

    let ledger: Ledger
    let txn: ReadTransaction
    /// Events refolded per scratch transaction (``scratchPartEvents`` but in tests).
    var scratchPartEvents = Self.scratchPartEvents
    /// The scratch map's first size, when not chosen from the stored `streams`.
    var scratchMapBytes: Int?
    /// Whether the projections may be checked beside the refold (tests
    /// compare the report with the one checked after it).
    var sideBySide = true
    /// Whether the last ``run(head:progress:)`` kept the check made beside
    /// the refold.
    private(set) var keptSideBySide = false
    var report = DerivedReport()

    mutating func problem(_ database: String, _ message: String) {
        report.problemCount += 1
        if report.problems.count(where: { $0.database == database }) < Self.maxProblemsPerDatabase {
            report.problems.append(DerivedProblem(database: database, message: message))
        }
    }

    /// Runs every check over the log up to `head`.
    ///
    /// The projections are checked on a second thread while this one
    /// refolds the append-time indexes. Their fold must know which events
    /// are reversed, which only the refold establishes; the second thread
    /// takes that from the stored `reversals` database instead, and what it
    /// finds is kept only if the refold implies exactly those reversals.
    /// When it does not (the refold then reports `reversals` differing, or
    /// it stopped at a broken rule), the projections are checked again here
    /// with the reversals the refold found, as they were before the two ran
    /// side by side. Either way the report is the same.
    mutating func run(head: UInt64, progress: ((String) -> Void)?) throws {
        let alongside = sideBySide ? projectionsAlongside(head: head, progress: progress) : nil
        // Whatever happens here, the second thread's read ends before this
        // transaction does.
        defer { _ = try? alongside?.value() }
        let reversed = try checkIndexes(head: head, progress: progress)
        keptSideBySide = false
        // A second thread that could not start its read leaves the check to
        // this one, like one that read another snapshot.
        if let alongside, let checked = try? alongside.value(), checked.reversed == reversed {
            keptSideBySide = true
            let projections = try checked.report.get()
            report.checked += projections.checked
            report.problems += projections.problems
            report.problemCount += projections.problemCount
            report.notes += projections.notes
        } else {
            try checkProjections(head: head, reversed: reversed, progress: progress)
        }
    }

    /// The projections' check on another thread, in a read transaction of
    /// the same snapshot as this one, with the reversals `reversals` holds.
    /// Its value is nil when it could not run so (a write committed between
    /// the two transactions began, or `reversals` holds an entry that is
    /// not a pair of sequence numbers).
    private func projectionsAlongside(head: UInt64, progress: ((String) -> Void)?)
        -> InBackground<(reversed: [UInt64: UInt64], report: Result<DerivedReport, any Error>)?> {
        let ledger = ledger, snapshot = txn.snapshot
        let scratchPartEvents = scratchPartEvents, scratchMapBytes = scratchMapBytes
        let progress = SharedProgress(progress)
        return InBackground {
            try ledger.env.readAlongside { txn in
                // A `reversals` entry that is not two sequence numbers leaves
                // the check to the refold, which names it.
                guard txn.snapshot == snapshot, let reversed = try? ledger.reversalMap(in: txn) else { return nil }
                var check = DerivedCheck(ledger: ledger, txn: txn, scratchPartEvents: scratchPartEvents, scratchMapBytes: scratchMapBytes)
                let outcome = Result { try check.checkProjections(head: head, reversed: reversed, progress: progress.call) }
                return (reversed, outcome.map { check.report })
            }
        }
    }

    /// A progress callback handed to the second thread. The callers' print
    /// each message with one `write`, so messages from the two threads do
    /// not run into each other.
    private final class SharedProgress: @unchecked Sendable {
        let call: ((String) -> Void)?
        init(_ call: ((String) -> Void)?) { self.call = call }
    }

    // MARK: Append-time indexes

    /// ``AppendState`` for the refold: stream states recomputed from the
    /// events, kept in a scratch LMDB environment (so memory does not grow
    /// with the number of streams) behind a ``StreamCache``, events found
    /// through the stored `ids` (each answer checked against the event it
    /// names, so a wrong entry cannot steer the fold unseen).
    final class ScratchState: AppendState {
        let lookup: IndexLookup
        /// The scratch environment's write transaction of the current part
        /// of the log (set by the refold).
        var scratch: WriteTransaction!
        let streams: Database
        var reversals: [UInt64: UInt64] = [:]
        /// The seq being folded: only earlier events may be named.
        var current: UInt64 = 0
        /// Drops the pages of the scratch environment's map that the refold
        /// has read (its states are gigabytes at ten million events).
        let releasePages: () -> Void
        /// The states the current part of the log reads and writes; written
        /// to `scratch` by ``flush()`` before the part commits. Touched only
        /// by this class's methods, on the refold's thread, never while
        /// another access to it is open (`put` and the loads do not reach
        /// it): the dynamic exclusivity check, on every look-up of a
        /// stream, is left out, as for the import's cache.
        @exclusivity(unchecked) private var cache: StreamCache

        init(lookup: IndexLookup, streams: Database, cacheLimit: Int, releasePages: @escaping () -> Void) {
            self.lookup = lookup
            self.streams = streams
            self.releasePages = releasePages
            cache = StreamCache(limit: cacheLimit)
        }

        func streamNumber(_ name: String) throws -> Int32 { try cache.number(name, load: load) }

        func streamNumber(_ kind: EntityKind, id: String) throws -> Int32 { try cache.number(kind, id: id, load: load) }

        func stream(_ number: Int32) -> StreamState? { cache.state(number) }

        func setStream(_ number: Int32, _ state: StreamState) { cache.set(number, state) }

        /// Writes the states out before the next event when the cache is full.
        func makeRoom() throws {
            try cache.makeRoom(put)
        }

        private func load(_ key: UnsafeRawBufferPointer) throws -> StreamState? {
            try scratch.withValue(streams, key: key) { bytes in try bytes.map { try StreamState.decode($0) } }
        }

        /// Writes the part's changed states into `scratch`.
        func flush() throws {
            try cache.flush(put)
        }

        /// Forgets the changes of a part that runs again from its start.
        func discardChanges() {
            cache.discard()
        }

        private func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
            try scratch.put(streams, key: key, value: value)
        }

        func reversal(of seq: UInt64) throws -> UInt64? { reversals[seq] }

        func event(withID id: String) throws -> (seq: UInt64, event: Event)? {
            guard let seq = try lookup.seq(ofID: id), seq < current, let event = try lookup.event(at: seq), event.id == id else {
                return nil
            }
            return (seq, event)
        }
    }

    /// Events refolded per scratch transaction. Each commits (without a
    /// flush to disk: the environment is thrown away), so no transaction
    /// holds more changed pages than LMDB keeps in memory; one transaction
    /// for ten million events would spill pages to disk and search its
    /// lists of them on every access.
    static let scratchPartEvents: UInt64 = 262_144
    /// The refold's stream states held in memory at most: fewer than an
    /// import's, since the `rebuild` command runs this check first and is
    /// held to a gigabyte at ten million events (with the import's
    /// million, a 10 M-event import peaked 107 MB higher).
    static let refoldCacheLimit = 1 << 18

    /// Refolds the append rules over the log and compares `ids`, `streams`,
    /// `stream-events` and `reversals`. Returns the reversals the log
    /// implies (reversed seq → its reversal), for the projections' fold.
    private mutating func checkIndexes(head: UInt64, progress: ((String) -> Void)?) throws -> [UInt64: UInt64] {
        let directory = try ScratchDirectory()
        var options = Environment.Options()
        // Room for the recomputed states at once (the map grows if not).
        options.initialMapSizeBytes = try scratchMapBytes ?? max(64 << 20, txn.statistics(ledger.streams).bytes * 2 + (64 << 20))
        options.withoutSync = true
        let scratch = try Environment(path: directory.path, options: options)
        let streams = try scratch.openDatabase(named: "streams", create: true)
        let state = ScratchState(lookup: IndexLookup(ledger: ledger, txn: txn), streams: streams,
                                 cacheLimit: min(ledger.options.streamCacheLimit, Self.refoldCacheLimit),
                                 releasePages: { scratch.releaseMappedPages() })
        try refoldIndexes(head: head, state: state, in: scratch, progress: progress)
        state.scratch = nil
        if !report.problems.contains(where: { $0.database == "events" }) {
            try scratch.read { scratchTxn in
                try compareStreams(scratchTxn, streams, releasePages: state.releasePages)
            }
        }
        return state.reversals
    }

    private mutating func refoldIndexes(head: UInt64, state: ScratchState, in scratch: Environment,
                                        progress: ((String) -> Void)?) throws {
        let rules = AppendRules()
        var streamEventCount = 0
        var brokenRule = false
        var from: UInt64 = 1
        while from <= head && !brokenRule {
            let to = min(head, from + scratchPartEvents - 1)
            // A write whose map fills runs again from the start (after the
            // map grows): the part's findings and counts start over with it.
            let before = (report: report, streamEventCount: streamEventCount)
            var attempts = 0
            try scratch.write { scratchTxn in
                (report, streamEventCount) = before
                brokenRule = false
                // What an attempt that ran out of map took from this part
                // is taken back.
                if attempts > 0 {
                    state.discardChanges()
                    state.reversals = state.reversals.filter { $0.value < from }
                }
                attempts += 1
                state.scratch = scratchTxn
                defer { state.scratch = nil }
                try ledger.forEachEvent(in: txn, from: from, to: to, checkingAhead: true) { stored in
                    let seq = stored.seq
                    let event = stored.event
                    state.current = seq
                    let idKey = Array(event.id.utf8)
                    let indexed = try txn.withValue(ledger.ids, key: idKey) { $0.map { readSequence($0) } }
                    if indexed != .some(seq) {
                        problem("ids", indexed == nil ? "event \(seq) (id \(event.id)) has no entry"
                            : "id \(event.id) of event \(seq) points at \(indexed!.map(String.init) ?? "a value that is not a sequence number")")
                    }
                    let placement: Placement
                    try state.makeRoom()
                    do {
                        placement = try rules.apply(event, seq: seq, to: state)
                    } catch let error as FieldError {
                        // The log itself breaks a rule every append obeys; the
                        // indexes after it cannot be judged.
                        problem("events", "event \(seq) (id \(event.id)) breaks an append rule: \(error)")
                        brokenRule = true
                        return false
                    }
                    let listed = try Ledger.withStreamEventKey(placement.stream, version: placement.streamVersion) { key in
                        try txn.withValue(ledger.streamEvents, key: key) { $0.map { readSequence($0) } }
                    }
                    if listed != .some(seq) {
                        problem("stream-events", "event \(seq) is number \(placement.streamVersion) of stream \(placement.stream), "
                            + (listed == nil ? "but that entry is missing" : "but the entry says \(listed!.map(String.init) ?? "something that is not a seq")"))
                    }
                    streamEventCount += 1
                    if let target = placement.reversedSeq {
                        state.reversals[target] = seq
                        let stored = try txn.withValue(ledger.reversals, key: sequenceKey(target)) { $0.map { readSequence($0) } }
                        if stored != .some(seq) {
                            problem("reversals", "event \(seq) reverses event \(target), "
                                + (stored == nil ? "but that entry is missing" : "but the entry says \(stored!.map(String.init) ?? "something that is not a seq")"))
                        }
                    }
                    if let progress, seq % 1_000_000 == 0 { progress("checked the indexes through seq \(seq)") }
                    // (The log's own pages go with the scan's.)
                    if seq & Ledger.releaseMask == 0 { state.releasePages() }
                    return true
                }
                try state.flush()
            }
            from = to + 1
        }
        report.checked += ["ids", "streams", "stream-events", "reversals"]
        if report.problems.contains(where: { $0.database == "events" }) { return }
        // Entries the log does not imply: the counts tell.
        let ids = try txn.statistics(ledger.ids).entries
        if ids != Int(head) { problem("ids", "holds \(ids) entries; the log has \(head) events") }
        let listed = try txn.statistics(ledger.streamEvents).entries
        if listed != streamEventCount { problem("stream-events", "holds \(listed) entries; the log places \(streamEventCount)") }
        let reversals = try txn.statistics(ledger.reversals).entries
        if reversals != state.reversals.count {
            problem("reversals", "holds \(reversals) entries; the log has \(state.reversals.count) reversals")
        }
    }

    /// Walks the stored `streams` and the recomputed ones side by side, in
    /// key order, a cursor on each: the entries are compared where they lie
    /// in the two maps (copying the recomputed ones out in batches cost two
    /// allocations per stream, 7.6 million streams at ten million events).
    private mutating func compareStreams(_ scratchTxn: ReadTransaction, _ expected: Database, releasePages: () -> Void) throws {
        try scratchTxn.withCursor(expected) { recomputed in
            var pending = try recomputed.next(first: true)
            var compared = 0
            try txn.withCursor(ledger.streams) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    compared += 1
                    // Both maps' pages, read once each, are let go as the walk passes.
                    if compared & Int(Ledger.releaseMask) == 0 {
                        releasePages()
                        ledger.env.releaseMappedPages()
                    }
                    while let (name, _) = pending, name.lexicographicallyPrecedes(key) {
                        problem("streams", "has no state for stream \(printable(name)), which the log opens")
                        pending = try recomputed.next()
                    }
                    guard let (name, state) = pending, name.elementsEqual(key) else {
                        problem("streams", "holds a state for \(printable(key)), a stream no event opens")
                        return true
                    }
                    if !state.elementsEqual(value) {
                        problem("streams", "the state of \(printable(key)) differs from the one its events give")
                    }
                    pending = try recomputed.next()
                    return true
                }
            }
            while let (name, _) = pending {
                problem("streams", "has no state for stream \(printable(name)), which the log opens")
                pending = try recomputed.next()
            }
        }
    }

    // MARK: Stored projections

    private mutating func checkProjections(head: UInt64, reversed: [UInt64: UInt64], progress: ((String) -> Void)?) throws {
        guard let entries = ledger.projectionEntries, let meta = ledger.projectionMeta, let snapshots = ledger.projectionSnapshots,
              let effectiveIndex = ledger.effectiveIndex
        else {
            report.notes.append("no stored projections (the ledger predates them; the next import or rebuild writes them)")
            return
        }
        let (version, checkpoint) = try ledger.readProjectionMeta(in: txn, meta)
        guard Ledger.isCurrent(projectionVersion: version) else {
            report.notes.append("stored projections of version \(version.map(String.init) ?? "none"), not \(Ledger.currentProjectionVersions.sorted().map(String.init).joined(separator: " or ")): "
                + "not compared (the next import or rebuild writes them anew)")
            return
        }
        report.checked += ["projection-meta", "projection-entries", "projection-snapshots", "effective-index"]
        if checkpoint != head {
            problem("projection-meta", "the checkpoint is seq \(checkpoint); every import keeps it at the head, \(head)")
        }
        // The snapshots' keys, in order.
        // Every snapshot digest names a snapshot.
        for key in try ledger.snapshotDigestKeys(meta, in: txn) {
            let seq = Array(key[Ledger.snapshotDigestPrefix.count...]).withUnsafeBytes { readSequence($0) }
            // Whether the snapshot is there, not its bytes (at ten million
            // events, tens of megabytes each).
            let present = try seq.map { try txn.withValue(snapshots, key: sequenceKey($0)) { $0 != nil } } ?? false
            if !present {
                problem("projection-meta", "holds a snapshot digest \(printable(key)) with no snapshot")
            }
        }
        var snapshotSeqs: [UInt64] = []
        try txn.withCursor(snapshots) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, _ in
                if let seq = readSequence(key), seq >= 1, seq <= head {
                    snapshotSeqs.append(seq)
                } else {
                    problem("projection-snapshots", "holds a snapshot keyed \(printable(key)), not a seq of the log")
                }
                return true
            }
        }
        // The compact fold a rebuild runs; the plain one for sums it does not hold.
        var compact: CompactBalances? = CompactBalances()
        var plain = Balances()
        var days: [Int32] = []
        days.reserveCapacity(Int(head))
        // The state the stored snapshots give is decoded only where a
        // snapshot's bytes differ from what the fold implies: a whole one is
        // compared with the state's bytes, a delta with the entries the fold
        // touched since the snapshot before (what a rebuild writes). At ten
        // million events a decoded state holds a gigabyte of dictionaries.
        var storedState = Balances()
        /// Whether `storedState` holds the stored state at the last snapshot;
        /// while it does not, every snapshot so far equalled the fold, and
        /// `chain` names the whole one and the deltas after it that give it.
        var decoded = false
        var chain: [UInt64] = []
        var nextSnapshot = 0
        var undigested = 0
        func expectedEntries() -> [(table: StateCodec.Table, key: [UInt8], value: [UInt8])] {
            guard compact != nil else { return StateCodec.entries(plain) }
            var out: [(table: StateCodec.Table, key: [UInt8], value: [UInt8])] = []
            compact!.forEachEntry { table, key, value in out.append((table, Array(key), Array(value))) }
            return out
        }
        /// The canonical bytes of the state folded so far, or with `packed`
        /// a packed whole snapshot's (after its kind byte).
        var expectedBytes = ByteWriter(capacity: 1 << 16)
        func expectedCanonical(packed: Bool = false) {
            expectedBytes.bytes.removeAll(keepingCapacity: true)
            if compact != nil {
                if packed { compact!.writePackedBytes(into: &expectedBytes) } else { compact!.writeCanonicalBytes(into: &expectedBytes) }
            } else if packed {
                expectedBytes.raw(StateCodec.packedSnapshot(plain).dropFirst())
            } else {
                expectedBytes.raw(StateCodec.canonicalBytes(plain))
            }
        }
        /// Whether `stored` is exactly the canonical bytes of the state
        /// folded so far (with `packed`, a packed whole snapshot's after its
        /// kind byte). The compact fold's entries are compared one by one as
        /// it gives them, so no copy of the whole state is made (at ten
        /// million events a hundred megabytes, held to the end of the check).
        var entryBytes = ByteWriter(capacity: 1 << 12)
        func holdsExpected(_ stored: UnsafeRawBufferPointer, packed: Bool = false) -> Bool {
            guard compact != nil else {
                expectedCanonical(packed: packed)
                return expectedBytes.bytes.withUnsafeBytes { $0.elementsEqual(stored) }
            }
            var offset = 0
            var same = true
            compact!.forEachEntry(packed: packed) { table, key, value in
                guard same else { return }
                entryBytes.bytes.removeAll(keepingCapacity: true)
                StateCodec.append(table, key: key, value: value, to: &entryBytes)
                let count = entryBytes.bytes.count
                same = count <= stored.count - offset
                    && entryBytes.bytes.withUnsafeBytes { $0.elementsEqual(UnsafeRawBufferPointer(rebasing: stored[offset..<offset + count])) }
                offset += count
            }
            return same && offset == stored.count
        }
        /// Whether the stored `projection-entries` are exactly the entries
        /// of the state folded to the head, in order. With the compact fold
        /// each stored entry is compared as the cursor reaches it, beside the
        /// fold's own entry: no copy of either side is gathered (each as
        /// large as the stored balances, over a hundred megabytes at ten
        /// million events, held at the check's peak).
        func storedEntriesHoldExpected() throws -> Bool {
            guard compact != nil else {
                var storedBytes = ByteWriter(capacity: 1 << 16)
                var readable = true
                try txn.withCursor(entries) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, value in
                        guard let first = key.first, let table = StateCodec.Table(rawValue: first) else {
                            readable = false
                            return false
                        }
                        StateCodec.append(table, key: UnsafeRawBufferPointer(rebasing: key[1...]), value: value, to: &storedBytes)
                        return true
                    }
                }
                return readable && storedBytes.bytes.withUnsafeBytes { holdsExpected($0) }
            }
            return try txn.withCursor(entries) { cursor in
                var same = true
                var first = true
                try compact!.forEachEntry { table, key, value in
                    guard same else { return }
                    defer { first = false }
                    // A stored key is the table's byte, then the entry's key.
                    guard let (storedKey, storedValue) = try cursor.next(first: first) else {
                        same = false
                        return
                    }
                    same = storedKey.first == table.rawValue && storedKey.dropFirst().elementsEqual(key)
                        && storedValue.elementsEqual(value)
                }
                // Nothing stored beyond the fold's last entry.
                return try same && cursor.next(first: first) == nil
            }
        }
        /// The delta a rebuild writes here, of `kind`: the entries the
        /// compact fold touched since the last snapshot (then forgotten).
        func expectedDelta(_ kind: StateCodec.SnapshotKind) {
            expectedBytes.bytes.removeAll(keepingCapacity: true)
            expectedBytes.u8(kind.rawValue)
            compact!.forEachChange(packed: kind.isPacked) { table, key, value in
                StateCodec.appendDeltaItem(table, key: key, value: value, to: &expectedBytes)
            }
        }
        /// A snapshot written before snapshots carried a digest is noted, not blamed.
        func checkDigest(_ seq: UInt64, _ bytes: UnsafeRawBufferPointer) throws {
            if try txn.get(meta, key: Ledger.snapshotDigestKey(seq)) == nil {
                undigested += 1
            } else if let digestProblem = try ledger.snapshotProblem(seq: seq, value: bytes, meta: meta, in: txn) {
                problem("projection-snapshots", digestProblem)
            }
        }
        func reached(_ seq: UInt64) throws {
            while nextSnapshot < snapshotSeqs.count && snapshotSeqs[nextSnapshot] == seq {
                nextSnapshot += 1
                try txn.withValue(snapshots, key: sequenceKey(seq)) { bytes in
                    guard let bytes else { return }
                    do {
                        let kind = try StateCodec.snapshotKind(bytes)
                        if !kind.isWhole && seq == snapshotSeqs.first {
                            problem("projection-snapshots", "the first snapshot, at seq \(seq), is a delta with nothing before it")
                        }
                        let same: Bool
                        if kind.isWhole {
                            same = holdsExpected(UnsafeRawBufferPointer(rebasing: bytes[1...]), packed: kind.isPacked)
                            compact?.forgetChanges()
                        } else if compact != nil && !decoded && !chain.isEmpty {
                            expectedDelta(kind)
                            same = expectedBytes.bytes.withUnsafeBytes { $0.elementsEqual(bytes) }
                        } else {
                            compact?.forgetChanges()
                            same = false
                        }
                        if same {
                            if kind.isWhole {
                                chain = [seq]
                                decoded = false
                                storedState = Balances()
                            } else {
                                chain.append(seq)
                            }
                            try checkDigest(seq, bytes)
                            return
                        }
                        if !kind.isWhole && !decoded {
                            // The state before this delta: the snapshots
                            // that gave it, equal to the fold until now.
                            storedState = Balances()
                            for earlier in chain {
                                try txn.withValue(snapshots, key: sequenceKey(earlier)) { earlierBytes in
                                    if let earlierBytes { try StateCodec.apply(snapshot: earlierBytes, to: &storedState) }
                                }
                            }
                        }
                        decoded = true
                        chain = []
                        try StateCodec.apply(snapshot: bytes, to: &storedState)
                        try checkDigest(seq, bytes)
                    } catch let error as LedgerError {
                        throw error
                    } catch {
                        problem("projection-snapshots", "the snapshot at seq \(seq) cannot be decoded (\(error))")
                    }
                }
                if decoded,
                   let difference = Self.firstDifference(stored: StateCodec.entries(storedState), expected: expectedEntries()) {
                    problem("projection-snapshots", "the state at seq \(seq) \(difference)")
                }
            }
            if let progress, seq % 1_000_000 == 0 { progress("checked the projections through seq \(seq)") }
        }
        let lookup = IndexLookup(ledger: ledger, txn: txn)
        let beforeFold = report
        do {
            try ledger.forEachRecord(in: txn, from: 1, to: head, checkingAhead: true) { record in
                let isReversal = record.type == .entryReversed
                try compact!.apply(record, live: !isReversal && reversed[record.seq] == nil, lookup: lookup)
                days.append(isReversal ? Ledger.noDay : record.effective.dayNumber)
                try reached(record.seq)
                return true
            }
        } catch is CompactBalances.Unsupported {
            // Sums the compact fold does not hold: the plain fold, which
            // reports them exactly, gives the same state.
            compact = nil
            days = []
            storedState = Balances()
            decoded = false
            chain = []
            nextSnapshot = 0
            undigested = 0
            report = beforeFold
            try ledger.forEachEvent(in: txn, from: 1, to: head) { stored in
                try plain.apply(stored.event, lookup: lookup)
                days.append(stored.event.type == .entryReversed ? Ledger.noDay : stored.event.effective.dayNumber)
                try reached(stored.seq)
                return true
            }
        }
        if undigested > 0 {
            report.notes.append("\(undigested) snapshot(s) written before snapshots carried a digest: compared, and not used by reads until the next import or rebuild rewrites them")
        }
        if checkpoint == head {
            // Compared as they lie first; both sides gathered, to name the
            // first difference, only when they differ.
            if try !storedEntriesHoldExpected() {
                var stored: [(table: StateCodec.Table, key: [UInt8], value: [UInt8])] = []
                try txn.withCursor(entries) { cursor in
                    try cursor.forEach(from: nil as [UInt8]?) { key, value in
                        guard let first = key.first, let table = StateCodec.Table(rawValue: first) else {
                            problem("projection-entries", "holds an entry of unknown table, key \(printable(key))")
                            return true
                        }
                        stored.append((table, Array(key[1...]), Array(value)))
                        return true
                    }
                }
                if let difference = Self.firstDifference(stored: stored, expected: expectedEntries()) {
                    problem("projection-entries", "the balances of the whole log: \(difference)")
                }
            }
            expectedBytes = ByteWriter(capacity: 0)
            var sum = EntrySum()
            if compact != nil {
                compact!.forEachEntry { table, key, value in sum.add(table, key: key, value: value) }
            } else {
                for entry in StateCodec.entries(plain) {
                    entry.key.withUnsafeBytes { key in entry.value.withUnsafeBytes { sum.add(entry.table, key: key, value: $0) } }
                }
            }
            let checksum = try ledger.readChecksum(in: txn, meta)
            if checksum == nil {
                report.notes.append("the stored balances carry no checksum (written by an earlier version); the next import or rebuild adds it")
            } else if checksum != ProjectionChecksum(checkpoint: head, chainHash: try ledger.storedChainHash(at: head, in: txn) ?? [], sum: sum) {
                problem("projection-meta", "the checksum is not the one the balances of the whole log and the head give")
            }
            if let difference = try ledger.effectiveIndexDifference(effectiveIndex, days: days, in: txn) {
                problem("effective-index", difference)
            }
        }
    }

    /// The first entry in which two states in canonical order differ, in
    /// words, or nil when they are the same.
    static func firstDifference(stored: [(table: StateCodec.Table, key: [UInt8], value: [UInt8])],
                                expected: [(table: StateCodec.Table, key: [UInt8], value: [UInt8])]) -> String? {
        func name(_ entry: (table: StateCodec.Table, key: [UInt8], value: [UInt8])) -> String {
            entryName(entry.table, entry.key)
        }
        func before(_ a: (table: StateCodec.Table, key: [UInt8], value: [UInt8]),
                    _ b: (table: StateCodec.Table, key: [UInt8], value: [UInt8])) -> Bool {
            a.table.rawValue != b.table.rawValue ? a.table.rawValue < b.table.rawValue : a.key.lexicographicallyPrecedes(b.key)
        }
        var i = 0, j = 0
        while i < stored.count || j < expected.count {
            if i == stored.count { return "lacks the \(name(expected[j])) the log gives" }
            if j == expected.count { return "holds a \(name(stored[i])) the log does not give" }
            let s = stored[i], e = expected[j]
            if s.table == e.table && s.key == e.key {
                if s.value != e.value { return "has the \(name(s)) with a value other than the log gives" }
                i += 1
                j += 1
            } else if before(s, e) {
                return "holds a \(name(s)) the log does not give"
            } else {
                return "lacks the \(name(e)) the log gives"
            }
        }
        return nil
    }
}

/// A projection entry in words: the budget line, person, enterprise or
/// loan it is about (its raw key bytes when they do not decode).
func entryName(_ table: StateCodec.Table, _ key: [UInt8]) -> String {
    key.withUnsafeBytes { bytes in
        switch table {
        case .lines:
            if let line = try? StateCodec.lineKey(bytes) { return "entry of budget line \(line.fund)/\(line.region)/\(line.fiscalYear)" }
        case .people:
            if let person = try? StateCodec.personKey(bytes) { return "entry of person \(person.person) under \(person.programme)" }
        case .enterprises:
            if let enterprise = try? StateCodec.enterpriseKey(bytes) {
                return "entry of enterprise \(enterprise.enterprise) under \(enterprise.programme)"
            }
        case .loans:
            return "entry of loan \(printable(key))"
        }
        return "\(table) entry \(printable(key))"
    }
}

/// Key bytes for a message: printable ASCII as is, anything else as \xNN.
func printable(_ bytes: some Sequence<UInt8>) -> String {
    var out = ""
    for byte in bytes {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension Ledger {
    /// Compares every derived database with what the log implies (see
    /// ``DerivedCheck``). Call it on a log whose chain verified: derived
    /// data is judged against the events as they are. `progress` is called
    /// from two threads (the projections are checked on a second one), one
    /// message at a time from each.
    public func checkDerivedData(progress: ((String) -> Void)? = nil) throws -> DerivedReport {
        let report = try checkDerivedData(scratchPartEvents: DerivedCheck.scratchPartEvents, scratchMapBytes: nil, progress: progress)
        // What the check held is freed by now, but kept by the arenas of
        // the threads that held it; `rebuild` folds the log next, on other
        // threads (about 200 MB less at the command's peak at ten million
        // events).
        ProcessHeap.returnFreedPages()
        return report
    }

    /// The check with the refold's parts and the scratch map's first size
    /// chosen (tests make both small, so that a ledger of a few hundred
    /// events takes many parts and grows the map).
    func checkDerivedData(scratchPartEvents: UInt64, scratchMapBytes: Int?,
                          progress: ((String) -> Void)? = nil) throws -> DerivedReport {
        try checkDerivedData(scratchPartEvents: scratchPartEvents, scratchMapBytes: scratchMapBytes, sideBySide: true,
                             progress: progress).report
    }

    /// The check with the projections checked beside the refold or after
    /// it, and whether the check beside it was kept (tests).
    func checkDerivedData(scratchPartEvents: UInt64, scratchMapBytes: Int?, sideBySide: Bool,
                          progress: ((String) -> Void)? = nil) throws -> (report: DerivedReport, keptSideBySide: Bool) {
        try env.read { txn in
            var check = DerivedCheck(ledger: self, txn: txn, scratchPartEvents: scratchPartEvents, scratchMapBytes: scratchMapBytes,
                                     sideBySide: sideBySide)
            try check.run(head: try head(in: txn).seq, progress: progress)
            return (check.report, check.keptSideBySide)
        }
    }

    /// Where the date index differs from the one `days` (seq − 1 → day,
    /// ``noDay`` for a reversal) implies, in words; nil when it holds
    /// exactly those keys.
    func effectiveIndexDifference(_ index: Database, days: [Int32], in txn: ReadTransaction) throws -> String? {
        let order = Self.dateOrder(days)
        var position = 0
        var difference: String?
        try txn.withCursor(index) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, value in
                guard position < order.count else {
                    difference = "holds a key \(printable(key)) beyond the \(order.count) the log gives"
                    return false
                }
                let seq = order[position]
                let expected = UInt32(bitPattern: days[seq - 1]) ^ 0x8000_0000
                guard value.count == 0, key.count == 12,
                      UInt32(bigEndian: key.loadUnaligned(as: UInt32.self)) == expected,
                      UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) == UInt64(seq)
                else {
                    difference = "key number \(position + 1) is \(printable(key)); the log gives event \(seq) on day \(days[seq - 1])"
                    return false
                }
                position += 1
                if position & Int(Self.releaseMask) == 0 { env.releaseMappedPages() }
                return true
            }
        }
        if difference == nil && position != order.count {
            difference = "holds \(position) keys; the log gives \(order.count)"
        }
        return difference
    }
}

extension Ledger {
    /// Writes `ids`, `streams`, `stream-events` and `reversals` anew from the
    /// log, in one transaction, with the rules an import runs. For a ledger
    /// whose check (``checkDerivedData(progress:)``) found them differing;
    /// the events are not touched. Returns how many events were placed.
    @discardableResult
    public func rewriteIndexes(progress: ((UInt64) -> Void)? = nil) throws -> UInt64 {
        try env.write { txn in
            for db in [ids, streams, streamEvents, reversals] { try txn.clear(db) }
            let rules = AppendRules()
            let state = TransactionState(ledger: self, txn: txn)
            var placed: UInt64 = 0
            // Decoded first, written after: the cursor over `events` stays
            // untouched by the puts into the other databases.
            var next: UInt64 = 1
            let head = try head(in: txn).seq
            while next <= head {
                var batch: [StoredEvent] = []
                try forEachEvent(in: txn, from: next, to: min(head, next + 9_999)) { stored in
                    batch.append(stored)
                    return true
                }
                for stored in batch {
                    let placement: Placement
                    try state.makeRoom()
                    do {
                        placement = try rules.apply(stored.event, seq: stored.seq, to: state)
                    } catch {
                        throw LedgerError.corrupt("event \(stored.seq) (id \(stored.event.id)) breaks an append rule: \(error)")
                    }
                    try putIndexes(idKey: Array(stored.event.id.utf8), seq: stored.seq, placement: placement, in: txn)
                    placed += 1
                    if let progress, stored.seq % 100_000 == 0 { progress(stored.seq) }
                }
                next += UInt64(batch.count)
                if batch.isEmpty { break }
            }
            try state.flush()
            return placed
        }
    }
}

/// A directory of its own under the system's temporary folder, removed with everything in it when released.
final class ScratchDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "subsidy-ledger-check-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw LedgerError.io("cannot make a scratch directory under \(NSTemporaryDirectory()) for the check of derived data")
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
