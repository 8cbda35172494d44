/// Text from the input made safe to show on a terminal.
///
/// A file name, a JSON key or a value echoed in an error message or a table
/// could carry ESC (which starts a terminal control sequence), BEL, NUL,
/// a C1 control such as U+009B (CSI on some terminals) or a bidirectional
/// override that makes text read in another order than it is stored. Each
/// such character is shown as `\u{HEX}` (uppercase hexadecimal, at least two
/// digits: `\u{1B}` for ESC, `\u{00}` for NUL, `\u{202E}`), everything else
/// (Chinese included) as is. docs/OUTPUT.md describes it.
public enum TerminalText {
    /// Whether `scalar` is shown escaped: C0 controls, DEL, C1 controls and
    /// the bidirectional formatting characters.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return true }
        switch value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `text` with every character of ``needsEscape(_:)`` written as
    /// `\u{HEX}`; with `keepingNewlines`, line feeds stay (for messages of
    /// several lines that this program composed).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        // Most text needs nothing: return it whole.
        guard text.unicodeScalars.contains(where: { needsEscape($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) && !(keepingNewlines && scalar == "\n") {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
