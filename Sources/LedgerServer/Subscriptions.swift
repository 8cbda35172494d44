import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerQueries
import Logging
import NIOCore
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
///
/// The log is read a window at a time, each window in its own short read
/// transactions (a long catch-up never holds one snapshot open, which
/// would keep LMDB from reusing the pages freed meanwhile). Each window's
/// selected events are rendered straight from their stored records into
/// one buffer (``EventJSONWriter``) and written to the connection in one
/// piece: a catch-up costs a few microseconds an event, most of it the
/// check of each record's link and the Base64 of its canonical bytes.
struct SubscriptionStream: Sendable {
    let access: LedgerAccess
    let hub: SubscriptionHub
    let options: ServerOptions
    let selection: EventQuery
    let masking: PersonalIDMasking
    let sendsCanonical: Bool
    /// Seqs of the log one window reads at most.
    static let windowEvents: UInt64 = 4096
    /// A window stops early, after the event that brings what it will send
    /// to this many bytes (a buffer per subscription stays about this size).
    static let windowBytes = 2 << 20

    /// What one read found: the events to send, how far the scan got, and the head.
    struct Scan: Sendable {
        /// The `event: event` messages of the window, ready to send.
        var bytes: ByteBuffer
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
            if scan.bytes.readableBytes > 0 { try await writer.write(scan.bytes) }
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

    /// The selected events after `after`: at most ``windowEvents`` seqs of
    /// the log, fewer when their messages pass ``windowBytes``; every
    /// record read is checked (its link), as every read checks it.
    func scan(_ ledger: Ledger, after: UInt64) throws -> Scan {
        let head = try ledger.head()
        guard head.seq > after else { return Scan(bytes: ByteBuffer(), scannedThrough: max(after, head.seq), head: head.seq, headHash: head.hash) }
        let last = min(head.seq, after + Self.windowEvents)
        // An event shows the reversal that reverses it when the reversal is in
        // the log the window was read from (as `log` and /v1/events show it).
        // Sorted by target, they are walked alongside the records.
        let reversals = selection.reversedBy(try ledger.reversalMap(targets: (after + 1)...last), head: head.seq)
            .sorted { $0.key < $1.key }
        var nextReversal = 0
        let json = EventJSONWriter(masking: masking, withCanonical: sendsCanonical)
        var bytes = ByteBufferAllocator().buffer(capacity: min(Int(last - after) * 1024, Self.windowBytes + 64 * 1024))
        var through = last
        do {
            try forEachSelected(in: ledger, from: after + 1, through: last) { record in
                while nextReversal < reversals.count && reversals[nextReversal].key < record.seq { nextReversal += 1 }
                let reversedBy = nextReversal < reversals.count && reversals[nextReversal].key == record.seq
                    ? reversals[nextReversal].value : nil
                try Self.writeMessage(record, reversedBy: reversedBy, json: json, to: &bytes)
                if bytes.readableBytes >= Self.windowBytes && record.seq < last {
                    through = record.seq
                    return false
                }
                return true
            }
        } catch {
            // Every event read before the failing record passed its check.
            return Scan(bytes: bytes, scannedThrough: after, head: head.seq, headHash: head.hash, failure: APIError.from(error))
        }
        return Scan(bytes: bytes, scannedThrough: through, head: head.seq, headHash: head.hash)
    }

    /// Calls `body` with each stored record from `first` through `last` that
    /// the selection takes (its types; its stream, found by the stream's
    /// index), in log order, until it returns false.
    func forEachSelected(in ledger: Ledger, from first: UInt64, through last: UInt64,
                         _ body: (EventRecordView) throws -> Bool) throws {
        let types = selection.types
        if let stream = selection.stream {
            for seq in try ledger.sequenceNumbers(ofStream: stream) where seq >= first && seq <= last {
                var goOn = true
                try ledger.forEachRecord(from: seq, to: seq) { record in
                    if types.isEmpty || types.contains(record.type) { goOn = try body(record) }
                    return false
                }
                if !goOn { return }
            }
        } else {
            try ledger.forEachRecord(from: first, to: last) { record in
                guard types.isEmpty || types.contains(record.type) else { return true }
                return try body(record)
            }
        }
    }

    /// One `event: event` message: the seq as its id, the event's object
    /// (as `log --format json` prints it, masked as the role sees it) as its
    /// data, with the record's canonical bytes for a role that sees personal
    /// ids (a replica checks SHA-256(previous hash ‖ canonical) = hash and
    /// appends them).
    static func writeMessage(_ record: EventRecordView, reversedBy: UInt64?, json: EventJSONWriter, to bytes: inout ByteBuffer) throws {
        let prefix: StaticString = "event: event\nid: "
        let separator: StaticString = "\ndata: "
        let room = prefix.utf8CodeUnitCount + 20 + separator.utf8CodeUnitCount + json.capacity(for: record) + 2
        do {
            try bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { buffer in
                var count = 0
                func put(_ text: StaticString) {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[count...]).copyMemory(
                        from: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                    count += text.utf8CodeUnitCount
                }
                put(prefix)
                var digits = 1
                var rest = record.seq
                while rest >= 10 {
                    rest /= 10
                    digits += 1
                }
                rest = record.seq
                for index in stride(from: count + digits - 1, through: count, by: -1) {
                    buffer[index] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                    rest /= 10
                }
                count += digits
                put(separator)
                count += try json.write(record, reversedBy: reversedBy, into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                put("\n\n")
                return count
            }
        } catch {
            throw LedgerError.corrupt("event \(record.seq) cannot be decoded (\(error))")
        }
    }
}
