import Crypto
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
/// - `projection-snapshots`: seq → the canonical bytes of the state after seq
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
    public static let projectionVersion: UInt32 = 1

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
        let lookup: IndexLookup
        private(set) var checkpoint: UInt64

        init(ledger: Ledger, txn: WriteTransaction) throws {
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
            self.lookup = IndexLookup(ledger: ledger, txn: txn)
            let (version, stored) = try ledger.readProjectionMeta(in: txn, meta)
            if version != Ledger.projectionVersion {
                // Another version's projections: start again from the first event.
                try txn.clear(entries)
                try txn.clear(snapshots)
                try txn.clear(effectiveIndex)
                checkpoint = 0
            } else {
                checkpoint = stored
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

        func apply(_ event: Event, seq: UInt64) throws {
            precondition(seq == checkpoint + 1, "projections fold the log in order")
            try working.apply(event, lookup: lookup)
            if event.type != .entryReversed {
                try txn.put(effectiveIndex, key: Ledger.effectiveKey(event.effective, seq: seq), value: [UInt8]())
            }
            checkpoint = seq
        }

        /// Writes back every touched entry and the checkpoint; snapshots when due.
        func flush() throws {
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
            working = WorkingSet(backing: self)

            let lastSnapshot = try txn.withCursor(snapshots) { cursor in try cursor.last { key, _ in readSequence(key) } } ?? nil
            if checkpoint - (lastSnapshot ?? 0) >= ledger.options.snapshotIntervalEvents {
                try txn.put(snapshots, key: sequenceKey(checkpoint), value: try ledger.storedStateBytes(in: txn, entries))
            }
        }

        private func store(_ table: StateCodec.Table, _ key: [UInt8], _ value: [UInt8]?) throws {
            let fullKey = [table.rawValue] + key
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
        HashChain.hex(SHA256.hash(data: canonical))
    }

    /// The stored projections' checkpoint and digest, without folding anything.
    public func storedProjectionDigest() throws -> (checkpoint: UInt64, digest: String)? {
        try env.read { txn -> (checkpoint: UInt64, digest: String)? in
            guard let projectionEntries, let projectionMeta else { return nil }
            let (version, checkpoint) = try readProjectionMeta(in: txn, projectionMeta)
            guard version == Self.projectionVersion else { return nil }
            return (checkpoint, Self.digest(of: try storedStateBytes(in: txn, projectionEntries)))
        }
    }

    // MARK: Rebuild

    /// Drops the stored projections and rebuilds them from the log alone,
    /// snapshots included. Returns the head and the digest of the state.
    public func rebuildProjections(progress: ((UInt64) -> Void)? = nil) throws -> (head: UInt64, digest: String) {
        try env.write { txn in
            guard let entries = projectionEntries, let meta = projectionMeta, let snapshots = projectionSnapshots,
                  let effectiveIndex
            else {
                preconditionFailure("a ledger opened for writing has its projection databases")
            }
            try txn.clear(entries)
            try txn.clear(snapshots)
            try txn.clear(meta)
            try txn.clear(effectiveIndex)
            let lookup = IndexLookup(ledger: self, txn: txn)
            var balances = Balances()
            var head: UInt64 = 0
            // Double entry, checked over the whole log: every money event's
            // postings sum to zero, and each budget account ends at its line's
            // `available`.
            var accounts: [String: Money] = [:]
            var reversed = try reversalMap(in: txn)
            // The date index is written at the end, in key order, with
            // appends: far cheaper than inserting in log order.
            var dated: [(day: Int32, seq: UInt64)] = []
            try forEachEvent(in: txn, from: 1, to: .max) { stored in
                try balances.apply(stored.event, lookup: lookup)
                head = stored.seq
                if stored.event.type != .entryReversed && reversed.removeValue(forKey: stored.seq) == nil {
                    var total = Money.zero
                    for posting in try ChartOfAccounts.postings(for: stored.event, lookup: lookup) {
                        try total.add(posting.amount, "postings of \(stored.event.id)")
                        try accounts[posting.account, default: .zero].add(posting.amount, posting.account)
                    }
                    guard total == .zero else { throw LedgerError.corrupt("the postings of \(stored.event.id) do not sum to zero") }
                }
                if stored.event.type != .entryReversed { dated.append((stored.event.effective.dayNumber, head)) }
                if head % options.snapshotIntervalEvents == 0 {
                    try txn.put(snapshots, key: sequenceKey(head), value: StateCodec.canonicalBytes(balances))
                }
                if let progress, head % 100_000 == 0 { progress(head) }
                return true
            }
            for (key, line) in balances.lines where accounts[ChartOfAccounts.budget(key), default: .zero] != line.available {
                throw LedgerError.corrupt("budget line \(ChartOfAccounts.budget(key)) has postings of \(accounts[ChartOfAccounts.budget(key), default: .zero]) but available \(line.available)")
            }
            dated.sort { ($0.day, $0.seq) < ($1.day, $1.seq) }
            for (day, seq) in dated {
                try txn.append(effectiveIndex, key: Self.effectiveKey(CalendarDate(dayNumber: day), seq: seq), value: [UInt8]())
            }
            let all = StateCodec.entries(balances)
            for entry in all {
                try txn.append(entries, key: [entry.table.rawValue] + entry.key, value: entry.value)
            }
            var version = ByteWriter()
            version.u32(Self.projectionVersion)
            try txn.put(meta, key: Array("version".utf8), value: version.bytes)
            try txn.put(meta, key: Array("checkpoint".utf8), value: sequenceKey(head))
            return (head, Self.digest(of: StateCodec.canonicalBytes(entries: all)))
        }
    }
}

extension Ledger {
    /// Marks the stored projections as another version's (tests only).
    package func corruptProjectionVersionForTesting() throws {
        try env.write { txn in
            try txn.put(projectionMeta!, key: Array("version".utf8), value: [0, 0, 0, 0])
        }
    }
}
