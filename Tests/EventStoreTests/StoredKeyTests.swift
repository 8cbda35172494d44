@testable import EventStore
import LMDBKit
import LedgerCore
import Testing

/// The import builds its keys in place (on the stack, without an array);
/// they must be the very bytes docs/FORMAT.md gives and the readers look up.
@Suite("Keys built in place")
struct StoredKeyTests {
    @Test("a stream-event key built on the stack is the stream's UTF-8 name, 0x00 and the big-endian version",
          arguments: ["grant:G1", "person:P00000691", "fund:employment-special/220102/2015", "enterprise:统一社会信用代码", ""])
    func streamEventKey(stream: String) {
        for version: UInt64 in [0, 1, 255, 256, 0x0102_0304_0506_0708, .max] {
            let expected = Array(stream.utf8) + [0] + (0..<8).map { UInt8(truncatingIfNeeded: version >> (56 - 8 * $0)) }
            let built = Ledger.withStreamEventKey(stream, version: version) { Array($0) }
            #expect(built == expected)
            #expect(Ledger.streamEventKey(stream.utf8, version: version) == expected)
        }
    }

    @Test("the stream-events keys of the events a batch placed are written with the states, each the key FORMAT.md gives, in LMDB's key order; a placed seq is found until then")
    func placedKeys() throws {
        // Names where one is a prefix of another, and bytes past ASCII: in
        // name order then version order the keys must still ascend as LMDB
        // compares them (bytes, then length).
        let names = ["grant:G1", "grant:G10", "grant:G1A", "person:P2", "fund:employment-special/220102/2015", "enterprise:统一"]
        var cache = StreamCache(limit: 100)
        var expected: [[UInt8]: UInt64] = [:]
        var seq: UInt64 = 0
        var versions: [String: UInt64] = [:]
        // Events placed round-robin, each stream starting at its own version.
        for round in 0..<3 {
            for (index, name) in names.enumerated() where round < 2 || index % 2 == 0 {
                let number = try cache.number(name) { _ in nil }
                let version = versions[name, default: UInt64(index) * 7]
                seq += 1
                cache.place(number, version: version, seq: seq)
                versions[name] = version + 1
                expected[Ledger.streamEventKey(name.utf8, version: version)] = seq
            }
        }
        for (key, seq) in expected {
            let name = Array(key.dropLast(9))
            let version = key.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let number = try #require(name.withUnsafeBytes { cache.cachedNumber($0) })
            #expect(cache.placedSeq(number, version: version) == seq)
            #expect(cache.placedSeq(number, version: version + 100) == nil)
        }
        var written: [([UInt8], UInt64)] = []
        try cache.flush({ _, _ in }, placed: { key, value in written.append((Array(key), readSequence(value)!)) })
        #expect(written.count == expected.count)
        #expect(written.allSatisfy { expected[$0.0] == $0.1 })
        let keys = written.map(\.0)
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        // Written out, nothing is placed any longer.
        let again = try cache.number("grant:G1") { _ in nil }
        #expect(cache.placedSeq(again, version: 0) == nil)
    }

    @Test("a sequence number held in place gives the same 8 bytes as a sequence key")
    func sequenceBytes() {
        for seq: UInt64 in [0, 1, 0x1234, 1 << 32, 0xFEDC_BA98_7654_3210, .max] {
            #expect(SequenceBytes(seq).withUnsafeBytes { Array($0) } == sequenceKey(seq))
            #expect(SequenceBytes(seq).withUnsafeBytes { readSequence($0) } == seq)
        }
    }
}
