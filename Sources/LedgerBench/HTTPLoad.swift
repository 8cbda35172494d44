import Follow
import Glibc

/// `LedgerBench http-load`: a closed-loop HTTP client beside wrk. Each
/// connection is a thread with one keep-alive connection that sends the
/// next GET as soon as the answer before it has been read whole. Every
/// request's latency, from writing it to the last byte of its body on the
/// monotonic clock, is kept.
final class HTTPLoad: @unchecked Sendable {
    let address: HTTPAddress
    let target: String
    let headers: [(String, String)]

    init(address: HTTPAddress, target: String, headers: [(String, String)]) {
        self.address = address
        self.target = target
        self.headers = headers
    }

    struct Results {
        var latencies: [UInt64] = []
        var failures: [String] = []
        var bytes = 0
        var seconds = 0.0
    }

    private var mutex = pthread_mutex_t()
    private var results = Results()

    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    func run(connections: Int, seconds: Double) -> Results {
        pthread_mutex_init(&mutex, nil)
        defer { pthread_mutex_destroy(&mutex) }
        let start = Self.nanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        var threads: [pthread_t] = []
        for _ in 0..<connections {
            let job = Job(load: self, deadline: deadline)
            var thread = pthread_t()
            guard pthread_create(&thread, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                job.load.connection(until: job.deadline)
                return nil
            }, Unmanaged.passRetained(job).toOpaque()) == 0 else {
                results.failures.append("cannot start a thread")
                break
            }
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        results.seconds = Double(Self.nanoseconds() - start) / 1e9
        results.latencies.sort()
        return results
    }

    private final class Job {
        let load: HTTPLoad
        let deadline: UInt64
        init(load: HTTPLoad, deadline: UInt64) {
            self.load = load
            self.deadline = deadline
        }
    }

    /// One connection's requests until `deadline`.
    private func connection(until deadline: UInt64) {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(1 << 16)
        var received = 0
        var failure: String?
        do {
            let connection = try HTTPConnection(address: address, connectTimeout: 10, idleTimeout: 60)
            defer { connection.close() }
            while Self.nanoseconds() < deadline {
                let begun = Self.nanoseconds()
                let head = try connection.get(target, host: address.hostHeader, headers: headers)
                while let bytes = try connection.readBody() { received += bytes.count }
                guard head.status == 200 else {
                    failure = "HTTP \(head.status)"
                    break
                }
                latencies.append(Self.nanoseconds() - begun)
            }
        } catch {
            failure = "\(error)"
        }
        pthread_mutex_lock(&mutex)
        results.latencies += latencies
        results.bytes += received
        if let failure { results.failures.append(failure) }
        pthread_mutex_unlock(&mutex)
    }
}
