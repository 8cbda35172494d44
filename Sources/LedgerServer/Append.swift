import Crypto
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerQueries

extension Endpoints {
    /// `POST /v1/events`: appends a batch as `subsidy-ledger import` does,
    /// through the same ``Ledger/importEvents(from:parser:notice:progress:)``:
    /// the same validation, one atomic batch, duplicates skipped, `expect`
    /// checked. 201 with the import's summary (also when every event was a
    /// duplicate: nothing new, and the summary says so); 409 `conflict` when
    /// every refused line is a stream-version conflict (`expect.version`),
    /// else 422 `invalid_events` listing the refused lines. Nothing is
    /// appended unless every line is accepted.
    func append() async throws -> Response {
        try query.onlyKnown([])
        let request = exchange.request
        let contentType = (request.headers[.contentType] ?? "application/x-ndjson")
            .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let isArray: Bool
        switch contentType {
        case "application/json": isArray = true
        case "application/x-ndjson", "application/jsonl", "application/json-lines", "application/jsonlines", "text/plain": isArray = false
        default:
            throw APIError.unsupportedMediaType("Content-Type \(contentType): send JSON Lines (application/x-ndjson or text/plain) or a JSON array (application/json)")
        }
        let limit = state.options.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.payloadTooLarge(limit) }
        let body: [UInt8]
        do {
            let incoming = request.body
            let buffer = try await withJoinedDeadline(state.options.requestTimeoutSeconds) { try await incoming.collect(upTo: limit) }
            body = Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit)
        }
        let lines = isArray ? try JSONArrayLines.lines(body) : body
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let key, key.isEmpty || key.utf8.count > 255 {
            throw APIError.badRequest("Idempotency-Key: 1 to 255 characters")
        }
        let digest = Array(SHA256.hash(data: [UInt8](contentType.utf8) + [0] + body))
        let cache = state.idempotency
        let answer: StoredAnswer = try await access.write { ledger in
            // Inside the writer's queue: a retry racing its first attempt
            // waits for it and then finds its answer.
            if let key, let kept = try cache.answer(for: key, digest: digest) { return kept }
            let answer = Self.importAnswer(ledger, lines: lines)
            if let key, answer.status < 500 { cache.keep(answer, for: key, digest: digest) }
            return answer
        }
        if answer.appended > 0 { state.subscriptions.wake() }
        var response = LedgerResponder.json(answer.body, status: HTTPResponse.Status(code: answer.status), masking: masking)
        if answer.replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }

    /// The import of one request body, as the answer to send (every outcome,
    /// the ledger's damage included, is an answer, so it can be kept for a retry).
    static func importAnswer(_ ledger: Ledger, lines: [UInt8]) -> StoredAnswer {
        do {
            let report = try ledger.importEvents(from: [InputFile(name: "request", bytes: lines)])
            return StoredAnswer(status: 201, body: ImportJSON.summary(report, rejected: false) + "\n", appended: report.appended)
        } catch let rejected as ImportRejected {
            let report = rejected.report
            let details = "[" + report.errors.map {
                "{\"line\":\($0.line),\"field\":\(JSONString.quote($0.error.field)),\"reason\":\(JSONString.quote($0.error.message))}"
            }.joined(separator: ",") + "]"
            let conflicts = report.unlistedErrors == 0 && !report.errors.isEmpty
                && report.errors.allSatisfy { $0.error.field == "expect.version" }
            let listed = report.unlistedErrors > 0 ? "; the first \(report.errors.count) are listed" : ""
            let error = conflicts
                ? APIError(status: 409, code: "conflict",
                           message: "\(report.rejected) event(s) expected a stream at another version than it is (another writer got there first); nothing was appended: read the stream again and resend",
                           details: details)
                : APIError(status: 422, code: "invalid_events",
                           message: "\(report.rejected) line(s) refused\(listed); nothing was appended", details: details)
            return StoredAnswer(status: error.status, body: error.body + "\n", appended: 0)
        } catch {
            let failure = APIError.from(error)
            var message = failure.message
            if failure.code == "internal" { message += "; nothing of this request was appended: send it again (what is already in the ledger is skipped as duplicates)" }
            if failure.code == "ledger_damaged" { message += "; nothing was appended" }
            let answer = APIError(status: failure.status, code: failure.code, message: message)
            return StoredAnswer(status: answer.status, body: answer.body + "\n", appended: 0)
        }
    }
}

/// An answer to a write, kept for an `Idempotency-Key` retry.
struct StoredAnswer: Sendable {
    var status: Int
    var body: String
    var appended: Int
    var replayed = false
}

/// The answers of recent writes by `Idempotency-Key`, with a digest of the
/// body each answered. Kept in this server process's memory only (the last
/// ``capacity`` keys): a retry after a restart is imported again, which is
/// still safe, because an event whose id is in the ledger with the same
/// content is a duplicate and is skipped. Used only on the writer's queue.
final class IdempotencyCache: @unchecked Sendable {
    static let capacity = 10_000
    private var answers: [String: (digest: [UInt8], answer: StoredAnswer)] = [:]
    private var order: [String] = []
    private let lock = NSLock()

    /// The kept answer for `key`, nil when there is none; throws when the
    /// key was used for another body.
    func answer(for key: String, digest: [UInt8]) throws -> StoredAnswer? {
        lock.lock()
        defer { lock.unlock() }
        guard let kept = answers[key] else { return nil }
        guard kept.digest == digest else {
            throw APIError(status: 422, code: "idempotency_key_reused",
                           message: "Idempotency-Key \(key) was used for another request body; use a new key for a new batch")
        }
        var answer = kept.answer
        answer.replayed = true
        answer.appended = 0
        return answer
    }

    func keep(_ answer: StoredAnswer, for key: String, digest: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if answers[key] == nil { order.append(key) }
        answers[key] = (digest, answer)
        if order.count > Self.capacity {
            let dropped = order.prefix(order.count - Self.capacity)
            for old in dropped { answers[old] = nil }
            order.removeFirst(dropped.count)
        }
    }
}

/// A JSON array of events as JSON Lines: element N on line N, so that a
/// refused element is named by its place in the array. The elements
/// themselves are left to the import's parser (one validation).
enum JSONArrayLines {
    static func lines(_ body: [UInt8]) throws(APIError) -> [UInt8] {
        var index = 0
        if body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF { index = 3 }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        func skipSpace() { while index < body.count && isSpace(body[index]) { index += 1 } }
        skipSpace()
        guard index < body.count, body[index] == UInt8(ascii: "[") else {
            throw .badRequest("the body is not a JSON array of events (Content-Type application/json); send JSON Lines as application/x-ndjson")
        }
        index += 1
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var element = 0
        skipSpace()
        if index < body.count && body[index] == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                element += 1
                skipSpace()
                var depth = 0
                var inString = false
                var escaped = false
                var start = out.count
                while index < body.count {
                    let byte = body[index]
                    if inString {
                        if byte < 0x20 { throw .badRequest("element \(element) of the array: a control character inside a string") }
                        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                        out.append(byte)
                        index += 1
                        continue
                    }
                    if depth == 0 && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]")) { break }
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    // Line breaks between tokens become spaces: one element, one line.
                    out.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte)
                    index += 1
                }
                while out.count > start && isSpace(out[out.count - 1]) { out.removeLast() }
                guard index < body.count, !inString else { throw .badRequest("the JSON array of events is not closed") }
                guard out.count > start else { throw .badRequest("element \(element) of the array is empty") }
                start = out.count
                out.append(0x0A)
                let separator = body[index]
                index += 1
                if separator == UInt8(ascii: "]") { break }
            }
        }
        skipSpace()
        guard index == body.count else { throw .badRequest("the body holds more than one JSON array") }
        return out
    }
}
