import EventStore
import Follow
import Foundation
import Glibc
import Testing

/// `follow --replica` against `subsidy-ledger serve` itself: the replica's
/// `verify` head is the leader's after stored events, after a burst of
/// live writes (POST /v1/events and `import` by another process), and after
/// a follower killed in the middle of the stream is started again.
@Suite("follow against serve: end to end")
struct FollowServeTests {
    static var sampleLines: [String] { ServeCommandTests.sampleLines }

    /// A leader with the first `count` sample events served with tokens:
    /// `auditor`, `reader` and `writer` (each token is its role's name
    /// followed by `-token`), files `auditor.token` … in `work`.
    func served(_ work: WorkDirectory, events count: Int) throws -> (ledger: String, server: ServerProcess) {
        let ledger = try ServeCommandTests.ledger(work, events: count)
        var tokens = ""
        for role in ["auditor", "reader", "writer"] {
            work.file("\(role).token", "\(role)-token\n")
            tokens += "\(role) \(try sha256Hex("\(role)-token"))\n"
        }
        let server = try ServerProcess(ledger: ledger, ["--tokens", work.file("tokens", tokens), "--heartbeat", "1"])
        return (ledger, server)
    }

    func post(_ server: ServerProcess, _ lines: ArraySlice<String>) throws {
        let reply = try server.request("POST", "/v1/events", token: "writer-token", body: lines.joined(separator: "\n"),
                                       contentType: "application/x-ndjson")
        #expect(reply.status == 201, "\(reply.body)")
    }

    func follow(_ arguments: [String], in work: WorkDirectory) throws -> RunResult {
        try run(["follow", "--no-progress"] + arguments, in: work.path)
    }

    func url(_ server: ServerProcess) -> String { "http://127.0.0.1:\(server.port)" }

    @Test("stored events, then bursts written through POST /v1/events: each follow --until-head ends with the leader's head")
    func storedThenBursts() throws {
        let work = WorkDirectory()
        let (ledger, server) = try served(work, events: 100)
        var result = try follow(["--replica", "replica", "--until-head", "--token-file", "auditor.token", url(server)], in: work)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead(ledger, in: work.path))
        #expect(try verifiedHead("replica", in: work.path).hasPrefix("head 100:"))
        for start in stride(from: 100, to: 242, by: 50) {
            try post(server, Self.sampleLines[start..<min(242, start + 50)])
        }
        result = try follow(["--replica", "replica", "--until-head", "--token-file", "auditor.token", url(server)], in: work)
        #expect(result.status == 0, "\(result.stderr)")
        let printed = result.stdout.split(separator: "\n")
        #expect(printed.count == 142)
        #expect(printed.allSatisfy { !$0.contains("\"canonical\"") })
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead(ledger, in: work.path))
        #expect(try runOK(["verify", "--ledger", "replica"], in: work.path).stdout.contains("ok: 242 events"))
        // The same figures from both.
        #expect(try runOK(["balances", "--ledger", "replica", "--format", "json"], in: work.path).stdout
                == runOK(["balances", "--ledger", ledger, "--format", "json"], in: work.path).stdout)
        server.expectCleanStop()
    }

    @Test("a follower left running receives live writes, from the server's own POSTs and from an import by another process")
    func live() throws {
        let work = WorkDirectory()
        let (ledger, server) = try served(work, events: 50)
        try runOK(["init", "--ledger", "replica"], in: work.path)
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: executable)
        follower.arguments = ["follow", "--no-progress", "--replica", "replica", "--token-file", "auditor.token", url(server)]
        follower.currentDirectoryURL = URL(fileURLWithPath: work.path)
        let out = work.file("follow.out", "")
        follower.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        follower.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: work.file("follow.err", "")))
        let exited = DispatchSemaphore(value: 0)
        follower.terminationHandler = { _ in exited.signal() }
        try follower.run()
        var reaped = false
        func stopFollower() {
            guard !reaped else { return }
            reaped = true
            kill(follower.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + childProcessTimeout)
        }
        defer { stopFollower() }
        for start in stride(from: 50, to: 150, by: 25) {
            try post(server, Self.sampleLines[start..<start + 25])
        }
        try runOK(["import", "--no-progress", "--ledger", ledger, work.file("rest.jsonl", Self.sampleLines[150...].joined(separator: "\n"))],
                  in: work.path)
        // Wait (at most the child timeout) until the replica holds the
        // leader's 242 events and they are printed (a batch is printed just
        // after its commit).
        let deadline = Date().addingTimeInterval(childProcessTimeout)
        var head: UInt64 = 0
        var printed = 0
        while Date() < deadline && follower.isRunning {
            head = try Ledger.open(at: work.path + "/replica", options: Ledger.OpenOptions(readOnly: true)).head().seq
            printed = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count
            if head == 242 && printed == 242 { break }
            usleep(100_000)
        }
        try #require(head == 242 && printed == 242,
                     "the replica reached \(head), \(printed) lines printed; follow said: \((try? String(contentsOfFile: work.path + "/follow.err", encoding: .utf8)) ?? "")")
        // Killed outright: each batch was one transaction, so the replica is
        // whole at its last commit.
        stopFollower()
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead(ledger, in: work.path))
        let seqs = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { line in
            try #require((JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int)
        }
        #expect(seqs == Array(1...242))
    }

    @Test("one kept-alive connection of follow's HTTP client answers request after request, each body whole")
    func keptAliveConnection() throws {
        let work = WorkDirectory()
        let (_, server) = try served(work, events: 50)
        let address = try HTTPAddress(parsing: url(server))
        let connection = try HTTPConnection(address: address, connectTimeout: 10, idleTimeout: 30)
        defer { connection.close() }
        var bodies: [String] = []
        for target in ["/v1/head", "/v1/events/e-0001", "/v1/head"] {
            let head = try connection.get(target, host: address.hostHeader, headers: [("Authorization", "Bearer auditor-token")])
            let body = try connection.readWholeBody()
            #expect(head.status == 200, "\(target): \(head.status)")
            bodies.append(String(decoding: body, as: UTF8.self))
        }
        let fresh = try server.request("GET", "/v1/head", token: "auditor-token")
        #expect(bodies[0] == fresh.body && bodies[2] == fresh.body)
        #expect(bodies[1].contains("\"id\":\"e-0001\""), "\(bodies[1].prefix(200))")
        server.expectCleanStop()
    }

    @Test("a follower killed in the middle of the stream and started again loses and duplicates nothing")
    func killedMidStream() throws {
        let work = WorkDirectory()
        let (ledger, server) = try served(work, events: 242)
        try runOK(["init", "--ledger", "replica"], in: work.path)
        let killed = try run(["follow", "--no-progress", "--replica", "replica", "--until-head", "--batch-size", "20",
                              "--token-file", "auditor.token", url(server)], in: work.path, environment: ["SUBSIDY_LEDGER_FAULT": "commit:10:KILL"])
        #expect(killed.status == SIGKILL, "\(killed.status) \(killed.stderr)")
        let partial = try verifiedHead("replica", in: work.path)
        let seq = try #require(Int(partial.dropFirst(5).prefix { $0 != ":" }))
        #expect(seq > 0 && seq < 242, "\(partial)")
        let again = try follow(["--replica", "replica", "--until-head", "--token-file", "auditor.token", url(server)], in: work)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.split(separator: "\n").count == 242 - seq)
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead(ledger, in: work.path))
    }

    @Test("a reader's token cannot make a replica (exit 2, nothing appended) but can print; an unknown token is refused with the server's message")
    func tokens() throws {
        let work = WorkDirectory()
        let (_, server) = try served(work, events: 20)
        let reader = try follow(["--replica", "replica", "--until-head", "--token-file", "reader.token", url(server)], in: work)
        #expect(reader.status == 2)
        #expect(reader.stderr.contains("auditor"), "\(reader.stderr)")
        #expect(try verifiedHead("replica", in: work.path).hasPrefix("head 0:"))
        let printed = try follow(["--until-head", "--token-file", "reader.token", url(server)], in: work)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.split(separator: "\n").count == 20)
        let unknown = try run(["follow", "--until-head", url(server)], in: work.path, environment: ["SUBSIDY_LEDGER_TOKEN": "nobody"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("HTTP 401, unauthorized"), "\(unknown.stderr)")
    }
}
