import Dispatch
import Glibc

/// Batches handed from a scanning thread to a worker thread of their own,
/// at most `capacity` waiting: the scan and the work on what it found run on
/// the two cores at once. `work` returns false when it has found a problem;
/// the hand-off then stops, drops what waits, and the scan can see it
/// (``hasStopped``) and stop early. Whatever the work records is read after
/// ``finish()``, which waits for the worker.
public final class BatchHandoff<Batch>: @unchecked Sendable {
    private let capacity: Int
    private let work: (Batch) -> Bool
    private var queue: [Batch] = []
    private var closed = false
    private var stopped = false
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let done = DispatchSemaphore(value: 0)

    public init(capacity: Int = 4, _ work: @escaping (Batch) -> Bool) {
        self.capacity = capacity
        self.work = work
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            while let batch = take() {
                if !self.work(batch) { stop() }
            }
            done.signal()
        }
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    public var hasStopped: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return stopped
    }

    /// Hands a batch over, waiting while `capacity` batches are queued;
    /// dropped once the work has stopped.
    public func put(_ batch: Batch) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= capacity && !stopped { pthread_cond_wait(&condition, &mutex) }
        if stopped { return }
        queue.append(batch)
        pthread_cond_broadcast(&condition)
    }

    /// No more batches: waits until every queued one is done (or the work stopped).
    public func finish() {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        done.wait()
    }

    private func take() -> Batch? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.isEmpty && !closed && !stopped { pthread_cond_wait(&condition, &mutex) }
        guard !stopped, !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        pthread_cond_broadcast(&condition)
        return batch
    }

    private func stop() {
        pthread_mutex_lock(&mutex)
        stopped = true
        queue.removeAll()
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }
}
