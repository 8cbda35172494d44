/// One event of a `text/event-stream`, as the WHATWG HTML standard's
/// "server-sent events" section dispatches it.
public struct SSEMessage: Sendable, Equatable {
    /// The `event` field; `message` when the event named none.
    public var type: String
    /// The `data` fields joined with line feeds (without a final one).
    public var data: String
    /// The last event ID in force when the event was dispatched (the stream's
    /// latest `id` field, which an event without its own keeps).
    public var lastEventID: String

    public init(type: String, data: String, lastEventID: String) {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}

/// Parses a `text/event-stream` incrementally, byte chunks in, events out,
/// following the WHATWG rules: lines end with CRLF, LF or CR (a CR at the
/// end of one chunk and an LF at the start of the next are one line end);
/// a UTF-8 byte-order mark at the very start is dropped; a line starting
/// with a colon is a comment; `field: value` loses one space after the
/// colon and a line without a colon is a field with an empty value; `data`
/// lines accumulate with line feeds between them; `id` sets the last event
/// ID unless its value holds a NUL; `retry` with only ASCII digits sets the
/// reconnection time; other fields are ignored. A blank line dispatches the
/// event when it has data (an event with no data is dropped, though its
/// `id` still counts); an event not ended by a blank line before the stream
/// ends is never dispatched.
///
/// Invalid UTF-8 is decoded with replacement characters, as the standard's
/// UTF-8 decode does.
public struct SSEParser: Sendable {
    /// The last event ID string of the stream (what a reconnection sends as
    /// `Last-Event-ID`). Starts as the one given to `init`.
    public private(set) var lastEventID: String
    /// The reconnection time the server asked for with `retry`, in milliseconds.
    public private(set) var retryMilliseconds: Int?

    private var line: [UInt8] = []
    private var atStart = true
    private var afterCR = false
    private var eventType = ""
    /// The data lines so far, each followed by a line feed.
    private var data: [UInt8] = []
    private var hasData = false
    private var pendingID: String

    public init(lastEventID: String = "") {
        self.lastEventID = lastEventID
        pendingID = lastEventID
    }

    /// How many bytes of the current, unfinished line are held: a caller
    /// bounds it so that a stream without line ends cannot exhaust memory.
    public var pendingLineBytes: Int { line.count }

    /// Feeds the next bytes of the stream; returns the events they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [SSEMessage] {
        var out: [SSEMessage] = []
        if bytes.withContiguousStorageIfAvailable({ feed(contiguous: $0, into: &out) }) == nil {
            for byte in bytes { feed(byte, into: &out) }
        }
        return out
    }

    /// ``feed(_:)`` over bytes in memory: the bytes between line ends are
    /// taken as runs, not one by one.
    private mutating func feed(contiguous bytes: UnsafeBufferPointer<UInt8>, into out: inout [SSEMessage]) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if atStart || byte == 0x0A || byte == 0x0D {
                feed(byte, into: &out)
                index += 1
                continue
            }
            afterCR = false
            var end = index + 1
            while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
            line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
            index = end
        }
    }

    private mutating func feed(_ byte: UInt8, into out: inout [SSEMessage]) {
        if atStart {
            // The byte-order mark may only open the stream: hold its
            // first bytes until they are seen whole.
            line.append(byte)
            if line == [0xEF, 0xBB, 0xBF] {
                line.removeAll()
                atStart = false
            } else if ![0xEF, 0xBB, 0xBF].starts(with: line) {
                atStart = false
                let held = line
                line.removeAll()
                for heldByte in held { feed(heldByte, into: &out) }
            }
            return
        }
        switch byte {
        case 0x0A:
            if afterCR {
                afterCR = false
                return
            }
            endLine(into: &out)
        case 0x0D:
            afterCR = true
            endLine(into: &out)
        default:
            afterCR = false
            line.append(byte)
        }
    }

    private static let dataField = Array("data".utf8)
    private static let idField = Array("id".utf8)
    private static let eventField = Array("event".utf8)
    private static let retryField = Array("retry".utf8)

    private mutating func endLine(into out: inout [SSEMessage]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &out)
            return
        }
        if line[0] == 0x3A { return }  // a comment
        let field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: 0x3A) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == 0x20 { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        if field.elementsEqual(Self.dataField) {
            data.append(contentsOf: value)
            data.append(0x0A)
            hasData = true
        } else if field.elementsEqual(Self.idField) {
            if !value.contains(0) { pendingID = String(decoding: value, as: UTF8.self) }
        } else if field.elementsEqual(Self.eventField) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual(Self.retryField) {
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let milliseconds = Int(String(decoding: value, as: UTF8.self)) {
                retryMilliseconds = milliseconds
            }
        }
    }

    private mutating func dispatch(into out: inout [SSEMessage]) {
        lastEventID = pendingID
        defer {
            eventType = ""
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return }
        // Without the line feed after the last data line.
        let text = String(decoding: data[..<(data.count - 1)], as: UTF8.self)
        out.append(SSEMessage(type: eventType.isEmpty ? "message" : eventType, data: text, lastEventID: lastEventID))
    }
}
