import LedgerCore

/// Checks the chain links of the records a fold reads on a second thread,
/// while the fold runs on its own: a long replay then costs the fold's time,
/// not the fold's and the hashing's. Only for folds whose result is used
/// after the scan ends (the scan waits for this check and throws if a link
/// failed), never for a read that shows records as it goes. Records are
/// pointers into the memory map, valid while the read transaction that found
/// them is open (the scan waits for the check before it returns).
final class ParallelChainCheck: @unchecked Sendable {
    struct Batch: @unchecked Sendable {
        var firstSeq: UInt64
        /// The stored hash of the record before the batch.
        var previous: [UInt8]
        var records: [UnsafeRawBufferPointer] = []
    }

    static let batchSize = 2048
    private var handoff: BatchHandoff<Batch>!
    /// The first seq whose record does not link (written by the worker, read after `finish`).
    private var firstBad: UInt64?

    init() {
        handoff = BatchHandoff { [unowned self] batch in check(batch) }
    }

    var hasFailed: Bool { handoff.hasStopped }

    func put(_ batch: Batch) { handoff.put(batch) }

    /// No more batches: waits until every queued one is checked and returns
    /// the first seq that does not link, if any.
    func finish() -> UInt64? {
        handoff.finish()
        return firstBad
    }

    private func check(_ batch: Batch) -> Bool {
        let bad = batch.previous.withUnsafeBytes { previous in
            batch.records.withUnsafeBufferPointer { HashChain.firstBrokenLink(in: $0, after: previous) }
        }
        if let bad {
            firstBad = batch.firstSeq + UInt64(bad)
            return false
        }
        return true
    }
}
