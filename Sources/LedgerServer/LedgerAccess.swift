import Dispatch
import EventStore
import Foundation

/// The one open ledger of a server, and the threads its work runs on.
///
/// LMDB ties a transaction to the thread that runs it unless the
/// environment is opened with `MDB_NOTLS`; LMDBKit always opens it so, and
/// every transaction lives inside one synchronous closure
/// (``Environment/read(_:)``), so a transaction never outlives the call
/// that began it. A request's ledger work is one such synchronous call: it
/// runs on a thread of ``readQueue`` (or the writer's queue), never on the
/// event loops, and never across an `await`. Several readers run at once,
/// each in its own snapshot; ``Environment`` lets one thread resize the map
/// only while no transaction of the process is open.
///
/// Writes go through ``writeQueue``, a serial queue: one import at a time,
/// through the same ``Ledger/importEvents(from:parser:notice:progress:)``
/// as `subsidy-ledger import`. Readers never wait for it (LMDB's MVCC): each
/// sees the head as of its own snapshot, whole imports or nothing of them.
public final class LedgerAccess: @unchecked Sendable {
    public let ledger: Ledger
    private let readQueue = DispatchQueue(label: "subsidy-ledger.read", attributes: .concurrent)
    private let writeQueue = DispatchQueue(label: "subsidy-ledger.write")
    /// Read transactions open at once are bounded well below LMDB's reader
    /// slots (126, shared with other processes on the same ledger).
    private let readSlots = DispatchSemaphore(value: LedgerAccess.maxConcurrentReads)
    public static let maxConcurrentReads = 32

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    /// Runs `body` on a reader thread and returns what it returns.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async { [ledger, readSlots] in
                readSlots.wait()
                defer { readSlots.signal() }
                continuation.resume(with: Result { try body(ledger) })
            }
        }
    }

    /// Runs `body` on the writer's thread, after every write queued before it.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async { [ledger] in
                continuation.resume(with: Result { try body(ledger) })
            }
        }
    }
}
