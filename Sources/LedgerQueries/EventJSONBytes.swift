import EventStore
import LedgerCore
import Proofs

/// Stored events as the UTF-8 bytes of their JSON objects, written straight
/// from the stored records: what a subscription sends, hundreds of
/// thousands of events a second.
///
/// For a record, ``write(_:reversedBy:into:)`` writes the bytes of
/// `masking.text(EventJSON.object(record.decoded(), reversedBy:, masking:, extra:))`
/// — the object `log --format json` prints, with every resident identity
/// number left in it masked — where `extra` is the record's canonical bytes
/// in Base64 (`,"canonical":"…"`) when `withCanonical`. No ``Event`` is built,
/// no `String` is made for a value and nothing is allocated per event. The
/// rare value whose text depends on more than its bytes (a masked personal
/// id that is not plain ASCII, a masked subject, a value holding an
/// identity number, a date outside the years 0–9999) goes through the same
/// functions as ``EventJSON/object(_:reversedBy:masking:extra:)``, and a
/// record laid out other than expected is rendered whole by that path.
/// Tests hold the two renderers equal.
public struct EventJSONWriter: @unchecked Sendable {
    public let masking: PersonalIDMasking
    public let withCanonical: Bool
    /// Immutable tables built once per process (``EventJSONTables/shared``).
    let tables: EventJSONTables

    public init(masking: PersonalIDMasking, withCanonical: Bool) {
        self.masking = masking
        self.withCanonical = withCanonical
        tables = EventJSONTables.shared
    }

    /// The most bytes ``write(_:reversedBy:into:)`` writes for `record`:
    /// members and numbers, every stored byte escaped at worst six times
    /// over (`\u0001`), the fields' names and vocabulary words, and the Base64.
    public func capacity(for record: EventRecordView) -> Int {
        let canonical = record.canonical.count
        return 4096 + 6 * canonical + (withCanonical ? (canonical + 2) / 3 * 4 + 16 : 0)
    }

    /// Writes the object of `record` (see the type's description) at the
    /// start of `buffer`, which holds at least ``capacity(for:)`` bytes, and
    /// returns how many bytes it wrote.
    public func write(_ record: EventRecordView, reversedBy: UInt64?, into buffer: UnsafeMutableRawBufferPointer) throws(DecodingError) -> Int {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count >= capacity(for: record) else {
            throw DecodingError(offset: 0, reason: "no room to render event \(record.seq)")
        }
        var out = ByteCursor(base: base, capacity: buffer.count)
        if !writeObject(record, reversedBy: reversedBy, to: &out) {
            out.count = 0
            let stored = try record.decoded()
            let extra = withCanonical ? ",\"canonical\":\"\(Base64.encode(record.canonical))\"" : ""
            let text = EventJSON.object(stored, reversedBy: reversedBy, masking: masking, extra: extra)
            guard out.copy(text) else { throw DecodingError(offset: 0, reason: "event \(record.seq) renders longer than its room") }
        }
        if !masking.showsPersonalIDs { Self.maskIdentityNumbers(UnsafeMutableBufferPointer(start: base, count: out.count)) }
        return out.count
    }

    /// As ``write(_:reversedBy:into:)``, appending to `out`.
    public func append(_ record: EventRecordView, reversedBy: UInt64?, to out: inout [UInt8]) throws(DecodingError) {
        let start = out.count
        let room = capacity(for: record)
        out.append(contentsOf: repeatElement(0, count: room))
        let written: Int
        do {
            written = try out.withUnsafeMutableBytes { bytes in
                try write(record, reversedBy: reversedBy, into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]))
            }
        } catch let error as DecodingError {
            out.removeSubrange(start...)
            throw error
        } catch {
            out.removeSubrange(start...)
            throw DecodingError(offset: 0, reason: "\(error)")
        }
        out.removeLast(room - written)
    }

    /// Writes the object; false when the record is not laid out as expected,
    /// for the caller to render it the slow way.
    func writeObject(_ record: EventRecordView, reversedBy: UInt64?, to out: inout ByteCursor) -> Bool {
        let canonical = record.canonical
        let shown = masking.showsPersonalIDs
        out.literal(#"{"seq":"#)
        out.decimal(record.seq)
        out.literal(#","recorded":""#)
        guard out.timestamp(micros: record.recordedMicros) else { return false }
        out.literal(#"","hash":""#)
        out.hex(record.storedHash)
        out.literal(#"","id":"#)
        out.quoted(record.id)
        out.span(tables.typeMembers, Int(record.type.rawValue))
        out.literal(#","effective":""#)
        guard out.date(record.effective) else { return false }
        out.literal(#"","data":{"#)

        // The content after the id: the expect flag (and stream, version),
        // then the fields in tag order (docs/FORMAT.md).
        var reader = ByteReader(canonical, offset: EventCodec.contentOffset + 5 + 1 + record.id.count)
        do {
            var expect: (stream: UnsafeRawBufferPointer, version: UInt64)?
            if try reader.u8() == 1 {
                let stream = try reader.slice(Int(try reader.u8()))
                expect = (stream, try reader.u64())
            }
            let count = Int(try reader.u8())
            for index in 0..<count {
                let tag = try reader.u8()
                guard let field = Field(rawValue: tag), let kind = record.type.kind(of: field) else { return false }
                if index > 0 { out.byte(UInt8(ascii: ",")) }
                out.span(tables.fieldKeys, Int(tag))
                switch kind {
                case .identifier, .text, .region:
                    let value = try reader.slice(Int(try reader.u16()))
                    guard string(value, field: field, shown: shown, to: &out) else { return false }
                case .date:
                    out.byte(ByteCursor.quote)
                    guard out.date(CalendarDate(dayNumber: try reader.i32())) else { return false }
                    out.byte(ByteCursor.quote)
                case .monthOrDate:
                    let number = try reader.i32()
                    out.byte(ByteCursor.quote)
                    switch try reader.u8() {
                    case 0: guard out.month(YearMonth(index: number)) else { return false }
                    case 1: guard out.date(CalendarDate(dayNumber: number)) else { return false }
                    default: return false
                    }
                    out.byte(ByteCursor.quote)
                case .money:
                    out.yuan(try reader.i64())
                case .fiscalYear, .basisPoints:
                    out.signed(try reader.i64())
                case .enumeration:
                    out.span(tables.codeNames, Int(tag) << 8 | Int(try reader.u8()))
                }
            }
            guard reader.remaining == 0 else { return false }
            out.byte(UInt8(ascii: "}"))
            if let expect {
                out.literal(#","expect":{"stream":"#)
                if shown {
                    out.quoted(expect.stream)
                } else {
                    let subject = masking.subject(String(decoding: expect.stream, as: UTF8.self))
                    guard out.copy(JSONString.quote(subject)) else { return false }
                }
                out.literal(#","version":"#)
                out.decimal(expect.version)
                out.byte(UInt8(ascii: "}"))
            }
        } catch {
            return false
        }
        if let reversedBy {
            out.literal(#","reversedBy":"#)
            out.decimal(reversedBy)
        }
        if withCanonical {
            out.literal(#","canonical":""#)
            out.base64(canonical)
            out.byte(ByteCursor.quote)
        }
        out.byte(UInt8(ascii: "}"))
        return true
    }

    /// A string field as ``ValueText/text(_:field:masking:)`` shows it,
    /// quoted; false when it does not fit (it always does: masking never
    /// lengthens a value).
    func string(_ value: UnsafeRawBufferPointer, field: Field, shown: Bool, to out: inout ByteCursor) -> Bool {
        let kept = PersonalIDMasking.keptAtEachEnd
        if shown {
            out.quoted(value)
        } else if field.isPersonal && Self.isPlainASCII(value) {
            // One character per byte: the mask of ``PersonalIDMasking/mask(_:)``.
            guard value.count > 2 * kept else {
                out.quoted(value)
                return true
            }
            out.byte(ByteCursor.quote)
            out.escaped(UnsafeRawBufferPointer(rebasing: value[..<kept]))
            out.repeated(UInt8(ascii: "*"), count: value.count - 2 * kept)
            out.escaped(UnsafeRawBufferPointer(rebasing: value[(value.count - kept)...]))
            out.byte(ByteCursor.quote)
        } else if field.isPersonal || Self.holdsIdentityNumber(value) {
            return out.copy(JSONString.quote(masking.value(String(decoding: value, as: UTF8.self), field: field)))
        } else {
            out.quoted(value)
        }
        return true
    }

    /// Printable ASCII only: each byte is one `Character` (no CR LF pair,
    /// no combining mark), so masking by bytes masks by characters.
    static func isPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    @inline(__always)
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Calls `body` with the range of each resident identity number in
    /// `bytes`, a run of exactly 18 letters and digits that is a valid
    /// number (what ``PersonalIDMasking/text(_:people:)`` masks), in order,
    /// until `body` returns false.
    static func forEachIdentityNumber(in bytes: UnsafeRawBufferPointer, _ body: (Range<Int>) -> Bool) {
        var start = 0
        let count = bytes.count
        while start < count {
            guard isAlphanumeric(bytes[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < count && isAlphanumeric(bytes[end]) { end += 1 }
            if end - start == 18 && ResidentIDNumber.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                guard body(start..<end) else { return }
            }
            start = end
        }
    }

    /// Whether `bytes` holds a resident identity number.
    static func holdsIdentityNumber(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var found = false
        forEachIdentityNumber(in: bytes) { _ in
            found = true
            return false
        }
        return found
    }

    /// Masks, in place, every resident identity number in `bytes`:
    /// ``PersonalIDMasking/text(_:people:)`` without people, whose mask of
    /// 18 ASCII characters has the same length.
    static func maskIdentityNumbers(_ bytes: UnsafeMutableBufferPointer<UInt8>) {
        let kept = PersonalIDMasking.keptAtEachEnd
        forEachIdentityNumber(in: UnsafeRawBufferPointer(bytes)) { number in
            for position in (number.lowerBound + kept)..<(number.upperBound - kept) { bytes[position] = UInt8(ascii: "*") }
            return true
        }
    }
}

/// The constant pieces of the objects, as bytes, built once per process
/// and never freed: the writer reads them without reference counting.
struct EventJSONTables: @unchecked Sendable {
    /// `,"type":"loan.issued"` by type code.
    let typeMembers: ByteTable
    /// `"amount":` by field tag.
    let fieldKeys: ByteTable
    /// The quoted word of each code of an enumeration field, by tag × 256 +
    /// code, as ``ValueText/text(_:field:)`` names it.
    let codeNames: ByteTable

    static let shared = EventJSONTables(
        typeMembers: ByteTable(count: 256) { code in
            EventType(rawValue: UInt8(code)).map { Array(",\"type\":\(JSONString.quote($0.name))".utf8) } ?? []
        },
        fieldKeys: ByteTable(count: 256) { tag in
            Field(rawValue: UInt8(tag)).map { Array((JSONString.quote($0.name) + ":").utf8) } ?? []
        },
        codeNames: ByteTable(count: 256 * 256) { index in
            guard let field = Field(rawValue: UInt8(index >> 8)) else { return [] }
            return Array(JSONString.quote(ValueText.text(.code(UInt8(index & 0xFF)), field: field)).utf8)
        })
}

/// Byte strings by index, laid out in one block of memory that lives as
/// long as the process.
struct ByteTable: @unchecked Sendable {
    let bytes: UnsafePointer<UInt8>
    /// Each entry's offset (high 48 bits) and length (low 16 bits).
    let spans: UnsafePointer<UInt64>
    let count: Int

    init(count: Int, _ entry: (Int) -> [UInt8]) {
        let entries = (0..<count).map(entry)
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, entries.reduce(0) { $0 + $1.count }))
        let spans = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        var offset = 0
        for (index, entry) in entries.enumerated() {
            precondition(entry.count < 1 << 16, "a table entry of 64 KiB")
            (bytes + offset).initialize(from: entry, count: entry.count)
            spans[index] = UInt64(offset) << 16 | UInt64(entry.count)
            offset += entry.count
        }
        self.bytes = UnsafePointer(bytes)
        self.spans = UnsafePointer(spans)
        self.count = count
    }
}

/// Where the writer writes: memory with room for all it writes (the caller
/// sized it with ``EventJSONWriter/capacity(for:)``), so that no write checks.
struct ByteCursor {
    static let quote = UInt8(ascii: "\"")
    static let hexDigits: StaticString = "0123456789abcdef"
    static let base64Alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        base[count] = value
        count &+= 1
    }

    @inline(__always)
    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: source.count)
        count &+= source.count
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        UnsafeMutableRawPointer(base + count).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        count &+= text.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func span(_ table: ByteTable, _ index: Int) {
        let span = table.spans[index]
        let length = Int(span & 0xFFFF)
        UnsafeMutableRawPointer(base + count).copyMemory(from: table.bytes + Int(span >> 16), byteCount: length)
        count &+= length
    }

    @inline(__always)
    mutating func repeated(_ value: UInt8, count repeats: Int) {
        (base + count).update(repeating: value, count: repeats)
        count &+= repeats
    }

    /// A `String`'s bytes, when they fit in the room left.
    mutating func copy(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count <= capacity - count else { return false }
            bytes(UnsafeRawBufferPointer(utf8))
            return true
        }
    }

    /// `bytes` as ``JSONString/quote(_:)`` writes them: quotes, backslashes
    /// and control characters escaped, everything else as is.
    @inline(__always)
    mutating func quoted(_ source: UnsafeRawBufferPointer) {
        byte(Self.quote)
        escaped(source)
        byte(Self.quote)
    }

    /// The inside of ``quoted(_:)``.
    mutating func escaped(_ source: UnsafeRawBufferPointer) {
        var plain = true
        for value in source where value < 0x20 || value == 0x22 || value == 0x5C {
            plain = false
            break
        }
        guard !plain else {
            bytes(source)
            return
        }
        for value in source {
            switch value {
            case 0x22: literal(#"\""#)
            case 0x5C: literal(#"\\"#)
            case 0x0A: literal(#"\n"#)
            case 0x0D: literal(#"\r"#)
            case 0x09: literal(#"\t"#)
            case ..<0x20:
                literal(#"\u00"#)
                byte(Self.hexDigits.utf8Start[Int(value >> 4)])
                byte(Self.hexDigits.utf8Start[Int(value & 0x0F)])
            default: byte(value)
            }
        }
    }

    /// Decimal digits of `value`, as `String(value)`.
    @inline(__always)
    mutating func decimal(_ value: UInt64) {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits &+= 1
        }
        rest = value
        var index = count &+ digits
        repeat {
            index &-= 1
            base[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
        } while rest > 0
        count &+= digits
    }

    mutating func signed(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        decimal(value.magnitude)
    }

    /// `value` (0 ≤ value < 10^width) zero-padded to `width` digits.
    @inline(__always)
    mutating func padded(_ value: Int, width: Int) {
        var rest = value
        var index = count &+ width
        while index > count {
            index &-= 1
            base[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
        }
        count &+= width
    }

    /// `"1500.50"` as ``Money/yuan`` writes it, quoted.
    mutating func yuan(_ fen: Int64) {
        byte(Self.quote)
        if fen < 0 { byte(UInt8(ascii: "-")) }
        let magnitude = fen.magnitude
        decimal(magnitude / 100)
        byte(UInt8(ascii: "."))
        padded(Int(magnitude % 100), width: 2)
        byte(Self.quote)
    }

    /// `YYYY-MM-DD` as ``CalendarDate/description`` writes it; false for a
    /// year outside 0–9999 (its text is the `String` renderer's business).
    mutating func date(_ date: CalendarDate) -> Bool {
        let c = date.components
        guard c.year >= 0 && c.year <= 9999 else { return false }
        padded(c.year, width: 4)
        byte(UInt8(ascii: "-"))
        padded(c.month, width: 2)
        byte(UInt8(ascii: "-"))
        padded(c.day, width: 2)
        return true
    }

    /// `YYYY-MM` as ``YearMonth/description`` writes it; false outside the years 0–9999.
    mutating func month(_ month: YearMonth) -> Bool {
        guard month.index >= 0 && month.year <= 9999 else { return false }
        padded(month.year, width: 4)
        byte(UInt8(ascii: "-"))
        padded(month.month, width: 2)
        return true
    }

    /// `2026-11-29T08:20:32.123456Z` as ``Clock/iso8601(micros:)`` writes it.
    mutating func timestamp(micros: Int64) -> Bool {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        guard let dayNumber = Int32(exactly: days), date(CalendarDate(dayNumber: dayNumber)) else { return false }
        byte(UInt8(ascii: "T"))
        padded(Int(secondOfDay / 3600), width: 2)
        byte(UInt8(ascii: ":"))
        padded(Int(secondOfDay / 60 % 60), width: 2)
        byte(UInt8(ascii: ":"))
        padded(Int(secondOfDay % 60), width: 2)
        byte(UInt8(ascii: "."))
        padded(Int(fraction), width: 6)
        byte(UInt8(ascii: "Z"))
        return true
    }

    /// Lower-case hexadecimal, as ``HashChain/hex(_:)``.
    mutating func hex(_ source: UnsafeRawBufferPointer) {
        let digits = Self.hexDigits.utf8Start
        for value in source {
            base[count] = digits[Int(value >> 4)]
            base[count &+ 1] = digits[Int(value & 0x0F)]
            count &+= 2
        }
    }

    /// Padded standard Base64, as ``Base64/encode(_:)``.
    mutating func base64(_ source: UnsafeRawBufferPointer) {
        let alphabet = Self.base64Alphabet.utf8Start
        let length = source.count
        var offset = 0
        while offset &+ 3 <= length {
            let b0 = source[offset], b1 = source[offset &+ 1], b2 = source[offset &+ 2]
            base[count] = alphabet[Int(b0 >> 2)]
            base[count &+ 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
            base[count &+ 2] = alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]
            base[count &+ 3] = alphabet[Int(b2 & 0x3F)]
            count &+= 4
            offset &+= 3
        }
        // One or two bytes left: their symbols, then `=` for each missing one.
        guard offset < length else { return }
        let b0 = source[offset]
        let b1 = offset &+ 1 < length ? source[offset &+ 1] : 0
        base[count] = alphabet[Int(b0 >> 2)]
        base[count &+ 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
        base[count &+ 2] = offset &+ 1 < length ? alphabet[Int((b1 & 0x0F) << 2)] : UInt8(ascii: "=")
        base[count &+ 3] = UInt8(ascii: "=")
        count &+= 4
    }
}
