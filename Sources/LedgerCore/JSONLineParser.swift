/// What is wrong with one input line: the field (a JSON path such as
/// `data.amount`, or `json` for a syntax error) and a sentence saying what
/// would be valid.
public struct FieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// A JSON value as read from `data` before the event type is known.
enum RawValue {
    case string(String)
    case integer(Int64)
    case number(String)
    case boolean
    case null
    case object
    case array

    var kindName: String {
        switch self {
        case .string: "a string"
        case .integer, .number: "a JSON number"
        case .boolean: "a boolean"
        case .null: "null"
        case .object: "an object"
        case .array: "an array"
        }
    }
}

/// A strict reader of the bytes of one JSON value, for one line.
///
/// It accepts RFC 8259 JSON and rejects everything else: invalid UTF-8,
/// control characters inside strings, lone surrogates, trailing commas,
/// duplicate keys (checked by the caller), trailing garbage.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// How many arrays and objects being skipped enclose the position.
    var depth = 0

    /// Values are skipped by recursion, one level per `[` or `{`: deeper
    /// nesting is refused rather than allowed to overflow the stack (a line
    /// of 64 KiB could otherwise nest 60,000 deep). No line of the input
    /// format nests more than three deep.
    static let maxNesting = 64

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var column: Int { position + 1 }

    func syntax(_ what: String) -> FieldError {
        FieldError("json", "not valid JSON at column \(column): \(what)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    var atEnd: Bool { position >= bytes.count }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// `what` is built only when the byte is missing: on the import's hot
    /// path it names the member, and making that text for every member of
    /// every line cost more than the rest of the scan.
    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(FieldError) {
        skipWhitespace()
        guard peek() == byte else { throw syntax("expected \(what())") }
        position += 1
    }

    /// Reads a string's bytes without making a `String`; the scanner must be
    /// at its opening quote. Escapes (rare in practice) are decoded into a
    /// buffer of their own; otherwise the bytes are a view of the line.
    mutating func readText() throws(FieldError) -> JSONText {
        guard peek() == 0x22 else { throw syntax("expected a string") }
        let start = position + 1
        var index = start
        var ascii = true
        // Eight bytes at a time while none of them is a quote, a backslash
        // or a control character (each test is exact about whether such a
        // byte is in the word, which is all it is asked); the word holding
        // one is read byte by byte below.
        if let base = bytes.baseAddress {
            while index &+ 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let special = Self.hasByte(below: 0x01, in: word ^ 0x2222_2222_2222_2222)
                    | Self.hasByte(below: 0x01, in: word ^ 0x5C5C_5C5C_5C5C_5C5C) | Self.hasByte(below: 0x20, in: word)
                if special != 0 { break }
                if word & 0x8080_8080_8080_8080 != 0 { ascii = false }
                index &+= 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                position = index + 1
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                if !ascii && !isValidUTF8(slice) { throw FieldError("json", "string at column \(start) is not valid UTF-8") }
                return JSONText(slice: slice, owned: nil, isASCII: ascii)
            }
            if byte == 0x5C { break }
            if byte < 0x20 {
                position = index
                throw syntax("control character inside a string; escape it")
            }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        let text = try readString()
        let owned = Array(text.utf8)
        return JSONText(slice: UnsafeRawBufferPointer(start: nil, count: 0), owned: owned, isASCII: owned.allSatisfy { $0 < 0x80 })
    }

    /// Whether some byte of `word` is below `limit` (at most 0x80): nonzero
    /// when there is one. The high bit of each such byte's lane is set; a
    /// lane above one may be set too, which no caller minds: they only ask
    /// whether there is one. Below 0x01 means a zero byte.
    @inline(__always)
    static func hasByte(below limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- UInt64(limit) &* 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// Reads a string; the scanner must be at its opening quote.
    mutating func readString() throws(FieldError) -> String {
        guard peek() == 0x22 else { throw syntax("expected a string") }
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x22 {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                position += 1
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw FieldError("json", "string at column \(start) is not valid UTF-8")
                }
                return text
            }
            if byte == 0x5C { break }
            if byte < 0x20 { throw syntax("control character inside a string; escape it") }
            position += 1
        }
        var buffer = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x22 {
                position += 1
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw FieldError("json", "string at column \(start) is not valid UTF-8")
                }
                return text
            }
            if byte < 0x20 { throw syntax("control character inside a string; escape it") }
            if byte != 0x5C {
                buffer.append(byte)
                position += 1
                continue
            }
            position += 1
            guard let escaped = peek() else { break }
            position += 1
            switch escaped {
            case 0x22: buffer.append(0x22)
            case 0x5C: buffer.append(0x5C)
            case 0x2F: buffer.append(0x2F)
            case 0x62: buffer.append(0x08)
            case 0x66: buffer.append(0x0C)
            case 0x6E: buffer.append(0x0A)
            case 0x72: buffer.append(0x0D)
            case 0x74: buffer.append(0x09)
            case 0x75:
                var scalar = try readHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard peek() == 0x5C, position + 1 < bytes.count, bytes[position + 1] == 0x75 else {
                        throw syntax("lone UTF-16 surrogate in \\u escape")
                    }
                    position += 2
                    let low = try readHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw syntax("lone UTF-16 surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw syntax("lone UTF-16 surrogate in \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw syntax("invalid \\u escape") }
                buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw syntax("unknown escape \\\(Character(Unicode.Scalar(escaped)))")
            }
        }
        throw syntax("unterminated string")
    }

    private mutating func readHex4() throws(FieldError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw syntax("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw syntax("bad hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Reads a number; integers that fit in Int64 come back as `.integer`.
    mutating func readNumber() throws(FieldError) -> RawValue {
        let start = position
        if peek() == 0x2D { position += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw syntax("invalid number") }
        if first == 0x30 {
            position += 1
        } else {
            while let b = peek(), b >= 0x30, b <= 0x39 { position += 1 }
        }
        var isInteger = true
        if peek() == 0x2E {
            isInteger = false
            position += 1
            guard let b = peek(), b >= 0x30, b <= 0x39 else { throw syntax("invalid number") }
            while let b = peek(), b >= 0x30, b <= 0x39 { position += 1 }
        }
        if peek() == 0x65 || peek() == 0x45 {
            isInteger = false
            position += 1
            if peek() == 0x2B || peek() == 0x2D { position += 1 }
            guard let b = peek(), b >= 0x30, b <= 0x39 else { throw syntax("invalid number") }
            while let b = peek(), b >= 0x30, b <= 0x39 { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        return .number(text)
    }

    mutating func readLiteral(_ literal: StaticString, _ value: RawValue) throws(FieldError) -> RawValue {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw syntax("unexpected end of line") }
        for i in 0..<count where bytes[position + i] != literal.utf8Start[i] {
            throw syntax("unexpected character")
        }
        position += count
        return value
    }

    /// Reads any value, skipping over the insides of objects and arrays.
    mutating func readValue() throws(FieldError) -> RawValue {
        skipWhitespace()
        guard let byte = peek() else { throw syntax("expected a value") }
        switch byte {
        case 0x22: return .string(try readString())
        case 0x2D, 0x30...0x39: return try readNumber()
        case 0x74: return try readLiteral("true", .boolean)
        case 0x66: return try readLiteral("false", .boolean)
        case 0x6E: return try readLiteral("null", .null)
        case 0x7B:
            try skipContainer(open: 0x7B, close: 0x7D)
            return .object
        case 0x5B:
            try skipContainer(open: 0x5B, close: 0x5D)
            return .array
        default: throw syntax("expected a value")
        }
    }

    private mutating func skipContainer(open: UInt8, close: UInt8) throws(FieldError) {
        guard depth < Self.maxNesting else { throw syntax("arrays and objects nested more than \(Self.maxNesting) deep") }
        depth += 1
        defer { depth -= 1 }
        position += 1
        skipWhitespace()
        if peek() == close {
            position += 1
            return
        }
        while true {
            if open == 0x7B {
                skipWhitespace()
                _ = try readString()
                try expect(0x3A, "':'")
            }
            _ = try readValue()
            skipWhitespace()
            guard let byte = peek() else { throw syntax("unterminated container") }
            position += 1
            if byte == close { return }
            guard byte == 0x2C else { throw syntax("expected ',' or a closing bracket") }
        }
    }

    /// Iterates over an object's members; the scanner must be at `{`.
    /// `body` must consume each member's value.
    mutating func readObject(_ body: (inout JSONScanner, JSONText) throws(FieldError) -> Void) throws(FieldError) {
        try expect(0x7B, "'{'")
        skipWhitespace()
        if peek() == 0x7D {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try readText()
            try expect(0x3A, "':' after \"\(TerminalText.escaped(key.string))\"")
            skipWhitespace()
            try body(&self, key)
            skipWhitespace()
            guard let byte = peek() else { throw syntax("unterminated object") }
            position += 1
            if byte == 0x7D { return }
            guard byte == 0x2C else { throw syntax("expected ',' or '}' after \"\(TerminalText.escaped(key.string))\"") }
        }
    }
}

/// The bytes of a JSON string, escapes decoded, valid UTF-8.
struct JSONText {
    let slice: UnsafeRawBufferPointer
    let owned: [UInt8]?
    let isASCII: Bool

    var count: Int { owned?.count ?? slice.count }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let owned { return owned.withUnsafeBytes(body) }
        return body(slice)
    }

    /// The text as a `String` (validated when it was read).
    var string: String {
        withBytes { bytes in String(decoding: bytes.bindMemory(to: UInt8.self), as: UTF8.self) }
    }

    func equals(_ literal: StaticString) -> Bool {
        withBytes { bytes in
            guard bytes.count == literal.utf8CodeUnitCount else { return false }
            for index in 0..<bytes.count where bytes[index] != literal.utf8Start[index] { return false }
            return true
        }
    }
}

/// Whether `bytes` are well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var index = 0
    let count = bytes.count
    // ASCII fast path, eight bytes at a time.
    while index + 8 <= count, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
        index += 8
    }
    while index < count {
        let lead = bytes[index]
        if lead < 0x80 {
            index += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return false
        }
        guard index + length <= count else { return false }
        let second = bytes[index + 1]
        guard second >= low && second <= high else { return false }
        for offset in 2..<max(2, length) where bytes[index + offset] & 0xC0 != 0x80 { return false }
        index += length
    }
    return true
}

/// Checks a whole JSON document for a key that appears twice in one object,
/// which common JSON readers accept silently by keeping one of the values.
public enum DuplicateKeyCheck {
    /// The path of the first repeated key (`parameters[2].unit`), or nil.
    /// Syntax errors are left to the document's real reader.
    public static func firstDuplicate(in bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { buffer in
            var scanner = JSONScanner(buffer)
            do {
                return try value(&scanner, path: "", depth: 0)
            } catch {
                return nil
            }
        }
    }

    /// Nesting deeper than this is not a policy file; stop looking.
    static let maxDepth = 64

    private static func value(_ s: inout JSONScanner, path: String, depth: Int) throws(FieldError) -> String? {
        s.skipWhitespace()
        guard depth < maxDepth else { return nil }
        switch s.peek() {
        case 0x7B:
            var seen = Set<String>()
            var found: String?
            try s.readObject { (s: inout JSONScanner, key: JSONText) throws(FieldError) in
                let name = key.string
                let child = path.isEmpty ? name : path + "." + name
                if found == nil && !seen.insert(name).inserted { found = child }
                let inner = try value(&s, path: child, depth: depth + 1)
                if found == nil { found = inner }
            }
            return found
        case 0x5B:
            s.position += 1
            s.skipWhitespace()
            if s.peek() == 0x5D {
                s.position += 1
                return nil
            }
            var index = 0
            var found: String?
            while true {
                let inner = try value(&s, path: path + "[\(index)]", depth: depth + 1)
                if found == nil { found = inner }
                index += 1
                s.skipWhitespace()
                guard let byte = s.peek() else { throw s.syntax("unterminated array") }
                s.position += 1
                if byte == 0x5D { return found }
                guard byte == 0x2C else { throw s.syntax("expected ',' or ']'") }
            }
        default:
            _ = try s.readValue()
            return nil
        }
    }
}
