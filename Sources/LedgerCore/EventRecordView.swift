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
    ///
    /// A record is first read by ``fastRead(_:)``, which makes every check
    /// with one bounds test per field and no error text; a record it
    /// refuses is read again here, step by step, so that the error names
    /// the byte and the reason exactly as it always has.
    public init(record: UnsafeRawBufferPointer) throws(DecodingError) {
        if let view = Self.fastRead(record) {
            self = view
            return
        }
        try self.init(checking: record)
    }

    private init(canonical: UnsafeRawBufferPointer, storedHash: UnsafeRawBufferPointer, seq: UInt64, recordedMicros: Int64,
                 type: EventType, effective: CalendarDate, idOffset: Int, idLength: Int,
                 offsets: InlineArray<32, UInt16>, dateForms: UInt32) {
        self.canonical = canonical
        self.storedHash = storedHash
        self.seq = seq
        self.recordedMicros = recordedMicros
        self.type = type
        self.effective = effective
        self.idOffset = idOffset
        self.idLength = idLength
        self.offsets = offsets
        self.dateForms = dateForms
    }

    /// The record read with the same checks as ``init(checking:)`` but
    /// without naming what is wrong: nil for any record that one refuses.
    /// Reads are unchecked loads after an explicit test that the bytes are
    /// there, which is what makes it cheap.
    @inline(__always)
    static func fastRead(_ record: UnsafeRawBufferPointer) -> EventRecordView? {
        let hashBytes = EventCodec.hashBytes
        // The header (19 bytes), then type, effective, id length: 25.
        guard record.count >= hashBytes + 25, record.count - hashBytes <= Int(UInt16.max), let base = record.baseAddress else {
            return nil
        }
        let bytes = base + hashBytes
        let count = record.count - hashBytes
        @inline(__always) func u8(_ at: Int) -> UInt8 { bytes.load(fromByteOffset: at, as: UInt8.self) }
        @inline(__always) func u16(_ at: Int) -> Int { Int(u8(at)) << 8 | Int(u8(at &+ 1)) }
        guard u8(0) == EventCodec.recordFormat else { return nil }
        let seq = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
        let recorded = Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 9, as: UInt64.self)))
        let schema = UInt16(u16(17))
        guard schema >= 1 && schema <= EventCodec.schemaVersion else { return nil }
        let typeCode = u8(19)
        guard let type = EventType(rawValue: typeCode) else { return nil }
        let day = Int32(bitPattern: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
        let idLength = Int(u8(24))
        let idOffset = 25
        var at = idOffset &+ idLength
        // The id, then the expect flag and the field count at least.
        guard at &+ 2 <= count, isUTF8(bytes + idOffset, idLength) else { return nil }
        switch u8(at) {
        case 0:
            at &+= 1
        case 1:
            let streamLength = Int(u8(at &+ 1))
            guard at &+ 2 &+ streamLength &+ 8 &+ 1 <= count, isUTF8(bytes + (at &+ 2), streamLength) else { return nil }
            at &+= 2 &+ streamLength &+ 8
        default:
            return nil
        }
        let fieldCount = Int(u8(at))
        at &+= 1
        var offsets = InlineArray<32, UInt16>(repeating: 0)
        var dateForms: UInt32 = 0
        var lastTag = 0
        let row = Int(typeCode) &* 32
        return layouts.withUnsafeBufferPointer { layouts -> EventRecordView? in
            for _ in 0..<fieldCount {
                guard at < count else { return nil }
                let tag = Int(u8(at))
                guard tag > lastTag, tag < 32 else { return nil }
                lastTag = tag
                let layout = layouts[row &+ tag]
                at &+= 1
                offsets[unchecked: tag] = UInt16(truncatingIfNeeded: at)
                switch layout & 0x0F {
                case stringLayout:
                    guard at &+ 2 <= count else { return nil }
                    let length = u16(at)
                    at &+= 2
                    guard at &+ length <= count, isUTF8(bytes + at, length) else { return nil }
                    at &+= length
                case dayLayout:
                    at &+= 4
                case monthOrDateLayout:
                    guard at &+ 5 <= count else { return nil }
                    switch u8(at &+ 4) {
                    case 0: break
                    case 1: dateForms |= 1 << UInt32(tag)
                    default: return nil
                    }
                    at &+= 5
                case wordLayout:
                    at &+= 8
                case codeLayout:
                    guard at < count, u8(at) < layout >> 4 else { return nil }
                    at &+= 1
                default:
                    // Not a field of this type.
                    return nil
                }
            }
            guard at == count else { return nil }
            return EventRecordView(canonical: UnsafeRawBufferPointer(start: bytes, count: count),
                                   storedHash: UnsafeRawBufferPointer(start: base, count: hashBytes),
                                   seq: seq, recordedMicros: recorded, type: type, effective: CalendarDate(dayNumber: day),
                                   idOffset: idOffset, idLength: idLength, offsets: offsets, dateForms: dateForms)
        }
    }

    /// Whether `count` bytes at `start` are valid UTF-8: ASCII eight bytes
    /// at a time, anything else through the full check.
    @inline(__always)
    private static func isUTF8(_ start: UnsafeRawPointer, _ count: Int) -> Bool {
        let bytes = UnsafeRawBufferPointer(start: start, count: count)
        return isASCII(bytes) || isValidUTF8(bytes)
    }

    /// Reads a stored record step by step, naming the first thing wrong.
    init(checking record: UnsafeRawBufferPointer) throws(DecodingError) {
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
        guard !isASCII(bytes) else { return }
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
