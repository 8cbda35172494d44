import CSHA256
import Crypto

/// A SHA-256 hash held inline (no heap), as the Merkle tree's nodes are.
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    var words: (UInt64, UInt64, UInt64, UInt64)

    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == Self.byteCount, "a Merkle hash is 32 bytes")
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
    }

    /// The hash in `bytes` when it is exactly 32 bytes long.
    public init?(exactly bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init(bytes: bytes)
    }

    init(_ digest: SHA256Digest) {
        words = (0, 0, 0, 0)
        digest.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) }
        }
    }

    /// The digest of what `context` has hashed.
    init(finishing context: inout csha256_context) {
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { csha256_final(&context, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    public var bytes: [UInt8] { Swift.withUnsafeBytes(of: words) { Array($0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public static func == (a: MerkleHash, b: MerkleHash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Lower-case hexadecimal.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Why a proof does not hold.
public struct ProofFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed: `path length`, `root`, `size` and the like.
    public var check: String
    public var message: String
    public init(_ check: String, _ message: String) {
        self.check = check
        self.message = message
    }
    public var description: String { "\(check): \(message)" }
}

/// The Merkle tree of RFC 9162 §2.1 over a log of byte strings: a leaf's hash
/// is SHA-256(0x00 ‖ its bytes), an interior node's SHA-256(0x01 ‖ left ‖
/// right), and a tree of n > 1 leaves splits at the largest power of two
/// smaller than n.
///
/// Proofs are built from complete subtrees only: `subtree(level, index)` is
/// the hash of the 2^level leaves from index·2^level on, every one of which
/// is in the tree. A store answers that from whatever it keeps.
public enum Merkle {
    /// The root of the empty tree: SHA-256 of nothing.
    public static let emptyRoot = MerkleHash(SHA256.hash(data: [UInt8]()))

    /// Leaves and nodes are hashed with the project's own SHA-256 when the
    /// processor has the SHA instructions (the state on the stack; a log's
    /// tree is one leaf and about one node per event, and a hasher object
    /// costs as much again per hash), and with swift-crypto otherwise, whose
    /// vector code is the faster one there, as for the chain. Tests hold
    /// both to the published vectors and to each other.
    static let hashesOnTheSHAInstructions = csha256_uses_hardware() != 0

    public static func leafHash(_ bytes: UnsafeRawBufferPointer) -> MerkleHash {
        guard hashesOnTheSHAInstructions else {
            var hasher = SHA256()
            withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: bytes)
            return MerkleHash(hasher.finalize())
        }
        return ownHash(prefix: 0, bytes)
    }

    /// SHA-256(prefix ‖ bytes) by the project's own SHA-256.
    static func ownHash(prefix: UInt8, _ bytes: UnsafeRawBufferPointer) -> MerkleHash {
        var context = csha256_context()
        csha256_init(&context)
        var prefix = prefix
        csha256_update(&context, &prefix, 1)
        if let base = bytes.baseAddress { csha256_update(&context, base, bytes.count) }
        return MerkleHash(finishing: &context)
    }

    public static func leafHash(_ bytes: [UInt8]) -> MerkleHash {
        bytes.withUnsafeBytes { leafHash($0) }
    }

    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        // The 65 bytes in one buffer on the stack, hashed in one call: a
        // node costs little more than its two SHA-256 blocks.
        var input = InlineArray<65, UInt8>(repeating: 1)
        var span = input.mutableSpan
        span.withUnsafeMutableBytes { bytes in
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: bytes[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: bytes[33..<65]).copyMemory(from: $0) }
        }
        guard hashesOnTheSHAInstructions else {
            var hasher = SHA256()
            input.span.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            return MerkleHash(hasher.finalize())
        }
        return input.span.withUnsafeBytes { ownHash(prefix: 1, UnsafeRawBufferPointer(rebasing: $0[1...])) }
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The hash of leaves `start ..< end` as the tree arranges them: the
    /// root of the tree of `end − start` leaves starting at `start`, where
    /// `start` is a multiple of the largest power of two not above the count.
    public static func hash(from start: UInt64, to end: UInt64,
                            subtree: (_ level: Int, _ index: UInt64) throws -> MerkleHash) rethrows -> MerkleHash {
        let count = end - start
        precondition(count >= 1)
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return try subtree(level, start >> level)
        }
        let k = split(count)
        return nodeHash(try hash(from: start, to: start + k, subtree: subtree),
                        try hash(from: start + k, to: end, subtree: subtree))
    }

    /// The root of the tree of the first `size` leaves.
    public static func root(size: UInt64, subtree: (_ level: Int, _ index: UInt64) throws -> MerkleHash) rethrows -> MerkleHash {
        size == 0 ? emptyRoot : try hash(from: 0, to: size, subtree: subtree)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves, leaf to
    /// root (RFC 9162 §2.1.3.1).
    public static func inclusionPath(leafIndex index: UInt64, treeSize size: UInt64,
                                     subtree: (_ level: Int, _ index: UInt64) throws -> MerkleHash) rethrows -> [MerkleHash] {
        precondition(index < size)
        var path: [MerkleHash] = []
        // Walk down from the root, noting the sibling at each split; the
        // path lists them from the leaf up.
        var start: UInt64 = 0
        var end = size
        while end - start > 1 {
            let k = split(end - start)
            if index < start + k {
                path.append(try hash(from: start + k, to: end, subtree: subtree))
                end = start + k
            } else {
                path.append(try hash(from: start, to: start + k, subtree: subtree))
                start += k
            }
        }
        return path.reversed()
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of
    /// `size` leaves (RFC 9162 §2.1.4.1): empty when `old` is 0 or `size`.
    public static func consistencyPath(from old: UInt64, to size: UInt64,
                                       subtree: (_ level: Int, _ index: UInt64) throws -> MerkleHash) rethrows -> [MerkleHash] {
        precondition(old <= size)
        if old == 0 || old == size { return [] }
        var path: [MerkleHash] = []
        // SUBPROOF(m, D[start:end], b), unrolled: each step appends one hash
        // after those its recursive call adds, so collect them in reverse.
        var m = old
        var start: UInt64 = 0
        var end = size
        var completeSoFar = true
        var reversedTail: [MerkleHash] = []
        while true {
            let n = end - start
            if m == n {
                if !completeSoFar { path.append(try hash(from: start, to: end, subtree: subtree)) }
                break
            }
            let k = split(n)
            if m <= k {
                reversedTail.append(try hash(from: start + k, to: end, subtree: subtree))
                end = start + k
            } else {
                reversedTail.append(try hash(from: start, to: start + k, subtree: subtree))
                m -= k
                start += k
                completeSoFar = false
            }
        }
        path.append(contentsOf: reversedTail.reversed())
        return path
    }

    /// Checks an audit path (RFC 9162 §2.1.3.2): that `leafHash` at
    /// `leafIndex` with `path` gives `root` for a tree of `treeSize` leaves.
    public static func verifyInclusion(leafIndex: UInt64, treeSize: UInt64, leafHash: MerkleHash,
                                       path: [MerkleHash], root: MerkleHash) throws(ProofFailure) {
        guard leafIndex < treeSize else {
            throw ProofFailure("size", "leaf index \(leafIndex) is not below the tree size \(treeSize)")
        }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            guard sn != 0 else { throw ProofFailure("path length", "the path has more hashes than a tree of \(treeSize) leaves needs") }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofFailure("path length", "the path has fewer hashes than a tree of \(treeSize) leaves needs") }
        guard r == root else { throw ProofFailure("root", "the path leads to \(r), not to the root \(root)") }
    }

    /// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of
    /// `old` leaves with root `oldRoot` is a prefix of the tree of `size`
    /// leaves with root `root`.
    public static func verifyConsistency(from old: UInt64, to size: UInt64, oldRoot: MerkleHash, root: MerkleHash,
                                         path: [MerkleHash]) throws(ProofFailure) {
        guard old <= size else { throw ProofFailure("size", "the old size \(old) is larger than the new size \(size)") }
        if old == 0 {
            guard path.isEmpty else { throw ProofFailure("path length", "a proof from the empty tree has no hashes") }
            guard oldRoot == emptyRoot else { throw ProofFailure("root", "the empty tree's root is SHA-256 of nothing") }
            return
        }
        if old == size {
            guard path.isEmpty else { throw ProofFailure("path length", "a proof between equal sizes has no hashes") }
            guard oldRoot == root else { throw ProofFailure("root", "two trees of \(size) leaves have different roots") }
            return
        }
        guard !path.isEmpty else { throw ProofFailure("path length", "the proof has no hashes") }
        var hashes = path
        if old & (old - 1) == 0 { hashes.insert(oldRoot, at: 0) }
        var fn = old - 1
        var sn = size - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = hashes[0]
        var sr = hashes[0]
        for c in hashes.dropFirst() {
            guard sn != 0 else { throw ProofFailure("path length", "the proof has more hashes than sizes \(old) and \(size) need") }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw ProofFailure("path length", "the proof has fewer hashes than sizes \(old) and \(size) need") }
        guard fr == oldRoot else { throw ProofFailure("root", "the proof leads to \(fr) for the old tree, not to its root \(oldRoot)") }
        guard sr == root else { throw ProofFailure("root", "the proof leads to \(sr) for the new tree, not to its root \(root)") }
    }
}

/// The right edge of a growing tree: the root of each complete subtree that
/// the binary form of `size` gives (largest first), enough to append a leaf
/// and to compute the root. O(log n) hashes.
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size: UInt64
    /// One hash per set bit of `size`, from the highest bit to the lowest.
    public private(set) var hashes: [MerkleHash]

    public init() {
        size = 0
        hashes = []
    }

    public init?(size: UInt64, hashes: [MerkleHash]) {
        guard hashes.count == size.nonzeroBitCount else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// The frontier of the first `size` leaves, from complete subtrees.
    public init(size: UInt64, subtree: (_ level: Int, _ index: UInt64) throws -> MerkleHash) rethrows {
        self.size = size
        hashes = []
        var start: UInt64 = 0
        var level = 63
        while level >= 0 {
            let width = UInt64(1) << level
            if size & width != 0 {
                hashes.append(try subtree(level, start >> level))
                start += width
            }
            level -= 1
        }
    }

    /// Adds the next leaf. `completed` is told of every complete subtree
    /// that this leaf finishes (level ≥ 1), lowest first.
    public mutating func append(_ leaf: MerkleHash, completed: (_ level: Int, _ index: UInt64, _ hash: MerkleHash) throws -> Void) rethrows {
        var hash = leaf
        var level = 0
        while size & (UInt64(1) << level) != 0 {
            hash = Merkle.nodeHash(hashes.removeLast(), hash)
            level += 1
            try completed(level, (size + 1) >> level - 1, hash)
        }
        hashes.append(hash)
        size += 1
    }

    public mutating func append(_ leaf: MerkleHash) {
        append(leaf) { _, _, _ in }
    }

    /// The root of the tree of `size` leaves.
    public var root: MerkleHash {
        guard var hash = hashes.last else { return Merkle.emptyRoot }
        for left in hashes.dropLast().reversed() { hash = Merkle.nodeHash(left, hash) }
        return hash
    }
}
