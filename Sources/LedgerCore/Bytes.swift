/// Appends big-endian integers and length-prefixed strings to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A writer that starts empty in the storage of `buffer` (kept when
    /// nothing else holds it), with room for at least `capacity` bytes:
    /// for a caller that builds one value after another in one buffer.
    public init(reusing buffer: consuming [UInt8], capacity: Int) {
        bytes = buffer
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    public mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    // Wider integers go in as one append of their big-endian bytes (one
    // capacity and uniqueness check, not one per byte): snapshots and
    // entries are written a few numbers per item, millions of items.
    // Typed as `UInt8`s, the bytes are copied by one `memcpy`; a raw buffer
    // would be appended through its iterator, a byte at a time.
    @inline(__always)
    public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    @inline(__always)
    public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    @inline(__always)
    public mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    @inline(__always)
    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }

    /// Appends exactly `count` bytes, written by `body` through a cursor:
    /// for a run of many integers (a snapshot entry's months), one append
    /// instead of one per integer.
    public mutating func write(count: Int, _ body: (inout ByteCursor) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { all in
            var cursor = ByteCursor(base: all.baseAddress! + start, count: count)
            body(&cursor)
            precondition(cursor.offset == count, "wrote \(cursor.offset) of the \(count) bytes announced")
        }
    }

    /// A string with a one-byte length (at most 255 bytes).
    public mutating func string8(_ text: String) {
        let utf8 = text.utf8
        precondition(utf8.count <= 255, "string8 longer than 255 bytes")
        u8(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A string with a two-byte length.
    public mutating func string16(_ text: String) {
        let utf8 = text.utf8
        precondition(utf8.count <= 65535, "string16 longer than 65535 bytes")
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func raw(_ other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Bytes in memory, copied at once (as a raw buffer they would go
    /// through a generic iterator, one at a time).
    public mutating func raw(_ other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other.assumingMemoryBound(to: UInt8.self)) }
}

/// Writes big-endian integers into bytes already set aside
/// (``ByteWriter/write(count:_:)``); never past them.
public struct ByteCursor {
    let base: UnsafeMutableRawPointer
    let count: Int
    public private(set) var offset = 0

    @inline(__always)
    mutating func put<T: FixedWidthInteger>(_ value: T) {
        precondition(offset + MemoryLayout<T>.size <= count, "past the bytes set aside")
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    @inline(__always) public mutating func u32(_ value: UInt32) { put(value) }
    @inline(__always) public mutating func u64(_ value: UInt64) { put(value) }

    /// An unsigned LEB128 number: seven bits a byte, low bits first, the
    /// high bit set on every byte but the last (1 to 5 bytes).
    @inline(__always) public mutating func varint(_ value: UInt32) {
        var rest = value
        while rest >= 0x80 {
            put(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        put(UInt8(rest))
    }

    /// The bytes ``varint(_:)`` writes for `value`.
    @inline(__always) public static func varintSize(_ value: UInt32) -> Int {
        value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5
    }
    @inline(__always) public mutating func i32(_ value: Int32) { put(UInt32(bitPattern: value)) }
    @inline(__always) public mutating func i64(_ value: Int64) { put(UInt64(bitPattern: value)) }
}

/// The bytes ran out, or held something a valid writer never writes.
public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "at byte \(offset): \(reason)" }

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
}

/// Reads what ``ByteWriter`` wrote. Every read is bounds-checked.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public func fail(_ reason: String) -> DecodingError { DecodingError(offset: offset, reason: reason) }

    @inline(__always)
    mutating func need(_ count: Int) throws(DecodingError) {
        if count > remaining { throw fail("record ends early (needs \(count) more bytes)") }
    }

    @inline(__always)
    public mutating func u8() throws(DecodingError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    public mutating func u16() throws(DecodingError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    @inline(__always)
    public mutating func u32() throws(DecodingError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    public mutating func u64() throws(DecodingError) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    public mutating func i32() throws(DecodingError) -> Int32 { Int32(bitPattern: try u32()) }
    @inline(__always)
    public mutating func i64() throws(DecodingError) -> Int64 { Int64(bitPattern: try u64()) }

    /// What ``ByteCursor/varint(_:)`` wrote, in its shortest form only (a
    /// last byte of 0 after others is refused, as is a value past 32 bits).
    public mutating func varint() throws(DecodingError) -> UInt32 {
        let start = offset
        var value: UInt32 = 0
        for index in 0..<5 {
            let byte = try u8()
            let bits = UInt32(byte & 0x7F)
            if index == 4 && bits > 0x0F { throw DecodingError(offset: start, reason: "a variable-length number past 32 bits") }
            value |= bits << UInt32(7 * index)
            if byte & 0x80 == 0 {
                if byte == 0 && index > 0 { throw DecodingError(offset: start, reason: "a variable-length number not in its shortest form") }
                return value
            }
        }
        throw DecodingError(offset: start, reason: "a variable-length number longer than 5 bytes")
    }

    public mutating func string8() throws(DecodingError) -> String {
        let count = Int(try u8())
        return try utf8(count)
    }

    public mutating func string16() throws(DecodingError) -> String {
        let count = Int(try u16())
        return try utf8(count)
    }

    @inline(__always)
    public mutating func skip(_ count: Int) throws(DecodingError) {
        try need(count)
        offset += count
    }

    @inline(__always)
    public mutating func slice(_ count: Int) throws(DecodingError) -> UnsafeRawBufferPointer {
        try need(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    private mutating func utf8(_ count: Int) throws(DecodingError) -> String {
        let start = offset
        let view = try slice(count)
        // Stored strings are mostly ASCII (ids, regions, codes), which needs
        // no check beyond the high bits; anything else gets the full one.
        guard isASCII(view) || isValidUTF8(view) else {
            throw DecodingError(offset: start, reason: "string is not valid UTF-8")
        }
        // Validated above, so decoding repairs nothing.
        return String(decoding: view.bindMemory(to: UInt8.self), as: UTF8.self)
    }
}

/// Big-endian fixed-width encoding of a sequence number, so byte order is numeric order.
public func sequenceKey(_ seq: UInt64) -> [UInt8] {
    withUnsafeBytes(of: seq.bigEndian) { Array($0) }
}

/// Reads a big-endian UInt64 key or value.
public func readSequence(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
    guard bytes.count == 8 else { return nil }
    return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
}

/// Whether every byte is below 0x80, eight bytes at a time.
@inline(__always)
func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
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
    return high & 0x8080_8080_8080_8080 == 0
}
