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

    @Test("a sequence number held in place gives the same 8 bytes as a sequence key")
    func sequenceBytes() {
        for seq: UInt64 in [0, 1, 0x1234, 1 << 32, 0xFEDC_BA98_7654_3210, .max] {
            #expect(SequenceBytes(seq).withUnsafeBytes { Array($0) } == sequenceKey(seq))
            #expect(SequenceBytes(seq).withUnsafeBytes { readSequence($0) } == seq)
        }
    }
}
