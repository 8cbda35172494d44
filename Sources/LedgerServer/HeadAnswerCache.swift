import EventStore
import Foundation
import LedgerCore
import Projections

/// Answers of the balance reads, kept for the head they were computed at.
///
/// A dashboard asks for the same balances over and over while the log does
/// not move; each answer costs a read of every stored balance (a quarter of
/// a second at a million events). An answer is kept under the head's seq
/// and hash with everything else it depends on (the grouping, the view, the
/// masking), and is served again only while the head is exactly that one:
/// the log is append-only, so a head that has not moved means the same
/// events and the same answer. The first request after a commit computes
/// it afresh, with every check a read makes.
final class HeadAnswerCache: @unchecked Sendable {
    struct Key: Hashable {
        var seq: UInt64
        var hash: [UInt8]
        var question: String
        var view: LedgerView
        var masking: PersonalIDMasking
    }

    /// A bound on what is kept: views are chosen by clients, so the cache
    /// starts over rather than grow without end.
    static let capacity = 64

    private let lock = NSLock()
    private var answers: [Key: String] = [:]

    func answer(for key: Key) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return answers[key]
    }

    func keep(_ answer: String, for key: Key) {
        lock.lock()
        defer { lock.unlock() }
        // Answers for an older head can never be asked for again.
        if answers.count >= Self.capacity || answers.keys.contains(where: { $0.seq != key.seq || $0.hash != key.hash }) {
            answers.removeAll(keepingCapacity: true)
        }
        answers[key] = answer
    }
}
