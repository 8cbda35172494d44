import Glibc

/// What to follow and how (see `subsidy-ledger follow --help`).
public struct FollowConfiguration: Sendable {
    public var address: HTTPAddress
    /// The first seq wanted.
    public var from: UInt64
    public var token: String?
    public var types: [String] = []
    public var stream: String?
    /// Stop (successfully) once the head announced by the first heartbeat is reached.
    public var untilHead = false
    /// At most this many events are handed over at once (one replica transaction).
    public var batchSize = 1000
    /// Reconnections tried in a row before giving up; nil: never give up.
    public var maxRetries: Int?
    /// Seconds without a byte from the server (not even a heartbeat) before
    /// the connection is taken for dead and made again.
    public var idleTimeout: Double = 30
    public var connectTimeout: Double = 10
    /// The longest wait between two reconnections, in seconds.
    public var maxBackoff: Double = 30

    public init(address: HTTPAddress, from: UInt64) {
        self.address = address
        self.from = from
    }

    /// The request target for a stream starting at `from`.
    func target(from first: UInt64) -> String {
        var query = ["from=\(first)"]
        for type in types { query.append("type=\(percentEncoded(type))") }
        if let stream { query.append("stream=\(percentEncoded(stream))") }
        return address.path + "/v1/subscribe?" + query.joined(separator: "&")
    }
}

/// Why following stopped other than by reaching the head.
public enum FollowFailure: Error, Sendable, CustomStringConvertible {
    /// The server refused the request (4xx): its status, code and message.
    case refused(status: Int, code: String, message: String)
    /// The server says its ledger failed its checks.
    case leaderDamaged(String)
    /// The stream is not what the API promises.
    case badStream(String)
    /// The server could not be reached, or kept dropping, `attempts` times in a row.
    case unreachable(attempts: Int, lastProblem: String)

    public var description: String {
        switch self {
        case .refused(let status, let code, let message):
            return "the server refused the subscription (HTTP \(status)\(code.isEmpty ? "" : ", \(code)")): \(message)"
        case .leaderDamaged(let message):
            return "the server's ledger failed its checks (ledger_damaged): \(message)"
        case .badStream(let message):
            return "the server's event stream is not what the API promises: \(message)"
        case .unreachable(let attempts, let problem):
            return "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") to reach the server: \(problem)"
        }
    }
}

/// What the follower's owner does with what arrives.
public protocol FollowSink: AnyObject {
    /// Events in seq order, each after the one before (the follower drops
    /// any at or before ``position``). Throwing stops following with that error.
    func deliver(_ events: [FollowedEvent]) throws
    /// A heartbeat, after every event sent before it was delivered.
    func heartbeat(_ head: HeadAnnouncement) throws
    /// The last seq this sink holds or has shown (or, for a filtered
    /// printout, the last a heartbeat said was considered): the stream
    /// resumes after it.
    var position: UInt64 { get }
    /// A line for a person (a reconnection, why).
    func notice(_ text: String)
}

/// Reads `GET /v1/subscribe` and hands its events over in batches,
/// reconnecting with `Last-Event-ID` (and `from`) after a dropped
/// connection, waiting longer after each failure in a row (½ s, 1 s, 2 s, …
/// up to ``FollowConfiguration/maxBackoff``, or the server's `retry`).
public final class Follower {
    let configuration: FollowConfiguration
    let sink: FollowSink
    /// The head announced by the first heartbeat, the goal of `untilHead`.
    public private(set) var goal: UInt64?
    private var retryMilliseconds: Int?

    public init(configuration: FollowConfiguration, sink: FollowSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Follows until the goal is reached (with `untilHead`; returns the
    /// position then), or forever; throws ``FollowFailure`` or what the
    /// sink throws.
    public func run() throws -> UInt64 {
        var failures = 0
        var connected = false
        while true {
            let problem: String
            do {
                if try session(resuming: connected, madeProgress: { failures = 0 }) { return sink.position }
                problem = "the server closed the stream"
            } catch let failure as HTTPFailure {
                problem = failure.message
            } catch let retryable as RetryableRefusal {
                problem = retryable.message
            }
            connected = true
            failures += 1
            if let maxRetries = configuration.maxRetries, failures > maxRetries {
                throw FollowFailure.unreachable(attempts: failures, lastProblem: problem)
            }
            let wait = retryMilliseconds.map { Double($0) / 1000 } ?? min(configuration.maxBackoff, 0.5 * Double(1 << min(failures - 1, 16)))
            sink.notice("\(problem); reconnecting in \(Self.seconds(wait)) from seq \(sink.position + 1)")
            Self.sleep(seconds: wait)
        }
    }

    /// A refusal worth trying again later (503, 5xx other than a damaged ledger).
    struct RetryableRefusal: Error {
        var message: String
    }

    /// One connection: true when the goal was reached, false when the
    /// server ended the stream.
    private func session(resuming: Bool, madeProgress: () -> Void) throws -> Bool {
        let connection = try HTTPConnection(address: configuration.address, connectTimeout: configuration.connectTimeout,
                                            idleTimeout: configuration.idleTimeout)
        defer { connection.close() }
        let start = max(sink.position + 1, configuration.from)
        var headers = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
        if let token = configuration.token { headers.append(("Authorization", "Bearer \(token)")) }
        // Both say where to resume; the header is what a server that
        // follows the SSE rules honours first.
        if resuming || start > 1 { headers.append(("Last-Event-ID", String(start - 1))) }
        let head = try connection.get(configuration.target(from: start), host: configuration.address.hostHeader, headers: headers)
        guard head.status == 200 else { try refusal(head, connection) }
        guard let type = head.header("content-type"), type.lowercased().hasPrefix("text/event-stream") else {
            throw FollowFailure.badStream("the answer is \(head.header("content-type") ?? "without a content type"), not text/event-stream")
        }
        var parser = SSEParser(lastEventID: "")
        var pending: [FollowedEvent] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            try sink.deliver(batch)
        }
        while let bytes = try readDelivering(connection, flush) {
            let messages = parser.feed(bytes)
            if let retry = parser.retryMilliseconds { retryMilliseconds = retry }
            guard parser.pendingLineBytes <= 16 << 20 else {
                throw FollowFailure.badStream("a line of the stream is longer than 16 MiB")
            }
            for message in messages {
                let item: SubscribeItem
                do {
                    item = try SubscribeItem(message)
                } catch {
                    throw FollowFailure.badStream(error.message)
                }
                switch item {
                case .event(let event):
                    let last = pending.last?.seq ?? sink.position
                    // Already held or shown (a server resending after a reconnection).
                    guard event.seq > last else { continue }
                    pending.append(event)
                    madeProgress()
                    if pending.count >= configuration.batchSize { try flush() }
                case .head(let announced):
                    try flush()
                    madeProgress()
                    try sink.heartbeat(announced)
                    if goal == nil { goal = announced.seq }
                    if configuration.untilHead, let goal, sink.position >= goal { return true }
                case .error(let code, let message):
                    // The events before it are good: hand them over first.
                    try flush()
                    if code == "ledger_damaged" { throw FollowFailure.leaderDamaged(message) }
                    throw RetryableRefusal(message: "the server ended the stream with an error\(code.isEmpty ? "" : " (\(code))"): \(message)")
                case .other:
                    continue
                }
            }
            // A pause in the stream: what has arrived is handed over now.
            if !connection.hasPendingInput { try flush() }
            if configuration.untilHead, let goal, sink.position >= goal { return true }
        }
        try flush()
        return false
    }

    /// The next bytes of the stream; when the connection fails, the events
    /// that arrived whole before it are handed over first (they are as good
    /// as any: each is checked on its own), then the failure is thrown.
    private func readDelivering(_ connection: HTTPConnection, _ flush: () throws -> Void) throws -> [UInt8]? {
        do {
            return try connection.readBody()
        } catch {
            try flush()
            throw error
        }
    }

    /// Throws what a non-200 answer means: a refusal to report (4xx, a
    /// damaged ledger), or one to wait out (503 and other 5xx).
    private func refusal(_ head: HTTPResponseHead, _ connection: HTTPConnection) throws -> Never {
        let body = (try? connection.readWholeBody(limit: 64 * 1024)) ?? []
        let error = apiErrorMessage(body)
        let message = error?.message ?? (String(decoding: body.prefix(300), as: UTF8.self).isEmpty ? head.reason : String(decoding: body.prefix(300), as: UTF8.self))
        if error?.code == "ledger_damaged" { throw FollowFailure.leaderDamaged(message) }
        if head.status >= 500 {
            throw RetryableRefusal(message: "the server answered HTTP \(head.status)\(error.map { " \($0.code)" } ?? ""): \(message)")
        }
        throw FollowFailure.refused(status: head.status, code: error?.code ?? "", message: message)
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int(value * 1000)) ms" : "\(Int(value)) s"
    }

    static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// `text` percent-encoded for a query value (RFC 3986 unreserved characters kept).
func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E:
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let digits = Array("0123456789ABCDEF".unicodeScalars)
            out.unicodeScalars.append("%")
            out.unicodeScalars.append(digits[Int(byte >> 4)])
            out.unicodeScalars.append(digits[Int(byte & 0x0F)])
        }
    }
    return out
}
