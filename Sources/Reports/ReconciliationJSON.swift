import LedgerCore

/// A JSON value for the reconciliation and performance reports, whose shapes
/// (nested lists, booleans, nulls) go beyond one ``ReportTable``. Object keys
/// keep their order, so the same figures give the same bytes.
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    /// Yuan with two decimals, as a string.
    case money(Money)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// An object from key–value pairs, in the order given.
    public static func members(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { Member($0.key, $0.value) })
    }

    /// `{key: count}` with keys in byte order.
    static func counts(_ counts: [String: Int]) -> JSONValue {
        .object(counts.keys.sorted(by: byteOrder).map { Member($0, .integer(Int64(counts[$0]!))) })
    }

    /// `{key: "yuan"}` with keys in byte order.
    static func amounts(_ amounts: [String: Money]) -> JSONValue {
        .object(amounts.keys.sorted(by: byteOrder).map { Member($0, .money(amounts[$0]!)) })
    }

    /// A rate string, or null where its denominator is zero.
    static func rate(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    /// Compact JSON text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .string(let text): Self.appendQuoted(text, to: &out)
        case .money(let money): out += "\"" + money.yuan + "\""
        case .integer(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                Self.appendQuoted(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Appends a JSON string literal; text without quotes, backslashes or
    /// control characters (nearly all of it) is copied as it is.
    static func appendQuoted(_ text: String, to out: inout String) {
        var text = text
        let plain = text.withUTF8 { bytes in bytes.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C } }
        guard plain else {
            out += JSONText.quote(text)
            return
        }
        out += "\""
        out += text
        out += "\""
    }

    /// A whole document: one top-level member a line, and each object of a
    /// list on a line of its own (as `balances` writes its rows), ending in
    /// a line break.
    public static func document(_ members: [Member]) -> String {
        var out = "{"
        for (index, member) in members.enumerated() {
            if index > 0 { out += ",\n" }
            out += JSONText.quote(member.key) + ":"
            if case .array(let items) = member.value, !items.isEmpty, items.allSatisfy({ if case .object = $0 { true } else { false } }) {
                out += "["
                for (position, item) in items.enumerated() {
                    out += position == 0 ? "\n" : ",\n"
                    item.write(to: &out)
                }
                out += "\n]"
            } else {
                member.value.write(to: &out)
            }
        }
        return out + "}\n"
    }
}

/// Byte order of UTF-8: the same on every machine and in every locale.
func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

/// Text without spaces at the ends of its lines (a table's empty last column
/// leaves some), so the output diffs cleanly.
func trimmingTrailingSpaces(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        var line = Substring(line)
        while line.last == " " { line = line.dropLast() }
        return line
    }.joined(separator: "\n")
}
