import Foundation
import Follow
import LedgerTestSupport
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

/// The parser takes bytes in memory as runs between line ends; any other
/// sequence byte by byte. Both must read a stream the same way.
@Suite("Server-sent events: runs and single bytes agree")
struct SSEParserRunTests {
    /// A random stream of the pieces a stream is made of: fields the
    /// parser knows and others, comments, every line end, a byte-order mark,
    /// NUL, bytes that are not UTF-8, and Chinese text.
    static func stream(_ random: inout SplitMix) -> [UInt8] {
        let pieces: [[UInt8]] = [
            Array("data: {\"seq\":1}".utf8), Array("data:x".utf8), Array("data".utf8), Array("id: 17".utf8), Array("id".utf8),
            Array("event: head".utf8), Array("event:event".utf8), Array("retry: 250".utf8), Array("retry: 2x".utf8),
            Array(": a comment".utf8), Array("other: 1".utf8), Array("Data: no".utf8), Array("data:  two spaces".utf8),
            Array("data: 就业创业补贴".utf8), [0x64, 0x61, 0x74, 0x61, 0x3A, 0xFF, 0xE4, 0xB8], [0x69, 0x64, 0x3A, 0x00],
            [0xEF, 0xBB, 0xBF], [0x0A], [0x0D], [0x0D, 0x0A], [0x0A, 0x0A], [0x0D, 0x0D],
        ]
        var out: [UInt8] = random.next() % 4 == 0 ? [0xEF, 0xBB, 0xBF] : []
        for _ in 0..<Int(random.next() % 60) { out += pieces[Int(random.next() % UInt64(pieces.count))] }
        return out
    }

    @Test("random streams split at random places give the same events, last id and retry as the same bytes fed one by one",
          arguments: 0..<200)
    func runsAgreeWithBytes(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        let bytes = Self.stream(&random)
        var runs = SSEParser()
        var runEvents: [SSEMessage] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 1 + Int(random.next() % 24))
            runEvents += runs.feed(Array(bytes[start..<end]))
            start = end
        }
        var single = SSEParser()
        // A lazy map has no contiguous storage: the parser takes it byte by byte.
        let singleEvents = single.feed(bytes.lazy.map { $0 })
        #expect(runEvents == singleEvents)
        #expect(runs.lastEventID == single.lastEventID)
        #expect(runs.retryMilliseconds == single.retryMilliseconds)
        #expect(runs.pendingLineBytes == single.pendingLineBytes)
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

/// The server's address as `follow` is given it, and the request it makes.
@Suite("follow's address and request")
struct FollowAddressTests {
    @Test("host, port and a path prefix are read; the subscription path and query are added once")
    func targets() throws {
        var configuration = FollowConfiguration(address: try HTTPAddress(parsing: "http://127.0.0.1:8080"), from: 5)
        #expect(configuration.address.host == "127.0.0.1" && configuration.address.port == 8080)
        #expect(configuration.target(from: 5) == "/v1/subscribe?from=5")
        configuration.types = ["subsidy.granted", "loan.issued"]
        configuration.stream = "fund:employment-special/220000/2015"
        #expect(configuration.target(from: 1)
                == "/v1/subscribe?from=1&type=subsidy.granted&type=loan.issued&stream=fund%3Aemployment-special%2F220000%2F2015")
        for text in ["http://ledger.example/jilin/", "http://ledger.example/jilin/v1/subscribe"] {
            let address = try HTTPAddress(parsing: text)
            #expect(address.port == 80)
            #expect(FollowConfiguration(address: address, from: 1).target(from: 1) == "/jilin/v1/subscribe?from=1")
        }
        let v6 = try HTTPAddress(parsing: "http://[::1]:9000")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.hostHeader == "[::1]:9000")
    }

    @Test("https, a token in the URL, a query, a bad port and other schemes are refused with the reason",
          arguments: ["https://127.0.0.1", "http://user:pw@127.0.0.1", "http://127.0.0.1/?from=3", "http://127.0.0.1:0",
                      "http://127.0.0.1:99999", "ftp://127.0.0.1", "http://"])
    func refused(text: String) {
        #expect(throws: HTTPFailure.self) { try HTTPAddress(parsing: text) }
    }
}
