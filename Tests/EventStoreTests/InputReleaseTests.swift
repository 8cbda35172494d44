@testable import EventStore
import Foundation
import Testing

@Suite("Releasing parsed input")
struct InputReleaseTests {
    @Test("a mapped file's pages dropped after parsing read back unchanged from the file (an import retried after the map grew reads them again)")
    func releasedPagesReadBack() throws {
        let dir = TemporaryDirectory()
        // Several pages of varied bytes.
        var bytes: [UInt8] = []
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<(5 * 4096 + 123) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 56))
        }
        let input = try InputFile(path: dir.file("input.bin", bytes: bytes))
        #expect(input.isMapped)
        #expect(Array(input.bytes) == bytes)
        input.releasePages(before: 3 * 4096 + 17)
        #expect(Array(input.bytes) == bytes)
        // What an import releases next: from where the last release ended.
        input.releasePages(from: 3 * 4096 + 17, before: 4 * 4096 + 9)
        #expect(Array(input.bytes) == bytes)
        input.releasePages(before: bytes.count + 4096)
        #expect(Array(input.bytes) == bytes)

        // Bytes read into memory are never released: nothing would bring them back.
        let memory = InputFile(name: "body", bytes: bytes)
        #expect(!memory.isMapped)
        memory.releasePages(before: bytes.count)
        #expect(Array(memory.bytes) == bytes)
    }
}
