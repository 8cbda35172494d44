import LedgerCore
import Testing

@Suite("Control characters shown on a terminal")
struct TerminalTextTests {
    @Test("C0, DEL, C1 and bidirectional controls are written \\u{HEX}; other text is unchanged")
    func escapes() {
        #expect(TerminalText.escaped("a\u{1B}[2Jb") == #"a\u{1B}[2Jb"#)
        #expect(TerminalText.escaped("\u{0}\u{7}\u{7F}\u{9B}") == #"\u{00}\u{07}\u{7F}\u{9B}"#)
        #expect(TerminalText.escaped("x\u{202E}y\u{2066}") == #"x\u{202E}y\u{2066}"#)
        #expect(TerminalText.escaped("一\nline\tend\r") == #"一\u{0A}line\u{09}end\u{0D}"#)
        #expect(TerminalText.escaped("one\ntwo\u{1B}", keepingNewlines: true) == "one\ntwo\\u{1B}")
        let plain = "中国建设银行长春分行 e-0001 \"quoted\" 1500.50"
        #expect(TerminalText.escaped(plain) == plain)
    }

    @Test("a refused value's control characters are escaped in the message")
    func parserMessages() {
        let line = #"{"id":"a\u001bb","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1970-01-01","sex":"M"}}"#
        do {
            _ = try EventParser().parse(line)
            Issue.record("accepted an id with ESC")
        } catch {
            #expect(error.description.contains(#""a\u{1B}b""#), "\(error)")
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        }
        let key = #"{"id":"a","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1970-01-01","sex":"M","\u0007":1}}"#
        do {
            _ = try EventParser().parse(key)
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.field == #"data.\u{07}"#, "\(error)")
        }
    }
}
