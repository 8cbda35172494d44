import LedgerCore

/// One value of a report.
public enum Cell: Sendable, Equatable {
    case text(String)
    case money(Money)
    case integer(Int)
    /// A rate already formatted (four decimals, half up).
    case rate(String)
    /// Named values (JSON object); flattened to `k=v; …` in tables and CSV.
    case object([(String, Cell)])
    case null

    public static func == (a: Cell, b: Cell) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)), (.rate(let x), .rate(let y)): return x == y
        case (.money(let x), .money(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.null, .null): return true
        case (.object(let x), .object(let y)): return x.map(\.0) == y.map(\.0) && zip(x, y).allSatisfy { $0.1 == $1.1 }
        default: return false
        }
    }

    /// A total taken in 128 bits: a money cell while it fits in 64-bit fen,
    /// else the same yuan text (JSON and CSV cannot tell the two apart).
    public static func amount(_ total: Total) -> Cell {
        total.money.map(Cell.money) ?? .text(total.yuan)
    }

    var isNumeric: Bool {
        switch self {
        case .money, .integer, .rate: true
        default: false
        }
    }

    /// Plain text for tables and CSV.
    public var plain: String {
        switch self {
        case .text(let text), .rate(let text): return text
        case .money(let money): return money.yuan
        case .integer(let number): return String(number)
        case .object(let pairs): return pairs.map { "\($0.0)=\($0.1.plain)" }.joined(separator: "; ")
        case .null: return ""
        }
    }

    /// JSON text: amounts as yuan strings, integers as numbers.
    public var json: String {
        switch self {
        case .text(let text), .rate(let text): return JSONText.quote(text)
        case .money(let money): return "\"" + money.yuan + "\""
        case .integer(let number): return String(number)
        case .object(let pairs): return "{" + pairs.map { JSONText.quote($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
        case .null: return "null"
        }
    }
}

/// A report: named columns and rows, rendered as an aligned table, a JSON
/// object `{name: [rows]}` or CSV. Column keys are the stable JSON and CSV
/// names: added to, never renamed.
public struct ReportTable: Sendable {
    public struct Column: Sendable {
        public var key: String
        public var header: String
        /// Shown in JSON only (e.g. a nested object).
        public var jsonOnly: Bool
        public init(_ key: String, _ header: String? = nil, jsonOnly: Bool = false) {
            self.key = key
            self.header = header ?? key.uppercased()
            self.jsonOnly = jsonOnly
        }
    }

    public var name: String
    public var columns: [Column]
    public var rows: [[Cell]] = []
    /// A totals row for the table format (cells aligned with `columns`).
    public var totals: [Cell]?

    public init(name: String, columns: [Column]) {
        self.name = name
        self.columns = columns
    }

    public func renderJSON() -> String {
        var out = "{\"\(name)\":["
        for (index, row) in rows.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "{" + zip(columns, row).map { JSONText.quote($0.key) + ":" + $1.json }.joined(separator: ",") + "}"
        }
        out += rows.isEmpty ? "]}\n" : "\n]}\n"
        return out
    }

    /// RFC 4180: CRLF line ends, fields quoted when they need it.
    public func renderCSV() -> String {
        let visible = columns.indices.filter { !columns[$0].jsonOnly }
        var out = visible.map { CSV.field(columns[$0].key) }.joined(separator: ",") + "\r\n"
        for row in rows {
            out += visible.map { CSV.field(row[$0].plain) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// Cells show their control characters escaped (``TerminalText``).
    public func renderTable() -> String {
        let visible = columns.indices.filter { !columns[$0].jsonOnly }
        var body = rows.map { row in visible.map { TerminalText.escaped(row[$0].plain) } }
        let headers = visible.map { columns[$0].header }
        if let totals { body.append(visible.map { TerminalText.escaped(totals[$0].plain) }) }
        var widths = headers.map(Text.width)
        for row in body {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], Text.width(cell)) }
        }
        let numeric = visible.indices.map { index in rows.first.map { $0[visible[index]].isNumeric } ?? false }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - Text.width(cell))
                return numeric[index] ? padding + cell : (index == cells.count - 1 ? cell : cell + padding)
            }.joined(separator: "  ")
        }
        var lines = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        for (index, row) in body.enumerated() {
            if totals != nil && index == body.count - 1 {
                lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
            }
            lines.append(line(row))
        }
        if rows.isEmpty { lines.append("(no rows)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Text helpers shared by the renderers.
public enum Text {
    /// Display width on a terminal: CJK and full-width characters count two.
    public static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            let v = scalar.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v)
            return width + (wide ? 2 : 1)
        }
    }
}

public enum JSONText {
    /// A JSON string literal.
    public static func quote(_ text: String) -> String { JSONString.quote(text) }
}

public enum CSV {
    /// Excel and WPS take UTF-8 only with this mark at the start of a file.
    public static let byteOrderMark = "\u{FEFF}"

    /// A field quoted per RFC 4180 when it holds a comma, quote or line
    /// break, after ``neutralised(_:)``: every CSV the tool writes goes
    /// through here.
    public static func field(_ text: String) -> String {
        let text = neutralised(text)
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        var out = "\""
        for character in text {
            out += character == "\"" ? "\"\"" : String(character)
        }
        return out + "\""
    }
}

extension CSV {
    /// `text` safe to open in a spreadsheet (the OWASP advice on CSV
    /// injection): a cell that begins with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return would be run as a formula by Excel, WPS or
    /// LibreOffice, so it gets a leading `'`. A plain number (`-12.34`,
    /// `-5`) stays as it is, so that amounts remain numbers. docs/OUTPUT.md
    /// describes it.
    public static func neutralised(_ text: String) -> String {
        guard let first = text.utf8.first,
              first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
                || first == 0x09 || first == 0x0D
        else { return text }
        if first == UInt8(ascii: "-") && isPlainNumber(text.utf8.dropFirst()) { return text }
        return "'" + text
    }

    /// Digits, optionally a point and more digits: `12`, `12.34`.
    static func isPlainNumber(_ bytes: Substring.UTF8View) -> Bool {
        var digitsBefore = 0
        var digitsAfter = 0
        var sawPoint = false
        for byte in bytes {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if sawPoint { digitsAfter += 1 } else { digitsBefore += 1 }
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                return false
            }
        }
        return digitsBefore > 0 && (!sawPoint || digitsAfter > 0)
    }
}
