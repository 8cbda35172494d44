import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerQueries
import Logging
import Proofs
import ServiceLifecycle

/// The live subscriptions (`GET /v1/subscribe`): how many are open (at most
/// `--max-subscribers`), and the wake-up of all of them when this server
/// commits an import. Commits by another process are found by polling the
/// head every ``ServerOptions/pollMilliseconds``.
final class SubscriptionHub: @unchecked Sendable {
    let access: LedgerAccess
    let options: ServerOptions
    let logger: Logger
    private let lock = NSLock()
    private var open = 0
    private var generation: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0

    init(access: LedgerAccess, options: ServerOptions, logger: Logger) {
        self.access = access
        self.options = options
        self.logger = logger
    }

    /// Takes a place for a new subscription, or refuses (503) when all are taken.
    func enter() throws(APIError) {
        lock.lock()
        defer { lock.unlock() }
        guard open < options.maxSubscribers else {
            throw APIError(status: 503, code: "too_many_subscribers",
                           message: "this server already has \(options.maxSubscribers) open subscription(s) (--max-subscribers); try again later")
        }
        open += 1
    }

    func leave() {
        lock.lock()
        open -= 1
        lock.unlock()
    }

    /// The count of commits this server has announced.
    var currentGeneration: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return generation
    }

    /// Wakes every waiting subscription: this server committed new events.
    func wake() {
        lock.lock()
        generation &+= 1
        let woken = waiters
        waiters = [:]
        lock.unlock()
        for continuation in woken.values { continuation.resume() }
    }

    /// Returns after `timeout`, or sooner when ``wake()`` is called after
    /// `generation` was read (at once if it already was).
    func wait(since generation: UInt64, timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            guard self.generation == generation else {
                lock.unlock()
                continuation.resume()
                return
            }
            let id = nextWaiter
            nextWaiter &+= 1
            waiters[id] = continuation
            lock.unlock()
            Task {
                try? await Task.sleep(for: timeout)
                self.resumeWaiter(id)
            }
        }
    }

    private func resumeWaiter(_ id: UInt64) {
        lock.lock()
        let continuation = waiters.removeValue(forKey: id)
        lock.unlock()
        continuation?.resume()
    }
}

extension Endpoints {
    /// `GET /v1/subscribe?from=&type=&stream=`: the stored events from
    /// `from` (or after `Last-Event-ID`), then each new one as it is
    /// committed, as server-sent events; a `head` heartbeat whose id is the
    /// seq the stream has scanned through (docs/SERVER.md).
    func subscribe() async throws -> Response {
        try query.onlyKnown(["from", "type", "stream"])
        var next = try query.unsigned("from") ?? 1
        guard next >= 1 else { throw APIError.badRequest("from: sequence numbers start at 1") }
        if let last = exchange.request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let seq = UInt64(last.trimmingCharacters(in: .whitespaces)), seq < .max else {
                throw APIError.badRequest("Last-Event-ID: \"\(last)\" is not a sequence number")
            }
            next = seq + 1
        }
        let selection = EventQuery(from: next, types: try eventTypes(), stream: try query.single("stream"))
        let hub = state.subscriptions
        try hub.enter()
        let stream = SubscriptionStream(access: access, hub: hub, options: state.options, selection: selection,
                                        masking: masking, sendsCanonical: exchange.role.seesPersonalIDs)
        let body = ResponseBody { writer in
            defer { hub.leave() }
            do {
                try await stream.run(&writer)
            } catch let error where !(error is CancellationError) {
                // The client went away (a write failed) or the ledger failed
                // its checks: the stream ends; a damaged ledger is said first.
                let failure = APIError.from(error)
                if failure.code == "ledger_damaged" {
                    try? await writer.write(ByteBuffer(string: "event: error\ndata: \(failure.body)\n\n"))
                }
            }
            try? await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}

/// One subscription's scan of the log.
struct SubscriptionStream: Sendable {
    let access: LedgerAccess
    let hub: SubscriptionHub
    let options: ServerOptions
    let selection: EventQuery
    let masking: PersonalIDMasking
    let sendsCanonical: Bool
    /// Events read in one read transaction at most.
    static let batch: UInt64 = 1000

    /// What one read found: the events to send, how far the scan got, and the head.
    struct Scan: Sendable {
        var frames: [String]
        var scannedThrough: UInt64
        var head: UInt64
        var headHash: [UInt8]
        /// Why the scan stopped early (the ledger failed a check): the
        /// events before it are sent, then the stream ends saying why.
        var failure: APIError?
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        // Every event before `from` counts as considered.
        var scanned = selection.from - 1
        var caughtUpOnce = false
        var lastBeat = ContinuousClock.now
        let beat = Duration.milliseconds(Int64(options.heartbeatSeconds * 1000))
        let poll = Duration.milliseconds(Int64(options.pollMilliseconds))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let generation = hub.currentGeneration
            let through = scanned
            let scan = try await access.read { ledger in try self.scan(ledger, after: through) }
            if !scan.frames.isEmpty { try await writer.write(ByteBuffer(string: scan.frames.joined())) }
            if let failure = scan.failure { throw failure }
            scanned = scan.scannedThrough
            if scanned < scan.head { continue }
            // Caught up: a heartbeat at once the first time (a follower learns
            // the head), then every --heartbeat seconds.
            if !caughtUpOnce || ContinuousClock.now - lastBeat >= beat {
                caughtUpOnce = true
                lastBeat = ContinuousClock.now
                try await writer.write(ByteBuffer(string: Self.heartbeat(scanned: scanned, head: scan.head, hash: scan.headHash)))
            }
            await hub.wait(since: generation, timeout: min(poll, beat))
        }
    }

    static func heartbeat(scanned: UInt64, head: UInt64, hash: [UInt8]) -> String {
        "event: head\nid: \(scanned)\ndata: {\"seq\":\(head),\"hash\":\"\(HashChain.hex(hash))\"}\n\n"
    }

    /// The selected events after `after`, at most ``batch`` seqs of the log,
    /// read with every record's link checked (as every read checks it).
    func scan(_ ledger: Ledger, after: UInt64) throws -> Scan {
        let head = try ledger.head()
        guard head.seq > after else { return Scan(frames: [], scannedThrough: max(after, head.seq), head: head.seq, headHash: head.hash) }
        let last = min(head.seq, after + Self.batch)
        var window = selection
        window.from = after + 1
        let reversedBy = window.reversedBy(try ledger.reversalMap(targets: (after + 1)...last), head: last)
        var frames: [String] = []
        do {
            try window.forEachWithCanonical(in: ledger, through: last) { stored, canonical in
                frames.append(frame(stored, canonical: canonical, reversedBy: reversedBy[stored.seq]))
                return true
            }
        } catch {
            // Every event read before the failing record passed its check.
            return Scan(frames: frames, scannedThrough: after, head: head.seq, headHash: head.hash, failure: APIError.from(error))
        }
        return Scan(frames: frames, scannedThrough: last, head: head.seq, headHash: head.hash)
    }

    func frame(_ stored: StoredEvent, canonical: [UInt8], reversedBy: UInt64?) -> String {
        var extra = ""
        if sendsCanonical {
            // The record's canonical bytes as stored: a replica checks
            // SHA-256(previous hash ‖ canonical) = hash and appends them.
            extra = ",\"canonical\":\"\(Base64.encode(canonical))\""
        }
        let object = masking.text(EventJSON.object(stored, reversedBy: reversedBy, masking: masking, extra: extra))
        return "event: event\nid: \(stored.seq)\ndata: \(object)\n\n"
    }
}
