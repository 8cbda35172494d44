import Testing
import LedgerCore

@Suite("Masking personal identity numbers")
struct PersonalIDMaskingTests {
    let id = "220102199001011239"
    let masked = PersonalIDMasking.masked

    @Test("GB 11643 check characters: valid numbers pass, any changed digit fails, x counts as X")
    func checkCharacter() {
        #expect(ResidentIDNumber.isValid(id))
        #expect(ResidentIDNumber.isValid("11010519491231002X"))
        #expect(ResidentIDNumber.isValid("11010519491231002x"))
        #expect(!ResidentIDNumber.isValid("110105194912310021"))
        for position in 0..<18 {
            var bytes = Array(id.utf8)
            bytes[position] = bytes[position] == 0x39 ? 0x30 : bytes[position] + 1
            #expect(!ResidentIDNumber.isValid(bytes), "digit \(position) changed")
        }
        #expect(!ResidentIDNumber.isValid("22010219900101123"))
        #expect(!ResidentIDNumber.isValid("2201021990010112390"))
        #expect(!ResidentIDNumber.isValid("22010219900101123A"))
    }

    @Test("a masked value keeps its first and last four characters")
    func maskShape() {
        #expect(PersonalIDMasking.mask(id) == "2201**********1239")
        #expect(PersonalIDMasking.mask("p-0000123") == "p-00*0123")
        #expect(PersonalIDMasking.mask("p-006") == "p-006")
        #expect(PersonalIDMasking.mask("12345678") == "12345678")
        #expect(masked.personal(id) == "2201**********1239")
        #expect(PersonalIDMasking.shown.personal(id) == id)
        // Deterministic: the same value always masks the same way.
        #expect(masked.personal(id) == masked.personal(String(id)))
    }

    @Test("personal fields are masked whole; other fields only where they hold an identity number")
    func fields() {
        #expect(Field.person.isPersonal)
        #expect(Field.allCases.filter(\.isPersonal) == [.person])
        #expect(masked.value("PERSON-00012345", field: .person) == "PERS*******2345")
        #expect(masked.value("PERSON-00012345", field: .enterprise) == "PERSON-00012345")
        #expect(masked.value("ref \(id) paid", field: .reference) == "ref 2201**********1239 paid")
        #expect(masked.subject("person:PERSON-00012345") == "person:PERS*******2345")
        #expect(masked.subject("loan:\(id)") == "loan:2201**********1239")
        #expect(masked.subject("fund:employment-special/220102/2016") == "fund:employment-special/220102/2016")
    }

    @Test("identity numbers inside text are found by their check character and their edges")
    func text() {
        #expect(masked.text("person:\(id), grant g-\(id).") == "person:2201**********1239, grant g-2201**********1239.")
        #expect(masked.text("\"\(id)\"") == "\"2201**********1239\"")
        // Part of a longer run of letters and digits, or a wrong check character: left alone.
        #expect(masked.text("x\(id)") == "x\(id)")
        #expect(masked.text("\(id)0") == "\(id)0")
        #expect(masked.text("220102199001011230") == "220102199001011230")
        // A hash in hexadecimal is one long run: never mistaken for a number.
        let hash = "4865afe5a4d862c8a93b4952231ec7c51ef8238b854f7eed4bbabd0a92765f9f"
        #expect(masked.text(hash) == hash)
        #expect(PersonalIDMasking.shown.text(id) == id)
        // Chinese text around it is kept byte for byte.
        #expect(masked.text("身份证\(id)已登记") == "身份证2201**********1239已登记")
    }

    @Test("person ids named in a sentence are masked when the caller knows them")
    func people() {
        let people: Set<String> = ["PERSON-00012345"]
        #expect(masked.text("PERSON-00012345's outstanding principal; lent to person PERSON-00012345.", people: people)
            == "PERS*******2345's outstanding principal; lent to person PERS*******2345.")
        #expect(masked.text("person:PERSON-00012345 and PERSON-000123456", people: people)
            == "person:PERS*******2345 and PERSON-000123456")
        // One more person (a finding's subject) named beside the set, or alone.
        let text = "person:PERSON-00012345 pays PERSON-00067890: PERSON-000678901 is another."
        let both = "person:PERS*******2345 pays PERS*******7890: PERSON-000678901 is another."
        #expect(masked.text(text, people: people, alsoNaming: "PERSON-00067890") == both)
        #expect(masked.text(text, alsoNaming: "PERSON-00067890") == "person:PERSON-00012345 pays PERS*******7890: PERSON-000678901 is another.")
        #expect(PersonalIDMasking.shown.text(text, people: people, alsoNaming: "PERSON-00067890") == text)
    }

    @Test("an event's first masked part, for prove")
    func firstMaskedPart() throws {
        let event = Event(id: "e-1", type: .personRegistered, effective: try #require(CalendarDate.parse("2016-01-01")),
                          data: FieldSet([(.person, .string(id)), (.birthDate, .date(try #require(CalendarDate.parse("1990-01-01")))),
                                          (.sex, .code(0))]))
        #expect(masked.firstMaskedPart(of: event)?.place == "data.person")
        #expect(masked.firstMaskedPart(of: event)?.shown == "2201**********1239")
        #expect(PersonalIDMasking.shown.firstMaskedPart(of: event) == nil)
        var short = event
        short.data[.person] = .string("p-006")
        #expect(masked.firstMaskedPart(of: short) == nil)
        short.id = "e-\(id)"
        #expect(masked.firstMaskedPart(of: short)?.place == "id")
    }
}

@Suite("The bound on one event's amount")
struct AmountBoundParserTests {
    func line(_ amount: String, effective: String = "2016-01-01") -> String {
        "{\"id\":\"a\",\"type\":\"fund.appropriated\",\"effective\":\"\(effective)\",\"data\":{\"fund\":\"f\",\"region\":\"220102\","
            + "\"fiscalYear\":2016,\"amount\":\"\(amount)\"}}"
    }

    func parse(_ text: String, parser: EventParser = EventParser()) -> Result<Event, FieldError> {
        var text = text
        return text.withUTF8 { bytes in Result { () throws(FieldError) in try parser.parse(UnsafeRawBufferPointer(bytes)) } }
    }

    @Test("exactly the bound is accepted; one fen over is refused naming the amount and the bound")
    func bound() throws {
        #expect((try? parse(line("10000000000")).get()) != nil)
        guard case .failure(let error) = parse(line("10000000000.01")) else {
            Issue.record("one fen over the bound was accepted")
            return
        }
        #expect(error.field == "data.amount")
        #expect(error.message.hasPrefix("10000000000.01 yuan is more than one event may carry: the bound on 2016-01-01 is 10000000000.00 yuan"))
        #expect(error.message.contains("max-event-amount"))
    }

    @Test("the bound is effective-dated: an earlier event is held to the first entry")
    func dated() throws {
        let bound = AmountBound([
            .init(from: try #require(CalendarDate.parse("2015-01-01")), max: Money(fen: 100)),
            .init(from: try #require(CalendarDate.parse("2020-01-01")), max: Money(fen: 1_000)),
        ])
        let parser = EventParser(amountBound: bound)
        #expect((try? parse(line("1", effective: "2010-06-01"), parser: parser).get()) != nil)
        #expect((try? parse(line("1.01", effective: "2019-12-31"), parser: parser).get()) == nil)
        #expect((try? parse(line("10", effective: "2020-01-01"), parser: parser).get()) != nil)
        #expect((try? parse(line("10.01", effective: "2021-01-01"), parser: parser).get()) == nil)
    }

    @Test("128-bit totals print as yuan past 64-bit fen")
    func totals() {
        var total = Total.zero
        total.add(Money(fen: .max))
        total.add(Money(fen: .max))
        #expect(total.yuan == "184467440737095516.14")
        #expect(total.money == nil)
        total.add(Money(fen: .max), sign: -1)
        #expect(total.money == Money(fen: .max))
        #expect(Money.yuan(fen: -1) == "-0.01")
    }
}
