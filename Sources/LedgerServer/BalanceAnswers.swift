import EventStore
import Foundation
import LedgerCore
import Projections

/// The server's balance answers: the whole log's balances carried from head
/// to head, the answers rendered from them, and the answers of other views,
/// each kept for the head it was made at.
///
/// A dashboard asks for the same balances over and over while other
/// processes import. Reading every stored balance again after each commit
/// costs a quarter of a second at a million events, and every request that
/// arrives meanwhile would pay it too. Instead:
///
/// - The whole log's balances (no `asOfSeq`, `knownAt` or `effectiveOn`)
///   are kept as a ``HeadBalances``. When the head moves, the events
///   appended since are read in one transaction and folded into it
///   (``Ledger/carryForward(_:foldingAtMost:)``, the fold the stored
///   projections are kept with), which costs what was appended, not what
///   is stored. The first read, a log that is not the one the state was
///   folded from, or a jump larger than a fresh read, reads the stored
///   state afresh, checksum included.
/// - One thread at a time does that work (and renders an answer from the
///   state); requests that arrive meanwhile wait for it and take what it
///   produces, instead of each doing the same work on the same cores.
/// - Each answer is kept with the head it describes and served to a request
///   that began at that head or before it: the log only grows, so a head
///   reached during the request is as current as the one read at its start.
/// - Answers for other views are kept per head as before (their exact path is
///   unchanged), and computed once per head and question however many ask.
final class BalanceAnswers: @unchecked Sendable {
    /// What an answer depends on besides the head: the grouping and the masking.
    struct Question: Hashable, Sendable {
        var grouping: String
        var masking: PersonalIDMasking
    }

    struct ViewKey: Hashable {
        var seq: UInt64
        var hash: [UInt8]
        var question: Question
        var view: LedgerView
    }

    /// What the answers cost, for the tests and for the record.
    struct Statistics: Equatable, Sendable {
        /// Whole-log states read afresh, carried forward, and found unmoved.
        var computed = 0
        var carried = 0
        var carriedEvents: UInt64 = 0
        var unchanged = 0
        /// Answers rendered from the whole-log state, and served as kept.
        var rendered = 0
        var served = 0
        /// Answers of other views computed, and served as kept.
        var viewsComputed = 0
        var viewsServed = 0
        /// Requests that waited for another's work, and how many wait now.
        var waited = 0
        var waiting = 0
    }

    /// A bound on the answers kept for other views: views are chosen by
    /// clients, so the cache starts over rather than grow without end.
    static let viewCapacity = 64

    private let condition = NSCondition()
    /// The whole log's balances, nil until the first read and after a failure.
    /// Nil as well while a thread carries it forward (it holds the only copy,
    /// so the fold changes it in place).
    private var state: HeadBalances?
    /// The head ``wholeLogAnswers`` describe, and the answers.
    private var answersHead: (seq: UInt64, hash: [UInt8])?
    private var wholeLogAnswers: [Question: String] = [:]
    /// Whether a thread is bringing ``state`` forward or rendering from it.
    private var working = false
    private var viewAnswers: [ViewKey: String] = [:]
    private var viewsInFlight: Set<ViewKey> = []
    private var counts = Statistics()

    var statistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    /// The answer to `question` for the whole log at the current head.
    /// `render` makes it from the balances; it runs on one thread at a time.
    func wholeLog(_ ledger: Ledger, _ question: Question, render: (Balances) throws -> String) throws -> String {
        // Any answer for this head or a later one answers this request.
        let start = try ledger.head()
        condition.lock()
        while true {
            if let head = answersHead, head.seq > start.seq || (head.seq == start.seq && head.hash == start.hash),
               let kept = wholeLogAnswers[question] {
                counts.served += 1
                condition.unlock()
                return kept
            }
            if !working { break }
            wait()
        }
        working = true
        var current = state
        state = nil
        condition.unlock()

        let next: HeadBalances
        let step: HeadBalancesStep
        let text: String
        do {
            if var carried = current {
                current = nil
                step = try ledger.carryForward(&carried)
                next = carried
            } else {
                next = try ledger.headBalances()
                step = .computed
            }
            text = try render(next.balances)
        } catch {
            // A state that failed part-way is not built upon: the next
            // request reads afresh (and meets the same damage, if any).
            condition.lock()
            answersHead = nil
            wholeLogAnswers = [:]
            working = false
            condition.broadcast()
            condition.unlock()
            throw error
        }

        condition.lock()
        defer { condition.unlock() }
        switch step {
        case .unchanged: counts.unchanged += 1
        case .carried(let events):
            counts.carried += 1
            counts.carriedEvents += events
        case .computed: counts.computed += 1
        }
        counts.rendered += 1
        state = next
        if answersHead?.seq != next.seq || answersHead?.hash != next.hash {
            answersHead = (next.seq, next.hash)
            wholeLogAnswers = [:]
        }
        wholeLogAnswers[question] = text
        working = false
        condition.broadcast()
        return text
    }

    /// The answer to `question` for `view` (not the whole log) at the
    /// current head, made by `compute` once per head however many ask.
    func view(_ ledger: Ledger, _ view: LedgerView, _ question: Question, compute: () throws -> String) throws -> String {
        // The head is read before the balances: an answer kept under a head
        // describes that head or a later one.
        let head = try ledger.head()
        let key = ViewKey(seq: head.seq, hash: head.hash, question: question, view: view)
        condition.lock()
        while true {
            if let kept = viewAnswers[key] {
                counts.viewsServed += 1
                condition.unlock()
                return kept
            }
            if !viewsInFlight.contains(key) { break }
            wait()
        }
        viewsInFlight.insert(key)
        condition.unlock()

        let result = Result { try compute() }

        condition.lock()
        defer { condition.unlock() }
        viewsInFlight.remove(key)
        if case .success(let text) = result {
            counts.viewsComputed += 1
            // Answers for an older head are never asked for again.
            if viewAnswers.count >= Self.viewCapacity || viewAnswers.keys.contains(where: { $0.seq != key.seq || $0.hash != key.hash }) {
                viewAnswers.removeAll(keepingCapacity: true)
            }
            viewAnswers[key] = text
        }
        condition.broadcast()
        return try result.get()
    }

    /// Waits for the thread at work; the caller holds the lock.
    private func wait() {
        counts.waited += 1
        counts.waiting += 1
        condition.wait()
        counts.waiting -= 1
    }
}
