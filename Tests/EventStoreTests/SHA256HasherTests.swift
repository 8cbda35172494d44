import CSHA256
import Crypto
import EventStore
import LedgerTestSupport
import Testing

/// The chain's own SHA-256 (``SHA256Hasher``, ``HashChain``) must give the
/// digests swift-crypto gives, byte for byte, on both of its code paths
/// (the processor's SHA instructions, and swift-crypto on a processor
/// without them), for every length around the block boundaries and for
/// input fed in any split; and so must the C module's own functions, with
/// the SHA instructions and with its portable rounds.
@Suite(.serialized)
struct SHA256HasherTests {
    /// Both code paths, the one without SHA instructions forced for the
    /// second (on a processor without them, both passes take that one).
    static func onEachPath(_ body: (String) throws -> Void) rethrows {
        defer { csha256_force_portable(0) }
        csha256_force_portable(0)
        try body(SHA256Hasher.usesHardware ? "SHA instructions" : "portable (no SHA instructions here)")
        csha256_force_portable(1)
        #expect(!SHA256Hasher.usesHardware)
        try body("without SHA instructions")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { HashChain.hex(bytes) }

    @Test("known answers of FIPS 180-4")
    func knownAnswers() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        Self.onEachPath { path in
            for (text, expected) in vectors {
                var hasher = SHA256Hasher()
                hasher.update(Array(text.utf8))
                #expect(Self.hex(hasher.finalize()) == expected, "\(path): \"\(text)\"")
            }
            // One million "a": many whole blocks straight from the input.
            var hasher = SHA256Hasher()
            hasher.update([UInt8](repeating: 0x61, count: 1_000_000))
            #expect(Self.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "\(path): a million a")
        }
    }

    @Test("every length from 0 to 520 bytes, fed whole and in random parts, equals swift-crypto")
    func lengthsAndSplits() {
        var random = SplitMix(seed: 0x5348_4132_3536)
        Self.onEachPath { path in
            for length in 0...520 {
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let expected = Self.hex(SHA256.hash(data: bytes))
                var whole = SHA256Hasher()
                whole.update(bytes)
                #expect(Self.hex(whole.finalize()) == expected, "\(path): \(length) bytes whole")
                var parts = SHA256Hasher()
                var start = 0
                while start < length {
                    let end = min(length, start + 1 + random.below(100))
                    bytes.withUnsafeBytes { parts.update(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                    start = end
                }
                let viaDigest = parts.withDigest { Self.hex($0) }
                #expect(viaDigest == expected, "\(path): \(length) bytes in parts")
            }
        }
    }

    @Test("a chain link is SHA-256(previous ‖ canonical), and a changed bit of either fails the check")
    func links() {
        var random = SplitMix(seed: 9)
        Self.onEachPath { path in
            for length in Array(0...300) + [4000] {
                let previous = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let canonical = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                var reference = SHA256()
                reference.update(data: previous)
                reference.update(data: canonical)
                let expected = Array(reference.finalize())
                let link = HashChain.link(previous: previous, canonical: canonical)
                #expect(link == expected, "\(path): link over \(length) bytes")
                previous.withUnsafeBytes { p in
                    canonical.withUnsafeBytes { c in
                        expected.withUnsafeBytes { stored in
                            #expect(HashChain.linkMatches(previous: p, canonical: c, stored: stored), "\(path): \(length) bytes")
                        }
                    }
                }
                var changedPrevious = previous
                changedPrevious[random.below(32)] ^= 1 << UInt8(random.below(8))
                var changedCanonical = canonical
                if length > 0 { changedCanonical[random.below(length)] ^= 1 << UInt8(random.below(8)) }
                for (p, c) in [(changedPrevious, canonical), (previous, changedCanonical)] where (p, c) != (previous, canonical) {
                    let matches = p.withUnsafeBytes { p in
                        c.withUnsafeBytes { c in expected.withUnsafeBytes { HashChain.linkMatches(previous: p, canonical: c, stored: $0) } }
                    }
                    #expect(!matches, "\(path): a changed bit over \(length) bytes still matches")
                }
            }
        }
    }

    /// Stored records of a made-up chain: random canonical bytes of the
    /// given lengths, each hash the link after the one before.
    static func chain(_ lengths: [Int], random: inout SplitMix) -> [[UInt8]] {
        var previous = HashChain.genesis
        return lengths.map { length in
            let canonical = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            previous = HashChain.link(previous: previous, canonical: canonical)
            return previous + canonical
        }
    }

    static func firstBroken(_ records: [[UInt8]]) -> Int? {
        // Pointers into arrays that stay alive and unchanged for the call.
        let pointers = records.map { record in record.withUnsafeBytes { $0 } }
        return pointers.withUnsafeBufferPointer { buffer in
            HashChain.genesis.withUnsafeBytes { HashChain.firstBrokenLink(in: buffer, after: $0) }
        }
    }

    @Test("links checked two at a time find the first broken one, whatever the lengths of the two")
    func pairs() {
        var random = SplitMix(seed: 0x7061_6972)
        Self.onEachPath { path in
            for _ in 0..<60 {
                // Lengths around the block boundaries, a few long ones.
                let lengths = (0..<(1 + random.below(9))).map { _ in
                    random.below(5) == 0 ? 52 + random.below(900) : [20, 31, 32, 33, 55, 87, 88, 119, 120, 136, 151, 152, 183, 184][random.below(14)]
                }
                var records = Self.chain(lengths, random: &random)
                #expect(Self.firstBroken(records) == nil, "\(path): \(lengths)")
                let broken = random.below(records.count)
                let at = random.below(records[broken].count)
                records[broken][at] ^= 1 << UInt8(random.below(8))
                // A changed byte, in the record's hash or in its canonical
                // bytes, breaks that record's own link first.
                #expect(Self.firstBroken(records) == broken, "\(path): \(lengths), byte \(at) of record \(broken)")
            }
        }
    }

    @Test("the C module's functions, with the SHA instructions and with portable rounds, equal swift-crypto")
    func cFunctions() {
        var random = SplitMix(seed: 0x4353_4841)
        Self.onEachPath { path in
            for _ in 0..<400 {
                let count = random.below(5) == 0 ? random.below(2000) : random.below(300)
                let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                var context = csha256_context()
                csha256_init(&context)
                var start = 0
                while start < count {
                    let end = min(count, start + random.below(130) + 1)
                    bytes.withUnsafeBytes { csha256_update(&context, $0.baseAddress! + start, end - start) }
                    start = end
                }
                var digest = [UInt8](repeating: 0, count: 32)
                csha256_final(&context, &digest)
                #expect(digest == Array(SHA256.hash(data: bytes)), "\(path): \(count) bytes")
                // Two links at once, of different lengths.
                let previous = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let other = (0..<(random.below(400))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let linkA = Array(SHA256.hash(data: previous + bytes)), linkB = Array(SHA256.hash(data: linkA + other))
                var single = [UInt8](repeating: 0, count: 32)
                csha256_link(previous, bytes, bytes.count, &single)
                #expect(single == linkA, "\(path): link of \(count) bytes")
                let both = csha256_link_matches2(previous, bytes, bytes.count, linkA, linkA, other, other.count, linkB)
                #expect(both == 3, "\(path): \(count) and \(other.count) bytes")
                var wrong = linkB
                wrong[random.below(32)] ^= 0x10
                #expect(csha256_link_matches2(previous, bytes, bytes.count, linkA, linkA, other, other.count, wrong) == 1, "\(path)")
                #expect(csha256_link_matches2(previous, bytes, bytes.count, wrong, linkA, other, other.count, linkB) == 2, "\(path)")
            }
        }
    }
}
