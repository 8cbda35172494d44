/// A JSON value as written, for reading proof bundles strictly: objects keep
/// their members in order and a repeated key is refused, numbers keep their
/// literal text (so `2015` and `2015.0` differ), and nothing is coerced.
/// A bundle is evidence: what a person reads in it must be what was checked.
public indirect enum JSONValue: Equatable, Sendable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// The number's literal text, as RFC 8259 writes it.
    case number(String)
    case bool(Bool)
    case null

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// A whole number ≥ 0 written without sign, fraction or exponent.
    public var count: UInt64? {
        guard case .number(let text) = self, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }

    /// Equal as JSON data: objects compared as sets of members (their order
    /// does not matter), everything else exactly.
    public func sameData(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for member in a {
                guard let match = other[member.key], member.value.sameData(as: match) else { return false }
            }
            return true
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameData(as: $1) }
        default:
            return self == other
        }
    }
}

public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
}

public struct JSONFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "at byte \(offset): \(message)" }
}

/// An RFC 8259 parser that refuses repeated keys and anything after the value.
public struct StrictJSON {
    private let bytes: [UInt8]
    private var offset = 0
    private var depth = 0
    static let maxDepth = 64

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    public static func parse(_ text: String) throws(JSONFormatError) -> JSONValue {
        var parser = StrictJSON(Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.offset == parser.bytes.count else { throw parser.fail("text after the JSON value") }
        return value
    }

    private func fail(_ message: String) -> JSONFormatError { JSONFormatError(offset: offset, message: message) }

    private mutating func skipSpace() {
        while offset < bytes.count {
            let c = bytes[offset]
            guard c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D else { return }
            offset += 1
        }
    }

    private mutating func expect(_ literal: StaticString) throws(JSONFormatError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { utf8 in
            bytes.count - offset >= count && utf8.elementsEqual(bytes[offset..<offset + count])
        }
        guard matches else { throw fail("expected \(literal)") }
        offset += count
    }

    private mutating func value() throws(JSONFormatError) -> JSONValue {
        guard offset < bytes.count else { throw fail("the text ends where a value should be") }
        switch bytes[offset] {
        case 0x7B: return try object()
        case 0x5B: return try array()
        case 0x22: return .string(try string())
        case 0x74: try expect("true"); return .bool(true)
        case 0x66: try expect("false"); return .bool(false)
        case 0x6E: try expect("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func nested<T>(_ body: (inout StrictJSON) throws(JSONFormatError) -> T) throws(JSONFormatError) -> T {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func object() throws(JSONFormatError) -> JSONValue {
        try nested { (parser: inout StrictJSON) throws(JSONFormatError) -> JSONValue in
            parser.offset += 1
            var members: [JSONMember] = []
            var keys = Set<String>()
            parser.skipSpace()
            if parser.offset < parser.bytes.count && parser.bytes[parser.offset] == 0x7D {
                parser.offset += 1
                return .object(members)
            }
            while true {
                parser.skipSpace()
                guard parser.offset < parser.bytes.count, parser.bytes[parser.offset] == 0x22 else { throw parser.fail("expected a key") }
                let keyOffset = parser.offset
                let key = try parser.string()
                // A short object is searched; a long one keeps a set of its keys.
                let repeated: Bool
                if members.count < 16 {
                    repeated = members.contains { $0.key == key }
                } else {
                    if keys.isEmpty { keys = Set(members.map(\.key)) }
                    repeated = !keys.insert(key).inserted
                }
                guard !repeated else {
                    throw JSONFormatError(offset: keyOffset, message: "the key \"\(key)\" appears twice in one object")
                }
                parser.skipSpace()
                try parser.expect(":")
                parser.skipSpace()
                members.append(JSONMember(key: key, value: try parser.value()))
                parser.skipSpace()
                guard parser.offset < parser.bytes.count else { throw parser.fail("the text ends inside an object") }
                if parser.bytes[parser.offset] == 0x2C { parser.offset += 1; continue }
                if parser.bytes[parser.offset] == 0x7D { parser.offset += 1; return .object(members) }
                throw parser.fail("expected , or }")
            }
        }
    }

    private mutating func array() throws(JSONFormatError) -> JSONValue {
        try nested { (parser: inout StrictJSON) throws(JSONFormatError) -> JSONValue in
            parser.offset += 1
            var items: [JSONValue] = []
            parser.skipSpace()
            if parser.offset < parser.bytes.count && parser.bytes[parser.offset] == 0x5D {
                parser.offset += 1
                return .array(items)
            }
            while true {
                parser.skipSpace()
                items.append(try parser.value())
                parser.skipSpace()
                guard parser.offset < parser.bytes.count else { throw parser.fail("the text ends inside a list") }
                if parser.bytes[parser.offset] == 0x2C { parser.offset += 1; continue }
                if parser.bytes[parser.offset] == 0x5D { parser.offset += 1; return .array(items) }
                throw parser.fail("expected , or ]")
            }
        }
    }

    private mutating func hex4() throws(JSONFormatError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw fail("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: throw fail("a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    private mutating func string() throws(JSONFormatError) -> String {
        offset += 1
        // Most strings hold no escape and no control character: taken whole.
        var end = offset
        while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C, bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == 0x22 {
            defer { offset = end + 1 }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
        var out: [UInt8] = Array(bytes[offset..<end])
        offset = end
        while true {
            guard offset < bytes.count else { throw fail("the text ends inside a string") }
            let c = bytes[offset]
            offset += 1
            switch c {
            case 0x22:
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard offset < bytes.count else { throw fail("the text ends inside an escape") }
                let e = bytes[offset]
                offset += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        try expect("\\u")
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("a high surrogate without its low half") }
                        scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("an escape of a lone surrogate") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw fail("an unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
            case 0x00..<0x20:
                throw fail("a control character inside a string")
            default:
                out.append(c)
            }
        }
    }

    private mutating func number() throws(JSONFormatError) -> String {
        let start = offset
        func digits(_ parser: inout StrictJSON) -> Int {
            let from = parser.offset
            while parser.offset < parser.bytes.count, parser.bytes[parser.offset] >= 0x30 && parser.bytes[parser.offset] <= 0x39 { parser.offset += 1 }
            return parser.offset - from
        }
        if offset < bytes.count && bytes[offset] == 0x2D { offset += 1 }
        let first = offset < bytes.count ? bytes[offset] : 0
        let whole = digits(&self)
        guard whole > 0 else { throw fail("not a JSON value") }
        guard !(first == 0x30 && whole > 1) else { throw fail("a number with a leading zero") }
        if offset < bytes.count && bytes[offset] == 0x2E {
            offset += 1
            guard digits(&self) > 0 else { throw fail("a number with nothing after its point") }
        }
        if offset < bytes.count && (bytes[offset] == 0x65 || bytes[offset] == 0x45) {
            offset += 1
            if offset < bytes.count && (bytes[offset] == 0x2B || bytes[offset] == 0x2D) { offset += 1 }
            guard digits(&self) > 0 else { throw fail("a number with an empty exponent") }
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }
}
