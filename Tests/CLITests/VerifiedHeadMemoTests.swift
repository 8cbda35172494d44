import Foundation
import LedgerCore
import Testing
@testable import EventStore

/// What `serve`'s appends check (``Ledger/OpenOptions/remembersVerifiedHead``,
/// ``VerifiedHeadMemo``, ``Ledger/checkLogBeforeAppending()``): the whole log
/// once, then only that the head is still the one the process verified or
/// wrote. Here the ledger is opened in this process as `serve` opens it;
/// another process (the command) appends, and the file is changed behind
/// its back through LMDB, as another program with write access could.
@Suite("serve's appends: the remembered head")
struct VerifiedHeadMemoTests {
    static let lines = ServeCommandTests.sampleLines

    /// The first 100 sample events imported by the command, then the
    /// ledger opened as `serve` opens it, which appends 101…120 itself.
    func served(_ work: WorkDirectory) throws -> (path: String, ledger: Ledger) {
        let path = try ServeCommandTests.ledger(work, events: 100)
        var options = Ledger.OpenOptions()
        options.remembersVerifiedHead = true
        let ledger = try Ledger.open(at: path, options: options)
        let report = try append(ledger, 100..<120, work)
        #expect(report.appended == 20 && report.headSeq == 120)
        return (path, ledger)
    }

    /// Appends sample events `range` through the ledger in this process.
    func append(_ ledger: Ledger, _ range: Range<Int>, _ work: WorkDirectory) throws -> ImportReport {
        let file = work.file("append-\(range.lowerBound).jsonl", Self.lines[range].joined(separator: "\n") + "\n")
        return try ledger.importEvents(from: [InputFile(path: file)])
    }

    /// Rewrites the stored record of `seq` with `change` applied, in a
    /// transaction of its own, without telling the ledger.
    func rewrite(_ ledger: Ledger, seq: UInt64, _ change: (inout [UInt8]) -> Void) throws {
        try ledger.env.write { txn in
            var record = try #require(try txn.get(ledger.events, key: sequenceKey(seq)))
            change(&record)
            try txn.put(ledger.events, key: sequenceKey(seq), value: record)
        }
    }

    /// One byte of event `seq`'s canonical bytes changed: its link breaks.
    func damage(_ ledger: Ledger, seq: UInt64) throws {
        try rewrite(ledger, seq: seq) { $0[$0.count - 1] ^= 0x01 }
    }

    /// The error of an append expected to be refused ("" if it went ahead).
    func refusal(_ body: () throws -> ImportReport) -> String {
        do {
            let report = try body()
            return "appended \(report.appended), head \(report.headSeq)"
        } catch {
            return "refused: \(error)"
        }
    }

    /// Sample events `range` imported by another process (the command).
    func importByCommand(_ path: String, _ range: Range<Int>, _ work: WorkDirectory) throws -> RunResult {
        let file = work.file("other-\(range.lowerBound).jsonl", Self.lines[range].joined(separator: "\n") + "\n")
        return try run(["import", "--no-progress", "--ledger", path, file], in: work.path)
    }

    @Test("the balances' checksum the process wrote is trusted and kept up by its own appends; a balance changed behind its back still fails every whole read and the command's import")
    func ownChecksumIsTrusted() throws {
        let work = WorkDirectory()
        let (path, ledger) = try served(work)
        // Appends that only update the checksum leave the one a whole
        // count gives.
        #expect(try append(ledger, 120..<130, work).headSeq == 130)
        let clean = try run(["verify", "--ledger", path], in: work.path)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        try damageFirstBudgetLine(in: ledger.env)
        // The stored checksum is the one this process wrote: the entries are
        // not added up again, so the change is not found here (the
        // documented cost) …
        #expect(try append(ledger, 130..<140, work).headSeq == 140)
        // … but the difference is carried in the checksum, so every read
        // that loads the whole state finds it, and so does another process.
        let balances = try run(["balances", "--ledger", path], in: work.path)
        #expect(balances.status == 1 && balances.stderr.contains("checksum"), "\(balances.stderr)")
        let other = try importByCommand(path, 140..<150, work)
        #expect(other.status == 4 && other.stderr.contains("checksum"), "\(other.stderr)")
        let verify = try run(["verify", "--ledger", path], in: work.path)
        #expect(verify.status == 1 && verify.stdout.contains("projection"), "\(verify.stdout)")
    }

    @Test("another process rewrote the balances' checksum: the next append adds the balances up again and refuses a changed one")
    func movedChecksumIsCheckedAgain() throws {
        let work = WorkDirectory()
        let (path, ledger) = try served(work)
        try #require(try importByCommand(path, 120..<140, work).status == 0)
        try damageFirstBudgetLine(in: ledger.env)
        let outcome = refusal { try append(ledger, 140..<150, work) }
        #expect(outcome.hasPrefix("refused:") && outcome.contains("checksum"), "\(outcome)")
        #expect(try ledger.head().seq == 140)
    }

    @Test("a head unmoved since the last append is trusted: damage below it is left to reads and verify (the documented cost)")
    func unmovedHeadIsTrusted() throws {
        let work = WorkDirectory()
        let (_, ledger) = try served(work)
        try damage(ledger, seq: 50)
        // The remembered head is the head: the log is not read again, so the
        // change below it is not found here (without the memo it would be).
        let report = try append(ledger, 120..<130, work)
        #expect(report.appended == 10 && report.headSeq == 130)
        #expect(try ledger.verify().firstBadSeq == 50)
    }

    @Test("another process moved the head: the next append verifies the whole log and refuses a change below it")
    func movedHeadIsVerifiedAgain() throws {
        let work = WorkDirectory()
        let (path, ledger) = try served(work)
        // Another process appends 121…140 (it verifies the intact log first).
        try #require(try importByCommand(path, 120..<140, work).status == 0)
        try damage(ledger, seq: 50)
        let outcome = refusal { try append(ledger, 140..<150, work) }
        #expect(outcome.hasPrefix("refused:") && outcome.contains("seq 50"), "\(outcome)")
        #expect(try ledger.head().seq == 140)
        // Once the log is sound again nothing is trusted from before: the
        // append verifies it all, then goes ahead.
        try damage(ledger, seq: 50)
        #expect(try append(ledger, 140..<150, work).headSeq == 150)
    }

    @Test("the head has the remembered seq but another hash: the log is verified again")
    func sameSeqOtherHash() throws {
        let work = WorkDirectory()
        let (_, ledger) = try served(work)
        // The head record rewritten consistently (its recorded time one
        // microsecond later, its hash recomputed from the one before), and a
        // byte of event 50 changed. The head record alone checks out; only a
        // whole verification finds event 50.
        let previous = try ledger.env.read { txn in try #require(try txn.get(ledger.events, key: sequenceKey(119))) }
        try rewrite(ledger, seq: 120) { record in
            record[32 + 9 + 7] &+= 1
            record.replaceSubrange(0..<32, with: HashChain.link(previous: Array(previous[0..<32]), canonical: Array(record[32...])))
        }
        try damage(ledger, seq: 50)
        #expect(try ledger.head().seq == 120)
        let outcome = refusal { try append(ledger, 120..<130, work) }
        #expect(outcome.hasPrefix("refused:") && outcome.contains("seq 50"), "\(outcome)")
        #expect(try ledger.head().seq == 120)
    }

    @Test("a damaged record appended behind the server's back is refused, and nothing is appended after it")
    func damagedAppendIsRefused() throws {
        let work = WorkDirectory()
        let (_, ledger) = try served(work)
        // Record 121: record 120 under the next seq, its stored hash not the
        // link of its bytes after record 120's.
        let head = try ledger.env.read { txn in try #require(try txn.get(ledger.events, key: sequenceKey(120))) }
        var forged = head
        forged.replaceSubrange(33..<41, with: sequenceKey(121))
        try ledger.env.write { txn in try txn.put(ledger.events, key: sequenceKey(121), value: forged) }
        let outcome = refusal { try append(ledger, 120..<130, work) }
        #expect(outcome.hasPrefix("refused:") && outcome.contains("121"), "\(outcome)")
        #expect(try ledger.head().seq == 121)
        #expect(try ledger.verify().firstBadSeq == 121)
    }
}
