import Dispatch
import Glibc
import LedgerCore

/// A long fold's records, walked, checked and read on a second thread while
/// the fold runs on its own: the second thread walks the log's cursor (or,
/// in a write transaction, which stays on its own thread, is handed the
/// records the scan found), checks the chain links of each batch, reads
/// each record in place (``EventRecordView``), or decodes each whole event
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
        /// another seq, checked in that order; or, after a batch's last
        /// record, what the walk found wrong there (``endProblem``).
        var problem: LedgerError?
        /// What the walk found wrong after the batch's last record (a
        /// missing seq, a record shorter than its header), reported once
        /// every record of the batch is served.
        var endProblem: LedgerError?

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
    /// Batches a walking reader keeps read ahead of the fold at most.
    static let walkDepth = 4

    private var waiting: [Batch] = []
    private var ready: [Batch] = []
    private var closed = false
    /// The walk has ended (walking readers only), and what it threw, if anything.
    private var walked = false
    private var walkFailure: Error?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let done = DispatchSemaphore(value: 0)
    /// Batches put and not yet taken (the scan's side only).
    private(set) var outstanding = 0

    private let decodes: Bool

    /// A reader handed the records by a scan on the caller's thread
    /// (``put(_:)``, ``take()``).
    init(decodesEvents: Bool = false) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        self.decodes = decodesEvents
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            while let batch = nextWaiting() { finished(Self.read(batch, decodingEvents: decodesEvents)) }
            done.signal()
        }
    }

    /// A reader that walks the records itself: `walk` runs on the second
    /// thread and gives each batch, in order, to ``hand(_:)``, which checks
    /// and reads it and returns false once the fold has stopped. The fold
    /// takes the batches with ``nextRead()``.
    init(decodesEvents: Bool, walk: @escaping @Sendable (ReadAhead) throws -> Void) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        self.decodes = decodesEvents
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var failure: Error?
            do { try walk(self) } catch { failure = error }
            pthread_mutex_lock(&mutex)
            walked = true
            walkFailure = failure
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
            done.signal()
        }
    }

    /// The walk's side: checks and reads `batch`, then waits for room among
    /// the batches read ahead. False when the fold has stopped (the walk
    /// ends there).
    func hand(_ batch: Batch) -> Bool {
        let read = Self.read(batch, decodingEvents: decodes)
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while ready.count >= Self.walkDepth && !closed { pthread_cond_wait(&condition, &mutex) }
        guard !closed else { return false }
        ready.append(read)
        pthread_cond_broadcast(&condition)
        return true
    }

    /// The fold's side of a walking reader: the next batch in order, nil
    /// after the last, or what the walk threw once every batch before it
    /// is taken.
    func nextRead() throws -> Batch? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while ready.isEmpty && !walked { pthread_cond_wait(&condition, &mutex) }
        if !ready.isEmpty {
            pthread_cond_broadcast(&condition)
            return ready.removeFirst()
        }
        if let walkFailure { throw walkFailure }
        return nil
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
    /// no longer reads (or walks) any record.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        waiting.removeAll()
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        done.wait()
    }

    private func nextWaiting() -> Batch? {
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
        if let broken { batch.problem = .chainBreaks(at: batch.firstSeq + UInt64(broken)) } else { batch.problem = batch.endProblem }
        return batch
    }
}
