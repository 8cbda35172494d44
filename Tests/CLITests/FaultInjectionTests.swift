import EventStore
import Foundation
import LedgerCore
import Testing

extension Tag {
    /// The fault-injection and real write-failure tests (docs/TESTING.md).
    @Tag static var faultInjection: Tag
}

// Fault injection (docs/TESTING.md): LMDBKit's test-only hook
// SUBSIDY_LEDGER_FAULT makes the n-th put, commit, sync or growth of the map
// of one process fail. A run of each command with `count` says how many of
// each it makes; then each n is failed in turn, and the ledger must open,
// verify and hold exactly what it held before the command (a committed
// prefix of the successful run), with the failure reported (exit 4, the
// error and what it means); run again without the fault, the command must
// leave exactly what the successful run left. A full disk and a file-size
// limit give real I/O errors inside LMDB's own writes.

/// What a ledger holds, read in process.
struct LedgerContents: Equatable, CustomStringConvertible {
    var verified: Bool
    var head: UInt64
    var events: [Event]
    /// `checkpoint digest` of the stored projections.
    var projections: String?

    init(at path: String) throws {
        let ledger = try Ledger.open(at: path, options: Ledger.OpenOptions(readOnly: true))
        let report = try ledger.verify()
        verified = report.ok
        head = report.headSeq
        var events: [Event] = []
        try ledger.forEachEvent { events.append($0.event); return true }
        self.events = events
        projections = try ledger.storedProjectionDigest().map { "\($0.checkpoint) \($0.digest)" }
    }

    var description: String { "verified \(verified), head \(head), \(events.count) events, projections \(projections ?? "none")" }
}

/// Runs the tool (after `wrapper`, a command that runs the rest of its
/// arguments) or, when given, `program`, with the deadline of every child
/// process of the tests; never with a fault unless `environment` names one.
func runTool(_ arguments: [String], in directory: String, environment: [String: String] = [:],
             wrapper: [String] = [], program: String? = nil) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SUBSIDY_LEDGER")
    env.removeValue(forKey: "SUBSIDY_LEDGER_FAULT")
    for (key, value) in environment { env[key] = value }
    let command = program.map { [$0] } ?? wrapper + [executable]
    return try runProcess(command[0], Array(command.dropFirst()) + arguments, in: directory, environment: env)
}

/// How many of each operation a command made, from `SUBSIDY_LEDGER_FAULT=count`.
func operationCounts(_ stderr: String) throws -> [String: Int] {
    guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("fault injection counts: ") }) else {
        throw TestSetupError("no counts on standard error: \(stderr)")
    }
    var counts: [String: Int] = [:]
    for item in line.dropFirst("fault injection counts: ".count).split(separator: " ") {
        let parts = item.split(separator: "=")
        guard parts.count == 2, let value = Int(parts[1]) else { throw TestSetupError("bad counts line: \(line)") }
        counts[String(parts[0])] = value
    }
    return counts
}

/// What an injected error looks like in the tool's message.
let errorTexts = ["EIO": "Input/output error", "ENOSPC": "No space left on device", "ENOMEM": "Cannot allocate memory"]

/// Four imports of 60 events each (people, certifications, grants, loans and
/// repayments: every index and projection table is written) and a rebuild,
/// each step run once with counting; the ledger after each step is kept.
final class FaultScenario {
    let root = WorkDirectory()
    /// Arguments of each step after `init` (the ledger is named per run).
    var steps: [[String]] = []
    var stepNames: [String] = []
    /// The ledger after `init` (index 0) and after each step.
    var saved: [String] = []
    var contents: [LedgerContents] = []
    /// Operation counts of `init` (index 0) and of each step.
    var counts: [[String: Int]] = []
    /// Snapshots every 50 events, so imports and the rebuild write them too.
    static let environment = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "50"]

    static func batch(_ index: Int) -> String {
        var lines: [String] = []
        for unit in 0..<12 {
            let k = index * 12 + unit
            lines += [
                Line.person("f-\(k)-1", "FP\(k)"),
                Line.certify("f-\(k)-2", "FP\(k)", on: "2016-01-05"),
                Line.grant("f-\(k)-3", "fg-\(k)", person: "FP\(k)"),
                Line.loan("f-\(k)-4", "fl-\(k)", person: "FP\(k)", principal: "50000"),
                Line.repay("f-\(k)-5", "fl-\(k)", "1000"),
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    init() throws {
        for index in 0..<4 {
            let file = root.file("batch-\(index + 1).jsonl", Self.batch(index))
            steps.append(["import", "--no-progress", file])
            stepNames.append("import of batch \(index + 1)")
        }
        steps.append(["rebuild", "--no-progress"])
        stepNames.append("rebuild")
        let ledger = root.path + "/clean"
        var environment = Self.environment
        environment["SUBSIDY_LEDGER_FAULT"] = "count"
        for (index, arguments) in ([["init"]] + steps).enumerated() {
            let result = try runTool(arguments + ["--ledger", ledger], in: root.path, environment: environment)
            guard result.status == 0 else { throw TestSetupError("\(arguments[0]) failed without a fault: \(result.stderr)") }
            counts.append(try operationCounts(result.stderr))
            let copy = root.path + "/after-\(index)"
            try FileManager.default.copyItem(atPath: ledger, toPath: copy)
            saved.append(copy)
            contents.append(try LedgerContents(at: copy))
        }
    }

    /// Runs step `step` (1-based: 1…4 the imports, 5 the rebuild) on a copy
    /// of the ledger before it with `fault`, and checks what is left.
    /// `failing`: whether the fault must make the command fail (a full map
    /// is grown and the transaction run again instead). `recover`: run the
    /// step again without the fault afterwards.
    func check(step: Int, fault: String, failing: Bool, recover: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let work = root.path + "/case-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: saved[step - 1], toPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var environment = Self.environment
        environment["SUBSIDY_LEDGER_FAULT"] = fault
        let what = "\(stepNames[step - 1]) with \(fault)"
        let result = try runTool(steps[step - 1] + ["--ledger", work], in: root.path, environment: environment)
        let parts = fault.split(separator: ":")
        #expect(result.stderr.contains("fault injection: \(parts[0]) #\(parts[1]) fails"), "\(what): the fault did not fire: \(result.stderr)", sourceLocation: sourceLocation)
        let after = try LedgerContents(at: work)
        if failing {
            #expect(result.status == 4, "\(what): exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            if let text = errorTexts[String(parts[2])] {
                #expect(result.stderr.contains("error: storage error: ") && result.stderr.contains(text),
                        "\(what): unclear message: \(result.stderr)", sourceLocation: sourceLocation)
            }
            // Exactly what the ledger held before: a batch boundary of the
            // successful run, with the same events and projections.
            #expect(after == contents[step - 1], "\(what): left \(after), before it was \(contents[step - 1])", sourceLocation: sourceLocation)
        } else {
            #expect(result.status == 0, "\(what): exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(after == contents[step], "\(what): left \(after), the successful run left \(contents[step])", sourceLocation: sourceLocation)
        }
        guard recover && failing else { return }
        let again = try runTool(steps[step - 1] + ["--ledger", work], in: root.path, environment: Self.environment)
        #expect(again.status == 0, "\(what), run again: exit \(again.status): \(again.stderr)", sourceLocation: sourceLocation)
        let recovered = try LedgerContents(at: work)
        #expect(recovered == contents[step], "\(what), run again: left \(recovered), the successful run left \(contents[step])", sourceLocation: sourceLocation)
    }

    func count(_ operation: String, step: Int) -> Int { counts[step][operation] ?? 0 }
}

@Suite("Fault injection: a failed write, commit, sync or map growth leaves a committed prefix and says so", .tags(.faultInjection, .slow), .notInFastRuns)
struct FaultInjectionTests {
    @Test("the successful run is what the steps say: batch boundaries 60 apart, projections at each, counts of every operation")
    func scenario() throws {
        let scenario = try FaultScenario()
        #expect(scenario.contents.map(\.head) == [0, 60, 120, 180, 240, 240])
        #expect(scenario.contents.allSatisfy { $0.verified })
        #expect(scenario.contents[5] == scenario.contents[4], "a rebuild changed what the imports left")
        for step in 1...4 {
            #expect(Array(scenario.contents[step].events.prefix(Int(scenario.contents[step - 1].head))) == scenario.contents[step - 1].events)
            #expect(scenario.count("put", step: step) > 300 && scenario.count("commit", step: step) >= 1 && scenario.count("mapsize", step: step) >= 1,
                    "\(scenario.counts[step])")
        }
    }

    @Test("every commit, sync and growth of the map of every import fails in turn (ENOSPC, EIO, ENOMEM; a full map is grown and retried)")
    func imports() throws {
        let scenario = try FaultScenario()
        var tried = 0
        for step in 1...4 {
            for n in stride(from: 1, through: scenario.count("commit", step: step), by: 1) {
                try scenario.check(step: step, fault: "commit:\(n):ENOSPC", failing: true, recover: true)
                try scenario.check(step: step, fault: "commit:\(n):EIO", failing: true, recover: false)
                try scenario.check(step: step, fault: "commit:\(n):MAP_FULL", failing: false, recover: false)
                tried += 3
            }
            for n in stride(from: 1, through: scenario.count("mapsize", step: step), by: 1) {
                try scenario.check(step: step, fault: "mapsize:\(n):ENOMEM", failing: true, recover: true)
                tried += 1
            }
            for n in stride(from: 1, through: scenario.count("sync", step: step), by: 1) {
                try scenario.check(step: step, fault: "sync:\(n):EIO", failing: true, recover: true)
                tried += 1
            }
        }
        #expect(tried >= 4 * 4)
    }

    @Test("every put of an import into a non-empty ledger fails in turn (EIO, ENOSPC; a full map at every seventh is grown and retried)")
    func everyPutOfAnImport() throws {
        let scenario = try FaultScenario()
        let puts = scenario.count("put", step: 2)
        #expect(puts > 300)
        for n in stride(from: 1, through: puts, by: 1) {
            try scenario.check(step: 2, fault: "put:\(n):\(n % 2 == 1 ? "EIO" : "ENOSPC")", failing: true, recover: n % 25 == 0)
            if n % 7 == 1 { try scenario.check(step: 2, fault: "put:\(n):MAP_FULL", failing: false, recover: false) }
        }
    }

    @Test("puts of the first, third and fourth imports fail (every 20th, and the last)")
    func putsOfOtherImports() throws {
        let scenario = try FaultScenario()
        for step in [1, 3, 4] {
            let puts = scenario.count("put", step: step)
            for n in Array(stride(from: 1, through: puts, by: 20)) + [puts] {
                try scenario.check(step: step, fault: "put:\(n):EIO", failing: true, recover: n == puts)
            }
        }
    }

    @Test("every put, commit, sync and growth of the map of a rebuild fails in turn; the log is untouched and the projections stay consistent")
    func rebuild() throws {
        let scenario = try FaultScenario()
        let step = 5
        #expect(scenario.count("commit", step: step) >= 3, "\(scenario.counts[step])")
        for n in stride(from: 1, through: scenario.count("commit", step: step), by: 1) {
            try scenario.check(step: step, fault: "commit:\(n):EIO", failing: true, recover: true)
            try scenario.check(step: step, fault: "commit:\(n):MAP_FULL", failing: false, recover: false)
        }
        for n in stride(from: 1, through: scenario.count("put", step: step), by: 1) {
            try scenario.check(step: step, fault: "put:\(n):ENOSPC", failing: true, recover: n % 10 == 0)
            if n % 5 == 1 { try scenario.check(step: step, fault: "put:\(n):MAP_FULL", failing: false, recover: false) }
        }
        for n in stride(from: 1, through: scenario.count("mapsize", step: step), by: 1) {
            try scenario.check(step: step, fault: "mapsize:\(n):ENOMEM", failing: true, recover: true)
        }
        for n in stride(from: 1, through: scenario.count("sync", step: step), by: 1) {
            try scenario.check(step: step, fault: "sync:\(n):EIO", failing: true, recover: true)
        }
    }

    @Test("a crash at every commit of an import (the process kills itself there) leaves the ledger before the import, and the import then completes")
    func killAtEveryCommit() throws {
        let scenario = try FaultScenario()
        for n in stride(from: 1, through: scenario.count("commit", step: 3), by: 1) {
            let work = scenario.root.path + "/kill-\(n)"
            try FileManager.default.copyItem(atPath: scenario.saved[2], toPath: work)
            let killed = try runTool(scenario.steps[2] + ["--ledger", work], in: scenario.root.path,
                                     environment: FaultScenario.environment.merging(["SUBSIDY_LEDGER_FAULT": "commit:\(n):KILL"]) { $1 })
            // Killed by its signal: a process cannot exit with status 9 and also
            // say it is about to kill itself.
            #expect(killed.status == SIGKILL && killed.stderr.contains("commit #\(n) fails with KILL") && killed.stdout.isEmpty,
                    "commit \(n): exit \(killed.status): \(killed.stderr)")
            let verify = try runTool(["verify", "--ledger", work], in: scenario.root.path)
            #expect(verify.status == 0 && verify.stdout.hasPrefix("ok: 120 events"), "commit \(n): \(verify.stdout)\(verify.stderr)")
            #expect(try LedgerContents(at: work) == scenario.contents[2], "commit \(n)")
            let again = try runTool(scenario.steps[2] + ["--ledger", work], in: scenario.root.path, environment: FaultScenario.environment)
            #expect(again.status == 0, "commit \(n), run again: \(again.stderr)")
            #expect(try LedgerContents(at: work) == scenario.contents[3], "commit \(n), run again")
            try? FileManager.default.removeItem(atPath: work)
        }
    }

    /// Creation (`init`): a failed creation must leave either nothing (and
    /// `init` then succeeds) or a complete empty ledger.
    @Test("every put, commit, sync and growth of the map of init fails in turn: nothing or a complete empty ledger is left, and init then succeeds")
    func creation() throws {
        let dir = WorkDirectory()
        let counted = try runTool(["init", "--ledger", dir.path + "/counted"], in: dir.path, environment: ["SUBSIDY_LEDGER_FAULT": "count"])
        #expect(counted.status == 0, "\(counted.stderr)")
        let counts = try operationCounts(counted.stderr)
        var faults: [String] = []
        for operation in ["put", "commit", "mapsize", "sync"] {
            for n in stride(from: 1, through: counts[operation] ?? 0, by: 1) {
                faults.append("\(operation):\(n):\(operation == "mapsize" ? "ENOMEM" : "EIO")")
            }
        }
        #expect(faults.count >= 10, "\(counts)")
        var left: [String: String] = [:]
        for fault in faults {
            let ledger = dir.path + "/" + fault.replacingOccurrences(of: ":", with: "-")
            let failed = try runTool(["init", "--ledger", ledger], in: dir.path, environment: ["SUBSIDY_LEDGER_FAULT": fault])
            #expect(failed.status == 4 && failed.stderr.contains("error: storage error: ") && failed.stderr.contains("the ledger could not be created"),
                    "init with \(fault): exit \(failed.status): \(failed.stderr)")
            let retry = try runTool(["init", "--ledger", ledger], in: dir.path)
            let complete = (try? LedgerContents(at: ledger)).map { $0.verified && $0.head == 0 } ?? false
            // Either init now succeeds, or what the failure left is a whole
            // empty ledger (which init rightly refuses to replace).
            if retry.status != 0 && !(complete && retry.stderr.contains("already exists")) {
                left[fault] = "init again: exit \(retry.status): \(retry.stderr.split(separator: "\n").first ?? "")"
            }
        }
        let halfMade = left.keys.sorted()
        #expect(halfMade.isEmpty, "\(halfMade.count) of \(faults.count) failed creations left a half-made ledger (\(halfMade.joined(separator: ", "))), e.g. \(left.values.first ?? "")")
    }
}

/// Real I/O errors inside LMDB's own writes, no hook involved.
@Suite("Real write failures: a full disk and a file-size limit", .tags(.faultInjection, .slow), .notInFastRuns)
struct RealWriteFailureTests {
    /// Whether this machine lets the tests mount a small tmpfs (root with
    /// CAP_SYS_ADMIN, outside a restricted container).
    static let canMount: Bool = {
        let dir = WorkDirectory()
        let mountPoint = dir.path + "/probe"
        guard (try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)) != nil,
              let mounted = try? runTool(["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint], in: dir.path, program: "/bin/mount"),
              mounted.status == 0
        else { return false }
        _ = try? runTool([mountPoint], in: dir.path, program: "/bin/umount")
        return true
    }()

    static let hasPrlimit = FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")

    @Test("an import that fills a 2 MB filesystem fails with exit 4 (ENOSPC or EIO), leaves the ledger as it was, and a smaller import then succeeds",
          .enabled(if: canMount, "mount -t tmpfs is not permitted on this machine (needs root with CAP_SYS_ADMIN); the disk-full run is skipped"))
    func diskFull() throws {
        let dir = WorkDirectory()
        let mountPoint = dir.path + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        let mounted = try runTool(["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint], in: dir.path, program: "/bin/mount")
        try #require(mounted.status == 0, "mount: \(mounted.stderr)")
        defer { _ = try? runTool([mountPoint], in: dir.path, program: "/bin/umount") }
        let ledger = mountPoint + "/ledger"
        #expect(try runTool(["init", "--ledger", ledger], in: dir.path).status == 0)
        let first = dir.file("first.jsonl", FaultScenario.batch(0))
        #expect(try runTool(["import", "--no-progress", "--ledger", ledger, first], in: dir.path).status == 0)
        let before = try LedgerContents(at: ledger)
        // About 10 MB of log and indexes: more than the filesystem holds.
        var big = ""
        for index in 0..<8_000 {
            big += Line.person("big-\(index)", "BIG\(index)") + "\n" + Line.certify("bigc-\(index)", "BIG\(index)", on: "2016-02-01") + "\n"
        }
        let bigFile = dir.file("big.jsonl", big)
        let full = try runTool(["import", "--no-progress", "--ledger", ledger, bigFile], in: dir.path)
        #expect(full.status == 4, "exit \(full.status): \(full.stderr)")
        // LMDB reports a write that came up short as EIO, one that found
        // no room at all as ENOSPC.
        #expect((full.stderr.contains("No space left on device") || full.stderr.contains("Input/output error"))
                && full.stderr.contains("nothing of this import was appended"), "\(full.stderr)")
        #expect(try LedgerContents(at: ledger) == before)
        let verify = try runTool(["verify", "--ledger", ledger], in: dir.path)
        #expect(verify.status == 0 && verify.stdout.hasPrefix("ok: 60 events"), "\(verify.stdout)\(verify.stderr)")
        // The ledger stays usable on the full disk: a small import fits in
        // the pages the failed one had reached.
        let second = dir.file("second.jsonl", FaultScenario.batch(1))
        let small = try runTool(["import", "--no-progress", "--ledger", ledger, second], in: dir.path)
        #expect(small.status == 0, "\(small.stderr)")
        let after = try LedgerContents(at: ledger)
        #expect(after.verified && after.head == 120 && Array(after.events.prefix(60)) == before.events)
    }

    @Test("an import whose data file may not grow past each page boundary it writes fails in LMDB's own write (EFBIG), leaves the ledger as it was, and then completes",
          .enabled(if: hasPrlimit, "prlimit (util-linux) is not installed; the file-size limit run is skipped"))
    func fileSizeLimit() throws {
        let scenario = try FaultScenario()
        let page = 4096
        let sizeBefore = try (FileManager.default.attributesOfItem(atPath: scenario.saved[1] + "/data.mdb")[.size] as? Int) ?? 0
        let sizeAfter = try (FileManager.default.attributesOfItem(atPath: scenario.saved[2] + "/data.mdb")[.size] as? Int) ?? 0
        try #require(sizeAfter > sizeBefore + page, "the second import did not grow the data file (\(sizeBefore) → \(sizeAfter))")
        var limits = Array(stride(from: sizeBefore, to: sizeAfter, by: page))
        limits += limits.map { $0 + page / 2 }
        for limit in limits.sorted() {
            let work = scenario.root.path + "/limit-\(limit)"
            try FileManager.default.copyItem(atPath: scenario.saved[1], toPath: work)
            // SIGXFSZ ignored, so that a write past the limit fails with EFBIG
            // (or comes up short) as a full disk would.
            let limited = try runTool(scenario.steps[1] + ["--ledger", work], in: scenario.root.path, environment: FaultScenario.environment,
                                      wrapper: ["/usr/bin/env", "--ignore-signal=XFSZ", "/usr/bin/prlimit", "--fsize=\(limit)", "--"])
            #expect(limited.status == 4 && limited.stderr.contains("error: storage error: ") && limited.stderr.contains("nothing of this import was appended"),
                    "limit \(limit): exit \(limited.status): \(limited.stderr)")
            #expect(try LedgerContents(at: work) == scenario.contents[1], "limit \(limit)")
            let again = try runTool(scenario.steps[1] + ["--ledger", work], in: scenario.root.path, environment: FaultScenario.environment)
            #expect(again.status == 0, "limit \(limit), run again: \(again.stderr)")
            #expect(try LedgerContents(at: work) == scenario.contents[2], "limit \(limit), run again")
            try? FileManager.default.removeItem(atPath: work)
        }
    }
}
