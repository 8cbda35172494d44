import EventStore
import Foundation
import LedgerCore
import Testing

@Suite("Refused lines are all counted")
struct RefusedCountTests {
    @Test("past the listed errors, validation goes on to the end and counts every refused line")
    func countsBeyondTheList() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        // 130 certifications of unknown people (refused on append), a good
        // line, 20 lines that are not JSON, in two files.
        let first = (1...130).map { Line.certify("x\($0)", "P\($0)", on: "2016-01-01") } + [Line.person("ok-1", "Q1")]
        let second = (1...20).map { "not json \($0)" }
        let a = dir.file("a.jsonl", first.joined(separator: "\n") + "\n")
        let b = dir.file("b.jsonl", second.joined(separator: "\n") + "\n")
        let rejected = try #require(try ledger.importFiles([a, b]).failure)
        #expect(rejected.report.rejected == 150)
        #expect(rejected.report.errors.count == Ledger.maxReportedErrors)
        #expect(rejected.report.errors.map(\.line) == Array(1...100))
        #expect(rejected.report.unlistedErrors == 50)
        #expect(rejected.report.stoppedEarly)
        #expect(try ledger.head().seq == 0)
    }

    @Test("up to the listed maximum, every refused line is listed")
    func allListed() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir)
        let lines = (1...Ledger.maxReportedErrors).map { Line.certify("x\($0)", "P\($0)", on: "2016-01-01") }
        let rejected = try #require(try ledger.importFiles([dir.file("m.jsonl", lines.joined(separator: "\n"))]).failure)
        #expect(rejected.report.rejected == Ledger.maxReportedErrors)
        #expect(rejected.report.errors.count == Ledger.maxReportedErrors)
        #expect(rejected.report.unlistedErrors == 0)
        #expect(!rejected.report.stoppedEarly)
    }
}
