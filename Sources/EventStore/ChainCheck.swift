import Dispatch
import Glibc
import LedgerCore

/// A long fold's records, checked and read on a second thread while the
/// fold runs on its own: the scan hands over batches of records (pointers
/// into the memory map), the second thread checks their chain links and
/// reads each in place (``EventRecordView``), or decodes each whole event
/// for a fold that needs them (`decodesEvents`), and the fold takes the
/// batches back in order. A replay then costs the larger of the fold and
/// the reading, not their sum, and a record still reaches the fold only
/// after its link has been checked.
///
/// The records are valid while the read transaction that found them is
/// open: the scan closes this (``close()``) before it returns or throws,
/// which waits for the second thread to let go of them.
final class ReadAhead: @unchecked Sendable {
    struct Batch: @unchecked Sendable {
        var firstSeq: UInt64
        /// The stored hash of the record before the batch.
        var previous: [UInt8]
        var records: [UnsafeRawBufferPointer] = []
        /// The records read, in order, up to the first problem.
        var views: [EventRecordView] = []
        /// Or, when the reader decodes events, the events decoded.
        var events: [StoredEvent] = []
        /// What is wrong with the record after the last view (or event), if anything:
        /// a broken link, a record that cannot be read, or one that names
        /// another seq, checked in that order.
        var problem: LedgerError?

        init(firstSeq: UInt64, previous: [UInt8]) {
            self.firstSeq = firstSeq
            self.previous = previous
            records.reserveCapacity(ReadAhead.batchSize)
        }
    }

    static let batchSize = 2048
    /// Batches handed over and not yet taken back: the one being read and
    /// the one the fold will take next.
    static let depth = 2

    private var waiting: [Batch] = []
    private var ready: [Batch] = []
    private var closed = false
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let done = DispatchSemaphore(value: 0)
    /// Batches put and not yet taken (the scan's side only).
    private(set) var outstanding = 0

    init(decodesEvents: Bool = false) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            while let batch = next() { finished(Self.read(batch, decodingEvents: decodesEvents)) }
            done.signal()
        }
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Hands a batch over to be checked and read.
    func put(_ batch: Batch) {
        pthread_mutex_lock(&mutex)
        waiting.append(batch)
        outstanding += 1
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// The oldest batch handed over, once it is checked and read.
    func take() -> Batch {
        precondition(outstanding > 0, "no batch was handed over")
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while ready.isEmpty { pthread_cond_wait(&condition, &mutex) }
        outstanding -= 1
        return ready.removeFirst()
    }

    /// No more batches: drops what waits and returns once the second thread
    /// no longer reads any record.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        waiting.removeAll()
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        done.wait()
    }

    private func next() -> Batch? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while waiting.isEmpty && !closed { pthread_cond_wait(&condition, &mutex) }
        return closed ? nil : waiting.removeFirst()
    }

    private func finished(_ batch: Batch) {
        pthread_mutex_lock(&mutex)
        ready.append(batch)
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Checks the batch's links, then reads (or decodes) each record whose
    /// link holds, stopping at the first problem in log order.
    static func read(_ batch: Batch, decodingEvents: Bool) -> Batch {
        var batch = batch
        let broken = batch.previous.withUnsafeBytes { previous in
            batch.records.withUnsafeBufferPointer { HashChain.firstBrokenLink(in: $0, after: previous) }
        }
        let linked = broken ?? batch.records.count
        if decodingEvents { batch.events.reserveCapacity(linked) } else { batch.views.reserveCapacity(linked) }
        for index in 0..<linked {
            do {
                let seq = batch.firstSeq + UInt64(index)
                if decodingEvents {
                    batch.events.append(try Ledger.event(of: batch.records[index], seq: seq))
                } else {
                    batch.views.append(try Ledger.view(of: batch.records[index], seq: seq))
                }
            } catch {
                batch.problem = error
                return batch
            }
        }
        if let broken { batch.problem = .chainBreaks(at: batch.firstSeq + UInt64(broken)) }
        return batch
    }
}
