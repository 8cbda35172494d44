/// Every field that may appear in an event's `data`, with its stored tag.
///
/// The raw value is the one-byte tag written in the stored record (see
/// docs/FORMAT.md); tags are never reused or renumbered. Fields inside a
/// stored record are written in ascending tag order.
public enum Field: UInt8, CaseIterable, Sendable {
    case person = 1
    case birthDate = 2
    case sex = 3
    case retirementGroup = 4
    case kind = 5
    case graduationDate = 6
    case validUntil = 7
    case enterprise = 8
    case size = 9
    case region = 10
    case fund = 11
    case fiscalYear = 12
    case amount = 13
    case reference = 14
    case fromRegion = 15
    case toRegion = 16
    case grant = 17
    case program = 18
    case periodStart = 19
    case periodEnd = 20
    case approval = 21
    case voucher = 22
    case reason = 23
    case loan = 24
    case category = 25
    case principal = 26
    case rateBp = 27
    case benchmarkBp = 28
    case maturity = 29
    case bank = 30
    case target = 31

    /// The JSON key.
    public var name: String {
        switch self {
        case .person: "person"
        case .birthDate: "birthDate"
        case .sex: "sex"
        case .retirementGroup: "retirementGroup"
        case .kind: "kind"
        case .graduationDate: "graduationDate"
        case .validUntil: "validUntil"
        case .enterprise: "enterprise"
        case .size: "size"
        case .region: "region"
        case .fund: "fund"
        case .fiscalYear: "fiscalYear"
        case .amount: "amount"
        case .reference: "reference"
        case .fromRegion: "fromRegion"
        case .toRegion: "toRegion"
        case .grant: "grant"
        case .program: "program"
        case .periodStart: "periodStart"
        case .periodEnd: "periodEnd"
        case .approval: "approval"
        case .voucher: "voucher"
        case .reason: "reason"
        case .loan: "loan"
        case .category: "category"
        case .principal: "principal"
        case .rateBp: "rateBp"
        case .benchmarkBp: "benchmarkBp"
        case .maturity: "maturity"
        case .bank: "bank"
        case .target: "target"
        }
    }

    /// Whether the field identifies a natural person: its values are personal
    /// data (often a resident identity number), which every output masks
    /// unless `--show-personal-ids` is given (``PersonalIDMasking``;
    /// docs/EVENTS.md, "Personal data"). Aggregates key on the real value.
    public var isPersonal: Bool {
        switch self {
        case .person: true
        default: false
        }
    }

    private static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    /// The field with this JSON key, or nil.
    public init?(name: String) {
        guard let field = Field.byName[name] else { return nil }
        self = field
    }

    /// Names as bytes, bucketed by length, for matching keys without making strings.
    private static let byLength: [[(name: [UInt8], field: Field)]] = {
        var buckets = [[([UInt8], Field)]](repeating: [], count: 32)
        for field in allCases { buckets[field.name.utf8.count].append((Array(field.name.utf8), field)) }
        return buckets
    }()

    init?(bytes text: JSONText) {
        let found: Field? = text.withBytes { bytes in
            guard bytes.count < Field.byLength.count else { return nil }
            return Field.byLength[bytes.count].first { entry in entry.name.elementsEqual(bytes) }?.field
        }
        guard let found else { return nil }
        self = found
    }
}

/// The closed vocabularies of the input format. A stored enumeration value is
/// its one-byte position in `values` (see docs/FORMAT.md).
public enum Vocabulary: Sendable {
    case sex, retirementGroup, certification, enterpriseSize, loanCategory

    public var values: [String] {
        switch self {
        case .sex: ["M", "F"]
        case .retirementGroup: ["male", "female-worker", "female-cadre"]
        case .certification: ["employment-difficulty", "entrepreneurship-training", "college-graduate",
                              "registered-unemployed", "disabled", "veteran"]
        case .enterpriseSize: ["micro", "small", "medium", "large"]
        case .loanCategory: ["individual", "graduate", "enterprise"]
        }
    }

    public func code(of text: String) -> UInt8? {
        values.firstIndex(of: text).map { UInt8($0) }
    }

    private static let sexBytes = Vocabulary.sex.values.map { Array($0.utf8) }
    private static let retirementGroupBytes = Vocabulary.retirementGroup.values.map { Array($0.utf8) }
    private static let certificationBytes = Vocabulary.certification.values.map { Array($0.utf8) }
    private static let enterpriseSizeBytes = Vocabulary.enterpriseSize.values.map { Array($0.utf8) }
    private static let loanCategoryBytes = Vocabulary.loanCategory.values.map { Array($0.utf8) }

    func code(of text: JSONText) -> UInt8? {
        let words: [[UInt8]]
        switch self {
        case .sex: words = Self.sexBytes
        case .retirementGroup: words = Self.retirementGroupBytes
        case .certification: words = Self.certificationBytes
        case .enterpriseSize: words = Self.enterpriseSizeBytes
        case .loanCategory: words = Self.loanCategoryBytes
        }
        return text.withBytes { bytes in words.firstIndex { $0.elementsEqual(bytes) }.map { UInt8($0) } }
    }

    public func name(of code: UInt8) -> String? {
        Int(code) < values.count ? values[Int(code)] : nil
    }
}

/// How a field's value is written in JSON and stored.
public enum FieldKind: Sendable, Equatable {
    /// 1–64 characters of `A–Z a–z 0–9 . _ : -`; stored as a string.
    case identifier
    /// 1–256 bytes of UTF-8 without control characters; stored as a string.
    case text
    /// Six ASCII digits (GB/T 2260); stored as a string.
    case region
    /// `YYYY-MM-DD`; stored as days since 1970-01-01.
    case date
    /// `YYYY-MM` or `YYYY-MM-DD`; stored with a one-byte discriminator.
    case monthOrDate
    /// Yuan string; stored as fen.
    case money
    /// JSON integer 1990–2100.
    case fiscalYear
    /// JSON integer 0–10000 (basis points).
    case basisPoints
    /// One of a vocabulary's strings; stored as its code.
    case enumeration(Vocabulary)

    /// A phrase for error messages: what a valid value looks like.
    public var expectation: String {
        switch self {
        case .identifier: "a string of 1–64 characters from A–Z a–z 0–9 . _ : -"
        case .text: "a non-empty string of at most 256 bytes without control characters"
        case .region: "a six-digit GB/T 2260 region code such as \"220102\""
        case .date: "a calendar date \"YYYY-MM-DD\" between 1900 and 2199"
        case .monthOrDate: "a month \"YYYY-MM\" or a date \"YYYY-MM-DD\""
        case .money: "an amount in yuan as a string, such as \"1500\" or \"1500.50\""
        case .fiscalYear: "a JSON integer year between 1990 and 2100"
        case .basisPoints: "a JSON integer of basis points between 0 and 10000"
        case .enumeration(let vocabulary): "one of " + vocabulary.values.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}

/// A decoded field value.
public enum FieldValue: Hashable, Sendable {
    case string(String)
    case date(CalendarDate)
    case month(YearMonth)
    case money(Money)
    case integer(Int64)
    case code(UInt8)
}

/// The fields of one event, kept sorted by tag.
public struct FieldSet: Hashable, Sendable {
    public private(set) var entries: [(field: Field, value: FieldValue)]

    public init() { entries = [] }

    /// Fields already in strictly ascending tag order (as stored).
    init(ascending pairs: [(field: Field, value: FieldValue)]) {
        entries = pairs
    }

    public init(_ pairs: [(Field, FieldValue)]) {
        entries = []
        for (field, value) in pairs { self[field] = value }
    }

    public subscript(field: Field) -> FieldValue? {
        get {
            // By index: only the value found is copied, not every entry
            // (with its string retained and released) on the way to it.
            for index in entries.indices where entries[index].field == field { return entries[index].value }
            return nil
        }
        set {
            if let index = entries.firstIndex(where: { $0.field == field }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                let position = entries.firstIndex(where: { $0.field.rawValue > field.rawValue }) ?? entries.count
                entries.insert((field, newValue), at: position)
            }
        }
    }

    public func contains(_ field: Field) -> Bool { self[field] != nil }

    /// Adds a field not yet present, keeping tag order.
    public mutating func append(_ field: Field, _ value: FieldValue) {
        if let last = entries.last, last.field.rawValue > field.rawValue {
            self[field] = value
        } else {
            entries.append((field, value))
        }
    }

    public func string(_ field: Field) -> String? {
        if case .string(let s)? = self[field] { return s }
        return nil
    }

    public func money(_ field: Field) -> Money? {
        if case .money(let m)? = self[field] { return m }
        return nil
    }

    public func date(_ field: Field) -> CalendarDate? {
        if case .date(let d)? = self[field] { return d }
        return nil
    }

    public func integer(_ field: Field) -> Int64? {
        if case .integer(let i)? = self[field] { return i }
        return nil
    }

    public func code(_ field: Field) -> UInt8? {
        if case .code(let c)? = self[field] { return c }
        return nil
    }

    public static func == (lhs: FieldSet, rhs: FieldSet) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.field == $1.field && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.field)
            hasher.combine(entry.value)
        }
    }
}
