import FuzzSupport
import LedgerCore

// The stored-event decoder (EventCodec.swift, EventRecordView.swift,
// StoredValidation.swift): what reads a record's bytes back from the ledger.
//
// Input: the bytes of one stored record (32-byte hash ‖ canonical bytes).
// Properties:
// - a refused record gives a DecodingError (never a trap), and the record
//   view refuses it too;
// - an accepted record re-encodes to exactly the same bytes;
// - the in-place record view accepts exactly the records the decoder
//   accepts and reads the same values from them;
// - the in-place validity check gives the same answer as validateStored;
// - a record that is valid, written as an input line, parses back to the
//   same canonical bytes, unless only the programme catalogue or the
//   expectation (which verification does not judge) refuses it.

let parser = EventParser()

func fuzzDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withInput(data, size) { bytes in check(bytes) }
    return 0
}

func check(_ input: UnsafeRawBufferPointer) {
    let stored: StoredEvent
    do {
        stored = try EventCodec.decode(record: input)
    } catch {
        require(!error.reason.isEmpty && error.offset >= 0 && error.offset <= input.count, "a refusal says where and why", "\(error)")
        if let view = try? EventRecordView(record: input) {
            violated("the record view refuses what the decoder refuses", "decoder: \(error); view type \(view.type)\n\(hex(input))")
        }
        return
    }
    let event = stored.event
    let again = record(event, seq: stored.seq, recordedMicros: stored.recordedMicros, hash: stored.hash)
    require(again.elementsEqual(input), "an accepted record re-encodes to the same bytes", "\(hex(input))\n\(hex(again))")

    let view: EventRecordView
    do {
        view = try EventRecordView(record: input)
    } catch {
        violated("the record view accepts what the decoder accepts", "\(error)\n\(hex(input))")
    }
    require(view.seq == stored.seq && view.recordedMicros == stored.recordedMicros, "view: header")
    require(view.type == event.type && view.effective == event.effective, "view: type and date")
    require(Array(view.id) == Array(event.id.utf8), "view: id")
    require(Array(view.storedHash) == stored.hash, "view: hash")
    for field in Field.allCases {
        guard let value = event.data[field] else {
            require(!view.has(field), "view: \(field.name) absent")
            continue
        }
        require(view.has(field), "view: \(field.name) present")
        switch value {
        case .string(let text): require(Array(view.bytes(field)) == Array(text.utf8), "view: \(field.name) bytes")
        case .date(let date):
            require(view.date(field) == date, "view: \(field.name) date")
            if event.type.kind(of: field) == .monthOrDate { require(view.holdsDate(field), "view: \(field.name) holds a date") }
        case .month(let month): require(!view.holdsDate(field) && view.month(field) == month, "view: \(field.name) month")
        case .money(let money): require(view.fen(field) == money.fen, "view: \(field.name) fen")
        case .integer(let number): require(view.integer(field) == number, "view: \(field.name) integer")
        case .code(let code): require(view.code(field) == code, "view: \(field.name) code")
        }
    }

    var reason: FieldError?
    do { try parser.validateStored(event) } catch { reason = error }
    require(parser.isValidStored(view) == (reason == nil), "isValidStored agrees with validateStored",
            "validateStored: \(reason.map(String.init(describing:)) ?? "valid"); isValidStored: \(parser.isValidStored(view))\n\(hex(input))")
    guard reason == nil else { return }

    let line = inputLine(event)
    do {
        let parsed = try parser.parse(line)
        require(EventCodec.encodeContent(parsed) == EventCodec.encodeContent(event), "a valid record written as a line parses to the same bytes", line)
    } catch {
        let policy = ["data.program", "data.person", "data.enterprise"].contains(error.field) && event.type == .subsidyGranted
        require(policy || error.field.hasPrefix("expect"), "a valid stored event can be written as a line that parses", "\(error)\n\(line)")
    }
}
