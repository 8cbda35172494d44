import Foundation
import Follow
import Testing

/// The event-stream reader follows the WHATWG rules a browser's EventSource
/// follows, whatever the server's line ends and however the bytes are cut.
@Suite("Server-sent events: the WHATWG parsing rules")
struct SSEParserTests {
    /// Every event of `text`, fed in pieces of `piece` bytes.
    func parse(_ text: String, piece: Int = .max, lastEventID: String = "") -> (events: [SSEMessage], parser: SSEParser) {
        var parser = SSEParser(lastEventID: lastEventID)
        var events: [SSEMessage] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, min(piece, bytes.count)))
            events += parser.feed(bytes[start..<end])
            start = end
        }
        return (events, parser)
    }

    @Test("event, id and data fields; a blank line dispatches; the type defaults to message")
    func fields() {
        let (events, parser) = parse("event: event\nid: 7\ndata: {\"seq\":7}\n\ndata: plain\n\n")
        #expect(events == [
            SSEMessage(type: "event", data: "{\"seq\":7}", lastEventID: "7"),
            SSEMessage(type: "message", data: "plain", lastEventID: "7"),
        ])
        #expect(parser.lastEventID == "7")
    }

    @Test("LF, CRLF and CR line ends give the same events, however the bytes are split",
          arguments: ["\n", "\r\n", "\r"], [1, 2, 3, 5, 1000])
    func lineEnds(end: String, piece: Int) {
        let text = ["event: head", "id: 12", "data: {\"seq\":12,", "data: \"hash\":\"ab\"}", "", "data: x", "", ""]
            .joined(separator: end)
        let events = parse(text, piece: piece).events
        #expect(events == [
            SSEMessage(type: "head", data: "{\"seq\":12,\n\"hash\":\"ab\"}", lastEventID: "12"),
            SSEMessage(type: "message", data: "x", lastEventID: "12"),
        ])
    }

    @Test("a CR at the end of one piece and an LF at the start of the next are one line end, not a blank line")
    func splitCRLF() {
        var parser = SSEParser()
        var events = parser.feed(Array("data: a\r".utf8))
        events += parser.feed(Array("\ndata: b\r\n\r\n".utf8))
        #expect(events == [SSEMessage(type: "message", data: "a\nb", lastEventID: "")])
    }

    @Test("comments are ignored; one space after the colon is dropped, a second kept; a line without a colon is a field with no value")
    func commentsAndSpaces() {
        let (events, _) = parse(": keep-alive\ndata:no space\ndata:  two spaces\ndata\n\n")
        #expect(events == [SSEMessage(type: "message", data: "no space\n two spaces\n", lastEventID: "")])
    }

    @Test("an event without data is not dispatched, though its id counts; a trailing event without a blank line is dropped")
    func noDataAndUnfinished() {
        let (events, parser) = parse("id: 5\nevent: head\n\ndata: unfinished\nid: 9")
        #expect(events.isEmpty)
        #expect(parser.lastEventID == "5")
    }

    @Test("an id holding NUL is ignored; an empty id resets; an id without data is kept for the next event")
    func ids() {
        let (events, parser) = parse("id: 3\ndata: a\n\nid: 4\u{0}x\ndata: b\n\nid\ndata: c\n\n", lastEventID: "1")
        #expect(events.map(\.lastEventID) == ["3", "3", ""])
        #expect(parser.lastEventID == "")
    }

    @Test("retry sets the reconnection time only when it is all digits; unknown fields are ignored")
    func retry() {
        var (_, parser) = parse("retry: 2500\n\n")
        #expect(parser.retryMilliseconds == 2500)
        (_, parser) = parse("retry: 25x\nfoo: bar\n\n")
        #expect(parser.retryMilliseconds == nil)
    }

    @Test("a byte-order mark opens the stream only: dropped there, kept anywhere else", arguments: [1, 2, 100])
    func byteOrderMark(piece: Int) {
        let (events, _) = parse("\u{FEFF}data: a\n\ndata: \u{FEFF}b\n\n", piece: piece)
        #expect(events.map(\.data) == ["a", "\u{FEFF}b"])
        // A stream that starts with the mark's first byte only is not a mark.
        var parser = SSEParser()
        let other = parser.feed([0xEF, 0x41] + Array(":x\ndata: c\n\n".utf8))
        #expect(other.map(\.data) == ["c"])
    }

    @Test("field names are case-sensitive and exact")
    func fieldNames() {
        let (events, _) = parse("Data: no\nevent : no\ndata: yes\n\n")
        #expect(events == [SSEMessage(type: "message", data: "yes", lastEventID: "")])
    }
}

/// What a follower reads out of each message of the subscription.
@Suite("Subscription messages: events, heartbeats, errors")
struct SubscribeItemTests {
    let hash = String(repeating: "0f", count: 32)

    @Test("an event keeps its members in order without canonical, whose Base64 is decoded")
    func event() throws {
        let data = "{\"seq\":7,\"hash\":\"\(hash)\",\"id\":\"e-7\",\"data\":{\"amount\":\"1.50\"},\"canonical\":\"AQID\"}"
        let item = try SubscribeItem(SSEMessage(type: "event", data: data, lastEventID: "7"))
        guard case .event(let event) = item else {
            Issue.record("not an event: \(item)")
            return
        }
        #expect(event.seq == 7)
        #expect(event.canonical == [1, 2, 3])
        #expect(event.json == "{\"seq\":7,\"hash\":\"\(hash)\",\"id\":\"e-7\",\"data\":{\"amount\":\"1.50\"}}")
    }

    @Test("an event whose id is not its seq, whose hash is not 64 hex digits or whose canonical is not Base64 is refused",
          arguments: [("{\"seq\":7,\"hash\":\"HASH\"}", "8"), ("{\"seq\":7,\"hash\":\"abc\"}", "7"),
                      ("{\"seq\":7,\"hash\":\"HASH\",\"canonical\":\"A\"}", "7"), ("[7]", "7"), ("{\"hash\":\"HASH\"}", "7")])
    func badEvent(data: String, id: String) {
        let message = SSEMessage(type: "event", data: data.replacingOccurrences(of: "HASH", with: hash), lastEventID: id)
        #expect(throws: SubscribeStreamError.self) { try SubscribeItem(message) }
    }

    @Test("a heartbeat gives the head and how far the stream was scanned; an error event its code and message; other types are passed over")
    func heartbeatAndError() throws {
        let head = try SubscribeItem(SSEMessage(type: "head", data: "{\"seq\":242,\"hash\":\"\(hash)\"}", lastEventID: "240"))
        #expect(head == .head(HeadAnnouncement(seq: 242, hash: Array(repeating: 0x0F, count: 32), scannedThrough: 240)))
        let error = try SubscribeItem(SSEMessage(type: "error", data: "{\"error\":{\"code\":\"ledger_damaged\",\"message\":\"event 9\"}}",
                                                 lastEventID: "8"))
        #expect(error == .error(code: "ledger_damaged", message: "event 9"))
        #expect(try SubscribeItem(SSEMessage(type: "message", data: "x", lastEventID: "")) == .other("message"))
    }
}
