import Foundation
import LedgerTestSupport
import LMDBKit
import Testing

/// The environment's gate between transactions and map resizes, under the
/// load a server puts on it: readers whose transactions overlap without a
/// pause, and reads nested in reads. A resize must get through the first
/// and must not wait for the second. Each case waits a bounded time and
/// fails instead of hanging.
@Suite("The transaction gate: resizes among readers")
struct TransactionGateTests {
    static let bound = 30

    /// The environment, handed to the test's threads as a server's
    /// threads share it (Environment is built for that; see LMDBKit).
    final class Shared: @unchecked Sendable {
        let env: Environment
        let table: Database
        init(_ env: Environment, _ table: Database) {
            self.env = env
            self.table = table
        }
    }

    /// A new environment of 1 MiB whose table `t` holds `value` at key 1.
    func environment(_ dir: TemporaryDirectory, holding value: UInt8) throws -> Shared {
        let path = dir.path + "/env"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        var options = Environment.Options()
        options.create = true
        options.initialMapSizeBytes = 1 << 20
        let env = try Environment(path: path, options: options)
        let shared = Shared(env, try env.openDatabase(named: "t", create: true))
        try env.write { txn in try txn.put(shared.table, key: [1], value: [value]) }
        return shared
    }

    @Test("a resize gets through readers whose transactions always overlap, and they read on after it")
    func resizeAmongOverlappingReaders() throws {
        let dir = TemporaryDirectory()
        let shared = try environment(dir, holding: 42)
        let env = shared.env
        let stop = ManagedFlag()
        let problems = ProblemList()
        let readers = DispatchGroup()
        // Four readers, each holding its transaction for a millisecond and
        // starting the next at once: at almost every moment one is open.
        for reader in 0..<4 {
            DispatchQueue.global().async(group: readers) {
                while !stop.isSet {
                    do {
                        let value = try shared.env.read { txn in
                            usleep(1000)
                            return try txn.get(shared.table, key: [1])
                        }
                        if value != [42] { problems.add("reader \(reader) read \(String(describing: value))") }
                    } catch {
                        problems.add("reader \(reader): \(error)")
                    }
                }
            }
        }
        usleep(50_000)
        let grown = DispatchSemaphore(value: 0)
        let before = env.mapSizeBytes
        DispatchQueue.global().async {
            do { try shared.env.growMap(toAtLeast: before * 4) } catch { problems.add("growMap: \(error)") }
            grown.signal()
        }
        let finished = grown.wait(timeout: .now() + .seconds(Self.bound)) == .success
        stop.set()
        readers.wait()
        #expect(finished, "the resize was still waiting for the readers after \(Self.bound) s")
        #expect(env.mapSizeBytes >= before * 4)
        #expect(problems.all.isEmpty, "\(Array(problems.all.prefix(5)))")
    }

    @Test("a read nested in a read goes ahead while a resize waits for the outer one, and the resize follows")
    func nestedReadDoesNotWaitForResize() throws {
        let dir = TemporaryDirectory()
        let shared = try environment(dir, holding: 7)
        let env = shared.env
        let before = env.mapSizeBytes
        let grown = DispatchSemaphore(value: 0)
        let nested = DispatchSemaphore(value: 0)
        let problems = ProblemList()
        DispatchQueue.global().async {
            do {
                try shared.env.read { outer in
                    DispatchQueue.global().async {
                        do { try shared.env.growMap(toAtLeast: before * 4) } catch { problems.add("growMap: \(error)") }
                        grown.signal()
                    }
                    // Let the resize start waiting behind this transaction.
                    usleep(100_000)
                    let inner = try shared.env.read { txn in try txn.get(shared.table, key: [1]) }
                    let outerValue = try outer.get(shared.table, key: [1])
                    if inner != [7] || outerValue != [7] { problems.add("the nested read saw another value") }
                    nested.signal()
                }
            } catch {
                problems.add("read: \(error)")
                nested.signal()
            }
        }
        let timeout = DispatchTime.now() + .seconds(Self.bound)
        #expect(nested.wait(timeout: timeout) == .success, "the nested read waited for the resize that waited for it")
        #expect(grown.wait(timeout: timeout) == .success, "the resize did not follow the outer read")
        #expect(env.mapSizeBytes >= before * 4)
        #expect(problems.all.isEmpty, "\(problems.all)")
    }
}
