import EventStore
import LedgerCore
import Proofs
import Reports

/// One event of `GET /v1/subscribe` (`event: event`): the event object the
/// server sent, with its seq, chain hash and, for an auditor's token, the
/// record's canonical bytes.
public struct FollowedEvent: Sendable, Equatable {
    public var seq: UInt64
    public var hash: [UInt8]
    /// The canonical bytes (`canonical`, Base64 in the stream), when sent.
    public var canonical: [UInt8]?
    /// The event object as one line of JSON, without `canonical`: members in
    /// the server's order, numbers as it wrote them.
    public var json: String
}

/// A heartbeat (`event: head`): the leader's head, and how far the stream
/// has considered the log (its `id`), which a filtered stream moves past
/// events it did not send.
public struct HeadAnnouncement: Sendable, Equatable {
    public var seq: UInt64
    public var hash: [UInt8]
    public var scannedThrough: UInt64

    public init(seq: UInt64, hash: [UInt8], scannedThrough: UInt64) {
        self.seq = seq
        self.hash = hash
        self.scannedThrough = scannedThrough
    }
}

/// What the subscription stream carries.
public enum SubscribeItem: Sendable, Equatable {
    case event(FollowedEvent)
    case head(HeadAnnouncement)
    /// The server ends the stream with an API error (`event: error`, whose
    /// data is `{"error":{"code","message"}}`): `ledger_damaged` when a
    /// record failed its check.
    case error(code: String, message: String)
    /// An event type this client does not know; ignored, as SSE clients do.
    case other(String)
}

/// The stream is not what the API promises (docs/REPLICATION.md).
public struct SubscribeStreamError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

extension SubscribeItem {
    /// Reads one SSE message of the subscription, checking what a follower
    /// relies on: an event's `id` is its seq, its hash is 64 hex digits, its
    /// `canonical` (when present) is strict Base64; a heartbeat's id is a
    /// seq and its data holds the head's seq and hash.
    public init(_ message: SSEMessage) throws(SubscribeStreamError) {
        switch message.type {
        case "event":
            let object = try Self.object(message.data, "an event")
            guard let seq = object["seq"]?.count else { throw SubscribeStreamError("an event has no whole-number seq: \(Self.excerpt(message.data))") }
            guard message.lastEventID == String(seq) else {
                throw SubscribeStreamError("event \(seq) came with the id \"\(message.lastEventID.prefix(30))\", not its seq")
            }
            guard let hashText = object["hash"]?.string, let hash = HashChain.parseHex(hashText) else {
                throw SubscribeStreamError("event \(seq) has no hash of 64 hexadecimal digits")
            }
            var canonical: [UInt8]?
            if let value = object["canonical"] {
                guard let text = value.string, let bytes = Base64.decode(text) else {
                    throw SubscribeStreamError("the canonical bytes of event \(seq) are not Base64")
                }
                canonical = bytes
            }
            guard case .object(let members) = object else { throw SubscribeStreamError("an event is not a JSON object") }
            let shown = Proofs.JSONValue.object(members.filter { $0.key != "canonical" })
            self = .event(FollowedEvent(seq: seq, hash: hash, canonical: canonical, json: shown.jsonText))
        case "head":
            let object = try Self.object(message.data, "a heartbeat")
            guard let seq = object["seq"]?.count, let hashText = object["hash"]?.string, let hash = HashChain.parseHex(hashText) else {
                throw SubscribeStreamError("a heartbeat does not give the head's seq and hash: \(Self.excerpt(message.data))")
            }
            guard let scanned = UInt64(message.lastEventID), String(scanned) == message.lastEventID else {
                throw SubscribeStreamError("a heartbeat came with the id \"\(message.lastEventID.prefix(30))\", not a seq")
            }
            self = .head(HeadAnnouncement(seq: seq, hash: hash, scannedThrough: scanned))
        case "error":
            let error = apiErrorMessage(Array(message.data.utf8))
            self = .error(code: error?.code ?? "", message: error?.message ?? Self.excerpt(message.data))
        default:
            self = .other(message.type)
        }
    }

    private static func object(_ data: String, _ what: String) throws(SubscribeStreamError) -> Proofs.JSONValue {
        let value: Proofs.JSONValue
        do {
            value = try StrictJSON.parse(data)
        } catch {
            throw SubscribeStreamError("\(what) is not JSON (\(error)): \(excerpt(data))")
        }
        guard case .object = value else { throw SubscribeStreamError("\(what) is not a JSON object: \(excerpt(data))") }
        return value
    }

    static func excerpt(_ text: String) -> String {
        text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}

extension Proofs.JSONValue {
    /// Compact JSON text: members in order, numbers as written.
    public var jsonText: String {
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``jsonText`` to `out`, as UTF-8.
    public func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.appendQuoted(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            JSONString.appendQuoted(text, to: &out)
        case .number(let literal):
            out.append(contentsOf: literal.utf8)
        case .bool(let value):
            out.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        }
    }
}

/// The error object of a refused request (`{"error":{"code","message"}}`),
/// or nil when the body is not one.
public func apiErrorMessage(_ body: [UInt8]) -> (code: String, message: String)? {
    guard let value = try? StrictJSON.parse(String(decoding: body, as: UTF8.self)),
          let error = value["error"], let code = error["code"]?.string else { return nil }
    return (code, error["message"]?.string ?? "")
}
