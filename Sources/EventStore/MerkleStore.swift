import LMDBKit
import LedgerCore
import Proofs

/// The Merkle tree over the log (RFC 9162 §2.1; docs/PROOFS.md), kept on the
/// append path in the same transaction as the events it covers:
///
/// - `meta` → `merkle-frontier`: the tree size (u64 BE) then the hash of each
///   complete subtree its binary form gives, largest first (32 bytes each);
/// - `merkle`: level (u8) ‖ index (u64 BE) → the hash of the complete subtree
///   of 2^level leaves from index·2^level on, for every level that is a
///   non-zero multiple of 4 (16 leaves, 256 leaves, 4,096 leaves, …).
///
/// Any other complete subtree is computed on demand: below level 4 from the
/// events' canonical bytes (at most 8 leaves), above it from at most 8
/// stored nodes. A proof therefore costs about a hundred hashes, and the
/// stored tree takes 1/15 of a node (under 3 bytes) per event.
enum MerkleLayout {
    static let frontierKey = Array("merkle-frontier".utf8)
    static let originKey = Array("origin".utf8)
    /// Stored levels are the multiples of this.
    static let storedLevelStep = 4

    static func nodeKey(level: Int, index: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 9)
        writer.u8(UInt8(level))
        writer.u64(index)
        return writer.bytes
    }

    static func isStored(level: Int) -> Bool { level > 0 && level % storedLevelStep == 0 }

    static func encode(_ frontier: MerkleFrontier) -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + 32 * frontier.hashes.count)
        writer.u64(frontier.size)
        for hash in frontier.hashes { writer.raw(hash.bytes) }
        return writer.bytes
    }

    static func decodeFrontier(_ bytes: UnsafeRawBufferPointer) throws -> MerkleFrontier {
        guard bytes.count >= 8, (bytes.count - 8) % 32 == 0 else {
            throw LedgerError.corrupt("the stored Merkle frontier is \(bytes.count) bytes, not 8 plus a multiple of 32")
        }
        let size = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        var hashes: [MerkleHash] = []
        var offset = 8
        while offset < bytes.count {
            hashes.append(MerkleHash(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 32])))
            offset += 32
        }
        guard let frontier = MerkleFrontier(size: size, hashes: hashes) else {
            throw LedgerError.corrupt("the stored Merkle frontier has \(hashes.count) hashes for a tree of \(size) leaves")
        }
        return frontier
    }
}

/// Keeps the tree in step while a batch is appended (see ``BatchWriter``).
struct MerkleAppender {
    var frontier: MerkleFrontier
    let database: Database

    /// Adds the record with these canonical bytes as the next leaf, storing
    /// the complete subtrees it finishes at the stored levels.
    mutating func append(canonical: UnsafeRawBufferPointer, txn: WriteTransaction) throws {
        let database = database
        try frontier.append(Merkle.leafHash(canonical)) { level, index, hash in
            if MerkleLayout.isStored(level: level) {
                try txn.put(database, key: MerkleLayout.nodeKey(level: level, index: index), value: hash.bytes)
            }
        }
    }

    func save(txn: WriteTransaction, meta: Database) throws {
        try txn.put(meta, key: MerkleLayout.frontierKey, value: MerkleLayout.encode(frontier))
    }
}

/// Keeps the tree in step with an import's batch on a thread of its own.
///
/// The leaves and interior nodes depend on the records alone, not on
/// anything the writer decides later, so the writer hands each finished
/// record over (in batches of ``batchSize``) and goes on with the next line
/// while a second core hashes the leaf and the nodes it completes: the
/// tree's SHA-256 work leaves the writer's thread, which is the one that
/// bounds an import. The worker only computes; the nodes to store and the
/// frontier are written by the writer's thread, inside its transaction, in
/// ``finish(txn:meta:)``. The same ``MerkleFrontier`` arithmetic as
/// ``MerkleAppender``, so the stored tree is the same, node for node.
final class BackgroundMerkleAppender {
    /// What the worker owns until ``finish(txn:meta:)`` has waited for it.
    private final class Work: @unchecked Sendable {
        var frontier: MerkleFrontier
        /// Completed subtrees at stored levels: key → hash, in the order completed.
        var nodes: [([UInt8], MerkleHash)] = []
        init(frontier: MerkleFrontier) { self.frontier = frontier }

        func add(_ batch: Leaves) {
            batch.bytes.withUnsafeBytes { bytes in
                var start = 0
                for end in batch.ends {
                    let leaf = Merkle.leafHash(UnsafeRawBufferPointer(rebasing: bytes[start..<Int(end)]))
                    frontier.append(leaf) { level, index, hash in
                        if MerkleLayout.isStored(level: level) { nodes.append((MerkleLayout.nodeKey(level: level, index: index), hash)) }
                    }
                    start = Int(end)
                }
            }
        }
    }

    /// A batch of leaves: the canonical bytes of each record, one after
    /// another in one buffer, and where each ends. Copied in, so that the
    /// writer can build every record in the same buffer (no allocation per
    /// event, and none freed on this thread).
    struct Leaves: Sendable {
        var bytes: [UInt8] = []
        var ends: [Int32] = []

        init() {
            bytes.reserveCapacity(BackgroundMerkleAppender.batchSize * 320)
            ends.reserveCapacity(BackgroundMerkleAppender.batchSize)
        }
    }

    static let batchSize = 1024
    private let work: Work
    private let database: Database
    private var handoff: BatchHandoff<Leaves>?
    private var pending = Leaves()

    init(frontier: MerkleFrontier, database: Database) {
        let work = Work(frontier: frontier)
        self.work = work
        self.database = database
        handoff = BatchHandoff { leaves in
            work.add(leaves)
            return true
        }
    }

    /// A batch abandoned (refused, or failed in LMDB) still stops its worker.
    deinit { handoff?.finish() }

    /// Adds a stored record (hash ‖ canonical bytes) as the next leaf; its
    /// canonical bytes are copied.
    func append(record: UnsafeRawBufferPointer) {
        pending.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: record[EventCodec.hashBytes...]))
        pending.ends.append(Int32(pending.bytes.count))
        if pending.ends.count == Self.batchSize {
            handoff?.put(pending)
            pending = Leaves()
        }
    }

    /// Waits for the worker, then stores the nodes it completed and the
    /// frontier. Called once, when the batch is complete.
    func finish(txn: WriteTransaction, meta: Database) throws {
        if let handoff {
            if !pending.ends.isEmpty { handoff.put(pending) }
            pending = Leaves()
            handoff.finish()
            self.handoff = nil
        }
        for (key, hash) in work.nodes { try txn.put(database, key: key, value: hash.bytes) }
        work.nodes = []
        try txn.put(meta, key: MerkleLayout.frontierKey, value: MerkleLayout.encode(work.frontier))
    }
}

/// A checkpoint's worth of facts about the tree of one size.
public struct TreeHead: Sendable, Equatable {
    public var origin: String
    public var size: UInt64
    public var rootHash: MerkleHash
}

extension Ledger {
    /// The name a checkpoint starts with. A ledger created without one is
    /// named after its creation time (`subsidy-ledger.local/` and the
    /// microseconds since 1970 in decimal) until ``setOrigin(_:)`` names it.
    public func origin() throws -> (name: String, isDefault: Bool) {
        try env.read { txn in try origin(in: txn) }
    }

    func origin(in txn: ReadTransaction) throws -> (name: String, isDefault: Bool) {
        if let stored = try txn.get(meta, key: MerkleLayout.originKey) {
            return (String(decoding: stored, as: UTF8.self), false)
        }
        let created = try txn.withValue(meta, key: Array("created".utf8)) { bytes -> Int64 in
            guard let bytes, bytes.count == 8 else { return 0 }
            return Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)))
        }
        return ("subsidy-ledger.local/\(created)", true)
    }

    /// Names the ledger for its checkpoints, once: an origin already set is
    /// never changed, since checkpoints signed under it would stop matching.
    public func setOrigin(_ name: String) throws {
        guard Checkpoint.isValidOrigin(name) else {
            throw LedgerError.invalidRequest("\"\(name)\" is not a valid origin: 1 to 256 printable ASCII characters without spaces")
        }
        try env.write { txn in
            if let stored = try txn.get(meta, key: MerkleLayout.originKey) {
                let current = String(decoding: stored, as: UTF8.self)
                if current == name { return }
                throw LedgerError.invalidRequest("the ledger's origin is already \(current); it is set once and never changed")
            }
            try txn.put(meta, key: MerkleLayout.originKey, value: Array(name.utf8))
        }
    }

    /// The stored frontier, or nil when the tree was never built (a ledger
    /// written before the tree existed).
    func storedFrontier(in txn: ReadTransaction) throws -> MerkleFrontier? {
        try txn.withValue(meta, key: MerkleLayout.frontierKey) { bytes in
            try bytes.map(MerkleLayout.decodeFrontier)
        }
    }

    /// The stored frontier, checked against the one the stored nodes and
    /// the events give (at most a few hundred hashes): a damaged right edge
    /// of the tree is never extended, signed or proved from.
    func checkedFrontier(in txn: ReadTransaction) throws -> MerkleFrontier? {
        guard let stored = try storedFrontier(in: txn) else { return nil }
        let head = try head(in: txn).seq
        guard stored.size <= head else {
            throw LedgerError.corrupt("the Merkle frontier claims \(stored.size) events; the log has \(head)")
        }
        let recomputed = try MerkleFrontier(size: stored.size) { try subtreeHash(level: $0, index: $1, in: txn) }
        guard recomputed == stored else {
            throw LedgerError.corrupt("the stored Merkle frontier differs from the tree its nodes and events give")
        }
        return stored
    }

    /// How many events the stored tree covers, and the log's head.
    public func merkleCoverage() throws -> (treeSize: UInt64, head: UInt64) {
        try env.read { txn in
            (try storedFrontier(in: txn)?.size ?? 0, try head(in: txn).seq)
        }
    }

    /// Extends the stored tree over events appended without it (a ledger of
    /// an earlier version, or one an earlier version appended to), in one
    /// transaction. Returns how many leaves were added.
    @discardableResult
    public func catchUpMerkleTree(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        guard !options.readOnly else { return 0 }
        let current = try env.read { txn in (try storedFrontier(in: txn)?.size, try head(in: txn).seq) }
        if let treeSize = current.0, treeSize >= current.1 { return 0 }
        return try env.write { txn in
            let merkleDatabase = try merkle ?? txn.database(named: "merkle", create: true)
            let frontier = try checkedFrontier(in: txn) ?? MerkleFrontier()
            let head = try self.head(in: txn).seq
            var appender = MerkleAppender(frontier: frontier, database: merkleDatabase)
            let start = frontier.size
            try forEachRecord(in: txn, from: start + 1, to: head) { record in
                try appender.append(canonical: record.canonical, txn: txn)
                if let progress, record.seq % 1_000_000 == 0 { progress(record.seq, head) }
                return true
            }
            guard appender.frontier.size == head else {
                throw LedgerError.corrupt("the Merkle tree reached \(appender.frontier.size) leaves for a log of \(head) events")
            }
            try appender.save(txn: txn, meta: meta)
            return head - start
        }
    }

    /// Recomputes the whole tree from the events, in one transaction, and
    /// rewrites what is stored when any of it differs. Returns the tree's
    /// size and root and how many stored items (nodes, the frontier) were
    /// wrong or missing or should not have been there.
    public func rebuildMerkleTree(progress: ((UInt64) -> Void)? = nil) throws -> (size: UInt64, root: MerkleHash, differing: Int) {
        try env.write { txn in
            let merkleDatabase = try merkle ?? txn.database(named: "merkle", create: true)
            var frontier = MerkleFrontier()
            var nodes: [[UInt8]: MerkleHash] = [:]
            // Nothing is written until the scan ends, so the records can be
            // checked and read on the second core while the tree is hashed.
            try forEachRecord(in: txn, from: 1, to: .max, checkingAhead: true) { record in
                frontier.append(Merkle.leafHash(record.canonical)) { level, index, hash in
                    if MerkleLayout.isStored(level: level) { nodes[MerkleLayout.nodeKey(level: level, index: index)] = hash }
                }
                if let progress, record.seq % 1_000_000 == 0 { progress(record.seq) }
                return true
            }
            var differing = try storedFrontier(in: txn) == frontier ? 0 : 1
            var seen = 0
            try txn.withCursor(merkleDatabase) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { key, value in
                    // A node stored with the wrong hash is one place, not
                    // also a missing one.
                    if let expected = nodes[Array(key)] {
                        seen += 1
                        if !expected.bytes.elementsEqual(value) { differing += 1 }
                    } else {
                        differing += 1
                    }
                    return true
                }
            }
            differing += nodes.count - seen
            if differing > 0 {
                try txn.clear(merkleDatabase)
                for (key, hash) in nodes.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    try txn.put(merkleDatabase, key: key, value: hash.bytes)
                }
                try txn.put(meta, key: MerkleLayout.frontierKey, value: MerkleLayout.encode(frontier))
            }
            return (frontier.size, frontier.root, differing)
        }
    }

    /// The hash of the complete subtree of 2^level leaves from index·2^level
    /// on, from stored nodes and event bytes (see ``MerkleLayout``).
    func subtreeHash(level: Int, index: UInt64, in txn: ReadTransaction) throws -> MerkleHash {
        if level == 0 {
            let seq = index + 1
            let hash = try txn.withValue(events, key: sequenceKey(seq)) { record -> MerkleHash? in
                guard let record else { return nil }
                return Merkle.leafHash(try EventCodec.split(record: record).canonical)
            }
            guard let hash else { throw LedgerError.corrupt("event \(seq) is missing from the log") }
            return hash
        }
        if MerkleLayout.isStored(level: level) {
            guard let merkle else { throw LedgerError.corrupt("the ledger has no Merkle tree") }
            let stored = try txn.withValue(merkle, key: MerkleLayout.nodeKey(level: level, index: index)) { bytes in
                bytes.flatMap { MerkleHash(exactly: $0) }
            }
            guard let stored else {
                throw LedgerError.corrupt("the Merkle tree has no node at level \(level), index \(index)")
            }
            return stored
        }
        return Merkle.nodeHash(try subtreeHash(level: level - 1, index: index * 2, in: txn),
                               try subtreeHash(level: level - 1, index: index * 2 + 1, in: txn))
    }

    /// Checks that the tree covers `size` events of a log that has them.
    private func requireTree(size: UInt64, in txn: ReadTransaction) throws -> MerkleFrontier {
        let head = try head(in: txn).seq
        guard size <= head else {
            throw LedgerError.invalidRequest("the ledger has \(head) events; there is no tree of size \(size)")
        }
        guard let frontier = try checkedFrontier(in: txn), frontier.size >= size else {
            throw LedgerError.invalidRequest("the ledger's Merkle tree does not cover \(size) events yet; it is built at the next import, or by `checkpoint` on a ledger that can be written")
        }
        return frontier
    }

    /// The origin, size and root of the tree of the first `size` events.
    public func treeHead(size: UInt64) throws -> TreeHead {
        try env.read { txn in
            let frontier = try requireTree(size: size, in: txn)
            let root = size == frontier.size
                ? frontier.root
                : try Merkle.root(size: size) { try subtreeHash(level: $0, index: $1, in: txn) }
            return TreeHead(origin: try origin(in: txn).name, size: size, rootHash: root)
        }
    }

    /// What an inclusion proof holds: the event's position, bytes and path.
    public struct InclusionProof: Sendable {
        public var seq: UInt64
        public var leafIndex: UInt64 { seq - 1 }
        public var treeSize: UInt64
        /// The event's canonical bytes, the leaf of the tree.
        public var leaf: [UInt8]
        public var leafHash: MerkleHash
        public var event: StoredEvent
        public var path: [MerkleHash]
        public var rootHash: MerkleHash
    }

    /// The proof that the event with this id is in the tree of `size` events
    /// (the head when nil).
    public func inclusionProof(eventID: String, size: UInt64? = nil) throws -> InclusionProof {
        try env.read { txn in
            guard let seq = try IndexLookup(ledger: self, txn: txn).seq(ofID: eventID) else {
                throw LedgerError.invalidRequest("the ledger has no event with id \(eventID)")
            }
            let size = try size ?? head(in: txn).seq
            guard seq <= size else {
                throw LedgerError.invalidRequest("event \(eventID) is at seq \(seq), after the tree of size \(size)")
            }
            let frontier = try requireTree(size: size, in: txn)
            // The event's own link in the chain: a changed byte is refused
            // here, not proved.
            let previous = try seq == 1 ? HashChain.genesis : txn.withValue(events, key: sequenceKey(seq - 1)) { record in
                guard let record else { throw LedgerError.corrupt("event \(seq - 1) is missing from the log") }
                return Array(try EventCodec.split(record: record).hash)
            }
            let (leaf, stored) = try txn.withValue(events, key: sequenceKey(seq)) { record -> ([UInt8], StoredEvent) in
                guard let record else { throw LedgerError.corrupt("id \(eventID) points at missing event \(seq)") }
                let (hash, canonical) = try EventCodec.split(record: record)
                guard HashChain.link(previous: previous, canonical: Array(canonical)).elementsEqual(hash) else {
                    throw LedgerError.corrupt("event \(seq) does not match its stored hash and its predecessor's")
                }
                return (Array(canonical), try EventCodec.decode(record: record))
            }
            let subtree = { (level: Int, index: UInt64) in try self.subtreeHash(level: level, index: index, in: txn) }
            let proof = InclusionProof(
                seq: seq, treeSize: size, leaf: leaf, leafHash: Merkle.leafHash(leaf), event: stored,
                path: try Merkle.inclusionPath(leafIndex: seq - 1, treeSize: size, subtree: subtree),
                rootHash: size == frontier.size ? frontier.root : try Merkle.root(size: size, subtree: subtree))
            do {
                try Merkle.verifyInclusion(leafIndex: seq - 1, treeSize: size, leafHash: proof.leafHash, path: proof.path, root: proof.rootHash)
            } catch {
                throw LedgerError.corrupt("the proof of event \(seq) does not lead to the tree's root (\(error))")
            }
            return proof
        }
    }

    public struct ConsistencyProof: Sendable {
        public var fromSize: UInt64
        public var treeSize: UInt64
        public var fromRootHash: MerkleHash
        public var rootHash: MerkleHash
        public var path: [MerkleHash]
    }

    /// The proof that the tree of `from` events is a prefix of the tree of
    /// `size` events (the head when nil).
    public func consistencyProof(from: UInt64, size: UInt64? = nil) throws -> ConsistencyProof {
        try env.read { txn in
            let size = try size ?? head(in: txn).seq
            guard from <= size else {
                throw LedgerError.invalidRequest("--from-size \(from) is larger than the tree size \(size)")
            }
            let frontier = try requireTree(size: size, in: txn)
            let subtree = { (level: Int, index: UInt64) in try self.subtreeHash(level: level, index: index, in: txn) }
            let proof = ConsistencyProof(
                fromSize: from, treeSize: size,
                fromRootHash: try Merkle.root(size: from, subtree: subtree),
                rootHash: size == frontier.size ? frontier.root : try Merkle.root(size: size, subtree: subtree),
                path: try Merkle.consistencyPath(from: from, to: size, subtree: subtree))
            do {
                try Merkle.verifyConsistency(from: from, to: size, oldRoot: proof.fromRootHash, root: proof.rootHash, path: proof.path)
            } catch {
                throw LedgerError.corrupt("the consistency proof from \(from) to \(size) does not hold on the stored tree (\(error))")
            }
            return proof
        }
    }
}

/// The head of the log and of its Merkle tree, read in one snapshot (what
/// `GET /v1/head` answers).
public struct HeadSummary: Sendable {
    public var seq: UInt64
    public var hash: [UInt8]
    /// The size and root of the stored tree; nil for a ledger that has never
    /// stored one (written before the tree existed and not imported into since).
    public var tree: (size: UInt64, root: MerkleHash)?
}

extension Ledger {
    /// The head and the tree head in one read transaction, so that they
    /// describe the same log. The head record is checked as every read
    /// checks a record (its stored hash is the link of its bytes after the
    /// record before it), and the tree's frontier against its stored nodes.
    public func headSummary() throws -> HeadSummary {
        try env.read { txn in
            let head = try head(in: txn)
            if head.seq > 0 { try withCheckedRecord(head.seq, in: txn) { _ in } }
            let tree = try checkedFrontier(in: txn).map { (size: $0.size, root: $0.root) }
            return HeadSummary(seq: head.seq, hash: head.hash, tree: tree)
        }
    }
}
