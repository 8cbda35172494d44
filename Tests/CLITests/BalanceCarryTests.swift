import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Projections
import Reports
import Testing
@testable import LedgerServer

/// The server's balances carried from head to head (``Ledger/carryForward``,
/// ``BalanceAnswers``) against a fresh computation at every head: the CLI's
/// `balances --format json` on the same ledger, byte for byte, after random
/// batches imported by another process, reversals included.
@Suite("Balances carried forward from head to head")
struct BalanceCarryTests {
    /// A generated history (reversals, back-dated events, planted breaches)
    /// as lines and parsed events.
    static func history(_ work: WorkDirectory, events: Int, seed: Int) throws -> (lines: [String], events: [Event]) {
        let file = work.path + "/history-\(seed).jsonl"
        try generateHistory(["--events", String(events), "--seed", String(seed), "--breach-rate", "30", "--years", "3"], to: file)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        return (lines, try lines.map { try EventParser().parse($0) })
    }

    /// Imports `lines` with the command, in another process, as a county's import would run.
    static func importBatch(_ lines: ArraySlice<String>, name: String, ledger: String, in work: WorkDirectory) throws {
        let file = work.file(name, lines.joined(separator: "\n") + "\n")
        try runOK(["import", "--no-progress", "--ledger", ledger, file], in: work.path)
    }

    @Test("after each random batch (reversals of earlier batches included) the carried state renders what `balances --format json` prints",
          arguments: [5, 23])
    func carriedEqualsTheCommand(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let work = WorkDirectory()
        let (lines, events) = try Self.history(work, events: 2500, seed: seed)
        let ledgerPath = work.path + "/ledger"
        try runOK(["init", "--ledger", ledgerPath], in: work.path)
        let first = 1 + random.below(400)
        try Self.importBatch(lines[0..<first], name: "batch0.jsonl", ledger: ledgerPath, in: work)

        let ledger = try Ledger.open(at: ledgerPath, options: .init(readOnly: true))
        var state = try ledger.headBalances()
        #expect(state.seq == UInt64(first))
        var positions: [String: Int] = [:]
        for (index, event) in events.enumerated() { positions[event.id] = index }

        // A reversal here targets the event just before it: about half of
        // them (the first always) start a batch, so that the carry takes
        // back an event folded in an earlier one.
        var cuts = Set<Int>()
        for (index, event) in events.enumerated() where event.type == .entryReversed && index > first {
            if cuts.isEmpty || random.below(2) == 0 { cuts.insert(index) }
        }
        var start = first
        var batch = 1
        var reversalsOfEarlierBatches = 0
        while start < lines.count {
            var end = min(lines.count, start + 1 + random.below(450))
            if let cut = cuts.filter({ $0 > start && $0 < end }).min() { end = cut }
            for event in events[start..<end] where event.type == .entryReversed {
                if let target = event.data.string(.target), let at = positions[target], at < start { reversalsOfEarlierBatches += 1 }
            }
            try Self.importBatch(lines[start..<end], name: "batch\(batch).jsonl", ledger: ledgerPath, in: work)
            let step = try ledger.carryForward(&state)
            #expect(step == .carried(events: UInt64(end - start)), "batch \(batch)")
            #expect(state.seq == UInt64(end))
            let fresh = try ledger.headBalances()
            #expect(state.hash == fresh.hash)
            // Every entry, months and approval dates included, not only what is rendered.
            #expect(StateCodec.canonicalBytes(state.balances) == StateCodec.canonicalBytes(fresh.balances), "batch \(batch)")
            for grouping in BalanceReports.Grouping.allCases {
                let command = try runOK(["balances", "--ledger", ledgerPath, "--by", grouping.rawValue, "--format", "json"], in: work.path).stdout
                let carried = try BalanceReports.table(state.balances, by: grouping, masking: .masked).renderJSON()
                #expect(carried.utf8.elementsEqual(command.utf8),
                        "batch \(batch), --by \(grouping.rawValue): \(firstDifference(carried, command))")
            }
            start = end
            batch += 1
        }
        #expect(reversalsOfEarlierBatches > 0, "the history should reverse events of earlier batches")
        // The same lines again: all duplicates, the head does not move.
        try Self.importBatch(lines[(lines.count - 10)...], name: "again.jsonl", ledger: ledgerPath, in: work)
        #expect(try ledger.carryForward(&state) == .unchanged)
    }

    @Test("a kept head the log does not hold, or a jump past the limit, is read afresh, not carried")
    func freshWhenNotAnExtension() throws {
        let work = WorkDirectory()
        let ledgerPath = try ServeCommandTests.ledger(work, events: 150)
        let ledger = try Ledger.open(at: ledgerPath, options: .init(readOnly: true))
        let at150 = try ledger.headBalances()
        try Self.importBatch(ServeCommandTests.sampleLines[150...], name: "rest.jsonl", ledger: ledgerPath, in: work)
        let fresh = try ledger.headBalances()
        #expect(fresh.seq == 242)

        // Seq 150 of another log: the hash differs, so nothing is folded onto it.
        var foreign = HeadBalances(seq: 150, hash: [UInt8](repeating: 7, count: 32), balances: at150.balances)
        #expect(try ledger.carryForward(&foreign) == .computed)
        #expect(StateCodec.canonicalBytes(foreign.balances) == StateCodec.canonicalBytes(fresh.balances))
        // More events than the limit: read afresh.
        var behind = at150
        #expect(try ledger.carryForward(&behind, foldingAtMost: 91) == .computed)
        #expect(StateCodec.canonicalBytes(behind.balances) == StateCodec.canonicalBytes(fresh.balances))
        var within = at150
        #expect(try ledger.carryForward(&within, foldingAtMost: 92) == .carried(events: 92))
        #expect(StateCodec.canonicalBytes(within.balances) == StateCodec.canonicalBytes(fresh.balances))
        // A state ahead of the log (a ledger replaced by an older copy): afresh.
        var ahead = HeadBalances(seq: 300, hash: fresh.hash, balances: at150.balances)
        #expect(try ledger.carryForward(&ahead) == .computed)
        #expect(ahead.seq == 242)
    }

    @Test("concurrent first reads after a commit: one thread folds and renders, the others wait and take its answer")
    func singleFlight() throws {
        let work = WorkDirectory()
        let ledgerPath = try ServeCommandTests.ledger(work, events: 120)
        let ledger = try Ledger.open(at: ledgerPath, options: .init(readOnly: true))
        let answers = BalanceAnswers()
        let question = BalanceAnswers.Question(grouping: "fund", masking: .masked)
        let render: @Sendable (Balances) throws -> String = { balances in
            try BalanceReports.table(balances, by: .fund, masking: .masked).renderJSON()
        }
        // The first read computes afresh.
        let first = try answers.wholeLog(ledger, question, render: render)
        #expect(answers.statistics.computed == 1)
        try Self.importBatch(ServeCommandTests.sampleLines[120...], name: "rest.jsonl", ledger: ledgerPath, in: work)

        let readers = 8
        let renders = Counter()
        let allWaited = Counter()
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<readers {
            group.enter()
            // Threads of their own (a dispatch pool may run fewer at once
            // than there are readers), as the server's readers run.
            Thread {
                defer { group.leave() }
                do {
                    let text = try answers.wholeLog(ledger, question) { balances in
                        renders.increment()
                        // The thread at work holds on until every other
                        // reader is waiting for it: were they not made to
                        // wait, they would render too.
                        let deadline = Date().addingTimeInterval(childProcessTimeout)
                        while answers.statistics.waiting < readers - 1 && Date() < deadline { usleep(1000) }
                        if answers.statistics.waiting == readers - 1 { allWaited.increment() }
                        return try render(balances)
                    }
                    results.add(text)
                } catch {
                    results.add("error: \(error)")
                }
            }.start()
        }
        #expect(group.wait(timeout: .now() + childProcessTimeout * 2) == .success)
        let expected = try runOK(["balances", "--ledger", ledgerPath, "--format", "json"], in: work.path).stdout
        #expect(expected != first)
        #expect(results.all.count == readers)
        #expect(results.all.allSatisfy { $0 == expected }, "\(results.all.map { $0.prefix(80) })")
        #expect(renders.value == 1)
        #expect(allWaited.value == 1)
        let statistics = answers.statistics
        #expect(statistics.carried == 1)
        #expect(statistics.carriedEvents == 122)
        #expect(statistics.computed == 1)
        #expect(statistics.served == readers - 1)
        #expect(statistics.waiting == 0)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String] = []
    func add(_ text: String) { lock.withLock { texts.append(text) } }
    var all: [String] { lock.withLock { texts } }
}

/// The running server's balances while another process imports.
@Suite("serve: balances while another process imports")
struct ServeBalanceCarryTests {
    @Test("every grouping after each import by another process is the command's answer; a damaged new record is 503, not folded")
    func importsByAnotherProcess() throws {
        let work = WorkDirectory()
        let lines = ServeCommandTests.sampleLines
        let ledger = try ServeCommandTests.ledger(work, events: 60)
        let server = try ServerProcess(ledger: ledger)
        defer { server.expectCleanStop() }
        func check(_ label: String) throws {
            for grouping in BalanceReports.Grouping.allCases {
                let command = try runOK(["balances", "--ledger", ledger, "--by", grouping.rawValue, "--format", "json"], in: work.path).stdout
                let reply = try server.get("/v1/balances?by=\(grouping.rawValue)")
                #expect(reply.status == 200, "\(label): \(reply.body)")
                #expect(reply.body.utf8.elementsEqual(command.utf8), "\(label), by \(grouping.rawValue): \(firstDifference(reply.body, command))")
            }
        }
        try check("at 60")
        for (index, range) in [60..<61, 61..<140, 140..<200].enumerated() {
            try BalanceCarryTests.importBatch(lines[range], name: "import\(index).jsonl", ledger: ledger, in: work)
            try check("after events \(range.lowerBound + 1)…\(range.upperBound)")
        }
        // A POST of the server's own, then another process again.
        let posted = try server.request("POST", "/v1/events", body: lines[200..<220].joined(separator: "\n") + "\n", contentType: "application/x-ndjson")
        #expect(posted.status == 201, "\(posted.body)")
        try check("after the POST")

        // Another process appends; then a byte of the second new record is
        // changed. The carry-forward reads each new record and refuses it.
        try BalanceCarryTests.importBatch(lines[220...], name: "last.jsonl", ledger: ledger, in: work)
        let env = try Environment(path: ledger)
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var record = try #require(try txn.get(events, key: sequenceKey(222)))
            record[record.count - 1] ^= 0x01
            try txn.put(events, key: sequenceKey(222), value: record)
        }
        let damaged = try server.get("/v1/balances?by=fund")
        #expect(damaged.status == 503, "\(damaged.body)")
        #expect(damaged.errorCode == "ledger_damaged")
        #expect(damaged.errorMessage.contains("222"), "\(damaged.errorMessage)")
    }
}
