import Dispatch
import Glibc
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
    private let capacity = 4
    private var queue: [Batch] = []
    private var closed = false
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let done = DispatchSemaphore(value: 0)
    /// The first seq whose record does not link (read after `finish`).
    private var firstBad: UInt64?

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            run()
            done.signal()
        }
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    var hasFailed: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return firstBad != nil
    }

    /// Hands a batch over, waiting while `capacity` batches are queued.
    func put(_ batch: Batch) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= capacity && firstBad == nil { pthread_cond_wait(&condition, &mutex) }
        if firstBad != nil { return }
        queue.append(batch)
        pthread_cond_broadcast(&condition)
    }

    /// No more batches: waits until every queued one is checked and returns
    /// the first seq that does not link, if any.
    func finish() -> UInt64? {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        done.wait()
        return firstBad
    }

    private func take() -> Batch? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.isEmpty && !closed && firstBad == nil { pthread_cond_wait(&condition, &mutex) }
        guard firstBad == nil, !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        pthread_cond_broadcast(&condition)
        return batch
    }

    private func fail(_ seq: UInt64) {
        pthread_mutex_lock(&mutex)
        firstBad = seq
        queue.removeAll()
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() {
        while let batch = take() {
            var previous = batch.previous
            for (index, record) in batch.records.enumerated() {
                let seq = batch.firstSeq + UInt64(index)
                guard let split = try? EventCodec.split(record: record),
                      previous.withUnsafeBytes({ HashChain.linkMatches(previous: $0, canonical: split.canonical, stored: split.hash) })
                else { return fail(seq) }
                previous.withUnsafeMutableBytes { $0.copyMemory(from: split.hash) }
            }
        }
    }
}
