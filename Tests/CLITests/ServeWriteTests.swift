import Foundation
import Glibc
import Testing

/// `POST /v1/events`, roles and tokens, limits, and many clients at once.
@Suite("serve: writes and roles")
struct ServeWriteTests {
    static var sampleLines: [String] { ServeCommandTests.sampleLines }

    /// A person with a resident identity number (valid check character), so
    /// that masking has something to mask.
    static let residentID = "220102199001011239"
    static let registered = "{\"id\":\"t-0001\",\"type\":\"person.registered\",\"effective\":\"2016-01-04\",\"data\":{\"person\":\"\(residentID)\",\"birthDate\":\"1990-01-01\",\"sex\":\"M\"}}"

    @Test("a batch is appended as import appends it; a retry is all duplicates")
    func appendAndRetry() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 200)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let rest = Self.sampleLines.dropFirst(200).joined(separator: "\n") + "\n"
        let first = try server.request("POST", "/v1/events", body: rest, contentType: "application/x-ndjson")
        #expect(first.status == 201, "\(first.body)")
        #expect(first.object["appended"] as? Int == 42)
        #expect(first.object["duplicates"] as? Int == 0)
        #expect(first.object["head"] as? Int == 242)
        let head = try server.get("/v1/head").object
        #expect(first.object["hash"] as? String == head["hash"] as? String)
        let again = try server.request("POST", "/v1/events", body: rest, contentType: "text/plain")
        #expect(again.status == 201)
        #expect(again.object["appended"] as? Int == 0)
        #expect(again.object["duplicates"] as? Int == 42)
        #expect(again.object["head"] as? Int == 242)
        // The ledger the server wrote is the one the tool verifies.
        let verified = try runOK(["verify", "--ledger", ledger], in: work.path)
        #expect(verified.stdout.contains("ok: 242 events"))
        // The same events as a JSON array: duplicates again.
        let array = "[\n" + Self.sampleLines.dropFirst(230).joined(separator: ",\n") + "\n]"
        let asArray = try server.request("POST", "/v1/events", body: array, contentType: "application/json")
        #expect(asArray.status == 201, "\(asArray.body)")
        #expect(asArray.object["duplicates"] as? Int == 12)
    }

    @Test("balances asked again at the same head, then after an append: each answer is the command's at that moment")
    func balancesFollowTheHead() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 200)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        func command() throws -> String {
            try runOK(["balances", "--ledger", ledger, "--by", "region", "--format", "json"], in: work.path).stdout
        }
        let before = try command()
        // The second answer at an unmoved head is the kept one.
        #expect(try server.get("/v1/balances?by=region").body == before)
        #expect(try server.get("/v1/balances?by=region").body == before)
        let rest = Self.sampleLines.dropFirst(200).joined(separator: "\n") + "\n"
        #expect(try server.request("POST", "/v1/events", body: rest, contentType: "application/x-ndjson").status == 201)
        let after = try command()
        #expect(after != before)
        #expect(try server.get("/v1/balances?by=region").body == after)
        // Another grouping at the same head is its own answer.
        #expect(try server.get("/v1/balances?by=fund").body
                == runOK(["balances", "--ledger", ledger, "--format", "json"], in: work.path).stdout)
    }

    @Test("refused lines: 422 naming line and field, nothing appended; a version conflict is 409")
    func refusedAndConflict() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let before = try server.get("/v1/head").body
        let bad = try String(contentsOfFile: packageRoot + "/Fixtures/bad-input.jsonl", encoding: .utf8)
        let body = Self.registered + "\n" + bad
        let refused = try server.request("POST", "/v1/events", body: body, contentType: "application/x-ndjson")
        #expect(refused.status == 422)
        #expect(refused.errorCode == "invalid_events")
        let details = try #require((refused.object["error"] as? [String: Any])?["details"] as? [[String: Any]])
        #expect(details.map { $0["line"] as? Int } == [2, 3, 4, 5, 6])
        #expect(details.map { $0["field"] as? String } == ["effective", "data.principal", "data.ammount", "data.principal", "data.grant"])
        #expect(details.allSatisfy { !(($0["reason"] as? String) ?? "").isEmpty })
        #expect(try server.get("/v1/head").body == before)
        #expect(try server.get("/v1/events/t-0001").status == 404)

        // The same refusals in a JSON array name the element.
        let array = "[" + body.split(separator: "\n").joined(separator: ",") + "]"
        let refusedArray = try server.request("POST", "/v1/events", body: array, contentType: "application/json")
        #expect(refusedArray.status == 422)
        let arrayDetails = try #require((refusedArray.object["error"] as? [String: Any])?["details"] as? [[String: Any]])
        #expect(arrayDetails.map { $0["line"] as? Int } == [2, 3, 4, 5, 6])

        // p-001's stream holds more than one event: expecting version 0 conflicts.
        let conflicting = "{\"id\":\"t-0002\",\"type\":\"person.certified\",\"effective\":\"2016-05-01\",\"expect\":{\"stream\":\"person:p-001\",\"version\":0},\"data\":{\"person\":\"p-001\",\"kind\":\"employment-difficulty\"}}"
        let conflict = try server.request("POST", "/v1/events", body: conflicting, contentType: "application/x-ndjson")
        #expect(conflict.status == 409, "\(conflict.body)")
        #expect(conflict.errorCode == "conflict")
        #expect(try server.get("/v1/head").body == before)

        let unsupported = try server.request("POST", "/v1/events", body: Self.registered, contentType: "application/xml")
        #expect(unsupported.status == 415)
        #expect(unsupported.errorCode == "unsupported_media_type")
        let broken = try server.request("POST", "/v1/events", body: "[" + Self.registered, contentType: "application/json")
        #expect(broken.status == 400)
    }

    @Test("Idempotency-Key: a retry gets the first answer; another body under the same key is refused")
    func idempotencyKey() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        let key = [("Idempotency-Key", "batch-7")]
        let first = try server.request("POST", "/v1/events", headers: key, body: Self.registered, contentType: "application/x-ndjson")
        #expect(first.status == 201)
        #expect(first.object["appended"] as? Int == 1)
        let retry = try server.request("POST", "/v1/events", headers: key, body: Self.registered, contentType: "application/x-ndjson")
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.headers["idempotent-replayed"] == "true")
        let other = try server.request("POST", "/v1/events", headers: key, body: Self.sampleLines[0], contentType: "application/x-ndjson")
        #expect(other.status == 422)
        #expect(other.errorCode == "idempotency_key_reused")
        #expect(try server.get("/v1/head").object["seq"] as? Int == 243)
    }

    @Test("tokens: 401 without, 403 for the wrong role, masked for readers, unmasked for auditors")
    func roles() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work)
        try runOK(["import", "--no-progress", "--ledger", ledger, "-"], in: work.path, stdin: Self.registered + "\n")
        let tokens = work.file("tokens", """
            # who may do what
            reader \(try sha256Hex("read-token"))
            writer \(try sha256Hex("write-token"))

            auditor \(try sha256Hex("audit-token"))
            """)
        let server = try ServerProcess(ledger: ledger, ["--tokens", tokens])
        let none = try server.get("/v1/head")
        #expect(none.status == 401)
        #expect(none.errorCode == "unauthorized")
        #expect(none.headers["www-authenticate"] == "Bearer")
        #expect(try server.get("/v1/head", token: "guess").status == 401)
        #expect(try server.get("/v1/head", token: "read-token").status == 200)

        let post = try server.request("POST", "/v1/events", token: "read-token", body: Self.sampleLines[0], contentType: "application/x-ndjson")
        #expect(post.status == 403)
        #expect(post.errorCode == "forbidden")
        #expect(try server.request("POST", "/v1/events", token: "audit-token", body: Self.sampleLines[0], contentType: "application/x-ndjson").status == 403)
        #expect(try server.request("POST", "/v1/events", token: "write-token", body: Self.sampleLines[0], contentType: "application/x-ndjson").status == 201)

        let masked = try server.get("/v1/events/t-0001", token: "read-token").body
        #expect(masked.contains("2201**********1239"))
        #expect(!masked.contains(Self.residentID))
        #expect(try server.get("/v1/events/t-0001", token: "write-token").body == masked)
        let shown = try server.get("/v1/events/t-0001", token: "audit-token").body
        #expect(shown.contains(Self.residentID))
        let log = ServeCommandTests.logObjects(try runOK(["log", "--from", "243", "--format", "json", "--ledger", ledger], in: work.path).stdout)
        let logShown = ServeCommandTests.logObjects(try runOK(["log", "--from", "243", "--format", "json", "--show-personal-ids", "--ledger", ledger], in: work.path).stdout)
        #expect(masked == log[0] + "\n")
        #expect(shown == logShown[0] + "\n")
        let byPerson = try server.get("/v1/balances?by=person", token: "read-token").body
        #expect(byPerson == (try runOK(["balances", "--by", "person", "--format", "json", "--ledger", ledger], in: work.path).stdout))
        let byPersonShown = try server.get("/v1/balances?by=person", token: "audit-token").body
        #expect(byPersonShown == (try runOK(["balances", "--by", "person", "--format", "json", "--show-personal-ids", "--ledger", ledger], in: work.path).stdout))

        let trigger = try #require((try server.get("/v1/audit", token: "read-token").object["findings"] as? [[String: Any]])?.first?["trigger"] as? String)
        #expect(try server.get("/v1/audit/explain/\(trigger)", token: "read-token").status == 403)
        #expect(try server.get("/v1/audit/explain/\(trigger)", token: "write-token").status == 403)
        #expect(try server.get("/v1/audit/explain/\(trigger)", token: "audit-token").status == 200)
        server.expectCleanStop()

        // Anonymous reads, when allowed, are a reader's.
        let open = try ServerProcess(ledger: ledger, ["--tokens", tokens, "--allow-anonymous-read"])
        #expect(try open.get("/v1/events/t-0001").body == masked)
        #expect(try open.request("POST", "/v1/events", body: Self.sampleLines[0], contentType: "application/x-ndjson").status == 403)
        #expect(try open.get("/v1/head", token: "guess").status == 401)
        open.expectCleanStop()
    }

    @Test("start-up refusals: beyond loopback without tokens, a bad token file")
    func refusesToStart() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 0)
        let open = try run(["serve", "--ledger", ledger, "--listen", "0.0.0.0:0"], in: work.path)
        #expect(open.status == 2)
        #expect(open.stderr.contains("--tokens"))
        let tokens = work.file("tokens", "reader \(try sha256Hex("x"))\nadmin \(try sha256Hex("y"))\n")
        let bad = try run(["serve", "--ledger", ledger, "--tokens", tokens], in: work.path)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("tokens:2"))
        let short = work.file("short", "reader abc\n")
        #expect(try run(["serve", "--ledger", ledger, "--tokens", short], in: work.path).stderr.contains("short:1"))
    }

    @Test("a body over --max-body is 413")
    func bodyLimit() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 0)
        let server = try ServerProcess(ledger: ledger, ["--max-body", "1000"])
        defer { server.expectCleanStop() }
        let body = Self.sampleLines.prefix(20).joined(separator: "\n")
        let reply = try server.request("POST", "/v1/events", body: body, contentType: "application/x-ndjson")
        #expect(reply.status == 413)
        #expect(reply.errorCode == "payload_too_large")
        #expect(try server.get("/v1/head").object["seq"] as? Int == 0)
        let small = try server.request("POST", "/v1/events", body: Self.sampleLines[0], contentType: "application/x-ndjson")
        #expect(small.status == 201)
    }

    @Test("a body that never finishes arriving is answered 503 timeout after --request-timeout")
    func slowBody() throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 0)
        let server = try ServerProcess(ledger: ledger, ["--request-timeout", "1"])
        defer { server.expectCleanStop() }
        let connection = try SocketConnection(port: server.port)
        defer { connection.close() }
        let head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n"
        try connection.send(Array((head + "{\"id\":").utf8))
        let deadline = Date().addingTimeInterval(childProcessTimeout)
        var raw: [UInt8] = []
        while find([13, 10, 13, 10], in: raw) == nil || !raw.contains(UInt8(ascii: "}")) {
            guard let chunk = try connection.receive(deadline: deadline) else { break }
            raw += chunk
        }
        let reply = try HTTPReply.parse(raw)
        #expect(reply.status == 503)
        #expect(reply.errorCode == "timeout")
        #expect(try server.get("/v1/head").object["seq"] as? Int == 0)
    }

    @Test("one writer and several readers at once: every write lands, every read sees one whole log")
    func writerAndReaders() async throws {
        let work = WorkDirectory()
        let ledger = try ServeCommandTests.ledger(work, events: 2)
        let server = try ServerProcess(ledger: ledger)
        let port = server.port
        let batches = stride(from: 2, to: 242, by: 20).map { Array(Self.sampleLines[$0..<min($0 + 20, 242)]) }
        let writer = Task.detached { () throws -> [Int] in
            var statuses: [Int] = []
            for batch in batches {
                let reply = try HTTPReply.fetch(port: port, method: "POST", path: "/v1/events",
                                                headers: [("Content-Type", "application/x-ndjson")],
                                                body: Array(batch.joined(separator: "\n").utf8))
                statuses.append(reply.status)
            }
            return statuses
        }
        // Readers: each page of events ends at a head a whole batch wrote
        // (2, 22, 42, …), and the balances always verify as JSON.
        let readers = (0..<3).map { _ in
            Task.detached { () throws -> [Int] in
                var seen: [Int] = []
                for _ in 0..<15 {
                    let page = try HTTPReply.fetch(port: port, method: "GET", path: "/v1/events?limit=10000", headers: [], body: nil)
                    let events = (page.object["events"] as? [[String: Any]]) ?? []
                    seen.append(events.count)
                    let seqs = events.compactMap { $0["seq"] as? Int }
                    if seqs != Array(1...max(1, seqs.count)) && !seqs.isEmpty { seen.append(-1) }
                    let balances = try HTTPReply.fetch(port: port, method: "GET", path: "/v1/balances", headers: [], body: nil)
                    if balances.status != 200 || balances.json == nil { seen.append(-2) }
                }
                return seen
            }
        }
        let statuses = try await writer.value
        #expect(statuses.allSatisfy { $0 == 201 })
        for reader in readers {
            let seen = try await reader.value
            #expect(!seen.contains(-1) && !seen.contains(-2))
            // A log that grows by whole batches: 2 + 20k events, or 242 at the end.
            #expect(seen.allSatisfy { $0 == 242 || ($0 - 2) % 20 == 0 }, "\(seen)")
        }
        #expect(try server.get("/v1/head").object["seq"] as? Int == 242)
        server.expectCleanStop()
        #expect(try runOK(["verify", "--ledger", ledger], in: work.path).stdout.contains("ok: 242 events"))
    }
}
