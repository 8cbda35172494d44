import EventStore
import LedgerCore
import LedgerQueries
import Proofs
import Testing

/// `EventJSONWriter` (what a subscription sends, written from the stored
/// record) against the `String` renderer of `log --format json` and
/// `/v1/events`: the same bytes for every event, masked or not, with or
/// without the canonical bytes and a reversal.
@Suite("EventJSONWriter: the same bytes as log's objects")
struct EventJSONWriterTests {
    /// A stored record of `event` at `seq`: hash ‖ canonical bytes.
    static func record(_ event: Event, seq: UInt64, recordedMicros: Int64 = 1_764_936_000_123_456) -> [UInt8] {
        let canonical = EventCodec.canonicalBytes(seq: seq, recordedMicros: recordedMicros, content: EventCodec.encodeContent(event))
        return HashChain.link(previous: HashChain.genesis, canonical: canonical) + canonical
    }

    /// What the server sent before the writer: the `String` object, masked whole.
    static func expected(_ stored: StoredEvent, canonical: [UInt8], reversedBy: UInt64?, masking: PersonalIDMasking, withCanonical: Bool) -> String {
        let extra = withCanonical ? ",\"canonical\":\"\(Base64.encode(canonical))\"" : ""
        return masking.text(EventJSON.object(stored, reversedBy: reversedBy, masking: masking, extra: extra))
    }

    /// Compares the two renderers on one record in every combination; returns the mismatches.
    static func mismatches(_ record: [UInt8]) throws -> [String] {
        var found: [String] = []
        try record.withUnsafeBytes { bytes in
            let view = try EventRecordView(record: bytes)
            let stored = try EventCodec.decode(record: bytes)
            let canonical = Array(view.canonical)
            for masking in [PersonalIDMasking.masked, .shown] {
                for withCanonical in [false, true] {
                    for reversedBy in [nil, UInt64(987_654)] {
                        let writer = EventJSONWriter(masking: masking, withCanonical: withCanonical)
                        var out: [UInt8] = [0x41]  // appends after what is there
                        try writer.append(view, reversedBy: reversedBy, to: &out)
                        let want = expected(stored, canonical: canonical, reversedBy: reversedBy, masking: masking, withCanonical: withCanonical)
                        let got = String(decoding: out.dropFirst(), as: UTF8.self)
                        if out.first != 0x41 || got != want {
                            found.append("masked \(!masking.showsPersonalIDs), canonical \(withCanonical), reversedBy \(reversedBy.map(String.init) ?? "nil"):\n  got  \(got)\n  want \(want)")
                        }
                    }
                }
            }
        }
        return found
    }

    /// An 18-character resident identity number (a valid check character) from 17 digits.
    static func identityNumber(_ digits: String) -> String {
        for check in "0123456789X" where ResidentIDNumber.isValid(digits + String(check)) { return digits + String(check) }
        return digits + "?"
    }

    /// An identity number of 18 digits (its check character a digit), as a number.
    static func numericIdentityNumber() -> Int64 {
        for last in 0...9 {
            let number = identityNumber("2201021990010112\(last)")
            if let value = Int64(number) { return value }
        }
        return 0
    }

    @Test("every event of the sample history")
    func sampleHistory() throws {
        let events = ServeCommandTests.sampleLines.compactMap { try? EventParser().parse($0) }
        #expect(events.count == 242)
        for (index, event) in events.enumerated() {
            let problems = try Self.mismatches(Self.record(event, seq: UInt64(index + 1)))
            #expect(problems.isEmpty, "event \(index + 1) \(event.id): \(problems.joined(separator: "\n"))")
        }
    }

    @Test("strings that need escapes, masks and identity numbers; values at the edges of their ranges")
    func hostileValues() throws {
        let id = Self.identityNumber("22010219900101123")
        let strings = [
            "plain", "长财社〔2015〕2号", "quote \" and back\\slash", "line\nfeed\r\ttab\u{1}\u{1F}",
            "short", "12345678", "123456789", id, "x\(id)", "id \(id) inside", "\n\(id)", "\(id)\u{7}",
            "\u{1}" + id, "person:\(id)", "é\(id)", "人员\(id)", "CR\r\nLF pair 1234567", "ab\"cd\\ef\"gh\\ij",
        ]
        let dates = [CalendarDate(dayNumber: 0), CalendarDate(dayNumber: -1), CalendarDate(dayNumber: 20000),
                     CalendarDate(dayNumber: -800_000), CalendarDate(dayNumber: 3_000_000), CalendarDate(dayNumber: .min), CalendarDate(dayNumber: .max)]
        let months = [YearMonth(index: 0), YearMonth(index: 24_180), YearMonth(index: -5), YearMonth(index: 200_000), YearMonth(index: .max)]
        let amounts: [Int64] = [0, 1, 99, 100, 123_456_789, -1, -101, .max, .min]
        let integers: [Int64] = [0, 2015, -7, 10_000, .max, .min, Self.numericIdentityNumber()]
        let times: [Int64] = [0, -1, -1_000_001, 1_764_936_000_123_456, 253_402_300_799_999_999, -62_135_596_800_000_001]
        var checked = 0
        for type in EventType.allCases {
            for variant in 0..<strings.count {
                var data = FieldSet()
                for spec in type.schema {
                    let value: FieldValue
                    switch spec.kind {
                    case .identifier, .text, .region: value = .string(strings[(variant + Int(spec.field.rawValue)) % strings.count])
                    case .date: value = .date(dates[(variant + Int(spec.field.rawValue)) % dates.count])
                    case .monthOrDate:
                        value = variant % 2 == 0 ? .month(months[variant / 2 % months.count]) : .date(dates[variant % dates.count])
                    case .money: value = .money(Money(fen: amounts[variant % amounts.count]))
                    case .fiscalYear, .basisPoints: value = .integer(integers[(variant + Int(spec.field.rawValue)) % integers.count])
                    case .enumeration(let vocabulary): value = .code(UInt8(variant % vocabulary.values.count))
                    }
                    data[spec.field] = value
                }
                let expect = variant % 3 == 0 ? nil : Expectation(stream: variant % 3 == 1 ? "person:\(strings[variant])" : strings[variant], version: UInt64(variant))
                let event = Event(id: strings[(variant + 3) % strings.count], type: type, effective: dates[variant % dates.count],
                                  expect: expect, data: data)
                let seq = variant % 2 == 0 ? UInt64(variant + 1) : UInt64.max - UInt64(variant)
                let problems = try Self.mismatches(Self.record(event, seq: seq, recordedMicros: times[variant % times.count]))
                #expect(problems.isEmpty, "\(type.name) variant \(variant): \(problems.joined(separator: "\n"))")
                checked += 1
            }
        }
        #expect(checked == EventType.allCases.count * strings.count)
    }

    @Test("the room it asks for is enough for the longest escapes and names")
    func capacity() throws {
        // Every stored byte a control character: each becomes six.
        let worst = String(repeating: "\u{1}", count: 250)
        for type in [EventType.entryReversed, .loanIssued] {
            var data = FieldSet()
            for spec in type.schema where spec.kind == .identifier || spec.kind == .text { data[spec.field] = .string(worst) }
            let event = Event(id: worst, type: type, effective: CalendarDate(dayNumber: 0),
                              expect: Expectation(stream: worst, version: .max), data: data)
            let record = Self.record(event, seq: .max)
            try record.withUnsafeBytes { bytes in
                let view = try EventRecordView(record: bytes)
                let writer = EventJSONWriter(masking: .shown, withCanonical: true)
                var out: [UInt8] = []
                try writer.append(view, reversedBy: .max, to: &out)
                #expect(out.count <= writer.capacity(for: view))
                #expect(out.count > 6 * 250)
            }
            #expect(try Self.mismatches(record).isEmpty)
        }
    }
}
