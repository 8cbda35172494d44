/// A stored record read in place: where each field of its event lies in the
/// record's bytes, found in one pass without building an ``Event``.
///
/// Replays that fold millions of records (rebuild, audit, reports) read
/// through this view straight from the memory map: no `String`, no array,
/// no allocation per event. It checks what ``EventCodec/decode(record:)``
/// checks — header, type, field tags in ascending order and of the event's
/// schema, lengths, vocabulary codes, month-or-date forms, UTF-8 — so a
/// record this view accepts is one the full decoder accepts, with the same
/// values. The bytes must outlive the view (a read transaction's pages do).
public struct EventRecordView {
    /// The record's canonical bytes (everything after the 32-byte hash).
    public let canonical: UnsafeRawBufferPointer
    /// The 32-byte hash stored in front of them.
    public let storedHash: UnsafeRawBufferPointer
    public let seq: UInt64
    public let recordedMicros: Int64
    public let type: EventType
    public let effective: CalendarDate
    /// Offset of the id's bytes in `canonical`, and its length.
    let idOffset: Int
    let idLength: Int
    /// Offset in `canonical` of each present field's value, by tag; 0 when absent.
    var offsets: InlineArray<32, UInt16>
    /// Bit `tag` set: a month-or-date field holds a date (else a month).
    var dateForms: UInt32

    /// Reads a stored record (hash ‖ canonical bytes).
    public init(record: UnsafeRawBufferPointer) throws(DecodingError) {
        let (hash, canonical) = try EventCodec.split(record: record)
        storedHash = hash
        self.canonical = canonical
        var reader = ByteReader(canonical)
        let format = try reader.u8()
        guard format == EventCodec.recordFormat else { throw reader.fail("record format \(format) is not \(EventCodec.recordFormat)") }
        seq = try reader.u64()
        recordedMicros = try reader.i64()
        let schema = try reader.u16()
        guard schema >= 1 && schema <= EventCodec.schemaVersion else {
            throw reader.fail("schema version \(schema) is newer than this program understands (\(EventCodec.schemaVersion))")
        }
        let typeCode = try reader.u8()
        guard let type = EventType(rawValue: typeCode) else { throw reader.fail("unknown event type code \(typeCode)") }
        self.type = type
        effective = CalendarDate(dayNumber: try reader.i32())
        idLength = Int(try reader.u8())
        idOffset = reader.offset
        try Self.checkUTF8(try reader.slice(idLength), at: idOffset)
        switch try reader.u8() {
        case 0: break
        case 1:
            let streamOffset = reader.offset + 1
            try Self.checkUTF8(try reader.slice(Int(try reader.u8())), at: streamOffset)
            _ = try reader.u64()
        case let flag: throw reader.fail("expect flag \(flag) is neither 0 nor 1")
        }
        offsets = InlineArray(repeating: 0)
        dateForms = 0
        let count = Int(try reader.u8())
        var lastTag = 0
        let layouts = Self.layouts
        let row = Int(typeCode) &* 32
        for _ in 0..<count {
            let tag = Int(try reader.u8())
            guard tag > lastTag else { throw reader.fail("field tags out of order (\(tag) after \(lastTag))") }
            lastTag = tag
            let layout = tag < 32 ? layouts[row &+ tag] : 0
            guard layout != 0 else { throw reader.fail("field tag \(tag) is not a field of \(type.name)") }
            offsets[tag] = UInt16(truncatingIfNeeded: reader.offset)
            switch layout & 0x0F {
            case Self.stringLayout:
                let length = Int(try reader.u16())
                let start = reader.offset
                try Self.checkUTF8(try reader.slice(length), at: start)
            case Self.dayLayout:
                try reader.skip(4)
            case Self.monthOrDateLayout:
                try reader.skip(4)
                switch try reader.u8() {
                case 0: break
                case 1: dateForms |= 1 << UInt32(tag)
                case let form: throw reader.fail("month-or-date form \(form) is neither 0 nor 1")
                }
            case Self.wordLayout:
                try reader.skip(8)
            default:
                let code = try reader.u8()
                guard code < layout >> 4 else { throw reader.fail("code \(code) outside \(Field(rawValue: UInt8(tag))!.name)'s vocabulary") }
            }
        }
        guard reader.remaining == 0 else { throw reader.fail("\(reader.remaining) unexpected bytes after the fields") }
        guard canonical.count <= Int(UInt16.max) else { throw reader.fail("record longer than any valid event") }
    }

    static let stringLayout: UInt8 = 1, dayLayout: UInt8 = 2, monthOrDateLayout: UInt8 = 3, wordLayout: UInt8 = 4
    static let codeLayout: UInt8 = 5

    /// By type code × 32 + tag: how the field's value is laid out (low four
    /// bits; 0 when the type has no such field) and, for an enumeration, the
    /// size of its vocabulary (high four bits). The same facts as
    /// ``EventType/kind(of:)``, in a form that costs one load.
    static let layouts: [UInt8] = {
        var table = [UInt8](repeating: 0, count: (EventType.allCases.count + 1) * 32)
        for type in EventType.allCases {
            for spec in type.schema {
                let layout: UInt8
                switch spec.kind {
                case .identifier, .text, .region: layout = stringLayout
                case .date: layout = dayLayout
                case .monthOrDate: layout = monthOrDateLayout
                case .money, .fiscalYear, .basisPoints: layout = wordLayout
                case .enumeration(let vocabulary):
                    precondition(vocabulary.values.count < 16, "a vocabulary of more than 15 values")
                    layout = codeLayout | UInt8(vocabulary.values.count) << 4
                }
                table[Int(type.rawValue) * 32 + Int(spec.field.rawValue)] = layout
            }
        }
        return table
    }()

    /// ASCII (the common case: ids, regions, codes) is checked eight bytes
    /// at a time; anything else goes through the full UTF-8 check.
    @inline(__always)
    private static func checkUTF8(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DecodingError) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var high: UInt64 = 0
        var index = 0
        while index &+ 8 <= count {
            high |= base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        while index < count {
            high |= UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index &+= 1
        }
        guard high & 0x8080_8080_8080_8080 != 0 else { return }
        guard isValidUTF8(bytes) else { throw DecodingError(offset: offset, reason: "string is not valid UTF-8") }
    }

    /// The whole stored event, decoded by ``EventCodec/decode(record:)``.
    public func decoded() throws(DecodingError) -> StoredEvent {
        // The hash and the canonical bytes are one record in the map.
        try EventCodec.decode(record: UnsafeRawBufferPointer(start: storedHash.baseAddress, count: storedHash.count + canonical.count))
    }

    /// The event's id.
    public var id: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: canonical[idOffset..<idOffset + idLength]) }

    /// The content bytes (what two submissions of the same id must share).
    public var content: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: canonical[EventCodec.contentOffset...]) }

    @inline(__always)
    public func has(_ field: Field) -> Bool { offsets[Int(field.rawValue)] != 0 }

    @inline(__always)
    private func offset(_ field: Field) -> Int {
        let offset = Int(offsets[Int(field.rawValue)])
        precondition(offset != 0, "field \(field.name) read but absent")
        return offset
    }

    /// A string field's UTF-8 bytes (identifier, text or region); empty when absent.
    @inline(__always)
    public func bytes(_ field: Field) -> UnsafeRawBufferPointer {
        let start = Int(offsets[Int(field.rawValue)])
        guard start != 0 else { return UnsafeRawBufferPointer(rebasing: canonical[0..<0]) }
        let length = Int(canonical[start]) << 8 | Int(canonical[start + 1])
        return UnsafeRawBufferPointer(rebasing: canonical[start + 2..<start + 2 + length])
    }

    /// A string field as a `String` (for output and the rare look-up).
    public func string(_ field: Field) -> String? {
        has(field) ? String(decoding: bytes(field), as: UTF8.self) : nil
    }

    @inline(__always)
    private func load64(_ field: Field) -> Int64 {
        Int64(bitPattern: UInt64(bigEndian: canonical.loadUnaligned(fromByteOffset: offset(field), as: UInt64.self)))
    }

    @inline(__always)
    private func load32(_ field: Field) -> Int32 {
        Int32(bitPattern: UInt32(bigEndian: canonical.loadUnaligned(fromByteOffset: offset(field), as: UInt32.self)))
    }

    /// A money field in fen.
    @inline(__always)
    public func fen(_ field: Field) -> Int64 { load64(field) }

    /// A fiscal year or basis points field.
    @inline(__always)
    public func integer(_ field: Field) -> Int64 { load64(field) }

    /// A date field (or a month-or-date field holding a date).
    @inline(__always)
    public func date(_ field: Field) -> CalendarDate { CalendarDate(dayNumber: load32(field)) }

    /// Whether a month-or-date field holds a date (else a month).
    @inline(__always)
    public func holdsDate(_ field: Field) -> Bool { dateForms & (1 << UInt32(field.rawValue)) != 0 }

    /// A month-or-date field: the month it names or the month of its date.
    @inline(__always)
    public func month(_ field: Field) -> YearMonth {
        let number = load32(field)
        return holdsDate(field) ? CalendarDate(dayNumber: number).yearMonth : YearMonth(index: number)
    }

    /// An enumeration field's code.
    @inline(__always)
    public func code(_ field: Field) -> UInt8 { canonical[offset(field)] }
}
