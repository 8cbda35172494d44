import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Proofs
import Testing

/// The Merkle tree the append path keeps, against a plain fold of the leaf
/// hashes of the stored canonical bytes.
@Suite("The Merkle tree kept with the log")
struct MerkleStoreTests {
    static func people(_ range: ClosedRange<Int>) -> String {
        range.map { Line.person("m-\($0)", "mp-\($0)") }.joined(separator: "\n")
    }

    /// The leaf hash of every stored event, in order.
    static func leafHashes(_ ledger: Ledger) throws -> [MerkleHash] {
        var leaves: [MerkleHash] = []
        try ledger.forEachRecord { record in
            leaves.append(Merkle.leafHash(record.canonical))
            return true
        }
        return leaves
    }

    static func root(_ leaves: ArraySlice<MerkleHash>) -> MerkleHash {
        var frontier = MerkleFrontier()
        for leaf in leaves { frontier.append(leaf) }
        return frontier.root
    }

    @Test("each import extends the tree: roots, inclusion and consistency proofs agree with a plain fold at every size")
    func treeFollowsEveryBatch() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        var first = 1
        var sizes: [UInt64] = []
        for (index, count) in [1, 255, 1, 300, 2, 512].enumerated() {
            let file = dir.file("batch-\(index).jsonl", Self.people(first...(first + count - 1)))
            _ = try ledger.importFiles([file]).get()
            first += count
            sizes.append(UInt64(first - 1))
            let leaves = try Self.leafHashes(ledger)
            let head = try ledger.treeHead(size: UInt64(leaves.count))
            #expect(head.size == UInt64(first - 1))
            #expect(head.rootHash == Self.root(leaves[...]))
        }
        let leaves = try Self.leafHashes(ledger)
        let coverage = try ledger.merkleCoverage()
        #expect(coverage.treeSize == UInt64(leaves.count) && coverage.head == UInt64(leaves.count))
        for size in sizes + [1, 256, 257, 511, 512, 513, 1000] {
            let root = Self.root(leaves[..<Int(size)])
            #expect(try ledger.treeHead(size: size).rootHash == root)
            for seq in Set([1, size / 3 + 1, size / 2 + 1, size]) {
                let proof = try ledger.inclusionProof(eventID: "m-\(seq)", size: size)
                #expect(proof.seq == seq && proof.rootHash == root && proof.leafHash == leaves[Int(seq - 1)])
                try Merkle.verifyInclusion(leafIndex: seq - 1, treeSize: size, leafHash: proof.leafHash, path: proof.path, root: root)
            }
            for old in Set([0, 1, size / 2, 256, size - 1, size]) where old <= size {
                let proof = try ledger.consistencyProof(from: old, size: size)
                #expect(proof.fromRootHash == Self.root(leaves[..<Int(old)]))
                try Merkle.verifyConsistency(from: old, to: size, oldRoot: proof.fromRootHash, root: root, path: proof.path)
            }
        }
        #expect(try ledger.verify().ok)
    }

    @Test("an event after the asked size, an unknown id, or a size past the head is refused")
    func refusals() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...10))]).get()
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(eventID: "m-8", size: 7) }
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(eventID: "nobody", size: 10) }
        #expect(throws: LedgerError.self) { try ledger.treeHead(size: 11) }
        #expect(throws: LedgerError.self) { try ledger.consistencyProof(from: 11, size: 10) }
    }

    /// Opens the ledger's LMDB environment directly, as a tamperer would.
    func tamper(_ path: String, _ body: (WriteTransaction, Database, Database) throws -> Void) throws {
        let env = try Environment(path: path)
        let merkle = try env.openDatabase(named: "merkle", create: false)
        let meta = try env.openDatabase(named: "meta", create: false)
        try env.write { txn in try body(txn, merkle, meta) }
    }

    @Test("verify recomputes the tree and names a changed node, a missing node, a stray node and a changed frontier")
    func verifyFindsADamagedTree() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...600))]).get()
            #expect(try ledger.verify().ok)
        }
        let node = MerkleLayoutKey.node(level: 8, index: 1)
        let env = try Environment(path: path)
        let merkleDatabase = try env.openDatabase(named: "merkle", create: false)
        let original = try #require(try env.read { txn in try txn.get(merkleDatabase, key: node) })
        let damages: [(String, (WriteTransaction, Database, Database) throws -> Void)] = [
            ("level 8, index 1 differs", { txn, merkle, _ in
                var changed = original
                changed[5] ^= 0x40
                try txn.put(merkle, key: node, value: changed)
            }),
            ("missing 1 of the \(600 / 16 + 600 / 256)", { txn, merkle, _ in
                let deleted = try txn.delete(merkle, key: node)
                #expect(deleted)
            }),
            ("beyond the tree", { txn, merkle, _ in try txn.put(merkle, key: MerkleLayoutKey.node(level: 8, index: 7), value: original) }),
            ("frontier differs", { txn, _, meta in
                var frontier = try #require(try txn.get(meta, key: Array("merkle-frontier".utf8)))
                frontier[frontier.count - 1] ^= 0x01
                try txn.put(meta, key: Array("merkle-frontier".utf8), value: frontier)
            }),
        ]
        for (expected, damage) in damages {
            try tamper(path, damage)
            let report = try Ledger.open(at: path, options: .init(readOnly: true)).verify()
            #expect(!report.ok && report.firstBadSeq == nil)
            #expect(report.treeProblem?.contains(expected) == true, "\(report.treeProblem ?? "no problem") for \(expected)")
            // Put it right again for the next damage.
            try tamper(path) { txn, merkle, meta in
                try txn.put(merkle, key: node, value: original)
                _ = try txn.delete(merkle, key: MerkleLayoutKey.node(level: 8, index: 7))
                var frontier = try #require(try txn.get(meta, key: Array("merkle-frontier".utf8)))
                if expected == "frontier differs" { frontier[frontier.count - 1] ^= 0x01 }
                try txn.put(meta, key: Array("merkle-frontier".utf8), value: frontier)
            }
            #expect(try Ledger.open(at: path, options: .init(readOnly: true)).verify().ok)
        }
    }

    @Test("a stored frontier of the wrong size or content, behind or ahead of the log, is found by verify and refused by import and proofs")
    func damagedFrontierOfAnotherSize() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...600))]).get()
        }
        func frontier(size: UInt64, fill: UInt8) -> [UInt8] {
            withUnsafeBytes(of: size.bigEndian) { Array($0) } + [UInt8](repeating: fill, count: 32 * size.nonzeroBitCount)
        }
        let env = try Environment(path: path)
        let metaDatabase = try env.openDatabase(named: "meta", create: false)
        let original = try #require(try env.read { txn in try txn.get(metaDatabase, key: Array("merkle-frontier".utf8)) })
        for (damage, expected) in [(frontier(size: 599, fill: 9), "differs from the one the first 599 events"),
                                   (frontier(size: 601, fill: 9), "claims 601 events; the log has 600"),
                                   (Array(original.dropLast()), "not 8 plus a multiple of 32")] {
            try tamper(path) { txn, _, meta in try txn.put(meta, key: Array("merkle-frontier".utf8), value: damage) }
            let ledger = try Ledger.open(at: path)
            let report = try ledger.verify()
            #expect(!report.ok && report.treeProblem?.contains(expected) == true, "\(report.treeProblem ?? "no problem")")
            #expect(throws: LedgerError.self) { try ledger.treeHead(size: 500) }
            #expect(throws: LedgerError.self) { try ledger.inclusionProof(eventID: "m-5") }
            #expect(throws: LedgerError.self) { try ledger.importFiles([dir.file("more.jsonl", Self.people(601...602))]) }
            #expect(try ledger.head().seq == 600)
            try tamper(path) { txn, _, meta in try txn.put(meta, key: Array("merkle-frontier".utf8), value: original) }
        }
        #expect(try Ledger.open(at: path).verify().ok)
    }

    @Test("a changed byte of an event is refused by a proof through it, and the tree recomputed from the events no longer has the kept root")
    func changedEventIsNeverProved() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        let kept: MerkleHash
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...300))]).get()
            kept = try ledger.treeHead(size: 300).rootHash
        }
        let env = try Environment(path: path)
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var record = try #require(try txn.get(events, key: sequenceKey(77)))
            record[record.count - 3] ^= 0x20
            try txn.put(events, key: sequenceKey(77), value: record)
        }
        let ledger = try Ledger.open(at: path)
        #expect(try ledger.verify().firstBadSeq == 77)
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(eventID: "m-77") }
        // Reads refuse the changed record; the tree over the bytes as they now are is another tree.
        #expect(throws: LedgerError.self) { try Self.leafHashes(ledger) }
        var changed: [MerkleHash] = []
        try env.read { txn in
            try txn.withCursor(events) { cursor in
                try cursor.forEach(from: nil as [UInt8]?) { _, value in
                    changed.append(Merkle.leafHash(try EventCodec.split(record: value).canonical))
                    return true
                }
            }
        }
        #expect(changed.count == 300)
        #expect(Self.root(changed[...]) != kept)
        // A proof whose path is computed from the changed event's bytes (a
        // neighbour in its 16-event subtree) is refused as well; one whose
        // path uses only stored nodes and other events still holds.
        #expect(throws: LedgerError.self) { try ledger.inclusionProof(eventID: "m-70") }
        for (id, index) in [("m-200", UInt64(199)), ("m-290", 289)] {
            let other = try ledger.inclusionProof(eventID: id)
            try Merkle.verifyInclusion(leafIndex: index, treeSize: 300, leafHash: other.leafHash, path: other.path, root: kept)
        }
    }

    @Test("a ledger written before the tree existed gets the same tree before its next import")
    func treeIsExtendedOverOlderEvents() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        let rootBefore: MerkleHash
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...300))]).get()
            rootBefore = try ledger.treeHead(size: 300).rootHash
        }
        // What an earlier version left: no frontier and no stored nodes.
        try tamper(path) { txn, merkle, meta in
            try txn.clear(merkle)
            _ = try txn.delete(meta, key: Array("merkle-frontier".utf8))
        }
        let ledger = try Ledger.open(at: path)
        let older = try ledger.merkleCoverage()
        #expect(older.treeSize == 0 && older.head == 300)
        #expect(throws: LedgerError.self) { try ledger.treeHead(size: 300) }
        _ = try ledger.importFiles([dir.file("b.jsonl", Self.people(301...310))]).get()
        let extended = try ledger.merkleCoverage()
        #expect(extended.treeSize == 310 && extended.head == 310)
        #expect(try ledger.treeHead(size: 300).rootHash == rootBefore)
        #expect(try ledger.treeHead(size: 310).rootHash == Self.root(try Self.leafHashes(ledger)[...]))
        #expect(try ledger.verify().ok)
    }

    @Test("a refused import leaves the tree as it was")
    func refusedImportLeavesTheTree() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        _ = try ledger.importFiles([dir.file("a.jsonl", Self.people(1...20))]).get()
        let before = try ledger.treeHead(size: 20)
        let bad = Self.people(21...300) + "\n{\"id\":\"broken\"}"
        #expect(throws: Never.self) {
            if case .success = try ledger.importFiles([dir.file("bad.jsonl", bad)]) { Issue.record("a bad line was accepted") }
        }
        let coverage = try ledger.merkleCoverage()
        #expect(coverage.treeSize == 20 && coverage.head == 20)
        #expect(try ledger.treeHead(size: 20) == before)
    }
}

/// Keys of the `merkle` database as docs/FORMAT.md gives them.
enum MerkleLayoutKey {
    static func node(level: UInt8, index: UInt64) -> [UInt8] {
        [level] + withUnsafeBytes(of: index.bigEndian) { Array($0) }
    }
}
