import Foundation
import Testing

/// `follow` against a stand-in subscription server (Fixtures/tests/sse-server.py)
/// that serves a real ledger's records and misbehaves on request: the
/// replica ends with the leader's head whatever the connection does, and
/// refuses, with the right exit code and nothing appended, what does not hold up.
@Suite("follow: printing and replicating a server's event stream",
       .enabled(if: ExternalTool.runs(if: ExternalTool.pythonLMDB), ExternalTool.readerMissing))
struct FollowCommandTests {
    /// A leader holding the sample history (two imports, so two recorded
    /// times), or its first `prefix` lines.
    func leader(_ work: WorkDirectory, prefix: Int? = nil) throws -> String {
        let lines = try String(contentsOfFile: packageRoot + "/Fixtures/sample-history.jsonl", encoding: .utf8).split(separator: "\n")
        let count = prefix ?? lines.count
        try runOK(["init", "--ledger", "leader"], in: work.path)
        try runOK(["import", "--ledger", "leader", work.file("a.jsonl", lines[..<min(count, 120)].joined(separator: "\n"))], in: work.path)
        if count > 120 {
            try runOK(["import", "--ledger", "leader", work.file("b.jsonl", lines[120..<count].joined(separator: "\n"))], in: work.path)
        }
        return work.path + "/leader"
    }

    func follow(_ arguments: [String], in work: WorkDirectory, environment: [String: String] = [:]) throws -> RunResult {
        try run(["follow", "--no-progress"] + arguments, in: work.path, environment: environment)
    }

    /// The seqs of the printed JSON lines.
    func printedSeqs(_ stdout: String) throws -> [Int] {
        try stdout.split(separator: "\n").map { line in
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["canonical"] == nil, "a printed line holds canonical")
            return try #require(object["seq"] as? Int)
        }
    }

    @Test("a replica through a connection dropped after event 100 reaches the leader's head; the reconnection resumes at 101 with Last-Event-ID; nothing printed twice",
          arguments: [false, true])
    func droppedConnection(crlf: Bool) throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        let log = work.path + "/requests.log"
        let server = try standInServer(ledger: leader, log: log, ["--drop-after", "100"] + (crlf ? ["--crlf"] : []))
        let token = work.file("token", "s3cret-auditor-token\n")
        let result = try follow(["--replica", "replica", "--until-head", "--token-file", token, server.url], in: work)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try printedSeqs(result.stdout) == Array(1...242))
        #expect(result.stderr.contains("reconnecting"), "\(result.stderr)")
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead("leader", in: work.path))
        let requests = try loggedRequests(log)
        try #require(requests.count == 2, "\(requests)")
        #expect(requests[0]["target"] as? String == "/v1/subscribe?from=1")
        #expect(requests[1]["target"] as? String == "/v1/subscribe?from=101")
        #expect(requests[1]["last-event-id"] as? String == "100")
        #expect(requests.allSatisfy { $0["authorization"] as? String == "Bearer s3cret-auditor-token" })
        // Every derived database of the replica is what its log implies.
        let verify = try runOK(["verify", "--ledger", "replica"], in: work.path)
        #expect(verify.stdout.contains("ok: 242 events"))
    }

    @Test("an existing replica resumes at its head + 1; with nothing new it stops at once and appends nothing")
    func resume() throws {
        let work = WorkDirectory()
        _ = try leader(work, prefix: 120)
        let log = work.path + "/requests.log"
        var server = try standInServer(ledger: work.path + "/leader", log: log)
        let environment = ["SUBSIDY_LEDGER_TOKEN": "from-the-environment"]
        var result = try follow(["--replica", "replica", "--until-head", server.url], in: work, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try verifiedHead("replica", in: work.path).hasPrefix("head 120:"))
        server.stop()
        // The leader grows; a new server serves it.
        let lines = try String(contentsOfFile: packageRoot + "/Fixtures/sample-history.jsonl", encoding: .utf8).split(separator: "\n")
        try runOK(["import", "--ledger", "leader", work.file("rest.jsonl", lines[120...].joined(separator: "\n"))], in: work.path)
        server = try standInServer(ledger: work.path + "/leader", log: log)
        result = try follow(["--replica", "replica", "--until-head", server.url], in: work, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try printedSeqs(result.stdout) == Array(121...242))
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead("leader", in: work.path))
        result = try follow(["--replica", "replica", "--until-head", server.url], in: work, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let requests = try loggedRequests(log)
        #expect(requests.map { $0["target"] as? String } == ["/v1/subscribe?from=1", "/v1/subscribe?from=121", "/v1/subscribe?from=243"])
        #expect(requests[1]["last-event-id"] as? String == "120")
        #expect(requests.allSatisfy { $0["authorization"] as? String == "Bearer from-the-environment" })
        // --from must agree with the replica.
        result = try follow(["--replica", "replica", "--from", "5", "--until-head", server.url], in: work)
        #expect(result.status == 2)
        #expect(result.stderr.contains("resumes at 243"), "\(result.stderr)")
    }

    @Test("a follower killed in the middle of the stream, restarted, ends with the leader's head: nothing lost, nothing twice")
    func killedAndRestarted() throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        let server = try standInServer(ledger: leader, log: work.path + "/requests.log")
        try runOK(["init", "--ledger", "replica"], in: work.path)
        // The tenth commit of the follower's process (opening the replica makes a few) is where it dies: a
        // few batches (of at most 20) are in, the rest are not.
        let killed = try follow(["--replica", "replica", "--until-head", "--batch-size", "20", server.url], in: work,
                                environment: ["SUBSIDY_LEDGER_FAULT": "commit:10:KILL"])
        #expect(killed.status == SIGKILL, "\(killed.status) \(killed.stderr)")
        let partial = try verifiedHead("replica", in: work.path)
        let seq = try #require(Int(partial.dropFirst(5).prefix { $0 != ":" }))
        #expect(seq > 0 && seq < 242, "\(partial)")
        let restarted = try follow(["--replica", "replica", "--until-head", "--batch-size", "20", server.url], in: work)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(try printedSeqs(restarted.stdout) == Array((seq + 1)...242))
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead("leader", in: work.path))
    }

    @Test("a tampered hash stops the replica with exit 1 naming the event; nothing after the last good batch is appended; a sound server then completes it")
    func tamperedHash() throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        var server = try standInServer(ledger: leader, log: work.path + "/requests.log", ["--tamper", "150"])
        let result = try follow(["--replica", "replica", "--until-head", "--batch-size", "10", server.url], in: work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("event 150 refused: the chain breaks here"), "\(result.stderr)")
        // The batch holding 150 (at most 10 events, fewer where the stream paused) is not appended.
        let head = try verifiedHead("replica", in: work.path)
        let seq = try #require(Int(head.dropFirst(5).prefix { $0 != ":" }))
        #expect(seq >= 140 && seq < 150, "\(head)")
        #expect(try printedSeqs(result.stdout) == Array(1...seq))
        server.stop()
        server = try standInServer(ledger: leader, log: work.path + "/requests.log")
        let again = try follow(["--replica", "replica", "--until-head", server.url], in: work)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try verifiedHead("replica", in: work.path) == verifiedHead("leader", in: work.path))
    }

    @Test("a replica whose head the server announces with another hash has forked: exit 1")
    func forkedHead() throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        var server = try standInServer(ledger: leader, log: work.path + "/requests.log")
        #expect(try follow(["--replica", "replica", "--until-head", server.url], in: work).status == 0)
        server.stop()
        server = try standInServer(ledger: leader, log: work.path + "/requests.log", ["--head-hash", String(repeating: "ab", count: 32)])
        let result = try follow(["--replica", "replica", "--until-head", server.url], in: work)
        #expect(result.status == 1)
        #expect(result.stderr.contains("the two logs differ"), "\(result.stderr)")
    }

    @Test("without canonical bytes (a reader's token) a replica is refused, exit 2, nothing appended; printing works")
    func withoutCanonical() throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        let server = try standInServer(ledger: leader, log: work.path + "/requests.log", ["--no-canonical"])
        let result = try follow(["--replica", "replica", "--until-head", server.url], in: work)
        #expect(result.status == 2)
        #expect(result.stderr.contains("without its canonical bytes"), "\(result.stderr)")
        #expect(result.stderr.contains("auditor"))
        #expect(try verifiedHead("replica", in: work.path).hasPrefix("head 0:"))
        let printed = try follow(["--until-head", server.url], in: work)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(try printedSeqs(printed.stdout) == Array(1...242))
    }

    @Test("a filtered printout shows only the events asked for and still stops at the head")
    func filtered() throws {
        let work = WorkDirectory()
        let leader = try leader(work)
        let log = work.path + "/requests.log"
        let server = try standInServer(ledger: leader, log: log)
        let result = try follow(["--type", "subsidy.granted", "--until-head", server.url], in: work)
        #expect(result.status == 0, "\(result.stderr)")
        let granted = try String(contentsOfFile: packageRoot + "/Fixtures/sample-history.jsonl", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"type\":\"subsidy.granted\"") }.count
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == granted && granted > 0)
        #expect(lines.allSatisfy { $0.contains("\"type\":\"subsidy.granted\"") })
        #expect(try loggedRequests(log).first?["target"] as? String == "/v1/subscribe?from=1&type=subsidy.granted")
    }

    @Test("a refusal by the server exits 2 with the message of its JSON error", arguments: [(401, "unauthorized"), (403, "forbidden"), (404, "not_found")])
    func refused(status: Int, code: String) throws {
        let work = WorkDirectory()
        let leader = try leader(work, prefix: 10)
        let server = try standInServer(ledger: leader, log: work.path + "/requests.log",
                                       ["--status", String(status), "--code", code, "--message", "the token does not allow this"])
        let result = try follow(["--until-head", server.url], in: work)
        #expect(result.status == 2)
        #expect(result.stderr.contains("HTTP \(status), \(code)): the token does not allow this"), "\(result.stderr)")
    }

    @Test("a ledger_damaged answer exits 1; a server that stays away exits 4 after --retries reconnections")
    func damagedAndUnreachable() throws {
        let work = WorkDirectory()
        let leader = try leader(work, prefix: 10)
        let server = try standInServer(ledger: leader, log: work.path + "/requests.log",
                                       ["--status", "503", "--code", "ledger_damaged", "--message", "event 7 does not match its stored hash"])
        let damaged = try follow(["--until-head", server.url], in: work)
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("event 7 does not match its stored hash"), "\(damaged.stderr)")
        // A server that accepts one connection and then is gone.
        let gone = try standInServer(ledger: leader, log: work.path + "/gone.log", ["--drop-after", "5", "--max-connections", "1"])
        let result = try follow(["--retries", "2", "--until-head", gone.url], in: work)
        #expect(result.status == 4)
        #expect(result.stderr.contains("gave up after 3 attempts"), "\(result.stderr)")
        #expect(try printedSeqs(result.stdout) == Array(1...5))
    }

    @Test("usage errors exit 2: https, a filter with --replica, --from 0")
    func usage() throws {
        let work = WorkDirectory()
        for arguments in [["https://127.0.0.1:8443"], ["--replica", "r", "--type", "subsidy.granted", "http://127.0.0.1:9"],
                          ["--from", "0", "http://127.0.0.1:9"], ["--type", "no.such", "http://127.0.0.1:9"]] {
            let result = try follow(arguments, in: work)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: work.path + "/r"))
    }
}
