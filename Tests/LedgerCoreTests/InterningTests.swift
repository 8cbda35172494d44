import LedgerCore
import Testing

@Suite("Interning names")
struct InterningTests {
    @Test("each distinct name gets the next number, found again by its bytes, through many growths; the sorted order is the bytes' order", arguments: [1, 2, 3])
    func internFindAndOrder(seed: UInt64) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var interner = ByteInterner(capacity: 4)
        var numbers: [[UInt8]: Int32] = [:]
        var names: [[UInt8]] = []
        for _ in 0..<20_000 {
            // Names over a small alphabet, so that many repeat and some
            // are prefixes of others; the empty name too. Mostly short,
            // some longer than a word or two (read in overlapping loads).
            let length = next() % 4 == 0 ? Int(next() % 40) : Int(next() % 12)
            let name = (0..<length).map { _ in UInt8(ascii: "a") + UInt8(next() % 4) }
            let number = name.withUnsafeBytes { interner.intern($0) }
            if let known = numbers[name] {
                #expect(number == known)
            } else {
                #expect(Int(number) == names.count)
                numbers[name] = number
                names.append(name)
            }
        }
        #expect(interner.count == names.count)
        for (name, number) in numbers {
            #expect(name.withUnsafeBytes { interner.find($0) } == number)
            #expect(interner.withBytes(number) { Array($0) } == name)
        }
        let absent: [UInt8] = Array("zzz".utf8)
        #expect(absent.withUnsafeBytes { interner.find($0) } == nil)
        let order = interner.sortedOrder().map { names[Int($0)] }
        #expect(order == names.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
