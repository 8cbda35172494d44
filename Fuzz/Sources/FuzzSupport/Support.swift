import LedgerCore
import Reports

/// A property that does not hold: print what and why, then stop the process
/// so that libFuzzer keeps the input as a crash artefact.
public func violated(_ property: String, _ detail: @autoclosure () -> String = "") -> Never {
    let text = "FUZZ PROPERTY VIOLATED: \(property)" + (detail().isEmpty ? "" : "\n\(detail())")
    fatalError(text)
}

public func require(_ condition: Bool, _ property: String, _ detail: @autoclosure () -> String = "") {
    if !condition { violated(property, detail()) }
}

/// The bytes libFuzzer hands over, as a buffer (empty input has no address).
public func withInput<R>(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    body(UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
}

/// An event written as one line of the input format, the way a source system
/// would: members in a fixed order, data in tag order, amounts with two
/// decimals, strings escaped by the tool's own JSON quoting.
public func inputLine(_ event: Event) -> String {
    var fields: [String] = []
    for (field, value) in event.data.entries {
        let text = ValueText.text(value, field: field)
        fields.append(JSONString.quote(field.name) + ":" + (ValueText.isNumber(value) ? text : JSONString.quote(text)))
    }
    var line = "{\"id\":" + JSONString.quote(event.id) + ",\"type\":" + JSONString.quote(event.type.name)
        + ",\"effective\":" + JSONString.quote(event.effective.description)
        + ",\"data\":{" + fields.joined(separator: ",") + "}"
    if let expect = event.expect {
        line += ",\"expect\":{\"stream\":" + JSONString.quote(expect.stream) + ",\"version\":" + String(expect.version) + "}"
    }
    return line + "}"
}

/// A stored record (hash ‖ canonical bytes) for an event, as the ledger writes it.
public func record(_ event: Event, seq: UInt64, recordedMicros: Int64, hash: [UInt8]) -> [UInt8] {
    hash + EventCodec.canonicalBytes(seq: seq, recordedMicros: recordedMicros, content: EventCodec.encodeContent(event))
}

/// Hex of a few bytes, for failure reports.
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
