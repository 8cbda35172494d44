import LMDBKit
import LedgerCore
import Projections

/// The balances of the whole log at one head, for a process that keeps them
/// while the log grows (the server) and answers each new head by folding
/// only the events appended since, not by reading every stored balance again.
public struct HeadBalances: Sendable {
    /// The head the balances are at: its seq and chain hash.
    public internal(set) var seq: UInt64
    public internal(set) var hash: [UInt8]
    /// Every event 1…``seq`` folded, as ``Ledger/balances(view:)`` gives them
    /// for the whole log at that head.
    public internal(set) var balances: Balances

    /// The balances of the whole log as of one head, as a state to carry forward.
    public init(seq: UInt64, hash: [UInt8], balances: Balances) {
        self.seq = seq
        self.hash = hash
        self.balances = balances
    }
}

/// What ``Ledger/carryForward(_:foldingAtMost:)`` did.
public enum HeadBalancesStep: Equatable, Sendable {
    /// The head had not moved.
    case unchanged
    /// The events after the kept head were folded into the kept state.
    case carried(events: UInt64)
    /// The state was read afresh (stored projections, then a fold of what they
    /// do not cover), as a first read of the balances is.
    case computed
}

extension Ledger {
    /// The balances of the whole log at its head, with that head, from one
    /// read transaction: exactly what ``balances(view:)`` answers for
    /// ``LedgerView/all`` (the stored projections with their checksum
    /// checked, then a fold of any events after their checkpoint).
    public func headBalances() throws -> HeadBalances {
        try env.read { txn in try headBalances(in: txn) }
    }

    func headBalances(in txn: ReadTransaction) throws -> HeadBalances {
        let head = try head(in: txn)
        var balances = Balances()
        var from: UInt64 = 1
        if var start = try storedStart(upTo: head.seq, in: txn) {
            swap(&balances, &start.balances)
            from = start.seq + 1
        }
        if from <= head.seq {
            try fold(&balances, from: from, to: head.seq, view: .all, in: txn)
        }
        return HeadBalances(seq: head.seq, hash: head.hash, balances: balances)
    }

    /// How many events a carry-forward folds at most by default: the larger
    /// of ``carryForwardFloor`` and the number of entries the state holds.
    /// Measured on generated histories, folding an event (decoding it,
    /// checking its link, updating its entries) and reading a stored entry
    /// (decoding it, adding it to the checksum) each cost a few
    /// microseconds: past as many new events as there are entries, a fresh
    /// read is the cheaper one.
    public static func defaultCarryLimit(for state: HeadBalances) -> UInt64 {
        let b = state.balances
        return max(carryForwardFloor, UInt64(b.lines.count + b.people.count + b.enterprises.count + b.loans.count))
    }

    /// A carry-forward of up to this many events (a few milliseconds) is
    /// never replaced by a fresh read, however small the state.
    public static let carryForwardFloor: UInt64 = 1_000

    /// Brings `state` to the current head, in one read transaction.
    ///
    /// When the head has moved from the state's H to H' and the log still
    /// holds H's hash at seq H (it only grew), the events H+1…H' are read —
    /// each record checked against the chain, as every read checks one, the
    /// first link against H's hash — and folded into the state by
    /// ``Balances/apply(_:view:lookup:)``, the fold the stored projections
    /// are kept with (a reversal takes its target's effect back). The
    /// result is the state a fresh read at H' gives: the log's balances are
    /// a function of its events, whichever way they were folded.
    ///
    /// When the log no longer holds H's hash at H (it is not the log the
    /// state was folded from), or more than `limit` events were appended
    /// (``defaultCarryLimit(for:)`` when nil), the state is read afresh at
    /// the head instead, as ``headBalances()`` reads it.
    ///
    /// If it throws (a record that fails its check, a storage error), the
    /// state may hold part of the new events: the caller must drop it.
    @discardableResult
    public func carryForward(_ state: inout HeadBalances, foldingAtMost limit: UInt64? = nil) throws -> HeadBalancesStep {
        let limit = limit ?? Self.defaultCarryLimit(for: state)
        return try env.read { txn in
            let head = try head(in: txn)
            if head.seq == state.seq && head.hash == state.hash { return .unchanged }
            guard head.seq > state.seq, head.seq - state.seq <= limit,
                  try storedChainHash(at: state.seq, in: txn) == state.hash
            else {
                state = try headBalances(in: txn)
                return .computed
            }
            let count = head.seq - state.seq
            let lookup = IndexLookup(ledger: self, txn: txn)
            try forEachEvent(in: txn, from: state.seq + 1, to: head.seq) { stored in
                try state.balances.apply(stored.event, lookup: lookup)
                return true
            }
            state.seq = head.seq
            state.hash = head.hash
            return .carried(events: count)
        }
    }
}
