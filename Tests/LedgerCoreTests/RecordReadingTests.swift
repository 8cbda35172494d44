@testable import LedgerCore
import LedgerTestSupport
import Testing

/// Replays read each stored record through ``EventRecordView/fastRead(_:)``
/// and fall back to the step-by-step reading (``EventRecordView/init(checking:)``)
/// only for a record it refuses. The two must accept exactly the same
/// records, see the same fields in them, and a refused record must be
/// reported with the step-by-step reading's words. Checked on every event
/// of the fixtures and on many damaged copies of each (bytes changed,
/// records cut short or lengthened), as a tamperer could store them.
@Suite("Records read in place: the fast reading agrees with the step-by-step one")
struct RecordReadingTests {
    /// Each fixture event as a stored record (a zero hash, seq 7).
    static func records() throws -> [[UInt8]] {
        let parser = EventParser()
        var out: [[UInt8]] = []
        for name in ["sample-history.jsonl", "tests/every-type.jsonl"] {
            for line in try fixtureLines(name) where !line.isEmpty {
                var writer = ByteWriter()
                writer.raw(repeatElement(0, count: EventCodec.hashBytes))
                EventCodec.writeHeader(seq: 7, recordedMicros: 1_000_000, into: &writer)
                EventCodec.encodeContent(try parser.parse(line), into: &writer)
                out.append(writer.bytes)
            }
        }
        return out
    }

    /// Everything a reader of the view can see, as one comparable value.
    static func summary(_ view: EventRecordView) -> [Int64] {
        var out: [Int64] = [Int64(bitPattern: view.seq), view.recordedMicros, Int64(view.type.rawValue),
                            Int64(view.effective.dayNumber), Int64(view.idOffset), Int64(view.idLength), Int64(view.dateForms),
                            Int64(view.canonical.count), Int64(view.storedHash.count)]
        for tag in 0..<32 { out.append(Int64(view.offsets[tag])) }
        return out
    }

    /// Reads `record` both ways and checks they agree; returns whether it was accepted.
    @discardableResult
    static func agree(_ record: [UInt8], _ what: String) -> Bool {
        record.withUnsafeBytes { bytes in
            let fast = EventRecordView.fastRead(bytes)
            let checked = Result { () throws(DecodingError) in try EventRecordView(checking: bytes) }
            let viaInit = Result { () throws(DecodingError) in try EventRecordView(record: bytes) }
            switch (fast, checked) {
            case (let fast?, .success(let checked)):
                #expect(summary(fast) == summary(checked), "\(what): the two readings see different fields")
            case (nil, .failure(let error)):
                // The public reading reports what the step-by-step one says.
                if case .failure(let reported) = viaInit {
                    #expect(reported == error, "\(what): reported \(reported), the step-by-step reading says \(error)")
                } else {
                    Issue.record("\(what): accepted, though the step-by-step reading refuses it (\(error))")
                }
            case (.some, .failure(let error)):
                Issue.record("\(what): the fast reading accepts what the step-by-step one refuses (\(error))")
            case (nil, .success):
                Issue.record("\(what): the fast reading refuses a record the step-by-step one accepts")
            }
            if case .success(let view) = viaInit, case .success(let checked) = checked {
                #expect(summary(view) == summary(checked), "\(what)")
            }
            return fast != nil
        }
    }

    @Test("every fixture record is read the same both ways")
    func fixtures() throws {
        let records = try Self.records()
        #expect(records.count > 200)
        for (index, record) in records.enumerated() {
            #expect(Self.agree(record, "record \(index)"))
        }
    }

    @Test("damaged records are accepted or refused alike, with the same error")
    func damaged() throws {
        var random = SplitMix(seed: 0x7245_6164)
        var refused = 0, accepted = 0
        for (index, record) in try Self.records().enumerated() {
            for round in 0..<60 {
                var copy = record
                switch round % 6 {
                case 0, 1, 2:
                    // One to three bytes past the hash set to something else,
                    // often a small number (codes, tags, lengths, flags).
                    for _ in 0...random.below(3) {
                        let at = EventCodec.hashBytes + random.below(copy.count - EventCodec.hashBytes)
                        copy[at] = random.below(2) == 0 ? UInt8(random.below(40)) : UInt8(truncatingIfNeeded: random.next())
                    }
                case 3:
                    copy.removeLast(1 + random.below(min(12, copy.count - 1)))
                case 4:
                    copy.append(contentsOf: (0...random.below(4)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
                default:
                    // A non-ASCII byte or a broken sequence inside a string.
                    let at = EventCodec.hashBytes + random.below(copy.count - EventCodec.hashBytes)
                    copy[at] = [0x80, 0xC3, 0xE4, 0xED, 0xF0, 0xFF][random.below(6)]
                }
                if Self.agree(copy, "record \(index), damage \(round)") { accepted += 1 } else { refused += 1 }
            }
        }
        // Both outcomes were exercised.
        #expect(refused > 1000)
        #expect(accepted > 100)
    }
}
