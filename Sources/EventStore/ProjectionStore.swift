import Foundation
import LMDBKit
import LedgerCore
import Projections

/// Stored projections: the balances of the whole log, kept current in the
/// same transaction as every append (so they are exactly-once), with their
/// checkpoint (the last folded seq) and periodic whole-state snapshots for
/// as-of reads.
///
/// - `projection-entries`: `u8 table ‖ entry key` → entry value (StateCodec)
/// - `projection-meta`: `version` → u32, `checkpoint` → u64
/// - `projection-snapshots`: seq → a kind byte, then the canonical bytes of
///   the state after seq (whole) or the entries changed since the snapshot
///   before (delta)
/// - `effective-index`: effective date ‖ seq → empty, for every folded event
///   that is not a reversal, reversed ones included (kept with the
///   projections, same checkpoint)
extension Ledger {
    /// The key of an event in `effective-index`: the day with its sign bit
    /// flipped (so byte order is date order), then the seq.
    static func effectiveKey(_ day: CalendarDate, seq: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.u32(UInt32(bitPattern: day.dayNumber) ^ 0x8000_0000)
        w.u64(seq)
        return w.bytes
    }

    /// Bumped whenever the fold or the stored layout changes: stored
    /// projections of another version are rebuilt, never trusted.
    /// 2: snapshots start with a kind byte and may hold only the entries
    /// changed since the snapshot before them.
    /// 3: snapshots hold person values packed (kinds 2 and 3).
    public static let projectionVersion: UInt32 = 3

    /// Stored projections of these versions are read and built on: version
    /// 2's entries are today's, and its snapshots (kinds 0 and 1) are read
    /// beside the packed ones written since. The next import or `rebuild`
    /// marks them version 3.
    static let currentProjectionVersions: Set<UInt32> = [2, 3]

    /// Whether stored projections of `version` are read and built on.
    static func isCurrent(projectionVersion version: UInt32?) -> Bool {
        version.map(currentProjectionVersions.contains) ?? false
    }

    // A rebuild stores a snapshot as the entries changed since the one
    // before (a delta) while the deltas since the last whole snapshot add up
    // to no more than a quarter of that whole snapshot's size, and the whole
    // state otherwise: a snapshot costs what changed when little changes,
    // and a read never decodes more than 1.25 whole states' worth of bytes.

    /// What is stored about the projections.
    public struct ProjectionStatus: Sendable {
        public var version: UInt32?
        public var checkpoint: UInt64
        public var snapshots: [UInt64]
    }

    public func projectionStatus() throws -> ProjectionStatus {
        try env.read { txn in
            guard let projectionMeta, let projectionSnapshots else { return ProjectionStatus(version: nil, checkpoint: 0, snapshots: []) }
            let (version, checkpoint) = try readProjectionMeta(in: txn, projectionMeta)
            var snapshots: [UInt64] = []
            try txn.withCursor(projectionSnapshots) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, _ in
                    if let seq = readSequence(key) { snapshots.append(seq) }
                    return true
                }
            }
            return ProjectionStatus(version: version, checkpoint: checkpoint, snapshots: snapshots)
        }
    }

    func readProjectionMeta(in txn: ReadTransaction, _ db: Database) throws -> (version: UInt32?, checkpoint: UInt64) {
        let version: UInt32? = try txn.withValue(db, key: Array("version".utf8)) { bytes in
            guard let bytes, bytes.count == 4 else { return nil }
            return UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
        }
        let checkpoint = try txn.withValue(db, key: Array("checkpoint".utf8)) { $0.flatMap(readSequence) } ?? 0
        return (version, checkpoint)
    }

    // MARK: Writing (inside the append transaction)

    /// A compact fold held by reference, so that folding into it mutates
    /// the state in place (through an optional struct, each event would copy
    /// the state's arrays in and out).
    final class CompactFold {
        var state = CompactBalances()
        init(backing: BalanceBacking) { state.backing = backing }
    }

    /// Keeps the stored projections in step with the log inside one write
    /// transaction: catch up from the checkpoint, fold the new events, write
    /// back what changed, move the checkpoint, snapshot when due.
    final class ProjectionWriter: BalanceBacking {
        let ledger: Ledger
        let txn: WriteTransaction
        let entries: Database
        let meta: Database
        let snapshots: Database
        let effectiveIndex: Database
        var working: WorkingSet!
        /// The batch's fold once ``foldCompactly()`` is called: the events'
        /// stored records folded in place into flat arrays, each entry loaded
        /// from `projection-entries` on first touch (this writer is its
        /// backing). Nil: events go through ``working``.
        private var compact: CompactFold?
        /// ``foldCompactly()`` was called: events are folded compactly from
        /// the next one ``apply(_:seq:record:)`` takes.
        private var foldsCompactly = false
        /// The first event the compact fold took.
        private var compactFrom: UInt64 = 0
        let lookup: IndexLookup
        private(set) var checkpoint: UInt64
        /// The sum of the stored entries, kept as they are written (see ``EntrySum``).
        private var sum: EntrySum
        /// The stored bytes of the checksum ``flush()`` wrote.
        private(set) var writtenChecksum: [UInt8]?

        /// `placements`: the batch that appends the events this folds, whose
        /// `stream-events` keys the fold's look-ups must find before they
        /// are written.
        init(ledger: Ledger, txn: WriteTransaction, placements: TransactionState? = nil) throws {
            guard let entries = ledger.projectionEntries, let meta = ledger.projectionMeta, let snapshots = ledger.projectionSnapshots,
                  let effectiveIndex = ledger.effectiveIndex
            else {
                preconditionFailure("a ledger opened for writing has its projection databases")
            }
            self.effectiveIndex = effectiveIndex
            self.ledger = ledger
            self.txn = txn
            self.entries = entries
            self.meta = meta
            self.snapshots = snapshots
            self.lookup = IndexLookup(ledger: ledger, txn: txn, placements: placements)
            let (version, stored) = try ledger.readProjectionMeta(in: txn, meta)
            if !Ledger.isCurrent(projectionVersion: version) {
                // Another version's projections: start again from the first event.
                try txn.clear(entries)
                try ledger.clearSnapshots(snapshots, meta: meta, in: txn)
                try txn.clear(effectiveIndex)
                checkpoint = 0
                sum = EntrySum()
            } else {
                checkpoint = stored
                let storedChecksum = try ledger.readChecksum(in: txn, meta)
                if let memo = ledger.verifiedHead, let storedChecksum, storedChecksum.checkpoint == stored,
                   memo.knownProjectionChecksum == storedChecksum.bytes {
                    // A process that appends many batches (the server) adds
                    // the entries up once and then only confirms that the
                    // stored checksum is the one it wrote itself; see
                    // ``Ledger/checkLogBeforeAppending()`` for the same
                    // trade for the log. An entry damaged since still fails
                    // the checksum of every read that loads the whole state.
                    sum = storedChecksum.sum
                } else {
                    // A ledger written before the checksum existed: added up once.
                    sum = try ledger.storedEntrySum(in: txn, entries)
                    // Stored balances that do not add up to their checksum are
                    // not built upon.
                    if let problem = try ledger.checksumProblem(sum, checkpoint: stored, meta: meta, in: txn) {
                        if storedChecksum != nil { throw LedgerError.corrupt("\(problem); `subsidy-ledger rebuild` rewrites them from the log") }
                    } else if let storedChecksum {
                        // The committed checksum, checked: whether or not
                        // this transaction commits, it is what is stored.
                        ledger.verifiedHead?.rememberProjectionChecksum(storedChecksum.bytes)
                    }
                }
            }
            working = WorkingSet(backing: self)
        }

        /// Folds the stored events after the checkpoint up to `seq`.
        func catchUp(to seq: UInt64) throws {
            guard checkpoint < seq else { return }
            try ledger.forEachEvent(in: txn, from: checkpoint + 1, to: seq) { stored in
                try apply(stored.event, seq: stored.seq)
                return true
            }
        }

        /// Folds the events after this point from their stored records, with
        /// ``CompactBalances`` over the stored entries, rather than through
        /// the `String`-keyed ``WorkingSet``. The stored entries and their
        /// checksum come out the same either way. Only before anything is
        /// folded (after ``catchUp(to:)`` nothing may be pending).
        func foldCompactly() {
            foldsCompactly = true
        }

        /// Folds `event`, the stored record `record` (hash ‖ canonical
        /// bytes), appended as `seq`.
        func apply(_ event: Event, seq: UInt64, record: [UInt8]) throws {
            precondition(seq == checkpoint + 1, "projections fold the log in order")
            if foldsCompactly, compact == nil, working.isEmpty {
                compact = CompactFold(backing: self)
                compactFrom = seq
            }
            if let compact {
                do {
                    try record.withUnsafeBytes { raw in try compact.state.apply(EventRecordView(record: raw), lookup: lookup) }
                } catch is CompactBalances.Unsupported {
                    // Sums that could leave 64 bits, or something else the
                    // compact fold leaves to ``Balances``: the batch so far
                    // is folded again the plain way, which names a real
                    // overflow at the event that causes it.
                    try leaveCompactFold(through: seq - 1)
                    foldsCompactly = false
                    try working.apply(event, lookup: lookup)
                }
            } else {
                try working.apply(event, lookup: lookup)
            }
            try finishApplying(event, seq: seq)
        }

        func apply(_ event: Event, seq: UInt64) throws {
            precondition(seq == checkpoint + 1, "projections fold the log in order")
            if compact != nil { try leaveCompactFold(through: seq - 1) }
            try working.apply(event, lookup: lookup)
            try finishApplying(event, seq: seq)
        }

        /// Drops the compact fold (nothing of it is stored yet) and folds
        /// the events it took, `compactFrom` through `last`, into ``working``.
        private func leaveCompactFold(through last: UInt64) throws {
            compact = nil
            working = WorkingSet(backing: self)
            guard compactFrom <= last else { return }
            try ledger.forEachEvent(in: txn, from: compactFrom, to: last) { stored in
                try working.apply(stored.event, lookup: lookup)
                return true
            }
        }

        private func finishApplying(_ event: Event, seq: UInt64) throws {
            if event.type != .entryReversed {
                pendingDates.append(DateKey(day: UInt32(bitPattern: event.effective.dayNumber) ^ 0x8000_0000, seq: seq))
                if pendingDates.count >= Self.pendingDatesLimit { try writeDates() }
            }
            checkpoint = seq
        }

        /// An `effective-index` key not written yet: its two parts, in the
        /// order they compare.
        private struct DateKey {
            var day: UInt32
            var seq: UInt64
        }

        /// Date-index keys of the events folded since the last write: they
        /// are put in key order, which LMDB takes far faster than the
        /// scattered order of the events' dates; at most this many are held.
        private var pendingDates: [DateKey] = []
        private static let pendingDatesLimit = 1 << 18

        private func writeDates() throws {
            pendingDates.sort { ($0.day, $0.seq) < ($1.day, $1.seq) }
            var key = [UInt8](repeating: 0, count: 12)
            for date in pendingDates {
                key.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: date.day.bigEndian, toByteOffset: 0, as: UInt32.self)
                    raw.storeBytes(of: date.seq.bigEndian, toByteOffset: 4, as: UInt64.self)
                }
                try txn.put(effectiveIndex, key: key, value: [UInt8]())
            }
            pendingDates.removeAll(keepingCapacity: true)
        }

        /// Writes back every touched entry and the checkpoint; snapshots when due.
        func flush() throws {
            try writeDates()
            if let fold = compact {
                do {
                    try fold.state.foldPendingHolders()
                } catch is CompactBalances.Unsupported {
                    // As for a refusal while folding (``apply(_:seq:record:)``).
                    try leaveCompactFold(through: checkpoint)
                    foldsCompactly = false
                }
            }
            if let fold = compact {
                try fold.state.forEachChange { table, key, value in try store(table, Array(key), value.map { Array($0) }) }
                compact = nil
            }
            let b = working.balances
            for key in working.touchedLines {
                try store(.lines, StateCodec.key(key), b.lines[key].map(StateCodec.value))
            }
            for key in working.touchedPeople {
                try store(.people, StateCodec.key(key), b.people[key].map(StateCodec.value))
            }
            for key in working.touchedEnterprises {
                try store(.enterprises, StateCodec.key(key), b.enterprises[key].map(StateCodec.value))
            }
            for key in working.touchedLoans {
                try store(.loans, StateCodec.key(loan: key), b.loans[key].map(StateCodec.value))
            }
            var version = ByteWriter()
            version.u32(Ledger.projectionVersion)
            try txn.put(meta, key: Array("version".utf8), value: version.bytes)
            try txn.put(meta, key: Array("checkpoint".utf8), value: sequenceKey(checkpoint))
            guard let chainHash = try ledger.storedChainHash(at: checkpoint, in: txn) else {
                throw LedgerError.corrupt("event \(checkpoint), which the projections were folded through, is missing")
            }
            let checksum = ProjectionChecksum(checkpoint: checkpoint, chainHash: chainHash, sum: sum).bytes
            try txn.put(meta, key: ProjectionChecksum.key, value: checksum)
            writtenChecksum = checksum
            working = WorkingSet(backing: self)

            let lastSnapshot = try txn.withCursor(snapshots) { cursor in try cursor.last { key, _ in readSequence(key) } } ?? nil
            if checkpoint - (lastSnapshot ?? 0) >= ledger.options.snapshotIntervalEvents {
                let snapshot: [UInt8]
                let whole = [StateCodec.SnapshotKind.full.rawValue] + (try ledger.storedStateBytes(in: txn, entries))
                do {
                    snapshot = try whole.withUnsafeBytes { try StateCodec.transcoded(snapshot: $0, packed: true) }
                } catch {
                    throw LedgerError.corrupt("the stored balances cannot be decoded (\(error)); `subsidy-ledger rebuild` rewrites them from the log")
                }
                try ledger.putSnapshot(seq: checkpoint, value: snapshot, snapshots: snapshots, meta: meta, in: txn)
            }
        }

        private func store(_ table: StateCodec.Table, _ key: [UInt8], _ value: [UInt8]?) throws {
            let fullKey = [table.rawValue] + key
            try key.withUnsafeBytes { keyBytes in
                try txn.withValue(entries, key: fullKey) { old in
                    if let old { sum.remove(table, key: keyBytes, value: old) }
                }
                if let value { value.withUnsafeBytes { sum.add(table, key: keyBytes, value: $0) } }
            }
            if let value { try txn.put(entries, key: fullKey, value: value) } else { try txn.delete(entries, key: fullKey) }
        }

        private func stored<T>(_ table: StateCodec.Table, _ key: [UInt8], _ decode: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
            try txn.withValue(entries, key: [table.rawValue] + key) { bytes in try bytes.map(decode) }
        }

        func line(_ key: BudgetLineKey) throws -> BudgetLine? { try stored(.lines, StateCodec.key(key), StateCodec.line) }
        func person(_ key: Balances.PersonProgrammeKey) throws -> PersonProgramme? { try stored(.people, StateCodec.key(key), StateCodec.person) }
        func enterprise(_ key: Balances.EnterpriseProgrammeKey) throws -> EnterpriseProgramme? {
            try stored(.enterprises, StateCodec.key(key), StateCodec.enterprise)
        }
        func loan(_ id: String) throws -> LoanBalance? { try stored(.loans, StateCodec.key(loan: id), StateCodec.loan) }
    }

    /// Rebuilds stored projections that another version of this program
    /// wrote (or that were never written) before anything is appended, so
    /// an import never refolds the whole log inside its own transaction.
    /// Says what it does through `notice`. Nothing to do on a current ledger.
    public func prepareProjections(notice: ((String) -> Void)? = nil) throws {
        guard !options.readOnly else { return }
        let (head, version, checkpoint) = try env.read { txn -> (UInt64, UInt32?, UInt64) in
            let head = try self.head(in: txn).seq
            guard let projectionMeta else { return (head, nil, 0) }
            let (version, checkpoint) = try readProjectionMeta(in: txn, projectionMeta)
            return (head, version, checkpoint)
        }
        // Projections written before they carried a checksum and digests are
        // not vouched for unseen: they are rebuilt from the log, once.
        let lacks = try lacksChecksums()
        let current = Self.isCurrent(projectionVersion: version)
        let unchecked = current && head > 0 && checkpoint == head && lacks
        guard head > 0, !current || checkpoint != head || unchecked else { return }
        let what = unchecked ? "without the checksum and snapshot digests this version keeps"
            : version.map { Self.isCurrent(projectionVersion: $0) ? "behind the log (checkpoint \(checkpoint))" : "of version \($0)" } ?? "missing"
        notice?("the stored projections are \(what); rebuilding them from the \(head) events of the log (projection version \(Self.projectionVersion)) before importing")
        let rebuilt = try rebuildProjections()
        notice?("rebuilt the projections through seq \(rebuilt.head), digest \(rebuilt.digest)")
    }

    /// Projection versions whose `projection-entries` have today's layout,
    /// so that their digest compares with a rebuild's.
    static let entryLayoutVersions: Set<UInt32> = [1, 2, 3]

    // MARK: Reading

    /// The canonical bytes of the stored state (a scan in key order).
    func storedStateBytes(in txn: ReadTransaction, _ entries: Database) throws -> [UInt8] {
        var w = ByteWriter(capacity: 1 << 16)
        try txn.withCursor(entries) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, value in
                guard let first = key.first, let table = StateCodec.Table(rawValue: first) else {
                    throw LedgerError.corrupt("a projection entry has an unknown table")
                }
                StateCodec.append(table, key: UnsafeRawBufferPointer(rebasing: key[1...]), value: value, to: &w)
                return true
            }
        }
        return w.bytes
    }

    /// SHA-256 of the canonical bytes of a state, in hexadecimal.
    public static func digest(of canonical: [UInt8]) -> String {
        var hasher = SHA256Hasher()
        hasher.update(canonical)
        return HashChain.hex(hasher.finalize())
    }

    /// The stored projections' checkpoint and digest, without folding anything.
    public func storedProjectionDigest() throws -> (checkpoint: UInt64, digest: String)? {
        try env.read { txn -> (checkpoint: UInt64, digest: String)? in
            guard let projectionEntries, let projectionMeta else { return nil }
            let (version, checkpoint) = try readProjectionMeta(in: txn, projectionMeta)
            guard let version, Self.entryLayoutVersions.contains(version) else { return nil }
            return (checkpoint, Self.digest(of: try storedStateBytes(in: txn, projectionEntries)))
        }
    }

    // MARK: Rebuild

    /// Drops the stored projections and rebuilds them from the log alone,
    /// snapshots included. Returns the head and the digest of the state.
    ///
    /// The log is folded by ``CompactBalances`` straight from the memory map;
    /// a history it does not handle (sums that could leave 64 bits) is folded
    /// by ``Balances`` instead, which reports such a sum exactly. Both give
    /// the same state, so the digest does not depend on the path.
    ///
    /// The compact fold runs in bounded steps: the old snapshots are removed
    /// first, then the log is read one snapshot interval at a time, each in
    /// a read transaction of its own, and each snapshot is committed as soon
    /// as it is reached. Imports can run in between; the entries, the date
    /// index and the checkpoint are written at the end, in one transaction
    /// that first folds whatever was appended meanwhile. Until then the
    /// previous entries and checkpoint stand, and snapshots are only ever a
    /// consistent prefix of the new ones.
    public func rebuildProjections(progress: ((UInt64) -> Void)? = nil) throws -> (head: UInt64, digest: String) {
        try rebuildProjections(progress: progress, beforeLastTransaction: nil)
    }

    /// The rebuild, with `beforeLastTransaction` called when the fold is done
    /// and no transaction is open (tests append events there, as a
    /// concurrent import would).
    package func rebuildProjections(progress: ((UInt64) -> Void)?,
                                    beforeLastTransaction: (() throws -> Void)?) throws -> (head: UInt64, digest: String) {
        guard let entries = projectionEntries, let meta = projectionMeta, let snapshots = projectionSnapshots,
              let effectiveIndex
        else {
            preconditionFailure("a ledger opened for writing has its projection databases")
        }
        try growForRebuild()
        var compactFold: FoldedLog?
        do {
            compactFold = try foldCompactInSteps(snapshots: snapshots, progress: progress)
        } catch is CompactBalances.Unsupported {
            compactFold = nil
        }
        try beforeLastTransaction?()
        return try env.write { txn in
            var folded: FoldedLog
            // The stored date index, compared with the log's on the second
            // core while the entries are written: nothing in this
            // transaction writes it before, and no other writer can commit
            // meanwhile, so a read transaction sees what this one does. The
            // read is alongside this transaction, which waits for it below
            // (or in the `defer`) before it ends.
            var indexCheck: InBackground<String?>?
            defer { _ = try? indexCheck?.value() }
            if var compact = compactFold {
                try catchUp(&compact, in: txn)
                let days = compact.days
                let ledger = self
                indexCheck = InBackground { try ledger.env.readAlongside { try ledger.effectiveIndexDifference(effectiveIndex, days: days, in: $0) } }
                try txn.clear(entries)
                // The new snapshots' digests stay; version, checkpoint and
                // checksum are written below.
                env.releaseMappedPages()
                folded = compact
            } else {
                try txn.clear(entries)
                try clearSnapshots(snapshots, meta: meta, in: txn)
                try txn.clear(meta)
                folded = try foldReference(txn: txn, lookup: IndexLookup(ledger: self, txn: txn), reversed: try reversalMap(in: txn),
                                           snapshots: snapshots, meta: meta, progress: progress)
            }
            let days = folded.days
            folded.days = []
            // The entries in key order, with appends; the digest over their
            // canonical bytes and their sum on the second core as they go.
            let entryDigest = EntryDigest()
            var fullKey: [UInt8] = []
            try folded.forEachEntry { table, key, value in
                fullKey.removeAll(keepingCapacity: true)
                fullKey.append(table.rawValue)
                fullKey.append(contentsOf: key)
                try txn.append(entries, key: fullKey, value: value)
                entryDigest.add(table, key: key, value: value)
            }
            let (digest, sum) = entryDigest.finish()
            if let indexCheck {
                if try indexCheck.value() != nil { try writeEffectiveIndex(effectiveIndex, days: days, in: txn) }
            } else {
                _ = try rewriteEffectiveIndex(effectiveIndex, days: days, in: txn)
            }
            var version = ByteWriter()
            version.u32(Self.projectionVersion)
            try txn.put(meta, key: Array("version".utf8), value: version.bytes)
            try txn.put(meta, key: Array("checkpoint".utf8), value: sequenceKey(folded.head))
            guard let chainHash = try storedChainHash(at: folded.head, in: txn) else {
                throw LedgerError.corrupt("event \(folded.head), the head the rebuild folded through, is missing")
            }
            try txn.put(meta, key: ProjectionChecksum.key, value: ProjectionChecksum(checkpoint: folded.head, chainHash: chainHash, sum: sum).bytes)
            return (folded.head, digest)
        }
    }

    /// What a rebuild's fold leaves: the state, the head, and each event's
    /// effective day by seq (``noDay`` for a reversal, which is not indexed).
    struct FoldedLog {
        enum State {
            case plain(Balances)
            case compact(CompactBalances)
        }
        var state: State
        var head: UInt64
        var days: [Int32]

        /// Every entry of the state as stored, in canonical order.
        mutating func forEachEntry(_ body: (StateCodec.Table, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
            switch state {
            case .plain(let balances):
                for entry in StateCodec.entries(balances) {
                    try entry.key.withUnsafeBytes { k in try entry.value.withUnsafeBytes { v in try body(entry.table, k, v) } }
                }
            case .compact(var compact):
                try compact.forEachEntry(body)
                state = .compact(compact)
            }
        }
    }

    static let noDay = Int32.min

    /// Makes the date index hold exactly the keys `days` implies. It is a
    /// function of the events alone, so an index that already holds them is
    /// kept: reading it through costs a fraction of writing it again. One
    /// that differs anywhere is written anew, in key order, with appends
    /// (far cheaper than inserting in log order).
    private func rewriteEffectiveIndex(_ index: Database, days: [Int32], in txn: WriteTransaction) throws -> String? {
        guard let difference = try effectiveIndexDifference(index, days: days, in: txn) else { return nil }
        try writeEffectiveIndex(index, days: days, in: txn)
        return difference
    }

    /// Writes the date index anew: exactly the keys `days` implies, in key order.
    private func writeEffectiveIndex(_ index: Database, days: [Int32], in txn: WriteTransaction) throws {
        try txn.clear(index)
        for seq in Self.dateOrder(days) {
            try txn.append(index, key: Self.effectiveKey(CalendarDate(dayNumber: days[seq - 1]), seq: UInt64(seq)), value: [UInt8]())
        }
    }

    /// The seqs of `days` (seq − 1 → day) in (day, seq) order, by counting
    /// sort: days span at most a few centuries, so this is linear.
    static func dateOrder(_ days: [Int32]) -> [Int] {
        var low = Int32.max, high = Int32.min
        for day in days where day != noDay {
            low = min(low, day)
            high = max(high, day)
        }
        guard low <= high else { return [] }
        var starts = [Int](repeating: 0, count: Int(high) - Int(low) + 2)
        for day in days where day != noDay { starts[Int(day) - Int(low) + 1] += 1 }
        for index in 1..<starts.count { starts[index] += starts[index - 1] }
        var order = [Int](repeating: 0, count: starts[starts.count - 1])
        for (index, day) in days.enumerated() where day != noDay {
            let bucket = Int(day) - Int(low)
            order[starts[bucket]] = index + 1
            starts[bucket] += 1
        }
        return order
    }

    /// Folds the log up to the head it finds with ``CompactBalances``, one
    /// snapshot interval per read transaction, committing each snapshot in a
    /// write transaction of its own, and checks double entry at that head.
    private func foldCompactInSteps(snapshots: Database, progress: ((UInt64) -> Void)?) throws -> FoldedLog {
        let (head, reversed) = try env.read { txn in (try self.head(in: txn).seq, try reversalMap(in: txn)) }
        // The snapshots of before go first, so a read never mixes old and new.
        guard let meta = projectionMeta else { preconditionFailure("a ledger opened for writing has its projection databases") }
        try env.write { txn in try clearSnapshots(snapshots, meta: meta, in: txn) }
        var compact = CompactBalances()
        var days: [Int32] = []
        days.reserveCapacity(Int(head))
        // Snapshots are made on the holders' thread and committed here,
        // between read transactions: a write that must grow the map waits
        // for every transaction of the process to end.
        let writing = SnapshotWriting()
        func commitSnapshots() throws {
            for (seq, value) in writing.takeFinished() {
                try env.write { txn in try putSnapshot(seq: seq, value: value, snapshots: snapshots, meta: meta, in: txn) }
            }
        }
        let interval = options.snapshotIntervalEvents
        // The reversed seqs in order, walked beside the scan.
        let reversedSeqs = reversed.keys.sorted()
        var nextReversed = 0
        var from: UInt64 = 1
        // People and enterprises by programme are folded on the second
        // core, where each snapshot is finished.
        try compact.withHoldersAside { compact in
            while from <= head {
                let to = min(head, (from - 1) / interval * interval + interval)
                try env.read { txn in
                    let lookup = IndexLookup(ledger: self, txn: txn)
                    try forEachRecord(in: txn, from: from, to: to, checkingAhead: true) { record in
                        let isReversal = record.type == .entryReversed
                        var isReversed = false
                        if nextReversed < reversedSeqs.count && reversedSeqs[nextReversed] == record.seq {
                            isReversed = true
                            nextReversed += 1
                        }
                        try compact.apply(record, live: !isReversal && !isReversed, lookup: lookup)
                        days.append(isReversal ? Self.noDay : record.effective.dayNumber)
                        if let progress, record.seq % 100_000 == 0 { progress(record.seq) }
                        return true
                    }
                }
                if to % interval == 0 {
                    // Budget lines and loans are written here, in both
                    // forms; the holders' thread adds its tables once it
                    // has folded through `to`, chooses the form and commits
                    // the snapshot, while this fold goes on.
                    var part = SnapshotWriting.LinesAndLoans()
                    compact.forEachEntry(packed: true) { table, key, value in
                        if table == .loans {
                            StateCodec.append(table, key: key, value: value, to: &part.wholeLoans)
                        } else {
                            StateCodec.append(table, key: key, value: value, to: &part.wholeLines)
                        }
                    }
                    compact.forEachChange(packed: true) { table, key, value in
                        if table == .loans {
                            StateCodec.appendDeltaItem(table, key: key, value: value, to: &part.deltaLoans)
                        } else {
                            StateCodec.appendDeltaItem(table, key: key, value: value, to: &part.deltaLines)
                        }
                    }
                    compact.whenHoldersCatchUp { [to] holders in writing.finish(seq: to, writing.snapshot(part, holders: &holders)) }
                }
                try commitSnapshots()
                from = to + 1
            }
        }
        try commitSnapshots()
        // Double entry, checked over the whole log: each budget account ends
        // at its line's `available` (every event's postings sum to zero by
        // construction, see docs/ACCOUNTS.md).
        if let mismatch = compact.budgetAccountMismatch() {
            throw LedgerError.corrupt("budget line \(ChartOfAccounts.budget(mismatch.line)) has postings of \(mismatch.account) but available \(mismatch.available)")
        }
        return FoldedLog(state: .compact(compact), head: head, days: days)
    }

    /// A rebuild's snapshots, each made on the holders' thread from the
    /// budget lines and loans the fold wrote and the holders' tables as they
    /// stand at its seq, and held until the fold commits it.
    final class SnapshotWriting: @unchecked Sendable {
        /// A snapshot's budget lines and loans, as whole entries and as
        /// delta items: which form the snapshot takes is decided once the
        /// holders' part is weighed.
        struct LinesAndLoans {
            var wholeLines = ByteWriter(), wholeLoans = ByteWriter()
            var deltaLines = ByteWriter(), deltaLoans = ByteWriter()
        }

        /// The size of the last whole snapshot and of the deltas since.
        private var wholeBytes = 0
        private var deltaBytes = 0
        /// Two buffers serve every snapshot, so their pages are not faulted
        /// in afresh each time: the last whole snapshot's bytes stay in one
        /// (`holdersWritten` copies unchanged entries from them), and the
        /// next snapshot is written into the other.
        private var buffer = ByteWriter(capacity: 1 << 16)
        private var lastWhole = ByteWriter(capacity: 1 << 16)
        /// The holders' part of the last whole snapshot, which the next
        /// one copies its unchanged entries from.
        private var holdersWritten = CompactBalances.HoldersWritten()
        private var finished: [(seq: UInt64, value: [UInt8])] = []
        private let lock = NSLock()

        func finish(seq: UInt64, _ value: [UInt8]) {
            lock.withLock { finished.append((seq, value)) }
        }

        /// The snapshots made since the last call, in seq order.
        func takeFinished() -> [(seq: UInt64, value: [UInt8])] {
            lock.withLock {
                defer { finished = [] }
                return finished
            }
        }

        /// The snapshot's stored bytes: a delta (budget lines, holders,
        /// loans, each table's changes in key order) while the deltas since
        /// the last whole snapshot, this one's included, take at most a
        /// quarter of its bytes (4 × deltas ≤ whole), the whole state
        /// otherwise. The holders' part of the delta is written against
        /// what is left of that quarter and given up once past it, so the
        /// changed entries are read once whichever form wins. Forgets the
        /// holders' changes either way.
        func snapshot(_ part: LinesAndLoans, holders: inout CompactBalances) -> [UInt8] {
            buffer.bytes.removeAll(keepingCapacity: true)
            if wholeBytes > 0 {
                buffer.u8(StateCodec.SnapshotKind.packedDelta.rawValue)
                buffer.raw(part.deltaLines.bytes)
                let room = wholeBytes / 4 - deltaBytes - buffer.bytes.count - part.deltaLoans.bytes.count
                if holders.writeHolderChanges(into: &buffer, limit: room) {
                    holdersWritten.noteChanges(of: holders)
                    holders.forgetChanges()
                    buffer.raw(part.deltaLoans.bytes)
                    deltaBytes += buffer.bytes.count
                    return buffer.bytes
                }
                buffer.bytes.removeAll(keepingCapacity: true)
            }
            buffer.u8(StateCodec.SnapshotKind.packedFull.rawValue)
            buffer.raw(part.wholeLines.bytes)
            holders.writePackedHolders(into: &buffer, reusing: &holdersWritten, trailer: part.wholeLoans.bytes)
            holders.forgetChanges()
            wholeBytes = buffer.bytes.count
            deltaBytes = 0
            swap(&buffer, &lastWhole)
            return lastWhole.bytes
        }
    }

    /// Folds into a rebuild's state the events appended since its fold
    /// reached its head (imports that ran meanwhile), inside the rebuild's
    /// last transaction.
    private func catchUp(_ folded: inout FoldedLog, in txn: WriteTransaction) throws {
        let head = try self.head(in: txn).seq
        guard head > folded.head, case .compact(var compact) = folded.state else { return }
        let lookup = IndexLookup(ledger: self, txn: txn)
        try forEachRecord(in: txn, from: folded.head + 1, to: head) { record in
            try compact.apply(record, live: false, lookup: lookup)
            folded.days.append(record.type == .entryReversed ? Self.noDay : record.effective.dayNumber)
            return true
        }
        folded.state = .compact(compact)
        folded.head = head
    }

    /// Folds the whole log with ``Balances`` and ``ChartOfAccounts``: the
    /// plain fold, for what the compact one does not handle.
    private func foldReference(txn: WriteTransaction, lookup: IndexLookup, reversed: [UInt64: UInt64], snapshots: Database,
                               meta: Database, progress: ((UInt64) -> Void)?) throws -> FoldedLog {
        var balances = Balances()
        var head: UInt64 = 0
        var days: [Int32] = []
        // Double entry, checked over the whole log: every money event's
        // postings sum to zero, and each budget account ends at its line's
        // `available`.
        var accounts: [String: Money] = [:]
        try forEachEvent(in: txn, from: 1, to: .max) { stored in
            try balances.apply(stored.event, lookup: lookup)
            head = stored.seq
            if stored.event.type != .entryReversed && reversed[stored.seq] == nil {
                var total = Money.zero
                for posting in try ChartOfAccounts.postings(for: stored.event, lookup: lookup) {
                    try total.add(posting.amount, "postings of \(stored.event.id)")
                    try accounts[posting.account, default: .zero].add(posting.amount, posting.account)
                }
                guard total == .zero else { throw LedgerError.corrupt("the postings of \(stored.event.id) do not sum to zero") }
            }
            days.append(stored.event.type == .entryReversed ? Self.noDay : stored.event.effective.dayNumber)
            if head % options.snapshotIntervalEvents == 0 {
                try putSnapshot(seq: head, value: StateCodec.packedSnapshot(balances), snapshots: snapshots, meta: meta, in: txn)
            }
            if let progress, head % 100_000 == 0 { progress(head) }
            return true
        }
        for (key, line) in balances.lines where accounts[ChartOfAccounts.budget(key), default: .zero] != line.available {
            throw LedgerError.corrupt("budget line \(ChartOfAccounts.budget(key)) has postings of \(accounts[ChartOfAccounts.budget(key), default: .zero]) but available \(line.available)")
        }
        return FoldedLog(state: .plain(balances), head: head, days: days)
    }

    /// Grows the map before a rebuild by what it will write: the date index,
    /// the entries and a snapshot per interval, while the pages of the old
    /// entries are freed only when its last transaction commits. A
    /// transaction that still fills the map starts over on a larger one, but
    /// should not have to.
    private func growForRebuild() throws {
        guard !options.readOnly, options.anticipateGrowth else { return }
        let (last, entriesBytes) = try env.read { txn -> (UInt64, Int) in
            let last = try self.head(in: txn).seq
            var bytes = 0
            if let projectionEntries { bytes = try txn.statistics(projectionEntries).bytes }
            return (last, bytes)
        }
        let events = Int(last)
        let used: Int = env.info().lastPage * env.pageSizeBytes
        let stateBytes: Int = max(entriesBytes, events * 24)
        let snapshotCount: Int = events / Int(max(options.snapshotIntervalEvents, 1)) + 2
        let needed: Int = used + events * 48 + stateBytes * snapshotCount + (64 << 20)
        try env.growMap(toAtLeast: needed)
    }
}

extension Ledger {
    /// Stores every snapshot as projection version 2 did — kinds 0 and 1,
    /// person values canonical — with its digest, and marks the
    /// projections version 2 (tests only).
    package func storeSnapshotsAsVersion2ForTesting() throws {
        guard let snapshots = projectionSnapshots, let meta = projectionMeta else { return }
        try env.write { txn in
            var rewritten: [(seq: UInt64, value: [UInt8])] = []
            try txn.withCursor(snapshots) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    if let seq = readSequence(key) { rewritten.append((seq, try StateCodec.transcoded(snapshot: value, packed: false))) }
                    return true
                }
            }
            for snapshot in rewritten { try putSnapshot(seq: snapshot.seq, value: snapshot.value, snapshots: snapshots, meta: meta, in: txn) }
            try txn.put(meta, key: Array("version".utf8), value: [0, 0, 0, 2])
        }
    }

    /// The kind byte of every stored snapshot, in seq order (tests only).
    package func snapshotKindsForTesting() throws -> [UInt8] {
        guard let snapshots = projectionSnapshots else { return [] }
        return try env.read { txn in
            var kinds: [UInt8] = []
            try txn.withCursor(snapshots) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { _, value in
                    kinds.append(value.first ?? 0xFF)
                    return true
                }
            }
            return kinds
        }
    }

    /// Marks the stored projections as another version's (tests only).
    package func corruptProjectionVersionForTesting() throws {
        try env.write { txn in
            try txn.put(projectionMeta!, key: Array("version".utf8), value: [0, 0, 0, 0])
        }
    }
}
