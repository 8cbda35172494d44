import EventStore
import LedgerCore

/// Stored events as `log --format json` prints them, and as the server's
/// `/v1/events`, `/v1/events/{id}` and `/v1/subscribe` send them: one
/// renderer, so the two can never differ.
public enum EventJSON {
    /// A stored event's members without the closing brace, so that callers
    /// can add members: seq, recorded, the chain hash (when given), id,
    /// type, effective, data and expect.
    ///
    /// Personal fields are shown as `masking` says; a proof bundle passes
    /// `.shown`, since its event must equal its leaf bytes.
    public static func fields(seq: UInt64, recordedMicros: Int64, event: Event, hash: String?, masking: PersonalIDMasking) -> String {
        var fields: [String] = []
        for (field, value) in event.data.entries {
            let text = ValueText.text(value, field: field, masking: masking)
            fields.append(JSONString.quote(field.name) + ":" + (ValueText.isNumber(value) ? text : JSONString.quote(text)))
        }
        var object = "{\"seq\":\(seq),\"recorded\":\"\(Clock.iso8601(micros: recordedMicros))\","
            + (hash.map { "\"hash\":\"\($0)\"," } ?? "") + "\"id\":\(JSONString.quote(event.id)),"
            + "\"type\":\"\(event.type.name)\",\"effective\":\"\(event.effective)\",\"data\":{\(fields.joined(separator: ","))}"
        if let expect = event.expect {
            object += ",\"expect\":{\"stream\":\(JSONString.quote(masking.subject(expect.stream))),\"version\":\(expect.version)}"
        }
        return object
    }

    /// The whole object `log --format json` prints for a stored event:
    /// ``fields(seq:recordedMicros:event:hash:masking:)`` with the chain
    /// hash, and `reversedBy` when a reversal in the view reverses it.
    public static func object(_ stored: StoredEvent, reversedBy: UInt64?, masking: PersonalIDMasking) -> String {
        object(stored, reversedBy: reversedBy, masking: masking, extra: "")
    }

    /// As ``object(_:reversedBy:masking:)``, with `extra` members (each
    /// starting with a comma) before the closing brace.
    public static func object(_ stored: StoredEvent, reversedBy: UInt64?, masking: PersonalIDMasking, extra: String) -> String {
        var object = fields(seq: stored.seq, recordedMicros: stored.recordedMicros, event: stored.event,
                            hash: HashChain.hex(stored.hash), masking: masking)
        if let reversedBy { object += ",\"reversedBy\":\(reversedBy)" }
        return object + extra + "}"
    }
}
