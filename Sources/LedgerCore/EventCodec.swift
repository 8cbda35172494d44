/// An event as the ledger stored it: its place in the log, when it was
/// recorded, and the hash that chains it to everything before it.
public struct StoredEvent: Hashable, Sendable {
    /// Position in the log, from 1, without gaps.
    public var seq: UInt64
    /// Transaction time: microseconds since 1970-01-01T00:00:00Z (UTC).
    public var recordedMicros: Int64
    /// Schema version of the event's data, for later field additions.
    public var schemaVersion: UInt16
    public var event: Event
    /// SHA-256(previous hash ‖ canonical bytes).
    public var hash: [UInt8]

    public init(seq: UInt64, recordedMicros: Int64, schemaVersion: UInt16 = EventCodec.schemaVersion, event: Event, hash: [UInt8]) {
        self.seq = seq
        self.recordedMicros = recordedMicros
        self.schemaVersion = schemaVersion
        self.event = event
        self.hash = hash
    }
}

/// The stored record layout and the canonical bytes that are hashed.
///
/// A record is `hash(32) ‖ canonical`, where canonical is
/// `format(u8) seq(u64) recorded(i64) schema(u16) ‖ content` and content is
/// the event itself (type, effective date, id, expect, fields in tag order).
/// docs/FORMAT.md is the normative description; keep the two in step.
public enum EventCodec {
    /// Layout version of the record envelope.
    public static let recordFormat: UInt8 = 1
    /// Version of the event data schema written by this code.
    public static let schemaVersion: UInt16 = 1
    public static let hashBytes = 32
    /// Offset of the content inside the canonical bytes.
    public static let contentOffset = 1 + 8 + 8 + 2
    /// An event's content is at most this long; bounded by the field limits.
    public static let maxContentBytes = 8 * 1024

    /// Writes the content bytes of `event` (what two submissions of the same
    /// id must share to be the same event).
    public static func encodeContent(_ event: Event, into writer: inout ByteWriter) {
        writer.u8(event.type.rawValue)
        writer.i32(event.effective.dayNumber)
        writer.string8(event.id)
        if let expect = event.expect {
            writer.u8(1)
            writer.string8(expect.stream)
            writer.u64(expect.version)
        } else {
            writer.u8(0)
        }
        writer.u8(UInt8(event.data.entries.count))
        for (field, value) in event.data.entries {
            writer.u8(field.rawValue)
            switch value {
            case .string(let text): writer.string16(text)
            case .date(let date): writer.i32(date.dayNumber)
            case .month(let month): writer.i32(month.index)
            case .money(let money): writer.i64(money.fen)
            case .integer(let number): writer.i64(number)
            case .code(let code): writer.u8(code)
            }
            // A month-or-date field says which it is after the value.
            if event.type.kind(of: field) == .monthOrDate {
                if case .month = value { writer.u8(0) } else { writer.u8(1) }
            }
        }
    }

    public static func encodeContent(_ event: Event) -> [UInt8] {
        var writer = ByteWriter()
        encodeContent(event, into: &writer)
        return writer.bytes
    }

    /// The canonical bytes of a stored event (everything the hash covers).
    public static func canonicalBytes(seq: UInt64, recordedMicros: Int64, content: some Sequence<UInt8>) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writeHeader(seq: seq, recordedMicros: recordedMicros, into: &writer)
        writer.raw(content)
        return writer.bytes
    }

    /// The header of the canonical bytes: format, seq, recorded time, schema version.
    public static func writeHeader(seq: UInt64, recordedMicros: Int64, into writer: inout ByteWriter) {
        writer.u8(recordFormat)
        writer.u64(seq)
        writer.i64(recordedMicros)
        writer.u16(schemaVersion)
    }

    /// Splits a stored record into its hash and canonical bytes.
    public static func split(record: UnsafeRawBufferPointer) throws(DecodingError) -> (hash: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer) {
        guard record.count > hashBytes + contentOffset else {
            throw DecodingError(offset: 0, reason: "record of \(record.count) bytes is shorter than its header")
        }
        return (UnsafeRawBufferPointer(rebasing: record[0..<hashBytes]),
                UnsafeRawBufferPointer(rebasing: record[hashBytes...]))
    }

    /// The content bytes inside a stored record.
    public static func content(ofRecord record: UnsafeRawBufferPointer) throws(DecodingError) -> UnsafeRawBufferPointer {
        let canonical = try split(record: record).canonical
        return UnsafeRawBufferPointer(rebasing: canonical[contentOffset...])
    }

    /// Decodes a stored record, checking everything a valid writer guarantees.
    public static func decode(record: UnsafeRawBufferPointer) throws(DecodingError) -> StoredEvent {
        let (hash, canonical) = try split(record: record)
        var reader = ByteReader(canonical)
        let format = try reader.u8()
        guard format == recordFormat else { throw reader.fail("record format \(format) is not \(recordFormat)") }
        let seq = try reader.u64()
        let recorded = try reader.i64()
        let schema = try reader.u16()
        guard schema >= 1 && schema <= schemaVersion else {
            throw reader.fail("schema version \(schema) is newer than this program understands (\(schemaVersion))")
        }
        let event = try decodeContent(&reader)
        guard reader.remaining == 0 else { throw reader.fail("\(reader.remaining) unexpected bytes after the fields") }
        return StoredEvent(seq: seq, recordedMicros: recorded, schemaVersion: schema, event: event, hash: Array(hash))
    }

    static func decodeContent(_ reader: inout ByteReader) throws(DecodingError) -> Event {
        let typeCode = try reader.u8()
        guard let type = EventType(rawValue: typeCode) else { throw reader.fail("unknown event type code \(typeCode)") }
        let effective = CalendarDate(dayNumber: try reader.i32())
        let id = try reader.string8()
        var expect: Expectation?
        switch try reader.u8() {
        case 0: break
        case 1: expect = Expectation(stream: try reader.string8(), version: try reader.u64())
        case let flag: throw reader.fail("expect flag \(flag) is neither 0 nor 1")
        }
        let count = Int(try reader.u8())
        var entries: [(field: Field, value: FieldValue)] = []
        entries.reserveCapacity(count)
        var lastTag: UInt8 = 0
        for _ in 0..<count {
            let tag = try reader.u8()
            guard tag > lastTag else { throw reader.fail("field tags out of order (\(tag) after \(lastTag))") }
            lastTag = tag
            guard let field = Field(rawValue: tag), let kind = type.kind(of: field) else {
                throw reader.fail("field tag \(tag) is not a field of \(type.name)")
            }
            let value: FieldValue
            switch kind {
            case .identifier, .text, .region: value = .string(try reader.string16())
            case .date: value = .date(CalendarDate(dayNumber: try reader.i32()))
            case .monthOrDate:
                let number = try reader.i32()
                switch try reader.u8() {
                case 0: value = .month(YearMonth(index: number))
                case 1: value = .date(CalendarDate(dayNumber: number))
                case let form: throw reader.fail("month-or-date form \(form) is neither 0 nor 1")
                }
            case .money: value = .money(Money(fen: try reader.i64()))
            case .fiscalYear, .basisPoints: value = .integer(try reader.i64())
            case .enumeration(let vocabulary):
                let code = try reader.u8()
                guard vocabulary.name(of: code) != nil else { throw reader.fail("code \(code) outside \(field.name)'s vocabulary") }
                value = .code(code)
            }
            entries.append((field, value))
        }
        return Event(id: id, type: type, effective: effective, expect: expect, data: FieldSet(ascending: entries))
    }
}
