import EventStore
import Foundation
import LedgerCore
import Testing

@Suite("Importing into a real LMDB ledger")
struct ImportTests {
    @Test("every event type is stored and read back unchanged, with gapless seqs and a verified chain")
    func roundTrip() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let report = try ledger.importFiles([fixture("tests/every-type.jsonl")]).get()
        let lines = try String(contentsOfFile: fixture("tests/every-type.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(report.appended == lines.count)
        let stored = try ledger.allEvents()
        #expect(stored.map(\.seq) == Array(1...UInt64(lines.count)))
        for (line, event) in zip(lines, stored) {
            #expect(event.event == (try EventParser().parse(String(line))))
        }
        #expect(Set(stored.map(\.recordedMicros)).count == 1)
        let verify = try ledger.verify()
        #expect(verify.ok)
        #expect(verify.headSeq == UInt64(lines.count))
        #expect(verify.headHash == report.headHash)
    }

    @Test("a reopened ledger has the same head and keeps appending after it")
    func reopen() throws {
        let dir = TemporaryDirectory()
        let head: (UInt64, [UInt8])
        do {
            let ledger = try makeLedger(dir)
            _ = try ledger.importFiles([fixture("tests/every-type.jsonl")]).get()
            let h = try ledger.head()
            head = (h.seq, h.hash)
        }
        let reopened = try Ledger.open(at: dir.path + "/ledger")
        #expect(try reopened.head().seq == head.0)
        #expect(try reopened.head().hash == head.1)
        let more = dir.file("more.jsonl", Line.person("m-1", "P77") + "\n")
        let report = try reopened.importFiles([more]).get()
        #expect(report.firstAppendedSeq == head.0 + 1)
        #expect(try reopened.verify().ok)
        #expect(try reopened.head().recordedMicros >= (try #require(try reopened.allEvents().first).recordedMicros))
    }

    @Test("re-importing a file appends nothing and counts duplicates; the same id with other content is a conflict")
    func idempotency() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let path = fixture("tests/every-type.jsonl")
        let first = try ledger.importFiles([path]).get()
        let second = try ledger.importFiles([path]).get()
        #expect(second.appended == 0)
        #expect(second.duplicates == first.appended)
        #expect(second.headHash == first.headHash)
        // The same content with keys in another order and 1500 written as 1500.00 is a duplicate.
        let reordered = dir.file("r.jsonl", #"{"data":{"sex":"M","birthDate":"1960-02-29","person":"P1"},"effective":"2016-01-04","type":"person.registered","id":"t-01"}"# + "\n")
        #expect(try ledger.importFiles([reordered]).get().duplicates == 1)
        let conflict = dir.file("c.jsonl", #"{"id":"t-01","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1960-03-01","sex":"M"}}"# + "\n")
        let rejected = try #require(try ledger.importFiles([conflict]).failure)
        #expect(rejected.report.errors.first?.error.field == "id")
        #expect(rejected.report.errors.first?.error.message.contains("different content") == true)
        #expect(try ledger.head().hash == first.headHash)
    }

    @Test("a duplicate later in the same file is skipped; a conflict later in the same file is refused")
    func duplicatesWithinAFile() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let same = dir.file("s.jsonl", [Line.person("e1", "P1"), Line.person("e1", "P1")].joined(separator: "\n"))
        let report = try ledger.importFiles([same]).get()
        #expect(report.appended == 1 && report.duplicates == 1)
        let other = dir.file("o.jsonl", [Line.person("e2", "P2"), Line.person("e2", "P3")].joined(separator: "\n"))
        let rejected = try #require(try ledger.importFiles([other]).failure)
        #expect(rejected.report.errors.map(\.line) == [2])
    }

    @Test("a line refused by an append rule leaves its id free: a later line with that id is judged on its own")
    func refusedLineFreesItsID() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        // Line 1 names a person nobody registered; line 3 uses the same id
        // for a good event, line 4 that id again with other content.
        let file = dir.file("r.jsonl", [Line.certify("x", "P9", on: "2016-02-01"), Line.person("p-1", "P1"),
                                        Line.person("x", "P2"), Line.person("x", "P3")].joined(separator: "\n"))
        let rejected = try #require(try ledger.importFiles([file]).failure)
        #expect(rejected.report.errors.map(\.line) == [1, 4])
        #expect(rejected.report.errors.map(\.error.field) == ["data.person", "id"])
        #expect(rejected.report.errors.last?.error.message.contains("(seq 2)") == true, "\(rejected.report.errors)")
        #expect(try ledger.head().seq == 0)
        // Without the refused line the same ids go in.
        let fixed = dir.file("f.jsonl", [Line.person("p-1", "P1"), Line.person("x", "P2")].joined(separator: "\n"))
        #expect(try ledger.importFiles([fixed]).get().appended == 2)
        #expect(try ledger.verify().ok)
    }

    @Test("each append-time check refuses its bad line by number and leaves the ledger exactly as it was",
          arguments: [
            (Line.certify("x", "P404", on: "2016-05-01"), "data.person"),
            (Line.certify("x", "P1", on: "2015-12-31"), "effective"),
            (Line.person("x", "P1"), "data.person"),
            (Line.grant("x", "G1", person: "P1"), "data.grant"),
            (Line.recover("x", "G1", amount: "1000.01"), "data.amount"),
            (Line.repay("x", "L1", "100000.01"), "data.principal"),
            (Line.compensate("x", "L1", "1"), "data.loan"),
            (Line.guaranteeRecover("x", "L1", "1"), "data.loan"),
            (Line.reverse("x", "nothing"), "data.target"),
            (Line.reverse("x", "b-2"), "data.target"),
            (#"{"id":"x","type":"person.certified","effective":"2016-05-01","expect":{"stream":"person:P1","version":0},"data":{"person":"P1","kind":"veteran"}}"#, "expect.version"),
            (#"{"id":"x","type":"loan.repaid","effective":"2016-05-01","data":{"loan":"L1","principal":"1.001"}}"#, "data.principal"),
          ])
    func appendChecks(bad: String, field: String) throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let base = dir.file("base.jsonl", [
            Line.person("b-1", "P1"), Line.grant("b-2", "G1", person: "P1"),
            Line.loan("b-3", "L1", person: "P1"), Line.recover("b-4", "G1", amount: "1"),
        ].joined(separator: "\n") + "\n")
        _ = try ledger.importFiles([base]).get()
        let before = try ledger.head()
        let beforeStream = try ledger.streamState("person:P1")
        // Two good lines, then the bad one on line 4 (after a blank line), then a good one.
        let file = dir.file("bad.jsonl", [Line.person("n-1", "P2"), Line.certify("n-2", "P2", on: "2016-02-01"), "", bad,
                                          Line.person("n-3", "P3")].joined(separator: "\n"))
        let rejected = try #require(try ledger.importFiles([file]).failure, "accepted: \(bad)")
        #expect(rejected.report.errors.count == 1)
        #expect(rejected.report.errors.first?.line == 4)
        #expect(rejected.report.errors.first?.error.field == field, "\(rejected.report.errors)")
        #expect(rejected.report.errors.first?.description.hasPrefix(file + ":4: " + field + ": ") == true)
        let after = try ledger.head()
        #expect(after.seq == before.seq)
        #expect(after.hash == before.hash)
        #expect(try ledger.streamState("person:P1") == beforeStream)
        #expect(try ledger.streamState("person:P2") == nil)
        #expect(try ledger.verify().ok)
    }

    @Test("one import of several files is one batch: a refused line in the second file keeps the first out too")
    func atomicAcrossFiles() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let good = dir.file("a.jsonl", Line.person("a-1", "P1") + "\n")
        let bad = dir.file("b.jsonl", Line.certify("b-1", "P1", on: "2016-02-01") + "\n" + Line.certify("b-2", "P2", on: "2016-02-01") + "\n")
        let rejected = try #require(try ledger.importFiles([good, bad]).failure)
        #expect(rejected.report.errors.map(\.description) == ["\(bad):2: data.person: unknown person \"P2\": no person.registered for it in the ledger or earlier in this file"])
        #expect(try ledger.head().seq == 0)
        // Earlier files of the same import count as "earlier": this order works.
        #expect(try ledger.importFiles([good, dir.file("c.jsonl", Line.certify("c-1", "P1", on: "2016-02-01"))]).get().appended == 2)
    }

    @Test("all refused lines are reported, not just the first")
    func manyErrors() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let lines = (1...5).map { Line.certify("x\($0)", "P\($0)", on: "2016-01-01") }
        let rejected = try #require(try ledger.importFiles([dir.file("m.jsonl", lines.joined(separator: "\n"))]).failure)
        #expect(rejected.report.errors.map(\.line) == [1, 2, 3, 4, 5])
    }

    @Test("byte-order mark, CRLF, blank and whitespace-only lines; an empty file imports nothing and succeeds")
    func lineEndings() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let text = "\r\n" + Line.person("e1", "P1") + "\r\n  \t \r\n\n" + Line.certify("e2", "P1", on: "2016-02-01") + "\r\n"
        let path = dir.file("crlf.jsonl", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        #expect(try ledger.importFiles([path]).get().appended == 2)
        let empty = dir.file("empty.jsonl", "")
        let report = try ledger.importFiles([empty]).get()
        #expect(report.appended == 0 && report.rejected == 0)
        // Line numbers count blank lines.
        let bad = dir.file("bad.jsonl", "\n\n" + Line.certify("e3", "P9", on: "2016-02-01"))
        #expect(try ledger.importFiles([bad]).failure?.report.errors.first?.line == 3)
    }

    @Test("stream indexes list each stream's events in order, reversals in their target's stream")
    func streams() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        _ = try ledger.importFiles([fixture("tests/every-type.jsonl")]).get()
        // t-01 (1), t-03 (3), t-19 (19) are P1's.
        #expect(try ledger.sequenceNumbers(ofStream: "person:P1") == [1, 3, 19])
        // G1: grant t-08 (8), recovery t-10 (10), its reversal t-18 (18).
        #expect(try ledger.sequenceNumbers(ofStream: "grant:G1") == [8, 10, 18])
        #expect(try ledger.sequenceNumbers(ofStream: "fund:employment-special/220100/2016") == [6, 7])
        #expect(try ledger.streamState("loan:L1")?.version == 7)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
