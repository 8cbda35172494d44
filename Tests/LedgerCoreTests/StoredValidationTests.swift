import LedgerCore
import Testing

/// `verify` checks each stored record in place (`EventParser.isValidStored`)
/// and decodes it whole only when that refuses it. The two readings must
/// agree on every record: valid ones from the fixtures, and events that
/// break each rule `validateStored` checks (built directly, as a tamperer
/// with write access could store them).
@Suite("Stored records validated in place agree with the decoded validation")
struct StoredValidationTests {
    let parser = EventParser()

    /// The event laid out as a stored record and read in place.
    func inPlace(_ event: Event, _ check: (EventRecordView) -> Bool) throws -> Bool {
        var writer = ByteWriter()
        writer.raw(repeatElement(0, count: EventCodec.hashBytes))
        EventCodec.writeHeader(seq: 7, recordedMicros: 1_000_000, into: &writer)
        EventCodec.encodeContent(event, into: &writer)
        return try writer.bytes.withUnsafeBytes { bytes in check(try EventRecordView(record: bytes)) }
    }

    func agree(_ event: Event) throws -> Bool {
        let decoded = (try? parser.validateStored(event)) != nil
        let viewed = try inPlace(event) { parser.isValidStored($0) }
        #expect(decoded == viewed, "\(event.type.name) \(event.id): decoded says \(decoded), in place says \(viewed)")
        return viewed
    }

    @Test("every fixture event is valid both ways")
    func fixtures() throws {
        for name in ["sample-history.jsonl", "tests/every-type.jsonl"] {
            for line in try fixtureLines(name) where !line.isEmpty {
                #expect(try agree(try parser.parse(line)))
            }
        }
    }

    func date(_ text: String) throws -> CalendarDate { try #require(CalendarDate.parse(text)) }

    @Test("each broken rule is refused both ways")
    func brokenRules() throws {
        let day = try date("2016-03-01")
        func event(_ type: EventType, id: String = "e-1", on effective: CalendarDate = day, _ fields: [(Field, FieldValue)]) -> Event {
            Event(id: id, type: type, effective: effective, data: FieldSet(fields))
        }
        let person: [(Field, FieldValue)] = [(.person, .string("p-1")), (.birthDate, .date(try date("1990-01-01"))), (.sex, .code(0))]
        let appropriation: [(Field, FieldValue)] = [(.region, .string("220102")), (.fund, .string("f")), (.fiscalYear, .integer(2016)),
                                                    (.amount, .money(Money(fen: 100)))]
        var grant: [(Field, FieldValue)] = [(.person, .string("p-1")), (.region, .string("220102")), (.fund, .string("f")),
                                            (.fiscalYear, .integer(2016)), (.amount, .money(Money(fen: 100))), (.grant, .string("g-1")),
                                            (.program, .string("social-insurance"))]
        let loan: [(Field, FieldValue)] = [(.person, .string("p-1")), (.region, .string("220102")), (.loan, .string("l-1")),
                                           (.category, .code(0)), (.principal, .money(Money(fen: 100))), (.rateBp, .integer(400)),
                                           (.benchmarkBp, .integer(435)), (.maturity, .date(try date("2018-03-01"))),
                                           (.bank, .string("银行"))]
        func replacing(_ fields: [(Field, FieldValue)], _ field: Field, _ value: FieldValue?) -> [(Field, FieldValue)] {
            var out = fields.filter { $0.0 != field }
            if let value { out.append((field, value)) }
            return out
        }
        // Each valid first, then broken one way.
        #expect(try agree(event(.personRegistered, person)))
        #expect(try agree(event(.fundAppropriated, appropriation)))
        #expect(try agree(event(.subsidyGranted, grant)))
        #expect(try agree(event(.loanIssued, loan)))
        let broken: [Event] = [
            event(.personRegistered, id: "bad id!", person),
            event(.personRegistered, on: CalendarDate(dayNumber: -30_000), person),  // 1887
            event(.personRegistered, replacing(person, .birthDate, .date(try date("2016-03-02")))),
            event(.personRegistered, replacing(person, .person, .string("p 1"))),
            event(.personRegistered, replacing(person, .sex, nil)),
            event(.fundAppropriated, replacing(appropriation, .amount, .money(Money(fen: 0)))),
            event(.fundAppropriated, replacing(appropriation, .region, .string("22010"))),
            event(.fundAppropriated, replacing(appropriation, .region, .string("22010x"))),
            event(.fundAppropriated, replacing(appropriation, .fiscalYear, .integer(1989))),
            event(.fundAppropriated, replacing(appropriation, .reference, .string("tab\there"))),
            event(.fundAppropriated, replacing(appropriation, .reference, .string("c1 \u{85} control"))),
            event(.fundAppropriated, replacing(appropriation, .reference, .string(String(repeating: "x", count: 257)))),
            event(.fundTransferred, [(.fund, .string("f")), (.fiscalYear, .integer(2016)), (.amount, .money(Money(fen: 5))),
                                     (.fromRegion, .string("220102")), (.toRegion, .string("220102"))]),
            event(.subsidyGranted, replacing(grant, .periodStart, .month(YearMonth(year: 2016, month: 5)))),
            event(.subsidyGranted, replacing(replacing(grant, .periodStart, .month(YearMonth(year: 2016, month: 5))), .periodEnd,
                                             .month(YearMonth(year: 2016, month: 4)))),
            event(.subsidyGranted, replacing(replacing(grant, .periodStart, .month(YearMonth(year: 2016, month: 5))), .periodEnd,
                                             .date(try date("2016-06-30")))),
            event(.loanIssued, replacing(loan, .enterprise, .string("ent-1"))),
            event(.loanIssued, replacing(loan, .person, nil)),
            event(.loanIssued, replacing(loan, .maturity, .date(day))),
            event(.loanIssued, replacing(loan, .rateBp, .integer(10_001))),
            event(.personCertified, [(.person, .string("p-1")), (.kind, .code(2))]),
            event(.personCertified, [(.person, .string("p-1")), (.kind, .code(0)), (.graduationDate, .date(day))]),
            event(.personCertified, [(.person, .string("p-1")), (.kind, .code(0)), (.validUntil, .date(try date("2016-02-01")))]),
        ]
        for bad in broken {
            #expect(try !agree(bad), "\(bad.type.name) should be refused")
        }
        // A valid month period and a valid date period pass both ways.
        grant = replacing(replacing(grant, .periodStart, .month(YearMonth(year: 2016, month: 1))), .periodEnd, .month(YearMonth(year: 2016, month: 3)))
        #expect(try agree(event(.subsidyGranted, grant)))
    }
}
