import FuzzSupport
import LedgerCore

// The JSON-line parser (JSONLineParser.swift, EventParser.swift).
//
// Input: the bytes of one line. Properties:
// - a refused line gives a FieldError naming a field and saying why (never a trap);
// - an accepted line passes the checks verification makes on stored events;
// - its canonical content fits the record and decodes back (record decoder
//   and in-place record view) to the same event, byte for byte;
// - written back as an input line, it parses to the same canonical bytes,
//   and writing that event again gives the same line (a fixed point).

let parser = EventParser()

func fuzzParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withInput(data, size) { line in check(line) }
    return 0
}

func check(_ line: UnsafeRawBufferPointer) {
    let event: Event
    do {
        event = try parser.parse(line)
    } catch {
        require(!error.field.isEmpty && !error.message.isEmpty, "a refused line names a field and a reason", "\(error)")
        return
    }
    do {
        try parser.validateStored(event)
    } catch {
        violated("an accepted line passes stored validation", "\(error)\n\(inputLine(event))")
    }

    let content = EventCodec.encodeContent(event)
    require(content.count <= EventCodec.maxContentBytes, "content within maxContentBytes", "\(content.count) bytes")
    let hash = [UInt8](repeating: 0xA5, count: EventCodec.hashBytes)
    let stored = hash + EventCodec.canonicalBytes(seq: 7, recordedMicros: 1_450_000_000_000_000, content: content)
    stored.withUnsafeBytes { bytes in
        do {
            let decoded = try EventCodec.decode(record: bytes)
            require(decoded.event == event, "the decoder gives back the parsed event", "\(decoded.event)\n\(event)")
            require(EventCodec.encodeContent(decoded.event) == content, "the decoded event re-encodes to the same content")
            require(decoded.seq == 7 && decoded.recordedMicros == 1_450_000_000_000_000 && decoded.hash == hash, "the header survives")
        } catch {
            violated("the canonical bytes of an accepted line decode", "\(error)\n\(hex(stored))")
        }
        do {
            let view = try EventRecordView(record: bytes)
            require(Array(view.content) == content, "the record view sees the same content")
            require(Array(view.id) == Array(event.id.utf8), "the record view sees the same id")
            require(view.type == event.type && view.effective == event.effective, "the record view sees type and date")
            require(parser.isValidStored(view), "an accepted line's record is valid in place", inputLine(event))
        } catch {
            violated("the record view reads an accepted line's record", "\(error)\n\(hex(stored))")
        }
    }

    let written = inputLine(event)
    let again: Event
    do {
        again = try parser.parse(written)
    } catch {
        violated("an accepted event written back as a line parses", "\(error)\n\(written)")
    }
    require(EventCodec.encodeContent(again) == content, "the written-back line has the same canonical bytes", written)
    require(again == event, "the written-back line is the same event", written)
    require(inputLine(again) == written, "writing the event is a fixed point", written)
}
