import Foundation
import Glibc
import LedgerServer
import Testing

/// `subsidy-ledger serve`: the real program on a temporary ledger, reached
/// over HTTP on 127.0.0.1, stopped by SIGTERM. Every read is compared with
/// the command-line tool's `--format json` answer on the same ledger.
@Suite("serve")
struct ServeCommandTests {
    static let sample = packageRoot + "/Fixtures/sample-history.jsonl"
    static let sampleLines = (try? String(contentsOfFile: sample, encoding: .utf8))?
        .split(separator: "\n").map(String.init) ?? []

    /// A ledger in a fresh directory holding the first `count` sample events.
    static func ledger(_ work: WorkDirectory, events count: Int = 242) throws -> String {
        let ledger = work.path + "/ledger"
        try runOK(["init", "--ledger", ledger], in: work.path)
        if count > 0 {
            let file = work.file("first.jsonl", sampleLines.prefix(count).joined(separator: "\n") + "\n")
            try runOK(["import", "--no-progress", "--ledger", ledger, file], in: work.path)
        }
        return ledger
    }

    /// The tool's standard output for `arguments` on `ledger`.
    static func cli(_ arguments: [String], ledger: String, in work: WorkDirectory) throws -> String {
        try runOK(arguments + ["--ledger", ledger], in: work.path).stdout
    }

    @Test("an empty ledger's head, then the sample's; SIGTERM exits 0")
    func headAndStop() throws {
        let work = WorkDirectory()
        let ledger = try Self.ledger(work, events: 0)
        let server = try ServerProcess(ledger: ledger)
        let empty = try server.get("/v1/head")
        #expect(empty.status == 200)
        #expect(empty.headers["content-type"] == "application/json")
        #expect(empty.object["seq"] as? Int == 0)
        #expect(empty.object["hash"] as? String == String(repeating: "0", count: 64))
        server.expectCleanStop()

        try runOK(["import", "--no-progress", "--ledger", ledger, Self.sample], in: work.path)
        let again = try ServerProcess(ledger: ledger)
        let head = try again.get("/v1/head").object
        let verified = try JSONSerialization.jsonObject(with: Data(Self.cli(["verify", "--format", "json"], ledger: ledger, in: work).utf8)) as? [String: Any]
        #expect(head["seq"] as? Int == 242)
        #expect(head["hash"] as? String == verified?["hash"] as? String)
        #expect(head["treeSize"] as? Int == 242)
        #expect((head["root"] as? String)?.count == 64)
        again.expectCleanStop()
        // One log line per request: method, path, status.
        #expect(again.log.contains("GET /v1/head 200"))
    }

    @Test("every read answers what the tool's --format json prints for the same view")
    func readsMatchTheTool() throws {
        let work = WorkDirectory()
        let ledger = try Self.ledger(work)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let pairs: [(String, [String])] = [
            ("/v1/balances", ["balances", "--format", "json"]),
            ("/v1/balances?by=person", ["balances", "--by", "person", "--format", "json"]),
            ("/v1/balances?by=enterprise", ["balances", "--by", "enterprise", "--format", "json"]),
            ("/v1/balances?by=loan", ["balances", "--by", "loan", "--format", "json"]),
            ("/v1/balances?by=program", ["balances", "--by", "program", "--format", "json"]),
            ("/v1/balances?by=region&asOfSeq=120", ["balances", "--by", "region", "--as-of-seq", "120", "--format", "json"]),
            ("/v1/balances?effectiveOn=2016-06-30", ["balances", "--effective-on", "2016-06-30", "--format", "json"]),
            ("/v1/audit", ["audit", "--format", "json"]),
            ("/v1/audit?rule=LOAN-CAP&rule=once-only", ["audit", "--rule", "LOAN-CAP", "--rule", "once-only", "--format", "json"]),
            ("/v1/audit?asOfSeq=150", ["audit", "--as-of-seq", "150", "--format", "json"]),
            ("/v1/warnings", ["warnings", "--format", "json"]),
            ("/v1/warnings?horizon=365d&effectiveOn=2016-12-20", ["warnings", "--horizon", "365d", "--effective-on", "2016-12-20", "--format", "json"]),
            ("/v1/warnings?horizon=0&asOfSeq=150", ["warnings", "--horizon", "0", "--as-of-seq", "150", "--format", "json"]),
            ("/v1/reports/performance?fiscalYear=2016", ["report", "performance", "--fiscal-year", "2016", "--format", "json"]),
            ("/v1/reports/performance?fiscalYear=2015&level=county", ["report", "performance", "--fiscal-year", "2015", "--level", "county", "--format", "json"]),
            ("/v1/verify", ["verify", "--format", "json"]),
            ("/v1/verify?asOfSeq=100", ["verify", "--as-of-seq", "100", "--format", "json"]),
        ]
        for (path, arguments) in pairs {
            let reply = try server.get(path)
            let expected = try Self.cli(arguments, ledger: ledger, in: work)
            #expect(reply.status == 200, "\(path): \(reply.body)")
            #expect(reply.body == expected, "\(path): \(firstDifference(reply.body, expected))")
        }
        // The sample has warnings to compare, not only an empty list.
        #expect(try (server.get("/v1/warnings").object["warnings"] as? [Any])?.isEmpty == false)

        // An explanation, for an event that triggers findings.
        let findings = try #require(try server.get("/v1/audit").object["findings"] as? [[String: Any]])
        let trigger = try #require(findings.first?["trigger"] as? String)
        let explained = try server.get("/v1/audit/explain/\(trigger)")
        let expected = try Self.cli(["audit", "--explain", trigger, "--format", "json"], ledger: ledger, in: work)
        #expect(explained.status == 200)
        #expect(explained.body == expected, "\(firstDifference(explained.body, expected))")
        #expect(try server.get("/v1/audit/explain/e-0001").errorCode == "not_found")
    }

    /// The objects of `log --format json`, one a line as the tool prints them.
    static func logObjects(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{\"seq\"") }.map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
    }

    @Test("the events, page by page and filtered, are the log's objects")
    func eventsMatchTheLog() throws {
        let work = WorkDirectory()
        let ledger = try Self.ledger(work)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let log = Self.logObjects(try Self.cli(["log", "--format", "json"], ledger: ledger, in: work))
        #expect(log.count == 242)
        // Pages of 100: 1–100, 101–200, 201–242.
        var from: Int? = 1
        var pages: [String] = []
        var count = 0
        while let start = from {
            let reply = try server.get("/v1/events?from=\(start)&limit=100")
            #expect(reply.status == 200)
            pages += Self.logObjects(reply.body)
            from = reply.object["next"] as? Int
            count += 1
        }
        #expect(count == 3)
        #expect(pages == log)

        let filters: [(String, [String])] = [
            ("type=subsidy.granted", ["--type", "subsidy.granted"]),
            ("stream=loan:ln-05", ["--stream", "loan:ln-05"]),
            ("type=loan.issued&asOfSeq=150", ["--type", "loan.issued", "--as-of-seq", "150"]),
            ("from=50&to=60&effectiveOn=2015-06-30", ["--from", "50", "--to", "60", "--effective-on", "2015-06-30"]),
        ]
        for (query, arguments) in filters {
            let reply = try server.get("/v1/events?limit=10000&" + query)
            let expected = Self.logObjects(try Self.cli(["log", "--format", "json"] + arguments, ledger: ledger, in: work))
            #expect(!expected.isEmpty)
            #expect(Self.logObjects(reply.body) == expected, "\(query)")
            #expect(reply.object["next"] is NSNull)
        }

        let one = try server.get("/v1/events/e-0057")
        #expect(one.body == log[56] + "\n")
        let missing = try server.get("/v1/events/no-such-event")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
    }

    @Test("bad parameters, unknown paths and methods answer JSON errors")
    func errorsAreJSON() throws {
        let work = WorkDirectory()
        let ledger = try Self.ledger(work, events: 10)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let cases: [(String, String, Int, String, String)] = [
            ("GET", "/v1/nowhere", 404, "not_found", "/v1/nowhere"),
            ("GET", "/", 404, "not_found", "no endpoint"),
            ("DELETE", "/v1/events", 405, "method_not_allowed", "DELETE"),
            ("POST", "/v1/head", 405, "method_not_allowed", "GET"),
            ("GET", "/v1/balances?by=planet", 400, "bad_request", "by"),
            ("GET", "/v1/balances?asOfSeq=11", 400, "bad_request", "asOfSeq"),
            ("GET", "/v1/balances?asOfSeq=ten", 400, "bad_request", "asOfSeq"),
            ("GET", "/v1/balances?knownAt=yesterday", 400, "bad_request", "knownAt"),
            ("GET", "/v1/balances?effectiveOn=2016-02-30", 400, "bad_request", "effectiveOn"),
            ("GET", "/v1/balances?asofseq=3", 400, "bad_request", "asofseq"),
            ("GET", "/v1/events?limit=0", 400, "bad_request", "limit"),
            ("GET", "/v1/events?type=loan.paid", 400, "bad_request", "type"),
            ("GET", "/v1/reports/performance", 400, "bad_request", "fiscalYear"),
            ("GET", "/v1/audit?rule=NO-RULE", 400, "bad_request", "rule"),
            ("GET", "/v1/warnings?horizon=ten", 400, "bad_request", "horizon"),
            ("GET", "/v1/warnings?horizon=3661d", 400, "bad_request", "horizon"),
            ("GET", "/v1/warnings?rule=LOAN-CAP", 400, "bad_request", "rule"),
            ("GET", "/v1/warnings?effectiveOn=2000-01-01", 400, "bad_request", "effectiveOn"),
        ]
        for (method, path, status, code, named) in cases {
            let reply = try server.request(method, path)
            #expect(reply.status == status, "\(method) \(path): \(reply.body)")
            #expect(reply.headers["content-type"] == "application/json", "\(method) \(path)")
            #expect(reply.errorCode == code, "\(method) \(path): \(reply.body)")
            #expect(reply.errorMessage.contains(named), "\(method) \(path): \(reply.errorMessage)")
        }
        #expect(try server.request("DELETE", "/v1/events").headers["allow"] == "GET, POST")
    }

    @Test("the OpenAPI document is docs/openapi.json")
    func openAPIDocument() throws {
        let work = WorkDirectory()
        let ledger = try Self.ledger(work, events: 0)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let reply = try server.get("/v1/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.body == (try String(contentsOfFile: packageRoot + "/docs/openapi.json", encoding: .utf8)))
    }
}

/// A ledger changed behind the server's back is never served as if sound.
@Suite("serve: a damaged ledger")
struct ServeDamageTests {
    @Test("one byte of an event changed: reads that pass it answer ledger_damaged, verify says where, nothing is appended")
    func damagedLedger() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work)
        // e-0057 (seq 57) carries voucher V2015-000021, once in the file.
        let file = ledger + "/data.mdb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let needle = Array("V2015-000021".utf8)
        let at = try #require(find(needle, in: bytes))
        #expect(find(needle, in: bytes, from: at + 1) == nil)
        bytes[at + 11] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        for path in ["/v1/events?from=50", "/v1/events/e-0057", "/v1/audit", "/v1/events?type=loan.issued&limit=10000"] {
            let reply = try server.get(path)
            #expect(reply.status == 503, "\(path): \(reply.body)")
            #expect(reply.errorCode == "ledger_damaged", "\(path)")
            #expect(reply.errorMessage.contains("57"), "\(path): \(reply.errorMessage)")
        }
        // Events before the damage are still served.
        #expect(try server.get("/v1/events?to=56&limit=10000").status == 200)
        let verify = try server.get("/v1/verify")
        #expect(verify.status == 200)
        #expect(verify.object["ok"] as? Bool == false)
        #expect(verify.object["firstBadSeq"] as? Int == 57)
        let post = try server.request("POST", "/v1/events", body: ServeWriteTests.registered, contentType: "application/x-ndjson")
        #expect(post.errorCode == "ledger_damaged", "\(post.body)")
        // A subscription delivers the intact events, then says why it stops.
        let stream = try EventStreamClient(port: server.port, path: "/v1/subscribe")
        let events = try stream.collect { $0.event == "error" }
        #expect(events.filter { $0.event == "event" }.count == 56)
        #expect(events.last?.event == "error")
        #expect(events.last?.data.contains("ledger_damaged") == true)
    }
}

/// The routes the server declares (``Routes/all``, the list the OpenAPI
/// document must describe) are the routes it serves.
@Suite("serve: routes")
struct ServeRouteTests {
    @Test("every declared route is served; SIGINT stops the server like SIGTERM")
    func declaredRoutesAreServed() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 10)
        let server = try ServerProcess(ledger: ledger)
        #expect(Set(Routes.all.map { "\($0.method) \($0.path)" }).count == Routes.all.count)
        for route in Routes.all where route.endpoint != .subscribe {
            let path = route.path.replacingOccurrences(of: "{id}", with: "e-0001").replacingOccurrences(of: "{eventId}", with: "e-0001")
            let reply = try server.request(route.method, path, body: route.method == "POST" ? ServeCommandTests.sampleLines[0] : nil,
                                           contentType: route.method == "POST" ? "application/x-ndjson" : nil)
            // Served: answered by the endpoint (a refused parameter or a
            // finding to explain are the endpoint's own answers).
            #expect(reply.status != 405 && (reply.status != 404 || reply.errorMessage.contains("e-0001")), "\(route.method) \(path): \(reply.body)")
            #expect(reply.headers["content-type"] == "application/json")
        }
        #expect(try EventStreamClient(port: server.port, path: "/v1/subscribe").status == 200)
        #expect(try server.stop(signal: SIGINT) == 0)
    }
}
