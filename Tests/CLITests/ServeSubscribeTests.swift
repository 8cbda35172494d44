import Foundation
import Glibc
import Testing

/// `GET /v1/subscribe`: stored events, then live ones; heartbeats; resuming.
@Suite("serve: subscribe")
struct ServeSubscribeTests {
    static var sampleLines: [String] { ServeCommandTests.sampleLines }

    static func post(_ server: ServerProcess, _ lines: ArraySlice<String>) throws {
        let reply = try server.request("POST", "/v1/events", body: lines.joined(separator: "\n"), contentType: "application/x-ndjson")
        #expect(reply.status == 201, "\(reply.body)")
    }

    @Test("stored events, a heartbeat at the head, then live events as they are committed")
    func storedThenLive() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 200)
        let server = try ServerProcess(ledger: ledger, ["--heartbeat", "1"])
        let stream = try EventStreamClient(port: server.port, path: "/v1/subscribe")
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream")
        let stored = try stream.collect { $0.event == "head" }
        let events = stored.filter { $0.event == "event" }
        #expect(events.map(\.id) == (1...200).map { String($0) })
        #expect(stored.last?.id == "200")
        #expect(stored.last?.object["seq"] as? Int == 200)
        // Each event is the object /v1/events sends, with its canonical bytes
        // (a server without tokens gives every right).
        let page = try server.get("/v1/events?from=57&limit=1").object["events"] as? [[String: Any]]
        var fifty7 = events[56].object
        #expect(fifty7.removeValue(forKey: "canonical") is String)
        #expect(NSDictionary(dictionary: fifty7).isEqual(to: page?.first ?? [:]))
        // Every stored event, its reversal included (the sample reverses one
        // entry), is the object `log --format json` prints.
        let logged = ServeCommandTests.logObjects(try runOK(["log", "--format", "json", "--ledger", ledger], in: work.path).stdout)
        let streamed = events.map { $0.data.replacingOccurrences(of: #",\"canonical\":\"[A-Za-z0-9+/=]*\""#, with: "", options: .regularExpression) }
        #expect(streamed == logged)
        #expect(logged.contains { $0.contains("\"reversedBy\"") })

        try Self.post(server, Self.sampleLines[200..<242])
        let live = try stream.collect { $0.event == "head" && $0.id == "242" }
        #expect(live.filter { $0.event == "event" }.map(\.id) == (201...242).map { String($0) })
        server.expectCleanStop()
        // The server ended the stream when it stopped.
        #expect(try stream.collect(within: 10) { _ in false }.allSatisfy { $0.event == "head" })
    }

    @Test("a filtered stream's heartbeat passes the events it left out; a reader gets no canonical bytes")
    func filteredHeartbeat() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work)
        let tokens = work.file("tokens", "reader \(try sha256Hex("r"))\nauditor \(try sha256Hex("a"))\n")
        let server = try ServerProcess(ledger: ledger, ["--tokens", tokens])
        defer { server.expectCleanStop() }
        let stream = try EventStreamClient(port: server.port, path: "/v1/subscribe?type=loan.issued", headers: [("Authorization", "Bearer r")])
        let received = try stream.collect { $0.event == "head" }
        let events = received.filter { $0.event == "event" }
        let expected = ServeCommandTests.logObjects(try runOK(["log", "--type", "loan.issued", "--format", "json", "--ledger", ledger], in: work.path).stdout)
        #expect(events.map(\.data) == expected)
        #expect(events.allSatisfy { $0.object["canonical"] == nil })
        #expect(Int(events.last?.id ?? "") ?? 0 < 242)
        // The heartbeat says the stream has considered everything up to the head.
        #expect(received.last?.id == "242")
        let auditor = try EventStreamClient(port: server.port, path: "/v1/subscribe?from=242", headers: [("Authorization", "Bearer a")])
        let last = try #require(try auditor.collect { $0.event == "event" }.last)
        #expect(last.id == "242")
        #expect(last.object["canonical"] is String)
        #expect(try EventStreamClient(port: server.port, path: "/v1/subscribe").status == 401)
    }

    @Test("a client that drops and resumes with Last-Event-ID misses nothing and gets nothing twice")
    func resume() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 150)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        var ids: [String] = []
        do {
            let first = try EventStreamClient(port: server.port, path: "/v1/subscribe")
            ids += try first.collect { $0.id == "100" }.filter { $0.event == "event" }.compactMap(\.id)
        }
        // Committed while the client is away.
        try Self.post(server, Self.sampleLines[150..<200])
        let resumed = try EventStreamClient(port: server.port, path: "/v1/subscribe?from=1", headers: [("Last-Event-ID", ids.last ?? "")])
        ids += try resumed.collect { $0.event == "head" && $0.id == "200" }.filter { $0.event == "event" }.compactMap(\.id)
        try Self.post(server, Self.sampleLines[200..<242])
        ids += try resumed.collect { $0.event == "head" && $0.id == "242" }.filter { $0.event == "event" }.compactMap(\.id)
        #expect(ids == (1...242).map { String($0) })
        #expect(try EventStreamClient(port: server.port, path: "/v1/subscribe", headers: [("Last-Event-ID", "x")]).status == 400)
    }

    @Test("more subscriptions than --max-subscribers are refused with 503")
    func subscriberLimit() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 5)
        let server = try ServerProcess(ledger: ledger, ["--max-subscribers", "1"])
        defer { server.expectCleanStop() }
        let first = try EventStreamClient(port: server.port, path: "/v1/subscribe")
        #expect(try first.collect { $0.event == "head" }.count == 6)
        let second = try server.get("/v1/subscribe")
        #expect(second.status == 503)
        #expect(second.errorCode == "too_many_subscribers")
    }

    /// A ledger of the first `count` events of a generated history (seed 3),
    /// and the history's lines.
    static func generatedLedger(_ work: WorkDirectory, events count: Int, of total: Int = 9000) throws -> (ledger: String, lines: [String]) {
        let file = work.path + "/history.jsonl"
        try generateHistory(["--events", String(total), "--seed", "3"], to: file)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let ledger = work.path + "/ledger"
        try runOK(["init", "--ledger", ledger], in: work.path)
        let first = work.file("first.jsonl", lines.prefix(count).joined(separator: "\n") + "\n")
        try runOK(["import", "--no-progress", "--ledger", ledger, first], in: work.path)
        return (ledger, lines)
    }

    /// The seq of a log object or streamed event's data.
    static func seq(_ object: String) -> Int {
        ((try? JSONSerialization.jsonObject(with: Data(object.utf8))) as? [String: Any])?["seq"] as? Int ?? 0
    }

    static func withoutCanonical(_ data: String) -> String {
        data.replacingOccurrences(of: #",\"canonical\":\"[A-Za-z0-9+/=]*\""#, with: "", options: .regularExpression)
    }

    @Test("a history of several windows: every event is log's object, across window ends; a resume in the middle of a window; filters")
    func longHistory() throws {
        let work = WorkDirectory()
        let (ledger, _) = try Self.generatedLedger(work, events: 9000)
        let tokens = work.file("tokens", "reader \(try sha256Hex("r"))\nauditor \(try sha256Hex("a"))\n")
        let server = try ServerProcess(ledger: ledger, ["--tokens", tokens])
        defer { server.expectCleanStop() }
        let logged = ServeCommandTests.logObjects(try runOK(["log", "--format", "json", "--ledger", ledger], in: work.path).stdout)
        let shown = ServeCommandTests.logObjects(try runOK(["log", "--format", "json", "--show-personal-ids", "--ledger", ledger], in: work.path).stdout)
        #expect(logged.count == 9000 && shown.count == 9000)

        // An auditor from seq 1: each event with its canonical bytes, and
        // without them log's object (personal ids shown), reversals included.
        let auditor = try EventStreamClient(port: server.port, path: "/v1/subscribe", headers: [("Authorization", "Bearer a")])
        let all = try auditor.collect { $0.event == "head" }
        let events = all.filter { $0.event == "event" }
        #expect(events.map(\.id) == (1...9000).map { String($0) })
        #expect(events.allSatisfy { $0.object["canonical"] is String })
        #expect(events.map { Self.withoutCanonical($0.data) } == shown)
        #expect(all.last?.id == "9000")

        // A reversal right after the last event of a reader's first window
        // (4,096 seqs): the reversed event, sent in the window before its
        // reversal, still shows it, as log does.
        let pair = try #require(logged.first { Self.seq($0) > 4096 && $0.contains("\"reversedBy\":\(Self.seq($0) + 1)") })
        let from = Self.seq(pair) - 4095
        let reader = try EventStreamClient(port: server.port, path: "/v1/subscribe?from=\(from)", headers: [("Authorization", "Bearer r")])
        let read = try reader.collect { $0.event == "head" }.filter { $0.event == "event" }
        #expect(read.map(\.data) == Array(logged[(from - 1)...]))
        #expect(read.first { $0.id == String(Self.seq(pair)) }?.data == pair)

        // Resumed in the middle of a window: from the next seq, each once.
        let resumed = try EventStreamClient(port: server.port, path: "/v1/subscribe?from=1",
                                            headers: [("Authorization", "Bearer r"), ("Last-Event-ID", "5000")])
        let rest = try resumed.collect { $0.event == "head" }
        #expect(rest.filter { $0.event == "event" }.map(\.id) == (5001...9000).map { String($0) })
        #expect(rest.last?.id == "9000")

        // Filters over many windows: log's selection; the heartbeat has passed them all.
        for (query, options) in [("type=subsidy.granted", ["--type", "subsidy.granted"]), ("stream=person:P00000008", ["--stream", "person:P00000008"])] {
            let filtered = try EventStreamClient(port: server.port, path: "/v1/subscribe?\(query)", headers: [("Authorization", "Bearer r")])
            let received = try filtered.collect { $0.event == "head" }
            let expected = ServeCommandTests.logObjects(try runOK(["log", "--format", "json"] + options + ["--ledger", ledger], in: work.path).stdout)
            #expect(expected.count > 1)
            #expect(received.filter { $0.event == "event" }.map(\.data) == expected, "\(query)")
            #expect(received.last?.event == "head" && received.last?.id == "9000", "\(query)")
        }
    }

    @Test("a subscriber connected while others append (POST and another process's import) gets every event once, in order")
    func acrossImports() throws {
        let work = WorkDirectory()
        let (ledger, lines) = try Self.generatedLedger(work, events: 5000)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let stream = try EventStreamClient(port: server.port, path: "/v1/subscribe")
        // Appended while the subscriber is still catching up on the first 5,000.
        try Self.post(server, lines[5000..<6000])
        let batch = work.file("batch.jsonl", lines[6000..<7000].joined(separator: "\n") + "\n")
        try runOK(["import", "--no-progress", "--ledger", ledger, batch], in: work.path)
        try Self.post(server, lines[7000..<9000])
        let received = try stream.collect { $0.event == "head" && $0.id == "9000" }
        #expect(received.filter { $0.event == "event" }.map(\.id) == (1...9000).map { String($0) })
        #expect(received.last?.id == "9000")
    }
}
