/// Turns one JSON Lines record into an ``Event``, enforcing every check that
/// needs nothing but the line itself (docs/EVENTS.md): known type, known fields,
/// value syntax, calendar dates, amounts in fen, and the relations between a
/// line's own fields. Checks that need the log are in ``AppendRules``.
public struct EventParser: Sendable {
    public let programmes: ProgrammeCatalogue
    /// The largest amount one event may carry (policy `max-event-amount`).
    public let amountBound: AmountBound

    public init(programmes: ProgrammeCatalogue = .seed, amountBound: AmountBound = .seed) {
        self.programmes = programmes
        self.amountBound = amountBound
    }

    public static let minFiscalYear: Int64 = 1990
    public static let maxFiscalYear: Int64 = 2100
    public static let maxBasisPoints: Int64 = 10_000

    /// Parses one line (without its line ending).
    ///
    /// Strings are read as byte views of the line and only the identifiers
    /// and texts that are kept become `String`s; dates, months, amounts and
    /// vocabulary words are parsed straight from the bytes. When `type`
    /// comes after `data` in the line, `data` is checked for syntax, then
    /// read again once the type is known.
    public func parse(_ line: UnsafeRawBufferPointer) throws(FieldError) -> Event {
        var scanner = JSONScanner(line)
        var id: String?
        var type: EventType?
        var effective: CalendarDate?
        var data: FieldSet?
        var dataOffset: Int?
        var expect: Expectation?
        var sawExpect = false

        scanner.skipWhitespace()
        guard scanner.peek() == 0x7B else {
            throw FieldError("json", "each line must be one JSON object {\"id\":…,\"type\":…,\"effective\":…,\"data\":{…}}")
        }
        try scanner.readObject { (s: inout JSONScanner, key: JSONText) throws(FieldError) in
            if key.equals("id") {
                guard id == nil else { throw FieldError("id", "appears twice") }
                let text = try Self.topText(&s, "id")
                guard Identifier.isValid(text) else {
                    throw FieldError("id", "\(quoted(text.string)) is not \(FieldKind.identifier.expectation)")
                }
                id = text.string
            } else if key.equals("type") {
                guard type == nil else { throw FieldError("type", "appears twice") }
                let text = try Self.topText(&s, "type")
                guard let found = EventType(bytes: text) else {
                    throw FieldError("type", "\(quoted(text.string)) is not an event type; known types: "
                        + EventType.allCases.map(\.name).joined(separator: ", "))
                }
                type = found
            } else if key.equals("effective") {
                guard effective == nil else { throw FieldError("effective", "appears twice") }
                let text = try Self.topText(&s, "effective")
                guard let date = text.withBytes({ CalendarDate.parse($0) }) else {
                    throw FieldError("effective", "\(quoted(text.string)) is not \(FieldKind.date.expectation)")
                }
                effective = date
            } else if key.equals("data") {
                guard data == nil && dataOffset == nil else { throw FieldError("data", "appears twice") }
                guard s.peek() == 0x7B else {
                    let value = try s.readValue()
                    throw FieldError("data", "must be an object, found \(value.kindName)")
                }
                if let type {
                    data = try Self.readData(&s, type: type)
                } else {
                    dataOffset = s.position
                    _ = try s.readValue()
                }
            } else if key.equals("expect") {
                guard !sawExpect else { throw FieldError("expect", "appears twice") }
                sawExpect = true
                expect = try Self.readExpect(&s)
            } else {
                throw FieldError(TerminalText.escaped(Self.memberName(key.string)), "unknown field; a line has id, type, effective, data and optionally expect")
            }
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.syntax("text after the closing '}'") }

        guard let id else { throw FieldError("id", "missing") }
        guard let type else { throw FieldError("type", "missing") }
        guard let effective else { throw FieldError("effective", "missing") }
        if data == nil, let dataOffset {
            var again = JSONScanner(line)
            again.position = dataOffset
            data = try Self.readData(&again, type: type)
        }
        guard let data else { throw FieldError("data", "missing; \(type.name) needs " + Self.fieldList(type)) }

        let event = Event(id: id, type: type, effective: effective, expect: expect, data: data)
        try checkRelations(event)
        try checkPolicy(event)
        if let expect, let stream = event.ownStream, expect.stream != stream {
            throw FieldError("expect.stream", "\(quoted(expect.stream)) is not this event's stream \(quoted(stream))")
        }
        return event
    }

    public func parse(_ text: String) throws(FieldError) -> Event {
        var copy = text
        do {
            return try copy.withUTF8 { bytes throws(FieldError) in try parse(UnsafeRawBufferPointer(bytes)) }
        } catch let error as FieldError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private static func topText(_ s: inout JSONScanner, _ key: String) throws(FieldError) -> JSONText {
        guard s.peek() == 0x22 else {
            let value = try s.readValue()
            throw FieldError(key, "must be a string, found \(value.kindName)")
        }
        return try s.readText()
    }

    /// Reads `data` for a known type: each member by its field's kind.
    private static func readData(_ s: inout JSONScanner, type: EventType) throws(FieldError) -> FieldSet {
        var data = FieldSet()
        var seen: UInt64 = 0
        try s.readObject { (s: inout JSONScanner, key: JSONText) throws(FieldError) in
            guard let field = Field(bytes: key) else {
                throw FieldError("data.\(TerminalText.escaped(memberName(key.string)))", "unknown field")
            }
            guard let kind = type.kind(of: field) else {
                throw FieldError("data.\(field.name)", "is not a field of \(type.name); its fields are \(fieldList(type))")
            }
            let bit: UInt64 = 1 << UInt64(field.rawValue)
            if seen & bit != 0 { throw FieldError("data.\(field.name)", "appears twice") }
            seen |= bit
            data.append(field, try readValue(&s, kind: kind, field: field))
        }
        for spec in type.schema where spec.required && seen & (1 << UInt64(spec.field.rawValue)) == 0 {
            throw FieldError("data.\(spec.field.name)", "missing; \(type.name) needs \(fieldList(type))")
        }
        return data
    }

    private static func readValue(_ s: inout JSONScanner, kind: FieldKind, field: Field) throws(FieldError) -> FieldValue {
        // Built only when an error needs it: this is the import's hot path.
        var path: String { "data.\(field.name)" }
        switch kind {
        case .fiscalYear, .basisPoints:
            let value = try s.readValue()
            guard case .integer(let number) = value else {
                if case .string(let text) = value { throw FieldError(path, "must be a JSON integer, not the string \(quoted(text))") }
                throw FieldError(path, "must be \(kind.expectation), found \(value.kindName)")
            }
            let range = kind == .fiscalYear ? minFiscalYear...maxFiscalYear : 0...maxBasisPoints
            guard range.contains(number) else { throw FieldError(path, "\(number) is not \(kind.expectation)") }
            return .integer(number)
        default:
            break
        }
        guard s.peek() == 0x22 else {
            let value = try s.readValue()
            if kind == .money, case .integer = value {
                throw FieldError(path, "must be a string of yuan such as \"1500.50\", not a JSON number")
            }
            if kind == .money, case .number = value {
                throw FieldError(path, "must be a string of yuan such as \"1500.50\", not a JSON number")
            }
            throw FieldError(path, "must be \(kind.expectation), found \(value.kindName)")
        }
        let text = try s.readText()
        func bad() -> FieldError { FieldError(path, "\(quoted(text.string)) is not \(kind.expectation)") }
        switch kind {
        case .identifier:
            guard Identifier.isValid(text) else { throw bad() }
            return .string(text.string)
        case .text:
            let string = text.string
            guard Identifier.isValidText(string) else { throw bad() }
            return .string(string)
        case .region:
            guard text.count == 6, text.withBytes({ $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { throw bad() }
            return .string(text.string)
        case .date:
            guard let date = text.withBytes({ CalendarDate.parse($0) }) else { throw bad() }
            return .date(date)
        case .monthOrDate:
            if text.count == 7, let month = text.withBytes({ YearMonth.parse($0) }) { return .month(month) }
            if text.count == 10, let date = text.withBytes({ CalendarDate.parse($0) }) { return .date(date) }
            throw bad()
        case .money:
            let result = text.withBytes { Money.parse(yuanBytes: $0) }
            switch result {
            case .success(let money) where money.fen > 0: return .money(money)
            case .success: throw FieldError(path, "\(quoted(text.string)) \(Money.ParseError.notPositive)")
            case .failure(let error): throw FieldError(path, "\(quoted(text.string)) \(error)")
            }
        case .enumeration(let vocabulary):
            guard let code = vocabulary.code(of: text) else { throw bad() }
            return .code(code)
        case .fiscalYear, .basisPoints:
            preconditionFailure("handled above")
        }
    }

    private static func readExpect(_ s: inout JSONScanner) throws(FieldError) -> Expectation {
        guard s.peek() == 0x7B else {
            let value = try s.readValue()
            throw FieldError("expect", "must be an object {\"stream\":…,\"version\":…}, found \(value.kindName)")
        }
        var stream: String?
        var version: UInt64?
        try s.readObject { (s: inout JSONScanner, keyText: JSONText) throws(FieldError) in
            let value = try s.readValue()
            let key = keyText.string
            switch key {
            case "stream":
                guard stream == nil else { throw FieldError("expect.stream", "appears twice") }
                guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= 200 else {
                    throw FieldError("expect.stream", "must be a stream name such as \"loan:L1\"")
                }
                stream = text
            case "version":
                guard version == nil else { throw FieldError("expect.version", "appears twice") }
                guard case .integer(let number) = value, number >= 0 else {
                    throw FieldError("expect.version", "must be a JSON integer ≥ 0, found \(value.kindName)")
                }
                version = UInt64(number)
            default:
                throw FieldError("expect.\(TerminalText.escaped(memberName(key)))", "unknown field; expect has stream and version")
            }
        }
        guard let stream else { throw FieldError("expect.stream", "missing") }
        guard let version else { throw FieldError("expect.version", "missing") }
        return Expectation(stream: stream, version: version)
    }

    /// A member name as an error names it: an empty name (`"":…`) is shown
    /// as `""`, so that the error still names a field.
    static func memberName(_ key: String) -> String { key.isEmpty ? "\"\"" : key }

    static func fieldList(_ type: EventType) -> String {
        type.schema.map { $0.required ? $0.field.name : "[\($0.field.name)]" }.joined(separator: ", ")
    }

    /// Checks a decoded stored event against every rule a line had to pass,
    /// except the programme catalogue (a later policy may retire a programme
    /// without making old events invalid). Verification calls this on every
    /// record: data is checked before it is written and again after it is read.
    public func validateStored(_ event: Event) throws(FieldError) {
        guard Identifier.isValid(event.id) else { throw FieldError("id", "\(quoted(event.id)) is not \(FieldKind.identifier.expectation)") }
        guard Self.dateRange.contains(event.effective.dayNumber) else { throw FieldError("effective", "day \(event.effective.dayNumber) is outside 1900–2199") }
        for spec in event.type.schema {
            guard let value = event.data[spec.field] else {
                if spec.required { throw FieldError("data.\(spec.field.name)", "missing") }
                continue
            }
            let path = "data.\(spec.field.name)"
            let valid: Bool
            switch (spec.kind, value) {
            case (.identifier, .string(let text)): valid = Identifier.isValid(text)
            case (.text, .string(let text)): valid = Identifier.isValidText(text)
            case (.region, .string(let text)): valid = Identifier.isValidRegion(text)
            case (.date, .date(let date)), (.monthOrDate, .date(let date)): valid = Self.dateRange.contains(date.dayNumber)
            case (.monthOrDate, .month(let month)): valid = Self.monthRange.contains(month.index)
            case (.money, .money(let money)): valid = money.fen > 0
            case (.fiscalYear, .integer(let number)): valid = (Self.minFiscalYear...Self.maxFiscalYear).contains(number)
            case (.basisPoints, .integer(let number)): valid = (0...Self.maxBasisPoints).contains(number)
            case (.enumeration(let vocabulary), .code(let code)): valid = vocabulary.name(of: code) != nil
            default: valid = false
            }
            guard valid else { throw FieldError(path, "stored value \(value) is not \(spec.kind.expectation)") }
        }
        try checkRelations(event)
    }

    static let dateRange: ClosedRange<Int32> =
        CalendarDate(year: CalendarDate.minYear, month: 1, day: 1)!.dayNumber...CalendarDate(year: CalendarDate.maxYear, month: 12, day: 31)!.dayNumber
    static let monthRange: ClosedRange<Int32> =
        YearMonth(year: CalendarDate.minYear, month: 1).index...YearMonth(year: CalendarDate.maxYear, month: 12).index

    /// No amount may pass the policy's bound; the grant's programme must be
    /// one the policy knows, and the grant must name the subjects that
    /// programme needs.
    func checkPolicy(_ event: Event) throws(FieldError) {
        let data = event.data
        for field in [Field.amount, .principal] {
            guard let money = data.money(field) else { continue }
            let bound = amountBound.entry(on: event.effective)
            guard money <= bound.max else {
                throw FieldError("data.\(field.name)", "\(money.yuan) yuan is more than one event may carry: the bound on "
                    + "\(event.effective) is \(bound.max.yuan) yuan (policy parameter \(AmountBound.parameter), from \(bound.from)); "
                    + "\(money.subtracting(bound.max)?.yuan ?? "") yuan over. Check the amount (yuan, not fen), or amend the policy")
            }
        }
        guard event.type == .subsidyGranted else { return }
        let code = data.string(.program) ?? ""
        guard let programme = programmes.programme(code) else {
            throw FieldError("data.program", "\(quoted(code)) is not a programme of the policy; known: \(programmes.codes.joined(separator: ", "))")
        }
        if programme.subjects.contains(.person) && !data.contains(.person) {
            throw FieldError("data.person", "missing; a \(code) grant must name the person it covers")
        }
        if programme.subjects.contains(.enterprise) && !data.contains(.enterprise) {
            throw FieldError("data.enterprise", "missing; a \(code) grant must name the enterprise it pays")
        }
    }

    /// Relations between a line's own fields that cannot be false.
    func checkRelations(_ event: Event) throws(FieldError) {
        let data = event.data
        switch event.type {
        case .personRegistered:
            if let birth = data.date(.birthDate), birth > event.effective {
                throw FieldError("data.birthDate", "\(birth) is after the registration's effective date \(event.effective)")
            }
        case .personCertified:
            let isGraduate = data.code(.kind) == Vocabulary.certification.code(of: "college-graduate")
            if isGraduate && !data.contains(.graduationDate) {
                throw FieldError("data.graduationDate", "missing; a college-graduate certification needs the graduation date")
            }
            if !isGraduate && data.contains(.graduationDate) {
                throw FieldError("data.graduationDate", "only a college-graduate certification carries a graduation date")
            }
            if let until = data.date(.validUntil), until < event.effective {
                throw FieldError("data.validUntil", "\(until) is before the certification's effective date \(event.effective)")
            }
        case .fundTransferred:
            if data.string(.fromRegion) == data.string(.toRegion) {
                throw FieldError("data.toRegion", "a transfer must go to another region than fromRegion \(quoted(data.string(.fromRegion) ?? ""))")
            }
        case .subsidyGranted:
            try checkPeriod(data, allowMonths: true)
        case .loanIssued:
            switch (data.contains(.person), data.contains(.enterprise)) {
            case (false, false): throw FieldError("data.person", "missing; a loan names its borrower as person or enterprise")
            case (true, true): throw FieldError("data.enterprise", "a loan has one borrower: give person or enterprise, not both")
            default: break
            }
            if let maturity = data.date(.maturity), maturity <= event.effective {
                throw FieldError("data.maturity", "\(maturity) must be after the issue date \(event.effective)")
            }
        case .loanInterestDiscounted:
            try checkPeriod(data, allowMonths: false)
        default:
            break
        }
    }

    private func checkPeriod(_ data: FieldSet, allowMonths: Bool) throws(FieldError) {
        switch (data[.periodStart], data[.periodEnd]) {
        case (nil, nil):
            return
        case (.some, nil):
            throw FieldError("data.periodEnd", "missing; a period needs both periodStart and periodEnd")
        case (nil, .some):
            throw FieldError("data.periodStart", "missing; a period needs both periodStart and periodEnd")
        case (.month(let start)?, .month(let end)?):
            if start > end { throw FieldError("data.periodEnd", "\(end) is before periodStart \(start)") }
        case (.date(let start)?, .date(let end)?):
            if start > end { throw FieldError("data.periodEnd", "\(end) is before periodStart \(start)") }
        default:
            throw FieldError("data.periodEnd", "periodStart and periodEnd must both be months (YYYY-MM) or both dates (YYYY-MM-DD)")
        }
    }
}

/// A value quoted for an error message, shortened if long, its control
/// characters escaped (``TerminalText``).
func quoted(_ text: String) -> String {
    let shown = text.count > 80 ? String(text.prefix(77)) + "…" : text
    return "\"" + TerminalText.escaped(shown) + "\""
}
