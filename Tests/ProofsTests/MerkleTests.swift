import Crypto
import Testing
@testable import Proofs

/// The tree against the published test vectors of Certificate Transparency
/// (RFC 6962/9162 share the tree) and against a plain recursive reading of
/// RFC 9162 §2.1 on every size up to 70.
@Suite struct MerkleTests {
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ]
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// MTH(D[start:end]) straight from the definition.
    static func plainRoot(_ hashes: ArraySlice<MerkleHash>) -> MerkleHash {
        if hashes.isEmpty { return Merkle.emptyRoot }
        if hashes.count == 1 { return hashes.first! }
        var k = 1
        while k * 2 < hashes.count { k *= 2 }
        let start = hashes.startIndex
        return Merkle.nodeHash(plainRoot(hashes[start..<start + k]), plainRoot(hashes[(start + k)...]))
    }

    static func subtrees(_ hashes: [MerkleHash]) -> (Int, UInt64) -> MerkleHash {
        { level, index in
            let width = 1 << level
            let start = Int(index) * width
            guard start + width <= hashes.count else {
                Issue.record("asked for subtree \(index) at level \(level), which is not complete in \(hashes.count) leaves")
                return Merkle.emptyRoot
            }
            return plainRoot(hashes[start..<start + width])
        }
    }

    @Test("leaf and node hashes, and the project's own SHA-256 they use on the SHA instructions, equal SHA-256 of 0x00 ‖ bytes and 0x01 ‖ left ‖ right as swift-crypto computes them, at every length across several blocks")
    func hashesEqualAnotherSHA256() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func byte() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for count in 0...300 {
            let bytes = (0..<count).map { _ in byte() }
            let leaf = bytes.withUnsafeBytes { Merkle.leafHash($0) }
            #expect(leaf.bytes == Array(SHA256.hash(data: [0] + bytes)), "a leaf of \(count) bytes")
            #expect(bytes.withUnsafeBytes { Merkle.ownHash(prefix: 0, $0) } == leaf, "the own hash of a leaf of \(count) bytes")
            let other = MerkleHash(bytes: (0..<32).map { _ in byte() })
            #expect(Merkle.nodeHash(leaf, other).bytes == Array(SHA256.hash(data: [1] + leaf.bytes + other.bytes)), "a node over a leaf of \(count) bytes")
            #expect((leaf.bytes + other.bytes).withUnsafeBytes { Merkle.ownHash(prefix: 1, $0) } == Merkle.nodeHash(leaf, other))
        }
    }

    static func hex(_ text: String) -> MerkleHash {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else {
                Issue.record("\"\(text)\" is not hexadecimal")
                return Merkle.emptyRoot
            }
            bytes.append(byte)
            index = next
        }
        return MerkleHash(bytes: bytes)
    }

    @Test func rootsMatchThePublishedVectors() {
        let hashes = Self.leaves.map { Merkle.leafHash($0) }
        #expect(Merkle.emptyRoot.description == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 {
            let root = Merkle.root(size: UInt64(size), subtree: Self.subtrees(Array(hashes[..<size])))
            #expect(root.description == Self.roots[size - 1], "size \(size)")
            var frontier = MerkleFrontier()
            for hash in hashes[..<size] { frontier.append(hash) }
            #expect(frontier.root == root)
        }
    }

    @Test func pathsMatchThePublishedVectors() throws {
        let hashes = Self.leaves.map { Merkle.leafHash($0) }
        let subtree = Self.subtrees(hashes)
        #expect(Merkle.inclusionPath(leafIndex: 0, treeSize: 8, subtree: subtree) == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ].map(Self.hex))
        #expect(Merkle.inclusionPath(leafIndex: 5, treeSize: 8, subtree: subtree) == [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ].map(Self.hex))
        #expect(Merkle.consistencyPath(from: 1, to: 8, subtree: subtree) == [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ].map(Self.hex))
        #expect(Merkle.consistencyPath(from: 6, to: 8, subtree: subtree) == [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ].map(Self.hex))
        #expect(Merkle.consistencyPath(from: 2, to: 5, subtree: subtree) == [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ].map(Self.hex))
        try Merkle.verifyConsistency(from: 6, to: 8, oldRoot: Self.hex(Self.roots[5]), root: Self.hex(Self.roots[7]),
                                     path: Merkle.consistencyPath(from: 6, to: 8, subtree: subtree))
    }

    /// Every proof of every size up to 70 verifies, and every proof with one
    /// hash changed, one dropped, one added or the wrong index does not.
    @Test func everyProofVerifiesAndEveryAlteredOneFails() throws {
        let hashes = (0..<70).map { Merkle.leafHash([UInt8(truncatingIfNeeded: $0), 0x5A, UInt8($0 / 7)]) }
        var frontier = MerkleFrontier()
        var completed: [String: MerkleHash] = [:]
        for size in 1...hashes.count {
            frontier.append(hashes[size - 1]) { level, index, hash in completed["\(level)/\(index)"] = hash }
            let prefix = Array(hashes[..<size])
            let root = Self.plainRoot(prefix[...])
            #expect(frontier.root == root)
            #expect(MerkleFrontier(size: UInt64(size), subtree: Self.subtrees(prefix)) == frontier)
            let subtree = Self.subtrees(prefix)
            for index in 0..<size {
                let path = Merkle.inclusionPath(leafIndex: UInt64(index), treeSize: UInt64(size), subtree: subtree)
                try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: path, root: root)
                if !path.isEmpty {
                    var altered = path
                    altered[index % path.count] = Merkle.leafHash([0xFF])
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: altered, root: root)
                    }
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: Array(path.dropLast()), root: root)
                    }
                }
                #expect(throws: ProofFailure.self) {
                    try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: path + [root], root: root)
                }
                if size > 1 {
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyInclusion(leafIndex: UInt64((index + 1) % size), treeSize: UInt64(size), leafHash: prefix[index], path: path, root: root)
                    }
                }
            }
            for old in 0...size {
                let oldRoot = Self.plainRoot(prefix[..<old])
                let path = Merkle.consistencyPath(from: UInt64(old), to: UInt64(size), subtree: subtree)
                try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: root, path: path)
                if !path.isEmpty {
                    var altered = path
                    altered[old % path.count] = Merkle.leafHash([0xFF])
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: root, path: altered)
                    }
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: root, path: Array(path.dropFirst()))
                    }
                }
                if old > 0 && old < size {
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: Merkle.leafHash([0xEE]), root: root, path: path)
                    }
                }
            }
        }
        // Complete subtrees reported on the way are the plain fold's.
        for (key, hash) in completed {
            let parts = try key.split(separator: "/").map { try #require(Int($0)) }
            let width = 1 << parts[0]
            #expect(Self.plainRoot(hashes[parts[1] * width..<(parts[1] + 1) * width]) == hash)
        }
        #expect(completed.count == hashes.count - hashes.count.nonzeroBitCount)
    }

    /// For a random n, every M ≤ N ≤ n: a flip of any one bit of any byte of
    /// any hash the verifier takes (leaf, path, roots) makes the proof fail.
    /// (A different tree size alone may lead to the same root with the same
    /// path; sizes are bound to the signed checkpoint, which check-proof
    /// compares.)
    @Test func anyChangedByteFails() throws {
        var random = SystemRandomNumberGenerator()
        let n = Int.random(in: 17...33, using: &random)
        let hashes = (0..<n).map { Merkle.leafHash([UInt8(truncatingIfNeeded: $0), 0xA5]) }
        func flipped(_ hash: MerkleHash, _ byte: Int) -> MerkleHash {
            var bytes = hash.bytes
            bytes[byte] ^= UInt8(1) << (byte % 8)
            return MerkleHash(bytes: bytes)
        }
        for size in 1...n {
            let prefix = Array(hashes[..<size])
            let subtree = Self.subtrees(prefix)
            let root = Self.plainRoot(prefix[...])
            for index in [0, size / 2, size - 1] {
                let path = Merkle.inclusionPath(leafIndex: UInt64(index), treeSize: UInt64(size), subtree: subtree)
                for byte in 0..<32 {
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: flipped(prefix[index], byte), path: path, root: root)
                    }
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: path, root: flipped(root, byte))
                    }
                    for position in path.indices {
                        var altered = path
                        altered[position] = flipped(path[position], byte)
                        #expect(throws: ProofFailure.self) {
                            try Merkle.verifyInclusion(leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: prefix[index], path: altered, root: root)
                        }
                    }
                }
            }
            for old in 1..<size {
                let oldRoot = Self.plainRoot(prefix[..<old])
                let path = Merkle.consistencyPath(from: UInt64(old), to: UInt64(size), subtree: subtree)
                try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: root, path: path)
                for byte in stride(from: 0, to: 32, by: 3) {
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: flipped(oldRoot, byte), root: root, path: path)
                    }
                    #expect(throws: ProofFailure.self) {
                        try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: flipped(root, byte), path: path)
                    }
                    for position in path.indices {
                        var altered = path
                        altered[position] = flipped(path[position], byte)
                        #expect(throws: ProofFailure.self) {
                            try Merkle.verifyConsistency(from: UInt64(old), to: UInt64(size), oldRoot: oldRoot, root: root, path: altered)
                        }
                    }
                }
            }
        }
    }
}
