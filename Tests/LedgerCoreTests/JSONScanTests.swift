@testable import LedgerCore
import LedgerTestSupport
import Testing

/// The scanner reads a string's bytes eight at a time until a word holds a
/// quote, a backslash or a control character. Whatever the bytes and
/// wherever they fall against those words, it must give what reading one
/// byte at a time gives: the same end, the same bytes, the same ASCII flag,
/// the same error at the same column.
@Suite("Reading JSON strings eight bytes at a time")
struct JSONScanTests {
    /// What a string starting at the quote at `start` reads as, one byte at a time.
    enum Read: Equatable {
        case text(bytes: [UInt8], isASCII: Bool, end: Int)
        case failure(String)
    }

    static func byteByByte(_ line: [UInt8], quoteAt start: Int) -> Read {
        var ascii = true
        var index = start + 1
        while index < line.count {
            let byte = line[index]
            if byte == 0x22 {
                let content = Array(line[(start + 1)..<index])
                if !ascii && String(validating: content, as: UTF8.self) == nil {
                    return .failure("json: string at column \(start + 1) is not valid UTF-8")
                }
                return .text(bytes: content, isASCII: ascii, end: index + 1)
            }
            // Escapes take the scanner's slow path, which both share.
            if byte == 0x5C { return scanned(line, quoteAt: start, slow: true) }
            if byte < 0x20 { return .failure("json: not valid JSON at column \(index + 1): control character inside a string; escape it") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        return scanned(line, quoteAt: start, slow: true)
    }

    static func scanned(_ line: [UInt8], quoteAt start: Int, slow: Bool = false) -> Read {
        line.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            scanner.position = start
            do {
                if slow {
                    let text = try scanner.readString()
                    return .text(bytes: Array(text.utf8), isASCII: text.utf8.allSatisfy { $0 < 0x80 }, end: scanner.position)
                }
                let text = try scanner.readText()
                return .text(bytes: text.withBytes { Array($0) }, isASCII: text.isASCII, end: scanner.position)
            } catch {
                return .failure(String(describing: error))
            }
        }
    }

    @Test("random strings of quotes, backslashes, control characters, ASCII and UTF-8, at every alignment", arguments: 0..<40)
    func randomStrings(seed: Int) {
        var random = SplitMix(seed: UInt64(seed) &+ 0x5EED)
        let pieces: [[UInt8]] = [
            [0x61], [0x5A], [0x30], [0x20], [0x2F], [0x7F], [0x21], [0x23], [0x5B], [0x5D],
            [0x22], [0x5C, 0x22], [0x5C, 0x5C], [0x5C, 0x6E], [0x5C, 0x75, 0x30, 0x30, 0x34, 0x31], [0x5C, 0x78],
            [0x00], [0x09], [0x0A], [0x1F], [0x1E],
            Array("就".utf8), Array("业".utf8), Array("é".utf8), Array("😀".utf8),
            [0x80], [0xFF], [0xC3], [0xE5, 0xB0],
        ]
        for _ in 0..<200 {
            // Mostly plain text, so that many strings run over several words.
            var line = [UInt8](repeating: 0x20, count: Int(random.next() % 9)) + [0x22]
            let start = line.count - 1
            for _ in 0..<Int(random.next() % 48) {
                let plain = random.next() % 4 != 0
                line += plain ? [UInt8(0x61 + random.next() % 26)] : pieces[Int(random.next() % UInt64(pieces.count))]
            }
            if random.next() % 8 != 0 { line += [0x22] }
            line += [UInt8](repeating: 0x7D, count: Int(random.next() % 10))
            let expected = Self.byteByByte(line, quoteAt: start)
            #expect(Self.scanned(line, quoteAt: start) == expected, "\(line)")
        }
    }

    @Test("each special byte is found in every lane of a word")
    func everyLane() {
        for special: UInt8 in [0x22, 0x5C, 0x00, 0x1F, 0x0A, 0x80, 0xE5] {
            for lane in 0..<24 {
                var line: [UInt8] = [0x22] + [UInt8](repeating: 0x62, count: 24) + [0x22]
                line[1 + lane] = special
                #expect(Self.scanned(line, quoteAt: 0) == Self.byteByByte(line, quoteAt: 0), "byte \(special) at \(lane)")
            }
        }
    }
}
