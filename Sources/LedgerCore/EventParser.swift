/// Turns one JSON Lines record into an ``Event``, enforcing every check that
/// needs nothing but the line itself (SPEC §2): known type, known fields,
/// value syntax, calendar dates, amounts in fen, and the relations between a
/// line's own fields. Checks that need the log are in ``AppendRules``.
public struct EventParser: Sendable {
    public let programmes: ProgrammeCatalogue

    public init(programmes: ProgrammeCatalogue = .seed) {
        self.programmes = programmes
    }

    public static let minFiscalYear: Int64 = 1990
    public static let maxFiscalYear: Int64 = 2100
    public static let maxBasisPoints: Int64 = 10_000

    /// Parses one line (without its line ending).
    public func parse(_ line: UnsafeRawBufferPointer) throws(FieldError) -> Event {
        var scanner = JSONScanner(line)
        var id: String?
        var typeName: String?
        var effectiveText: String?
        var rawData: [(String, RawValue)]?
        var expect: Expectation?
        var sawExpect = false

        scanner.skipWhitespace()
        guard scanner.peek() == 0x7B else {
            throw FieldError("json", "each line must be one JSON object {\"id\":…,\"type\":…,\"effective\":…,\"data\":{…}}")
        }
        try scanner.readObject { (s: inout JSONScanner, key: String) throws(FieldError) in
            switch key {
            case "id":
                guard id == nil else { throw FieldError("id", "appears twice") }
                id = try Self.topString(&s, key)
            case "type":
                guard typeName == nil else { throw FieldError("type", "appears twice") }
                typeName = try Self.topString(&s, key)
            case "effective":
                guard effectiveText == nil else { throw FieldError("effective", "appears twice") }
                effectiveText = try Self.topString(&s, key)
            case "data":
                guard rawData == nil else { throw FieldError("data", "appears twice") }
                rawData = try Self.readData(&s)
            case "expect":
                guard !sawExpect else { throw FieldError("expect", "appears twice") }
                sawExpect = true
                expect = try Self.readExpect(&s)
            default:
                throw FieldError(key, "unknown field; a line has id, type, effective, data and optionally expect")
            }
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.syntax("text after the closing '}'") }

        guard let id else { throw FieldError("id", "missing") }
        guard Identifier.isValid(id) else {
            throw FieldError("id", "\(quoted(id)) is not \(FieldKind.identifier.expectation)")
        }
        guard let typeName else { throw FieldError("type", "missing") }
        guard let type = EventType(name: typeName) else {
            throw FieldError("type", "\(quoted(typeName)) is not an event type; known types: "
                + EventType.allCases.map(\.name).joined(separator: ", "))
        }
        guard let effectiveText else { throw FieldError("effective", "missing") }
        guard let effective = CalendarDate.parse(Array(effectiveText.utf8)) else {
            throw FieldError("effective", "\(quoted(effectiveText)) is not \(FieldKind.date.expectation)")
        }
        guard let rawData else { throw FieldError("data", "missing; \(type.name) needs " + Self.fieldList(type)) }

        let data = try Self.interpret(rawData, type: type)
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

    private static func topString(_ s: inout JSONScanner, _ key: String) throws(FieldError) -> String {
        let value = try s.readValue()
        guard case .string(let text) = value else { throw FieldError(key, "must be a string, found \(value.kindName)") }
        return text
    }

    private static func readData(_ s: inout JSONScanner) throws(FieldError) -> [(String, RawValue)] {
        guard s.peek() == 0x7B else {
            let value = try s.readValue()
            throw FieldError("data", "must be an object, found \(value.kindName)")
        }
        var pairs: [(String, RawValue)] = []
        pairs.reserveCapacity(12)
        try s.readObject { (s: inout JSONScanner, key: String) throws(FieldError) in
            guard Field(name: key) != nil else {
                throw FieldError("data.\(key)", "unknown field")
            }
            if pairs.contains(where: { $0.0 == key }) { throw FieldError("data.\(key)", "appears twice") }
            pairs.append((key, try s.readValue()))
        }
        return pairs
    }

    private static func readExpect(_ s: inout JSONScanner) throws(FieldError) -> Expectation {
        guard s.peek() == 0x7B else {
            let value = try s.readValue()
            throw FieldError("expect", "must be an object {\"stream\":…,\"version\":…}, found \(value.kindName)")
        }
        var stream: String?
        var version: UInt64?
        try s.readObject { (s: inout JSONScanner, key: String) throws(FieldError) in
            let value = try s.readValue()
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
                throw FieldError("expect.\(key)", "unknown field; expect has stream and version")
            }
        }
        guard let stream else { throw FieldError("expect.stream", "missing") }
        guard let version else { throw FieldError("expect.version", "missing") }
        return Expectation(stream: stream, version: version)
    }

    static func fieldList(_ type: EventType) -> String {
        type.schema.map { $0.required ? $0.field.name : "[\($0.field.name)]" }.joined(separator: ", ")
    }

    private static func interpret(_ raw: [(String, RawValue)], type: EventType) throws(FieldError) -> FieldSet {
        var data = FieldSet()
        for (key, value) in raw {
            // readData admitted only known field names.
            let field = Field(name: key)!
            guard let kind = type.kind(of: field) else {
                throw FieldError("data.\(key)", "is not a field of \(type.name); its fields are \(fieldList(type))")
            }
            data[field] = try convert(value, kind: kind, path: "data.\(key)")
        }
        for spec in type.schema where spec.required && !data.contains(spec.field) {
            throw FieldError("data.\(spec.field.name)", "missing; \(type.name) needs \(fieldList(type))")
        }
        return data
    }

    private static func convert(_ value: RawValue, kind: FieldKind, path: String) throws(FieldError) -> FieldValue {
        func bad(_ shown: String) -> FieldError {
            FieldError(path, "\(shown) is not \(kind.expectation)")
        }
        switch kind {
        case .fiscalYear, .basisPoints:
            guard case .integer(let number) = value else {
                if case .string(let text) = value { throw FieldError(path, "must be a JSON integer, not the string \(quoted(text))") }
                throw FieldError(path, "must be \(kind.expectation), found \(value.kindName)")
            }
            let range = kind == .fiscalYear ? minFiscalYear...maxFiscalYear : 0...maxBasisPoints
            guard range.contains(number) else { throw bad(String(number)) }
            return .integer(number)
        default:
            break
        }
        guard case .string(let text) = value else {
            if case .integer = value, kind == .money {
                throw FieldError(path, "must be a string of yuan such as \"1500.50\", not a JSON number")
            }
            if case .number = value, kind == .money {
                throw FieldError(path, "must be a string of yuan such as \"1500.50\", not a JSON number")
            }
            throw FieldError(path, "must be \(kind.expectation), found \(value.kindName)")
        }
        switch kind {
        case .identifier:
            guard Identifier.isValid(text) else { throw bad(quoted(text)) }
            return .string(text)
        case .text:
            guard Identifier.isValidText(text) else { throw bad(quoted(text)) }
            return .string(text)
        case .region:
            guard Identifier.isValidRegion(text) else { throw bad(quoted(text)) }
            return .string(text)
        case .date:
            guard let date = CalendarDate.parse(Array(text.utf8)) else { throw bad(quoted(text)) }
            return .date(date)
        case .monthOrDate:
            let utf8 = Array(text.utf8)
            if utf8.count == 7, let month = YearMonth.parse(utf8) { return .month(month) }
            if utf8.count == 10, let date = CalendarDate.parse(utf8) { return .date(date) }
            throw bad(quoted(text))
        case .money:
            switch Money.parsePositive(text) {
            case .success(let money): return .money(money)
            case .failure(let error): throw FieldError(path, "\(quoted(text)) \(error)")
            }
        case .enumeration(let vocabulary):
            guard let code = vocabulary.code(of: text) else { throw bad(quoted(text)) }
            return .code(code)
        case .fiscalYear, .basisPoints:
            preconditionFailure("handled above")
        }
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

    /// The grant's programme must be one the policy knows, and the grant
    /// must name the subjects that programme needs.
    func checkPolicy(_ event: Event) throws(FieldError) {
        guard event.type == .subsidyGranted else { return }
        let data = event.data
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

/// A value quoted for an error message, shortened if long.
func quoted(_ text: String) -> String {
    let shown = text.count > 80 ? String(text.prefix(77)) + "…" : text
    return "\"" + shown + "\""
}
