import LedgerCore

/// Text that goes into the page.
///
/// Everything that comes from the ledger (event ids, fund and region codes,
/// subjects, references, messages) is untrusted: a source system may have
/// put `<script>` in a reference. It reaches the page only through
/// ``escape(_:)``, which leaves no character that HTML reads as markup, and
/// shows control and direction-changing characters as `\u{HEX}` (as
/// ``TerminalText`` does on a terminal), so that no text can hide or
/// reorder what is around it.
public enum HtmlText {
    /// `text` safe inside an element or a quoted attribute value.
    public static func escape(_ text: String) -> String {
        let visible = TerminalText.escaped(text)
        // Most text needs nothing: return it whole.
        guard visible.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return visible
        }
        var out = ""
        out.reserveCapacity(visible.utf8.count + 16)
        for scalar in visible.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Amounts as a reader expects them: yuan with thousands separators and two
/// decimals, formatted from the integer fen (`123456789` fen →
/// `1,234,567.89`), never through floating point.
public enum Amount {
    public static func grouped(_ money: Money) -> String { grouped(fen: Int128(money.fen)) }

    public static func grouped(_ total: Total) -> String { grouped(fen: total.fen) }

    public static func grouped(fen: Int128) -> String {
        let magnitude = fen.magnitude
        let yuan = magnitude / 100, cents = Int(magnitude % 100)
        return (fen < 0 ? "-" : "") + groupedDigits(String(yuan)) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Whole yuan with separators (an axis tick): `1200000` → `1,200,000`.
    public static func groupedYuan(_ yuan: Int128) -> String {
        (yuan < 0 ? "-" : "") + groupedDigits(String(yuan.magnitude))
    }

    /// `1234567` → `1,234,567`.
    public static func groupedDigits(_ digits: String) -> String {
        let characters = Array(digits)
        var out = ""
        for (index, character) in characters.enumerated() {
            if index > 0 && (characters.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// A count with separators.
    public static func count(_ n: Int) -> String { (n < 0 ? "-" : "") + groupedDigits(String(n.magnitude)) }
}

/// Rates of ``Reports/Rate`` (a ratio with four decimals, `0.8523`) shown as
/// percentages with two decimals (`85.23%`), by moving the decimal point in
/// the text: exact, no rounding beyond the rate's own.
public enum Percent {
    public static func text(_ rate: String?) -> String {
        guard let rate, let point = rate.firstIndex(of: ".") else { return "—" }
        var whole = String(rate[..<point])
        let negative = whole.hasPrefix("-")
        if negative { whole.removeFirst() }
        let fraction = Array(rate[rate.index(after: point)...])
        guard fraction.count == 4 else { return rate }
        var integer = whole + String(fraction[0..<2])
        while integer.count > 1 && integer.hasPrefix("0") { integer.removeFirst() }
        return (negative ? "-" : "") + Amount.groupedDigits(integer) + "." + String(fraction[2..<4]) + "%"
    }

    /// The rate as a number, for a chart's pixels only.
    public static func value(_ rate: String?) -> Double? { rate.flatMap(Double.init) }
}
