import Foundation
import LedgerCore
import LedgerTestSupport
import Testing

/// Every JSON string the tool writes goes through `JSONString`: quotes,
/// backslashes and control characters escaped, everything else as it is.
@Suite("JSON string literals")
struct JSONStringTests {
    @Test("the escapes, written out by hand")
    func escapes() {
        #expect(JSONString.quote("plain 就业") == "\"plain 就业\"")
        #expect(JSONString.quote("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONString.quote("\n\r\t") == #""\n\r\t""#)
        #expect(JSONString.quote("\u{0}\u{1F}\u{7F}") == "\"\\u0000\\u001f\u{7F}\"")
        var bytes: [UInt8] = [0x5B]
        JSONString.appendQuoted("x\u{8}y", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"["x\u0008y""#)
    }

    @Test("random text with every control character reads back the same through Foundation's JSON reader", arguments: 0..<100)
    func roundTrip(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let alphabet: [Character] = (0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }
            + ["\"", "\\", "/", "a", "Z", "0", " ", "就", "业", "补", "贴", "é", "\u{7F}", "😀", "\r\n"]
        let text = String((0..<Int(random.next() % 40)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        let literal = JSONString.quote(text)
        #expect(!literal.unicodeScalars.contains { $0.value < 0x20 }, "a raw control character in \(literal.debugDescription)")
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
        #expect(decoded == [text])
        var bytes: [UInt8] = []
        JSONString.appendQuoted(text, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == literal)
    }
}
