import LedgerCore
import Testing

@Suite("Writing stored bytes")
struct ByteWriterTests {
    @Test("a run written through a cursor is the same bytes as the integers appended one by one")
    func cursorEqualsAppends() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let values = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) }
            var oneByOne = ByteWriter()
            oneByOne.u8(7)
            for (index, value) in values.enumerated() {
                switch index % 4 {
                case 0: oneByOne.u32(UInt32(truncatingIfNeeded: value))
                case 1: oneByOne.i32(Int32(truncatingIfNeeded: value))
                case 2: oneByOne.u64(value)
                default: oneByOne.i64(Int64(bitPattern: value))
                }
            }
            let size = values.indices.reduce(0) { $0 + ($1 % 4 < 2 ? 4 : 8) }
            var cursor = ByteWriter()
            cursor.u8(7)
            cursor.write(count: size) { out in
                for (index, value) in values.enumerated() {
                    switch index % 4 {
                    case 0: out.u32(UInt32(truncatingIfNeeded: value))
                    case 1: out.i32(Int32(truncatingIfNeeded: value))
                    case 2: out.u64(value)
                    default: out.i64(Int64(bitPattern: value))
                    }
                }
                #expect(out.offset == size)
            }
            #expect(cursor.bytes == oneByOne.bytes)
        }
    }

    @Test("big-endian, as docs/FORMAT.md says")
    func bigEndian() {
        var w = ByteWriter()
        w.write(count: 12) { out in
            out.u32(0x0102_0304)
            out.i64(-2)
        }
        #expect(w.bytes == [1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
        w.raw(UnsafeRawBufferPointer(start: nil, count: 0))
        [UInt8](arrayLiteral: 9, 8).withUnsafeBytes { w.raw($0) }
        #expect(w.bytes.suffix(2) == [9, 8])
    }
}
