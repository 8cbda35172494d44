import Foundation
import LedgerCore
import LedgerTestSupport
import Testing
@testable import EventStore

/// One `Ledger` shared by threads, as `serve` shares it: readers scan while
/// one writer imports batches into a map so small that it must grow many
/// times. A resize may happen only while no transaction of the process is
/// open; without the environment's gate this test crashes or reads garbage.
@Suite("A ledger shared by threads")
struct SharedLedgerTests {
    @Test("readers on three threads see whole batches while the writer's imports grow the map")
    func readersDuringGrowth() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir, options: .init(initialMapSizeBytes: 64 * 1024, anticipateGrowth: false))
        let batches = 12
        let perBatch = 400
        let files = (0..<batches).map { batch in
            dir.file("batch\(batch).jsonl", (0..<perBatch).map { Line.person("p-\(batch)-\($0)", "P\(batch)-\($0)") }.joined(separator: "\n"))
        }
        let done = ManagedFlag()
        let problems = ProblemList()
        let group = DispatchGroup()
        for reader in 0..<3 {
            DispatchQueue.global().async(group: group) {
                var reads = 0
                while !done.isSet || reads == 0 {
                    reads += 1
                    do {
                        let head = try ledger.head().seq
                        // Whole imports only: the head is a multiple of a batch.
                        if head % UInt64(perBatch) != 0 { problems.add("reader \(reader): head \(head) is inside a batch") }
                        var expected: UInt64 = 1
                        try ledger.forEachEvent(from: 1, to: head) { stored in
                            if stored.seq != expected { problems.add("reader \(reader): seq \(stored.seq), expected \(expected)") }
                            expected += 1
                            return true
                        }
                        if expected != head + 1 { problems.add("reader \(reader): read \(expected - 1) of \(head) events") }
                    } catch {
                        problems.add("reader \(reader): \(error)")
                    }
                }
            }
        }
        for file in files {
            let outcome = try ledger.importFiles([file])
            if case .failure(let rejected) = outcome { problems.add("import refused: \(rejected.report.errors)") }
        }
        done.set()
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(problems.all.isEmpty, "\(problems.all.prefix(5))")
        #expect(ledger.mapSize.growths >= 3)
        #expect(try ledger.verify().headSeq == UInt64(batches * perBatch))
        #expect(try ledger.verify().ok)
    }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class ProblemList: @unchecked Sendable {
    private let lock = NSLock()
    private var problems: [String] = []
    var all: [String] { lock.withLock { problems } }
    func add(_ problem: String) { lock.withLock { problems.append(problem) } }
}
