import Dispatch
import Glibc
@testable import LMDBKit
import Testing

/// The rebuild's last write transaction hands a comparison to a second
/// thread, which reads in a transaction of its own and is waited for. A
/// resize queued behind the write transaction must not keep that read out:
/// the write would wait for the read, the read for the resize, the resize
/// for the write.
@Suite("LMDB: a read alongside an open write transaction")
struct ReadAlongsideTests {
    @Test("a read alongside the write transaction that waits for it ends, with a resize queued behind that transaction, and sees the committed state")
    func notKeptOutByQueuedResize() throws {
        let dir = TemporaryDirectory()
        nonisolated(unsafe) let env = try Environment(path: dir.path)
        let db = try env.openDatabase(named: "alongside", create: true)
        let key = Array("k".utf8)
        try env.write { txn in try txn.put(db, key: key, value: Array("committed".utf8)) }
        let target = env.mapSizeBytes * 2
        let resized = DispatchSemaphore(value: 0)
        let readDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen: [UInt8]?
        var readEnded = false
        try env.write { txn in
            try txn.put(db, key: key, value: Array("open".utf8))
            DispatchQueue.global().async {
                try? env.growMap(toAtLeast: target)
                resized.signal()
            }
            // Until the resize waits for this transaction (at most ten seconds).
            var polls = 0
            while env.resizesWaiting == 0 && polls < 10_000 {
                usleep(1_000)
                polls += 1
            }
            #expect(env.resizesWaiting == 1, "the resize is queued behind the open write transaction")
            DispatchQueue.global().async {
                seen = try? env.readAlongside { try $0.get(db, key: key) }
                readDone.signal()
            }
            // A read that took the gate would wait here until the transaction ends: for ever, were this the rebuild.
            readEnded = readDone.wait(timeout: .now() + 30) == .success
            #expect(readEnded, "the read alongside waited for the queued resize")
        }
        resized.wait()
        // Had it waited, it ends once the resize has run.
        if !readEnded { readDone.wait() }
        #expect(seen == Array("committed".utf8), "the read sees what is committed, not the open transaction's writes")
        #expect(env.mapSizeBytes >= target)
    }
}
