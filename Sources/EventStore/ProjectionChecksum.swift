import LMDBKit
import LedgerCore
import Projections

/// A sum over a set of projection entries that changes with each entry
/// added or taken away: the 256-bit sum, modulo 2^256, of SHA-256 of each
/// entry's canonical bytes (`u8 table ‖ u16 key length ‖ key ‖ u32 value
/// length ‖ value`, as in the canonical state bytes). An import updates it
/// for the entries it touches; a read that loads the whole state adds it
/// up again and compares.
struct EntrySum: Equatable, Sendable {
    /// Most significant limb first.
    private(set) var limbs: [UInt64] = [0, 0, 0, 0]

    init() {}

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let array = Array(bytes)
        limbs = (0..<4).map { limb in array[limb * 8..<limb * 8 + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for limb in limbs { for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) } }
        return out
    }

    static func entryHash(_ table: StateCodec.Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> [UInt64] {
        var hasher = SHA256Hasher()
        // table (u8) ‖ key length (u16) ‖ key ‖ value length (u32) ‖ value
        var header: (UInt8, UInt8, UInt8) = (table.rawValue, UInt8(truncatingIfNeeded: key.count >> 8), UInt8(truncatingIfNeeded: key.count))
        withUnsafeBytes(of: &header) { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<3])) }
        hasher.update(key)
        var length = UInt32(value.count).bigEndian
        withUnsafeBytes(of: &length) { hasher.update($0) }
        hasher.update(value)
        return hasher.withDigest { digest in
            (0..<4).map { UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
    }

    mutating func add(_ table: StateCodec.Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        accumulate(Self.entryHash(table, key: key, value: value), subtracting: false)
    }

    mutating func remove(_ table: StateCodec.Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        accumulate(Self.entryHash(table, key: key, value: value), subtracting: true)
    }

    /// Adds or takes away a 256-bit number, modulo 2^256, limb by limb from the least significant.
    private mutating func accumulate(_ h: [UInt64], subtracting: Bool) {
        var carry: UInt64 = 0
        for limb in (0..<4).reversed() {
            let (a, o1) = subtracting ? limbs[limb].subtractingReportingOverflow(h[limb]) : limbs[limb].addingReportingOverflow(h[limb])
            let (b, o2) = subtracting ? a.subtractingReportingOverflow(carry) : a.addingReportingOverflow(carry)
            limbs[limb] = b
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }
}

/// `projection-meta` → `checksum`: which head the stored balances were
/// computed at, and the sum of their entries. A read that serves them
/// checks all three: the checkpoint is the stored one, the chain hash is
/// the one the log holds at that seq, and the entries add up to the sum.
struct ProjectionChecksum: Equatable {
    static let key = Array("checksum".utf8)

    var checkpoint: UInt64
    /// The stored hash of event `checkpoint` (32 zero bytes for 0).
    var chainHash: [UInt8]
    var sum: EntrySum

    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 72)
        w.u64(checkpoint)
        w.raw(chainHash)
        w.raw(sum.bytes)
        return w.bytes
    }

    init(checkpoint: UInt64, chainHash: [UInt8], sum: EntrySum) {
        self.checkpoint = checkpoint
        self.chainHash = chainHash
        self.sum = sum
    }

    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 72, let sum = EntrySum(bytes: bytes[40..<72]) else { return nil }
        checkpoint = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        chainHash = Array(bytes[8..<40])
        self.sum = sum
    }
}

extension Ledger {
    /// The stored hash of event `seq` (the chain's genesis for 0), or nil when there is none.
    func storedChainHash(at seq: UInt64, in txn: ReadTransaction) throws -> [UInt8]? {
        guard seq > 0 else { return HashChain.genesis }
        return try txn.withValue(events, key: sequenceKey(seq)) { record in
            guard let record, record.count >= 32 else { return nil }
            return Array(record[0..<32])
        }
    }

    func readChecksum(in txn: ReadTransaction, _ meta: Database) throws -> ProjectionChecksum? {
        try txn.withValue(meta, key: ProjectionChecksum.key) { $0.flatMap(ProjectionChecksum.init(bytes:)) }
    }

    /// The sum of every stored entry, added up from scratch.
    func storedEntrySum(in txn: ReadTransaction, _ entries: Database) throws -> EntrySum {
        var sum = EntrySum()
        try txn.withCursor(entries) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { key, value in
                guard let first = key.first, let table = StateCodec.Table(rawValue: first) else {
                    throw LedgerError.corrupt("a projection entry has an unknown table")
                }
                sum.add(table, key: UnsafeRawBufferPointer(rebasing: key[1...]), value: value)
                return true
            }
        }
        return sum
    }

    /// Why stored balances loaded with entry sum `sum` at `checkpoint`
    /// cannot be served, or nil when their checksum holds.
    func checksumProblem(_ sum: EntrySum, checkpoint: UInt64, meta: Database, in txn: ReadTransaction) throws -> String? {
        guard let stored = try readChecksum(in: txn, meta) else {
            return "the stored balances carry no checksum"
        }
        if stored.checkpoint != checkpoint {
            return "the stored balances' checksum is for seq \(stored.checkpoint), their checkpoint is \(checkpoint)"
        }
        if try storedChainHash(at: checkpoint, in: txn) != stored.chainHash {
            return "the stored balances were computed at another event \(checkpoint) than the log holds"
        }
        if stored.sum != sum {
            return "the stored balances do not add up to their checksum"
        }
        return nil
    }
}

/// `projection-meta` → `snapshot` ‖ seq: SHA-256 of the stored hash of
/// event seq followed by the snapshot's stored value. Written with every
/// snapshot; a read that starts from a snapshot checks it first.
extension Ledger {
    static let snapshotDigestPrefix = Array("snapshot".utf8)

    static func snapshotDigestKey(_ seq: UInt64) -> [UInt8] { snapshotDigestPrefix + sequenceKey(seq) }

    func snapshotDigest(seq: UInt64, value: UnsafeRawBufferPointer, in txn: ReadTransaction) throws -> [UInt8] {
        guard let chainHash = try storedChainHash(at: seq, in: txn) else {
            throw LedgerError.corrupt("event \(seq), which a snapshot is taken at, is missing")
        }
        var hasher = SHA256Hasher()
        hasher.update(chainHash)
        hasher.update(value)
        return hasher.finalize()
    }

    /// Stores a snapshot and its digest.
    func putSnapshot(seq: UInt64, value: [UInt8], snapshots: Database, meta: Database, in txn: WriteTransaction) throws {
        try txn.put(snapshots, key: sequenceKey(seq), value: value)
        let digest = try value.withUnsafeBytes { try snapshotDigest(seq: seq, value: $0, in: txn) }
        try txn.put(meta, key: Self.snapshotDigestKey(seq), value: digest)
    }

    /// Removes every snapshot and its digest.
    func clearSnapshots(_ snapshots: Database, meta: Database, in txn: WriteTransaction) throws {
        try txn.clear(snapshots)
        for key in try snapshotDigestKeys(meta, in: txn) { try txn.delete(meta, key: key) }
    }

    func snapshotDigestKeys(_ meta: Database, in txn: ReadTransaction) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try txn.withCursor(meta) { cursor in
            try cursor.forEach(from: Self.snapshotDigestPrefix) { key, _ in
                guard key.starts(with: Self.snapshotDigestPrefix) else { return false }
                keys.append(Array(key))
                return true
            }
        }
        return keys
    }

    /// Why the stored snapshot at `seq` cannot be served, or nil when its digest holds.
    func snapshotProblem(seq: UInt64, value: UnsafeRawBufferPointer, meta: Database, in txn: ReadTransaction) throws -> String? {
        guard let stored = try txn.get(meta, key: Self.snapshotDigestKey(seq)) else {
            return "the snapshot at seq \(seq) has no digest"
        }
        return try snapshotDigest(seq: seq, value: value, in: txn) == stored ? nil : "the snapshot at seq \(seq) does not match its digest"
    }

    /// Whether the stored balances lack their checksum or a snapshot lacks
    /// its digest (projections written by a version before them).
    func lacksChecksums() throws -> Bool {
        guard let meta = projectionMeta, let snapshots = projectionSnapshots else { return false }
        return try env.read { txn in
            if try readChecksum(in: txn, meta) == nil { return true }
            var missing = false
            try txn.withCursor(snapshots) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, _ in
                    if let seq = readSequence(key), try txn.get(meta, key: Self.snapshotDigestKey(seq)) == nil { missing = true }
                    return !missing
                }
            }
            return missing
        }
    }
}
