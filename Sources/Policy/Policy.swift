import LedgerCore

/// The effective-dated policy the audit judges a history by (docs/POLICY.md).
///
/// Every number a rule uses is a dated parameter entry with its unit, the
/// clause it comes from and its basis (fixed by the seed, a local standard,
/// or a national rule), so a change of policy is a new entry in the file,
/// not a change of code, and a loan issued in 2016 is judged by the numbers
/// in force in 2016. Programmes are entries too. A policy is loaded from
/// JSON by ``PolicyLoader`` and checked strictly; the seed's policy is
/// built in (``Policy/seed``).
public struct Policy: Sendable {
    /// Where the policy came from, for messages: a file path, or the
    /// embedded seed.
    public let source: String
    /// A short identifier, such as `jilin-2015`.
    public let name: String
    public let title: String
    /// Clause numbers of the seed (`十一`) with their headings.
    public let clauses: [String: Clause]
    /// Each parameter's entries in ascending `from` order.
    public let parameters: [ParameterName: [ParameterEntry]]
    /// Programmes in file order.
    public let programmes: [Programme]
    public let retirement: RetirementRules

    private let programmeIndex: [String: Int]

    public init(source: String, name: String, title: String, clauses: [String: Clause],
                parameters: [ParameterName: [ParameterEntry]], programmes: [Programme], retirement: RetirementRules) {
        self.source = source
        self.name = name
        self.title = title
        self.clauses = clauses
        self.parameters = parameters
        self.programmes = programmes
        self.retirement = retirement
        self.programmeIndex = Dictionary(programmes.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The programme with this code, if the policy knows it.
    public func programme(_ code: String) -> Programme? {
        programmeIndex[code].map { programmes[$0] }
    }

    /// The entry of `parameter` in force on `date`: the last whose `from`
    /// is on or before it.
    ///
    /// Throws a ``PolicyError`` naming the file and the parameter when the
    /// policy has no such parameter or none of its entries is in force yet:
    /// a rule never falls back on a number the file does not give.
    public func value(of parameter: ParameterName, on date: CalendarDate) throws -> ParameterEntry {
        guard let entries = parameters[parameter], !entries.isEmpty else {
            throw PolicyError(file: source, path: "parameters.\(parameter)",
                              message: "missing; a rule needs it on \(date)")
        }
        // Entries are few: a linear scan from the newest is enough.
        for entry in entries.reversed() where entry.from <= date { return entry }
        throw PolicyError(file: source, path: "parameters.\(parameter)",
                          message: "no entry in force on \(date): the first applies from \(entries[0].from); "
                              + "add an entry that covers that date")
    }

    /// The programme catalogue append-time validation uses (codes and
    /// required subjects).
    public var catalogue: ProgrammeCatalogue {
        ProgrammeCatalogue(programmes.map { ProgrammeCatalogue.Programme(code: $0.code, subjects: $0.subjects) })
    }

    /// The bound on one event's amount that append-time validation uses
    /// (`max-event-amount`, required of every policy file).
    public var amountBound: AmountBound {
        let entries = parameters[.maxEventAmount] ?? []
        precondition(!entries.isEmpty, "the loader requires \(ParameterName.maxEventAmount)")
        return AmountBound(entries.map { AmountBound.Entry(from: $0.from, max: $0.money) })
    }

    /// The heading of a clause, `(十一) 支持创业担保贷款发展 · Supporting start-up guarantee loans`,
    /// or just `(十一)` when the file does not name it.
    public func clauseHeading(_ clause: String) -> String {
        guard let named = clauses[clause] else { return "(\(clause))" }
        return "(\(clause)) \(named.zh) · \(named.en)"
    }

    /// The retirement date of a person born on `birth` in `group`: birth
    /// date plus the retirement age in force on `date` (29 February becomes
    /// 28 February in a common year).
    public func retirementDate(born birth: CalendarDate, group: RetirementGroup, on date: CalendarDate) throws -> Retirement {
        let entry = try value(of: retirement.ageParameter(group), on: date)
        let years = Int(entry.integer)
        let day = birth.addingYears(years)
        let pending = retirement.pendingReform.flatMap { reform in day >= reform.from ? reform : nil }
        return Retirement(date: day, group: group, ageYears: years, entry: entry, pendingReform: pending)
    }
}

/// The name of a parameter, such as `loan-cap-individual`.
public struct ParameterName: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Guarantee-loan cap for individual entrepreneurs (十一), yuan.
    public static let loanCapIndividual = ParameterName("loan-cap-individual")
    /// Guarantee-loan cap for college graduates within the window after graduation (十一), yuan.
    public static let loanCapGraduate = ParameterName("loan-cap-graduate")
    /// Guarantee-loan cap for enterprises absorbing qualifying people (十一), yuan.
    public static let loanCapEnterprise = ParameterName("loan-cap-enterprise")
    /// How long after graduation a graduate's loan counts as a graduate loan (十一), years.
    public static let graduateLoanWindow = ParameterName("graduate-loan-window")
    /// How far above the benchmark a person's loan rate may be and still get
    /// an interest discount (十一), basis points.
    public static let discountRateMargin = ParameterName("discount-rate-margin")
    /// The largest amount one event may carry, yuan: a plausibility bound
    /// import enforces (``AmountBound``), not a number of the seed.
    public static let maxEventAmount = ParameterName(AmountBound.parameter)

    /// How close (yuan) a borrower's outstanding guaranteed principal may
    /// come to the cap before the early warnings name the borrower.
    public static let warningLoanCapMargin = ParameterName("warning-loan-cap-margin")
    /// How few months left of a term (or of a retirement extension) make an
    /// early warning, months.
    public static let warningTermMonthsLeft = ParameterName("warning-term-months-left")
    /// How close (basis points) a discounted loan's rate may come to the
    /// benchmark + margin limit before the early warnings name the loan.
    public static let warningDiscountRateMargin = ParameterName("warning-discount-rate-margin")
    /// The days of recent payments the early warnings look back over: a
    /// budget line's daily payment rate, and whether a person is still paid, days.
    public static let warningPaymentWindow = ParameterName("warning-payment-window")

    /// The thresholds of the early warnings (docs/WARNINGS.md), with their
    /// units. A policy file need not have them (the audit does not read
    /// them); when it has one, its unit is checked, and the warnings stop
    /// with an error naming a missing one.
    public static let warningThresholds: [(ParameterName, ParameterUnit)] = [
        (.warningLoanCapMargin, .yuan), (.warningTermMonthsLeft, .months),
        (.warningDiscountRateMargin, .basisPoints), (.warningPaymentWindow, .days),
    ]

    /// The parameters rules look up by name, with the unit each must have.
    /// Parameters named by programmes (terms, retirement extensions) and by
    /// the retirement ages are checked where they are named.
    public static let required: [(ParameterName, ParameterUnit)] = [
        (.loanCapIndividual, .yuan), (.loanCapGraduate, .yuan), (.loanCapEnterprise, .yuan),
        (.graduateLoanWindow, .years), (.discountRateMargin, .basisPoints), (.maxEventAmount, .yuan),
    ]
}

/// The unit of a parameter's value.
public enum ParameterUnit: String, CaseIterable, Sendable {
    case yuan
    case yuanPerPerson = "yuan-per-person"
    case yuanPerMonth = "yuan-per-month"
    case basisPoints = "basis-points"
    case months
    case years
    case days

    /// Money units are written as yuan strings; the others as JSON integers.
    public var isMoney: Bool {
        switch self {
        case .yuan, .yuanPerPerson, .yuanPerMonth: true
        case .basisPoints, .months, .years, .days: false
        }
    }
}

/// Who fixes a parameter.
public enum ParameterBasis: String, CaseIterable, Sendable {
    /// A number the seed document states.
    case seed
    /// A number the seed leaves to each locality (subsidy amounts, say).
    case localStandard = "local-standard"
    /// A national rule outside the seed (retirement ages, later national amendments).
    case national
}

/// A parameter's value: money for money units, an integer otherwise.
public enum ParameterValue: Hashable, Sendable {
    case money(Money)
    case integer(Int64)
}

/// One dated value of a parameter.
public struct ParameterEntry: Hashable, Sendable {
    public let parameter: ParameterName
    /// Position in the parameter's list in the file (for `parameters.X[i]`).
    public let index: Int
    /// The first day the value applies.
    public let from: CalendarDate
    public let value: ParameterValue
    public let unit: ParameterUnit
    /// The seed clause it comes from; nil for national rules outside the seed.
    public let clause: String?
    public let basis: ParameterBasis
    /// The document, for entries that are not the seed's.
    public let source: String?
    /// The words of the policy the value comes from.
    public let text: String?
    public let note: String?

    public init(parameter: ParameterName, index: Int, from: CalendarDate, value: ParameterValue, unit: ParameterUnit,
                clause: String?, basis: ParameterBasis, source: String?, text: String?, note: String?) {
        self.parameter = parameter
        self.index = index
        self.from = from
        self.value = value
        self.unit = unit
        self.clause = clause
        self.basis = basis
        self.source = source
        self.text = text
        self.note = note
    }

    /// The value of a money parameter.
    public var money: Money {
        guard case .money(let money) = value else { preconditionFailure("\(parameter) is in \(unit.rawValue), not money") }
        return money
    }

    /// The value of an integer parameter (basis points, months, years).
    public var integer: Int64 {
        guard case .integer(let number) = value else { preconditionFailure("\(parameter) is in \(unit.rawValue), not an integer") }
        return number
    }

    /// The value with its unit: `100000.00 yuan`, `300 bp`, `36 months`.
    public var valueText: String {
        switch value {
        case .money(let money): return money.yuan + " yuan"
        case .integer(let number):
            switch unit {
            case .basisPoints: return "\(number) bp"
            case .months: return number == 1 ? "1 month" : "\(number) months"
            case .years: return number == 1 ? "1 year" : "\(number) years"
            case .days: return number == 1 ? "1 day" : "\(number) days"
            default: return "\(number) \(unit.rawValue)"
            }
        }
    }

    /// Where the value comes from: `parameter loan-cap-individual from 2015-01-01, clause (十一), seed`.
    public var provenance: String {
        var text = "parameter \(parameter) from \(from)"
        if let clause { text += ", clause (\(clause))" }
        if let source { text += ", \(source)" }
        return text + ", " + basis.rawValue
    }
}

/// A clause of the seed: its heading in Chinese and English.
public struct Clause: Hashable, Sendable {
    public let zh: String
    public let en: String
    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }
}

/// A subsidy programme and the rules that come with it.
public struct Programme: Hashable, Sendable {
    /// The code grants use in `program`.
    public let code: String
    /// The Chinese name.
    public let name: String
    public let nameEnglish: String?
    /// The seed clause the programme comes from.
    public let clause: String
    /// The subjects a grant must name.
    public let subjects: SubjectRequirement
    /// The certification the covered person must hold on the grant's date.
    public let certification: CertificationRequirement?
    /// The enterprise sizes a grant may be paid to; nil when any.
    public let enterpriseSizes: [String]?
    /// The parameter giving the most distinct months a person may be
    /// covered (TERM-LIMIT); nil when no term.
    public let term: ParameterName?
    /// The parameter (years) under which, at the first approval, retirement
    /// being nearer lifts the term; nil when the term is never extended.
    public let retirementExtension: ParameterName?
    /// At most one grant per person (ONCE-ONLY).
    public let onceOnly: Bool

    public init(code: String, name: String, nameEnglish: String?, clause: String, subjects: SubjectRequirement,
                certification: CertificationRequirement?, enterpriseSizes: [String]?, term: ParameterName?,
                retirementExtension: ParameterName?, onceOnly: Bool) {
        self.code = code
        self.name = name
        self.nameEnglish = nameEnglish
        self.clause = clause
        self.subjects = subjects
        self.certification = certification
        self.enterpriseSizes = enterpriseSizes
        self.term = term
        self.retirementExtension = retirementExtension
        self.onceOnly = onceOnly
    }
}

/// A certification a programme needs.
public struct CertificationRequirement: Hashable, Sendable {
    /// A `person.certified` kind, such as `employment-difficulty`.
    public let kind: String
    /// For `college-graduate`: the year the graduation must fall in.
    public let graduatedInYearOf: GraduationYear?

    public init(kind: String, graduatedInYearOf: GraduationYear?) {
        self.kind = kind
        self.graduatedInYearOf = graduatedInYearOf
    }

    /// Which year a graduation must fall in.
    public enum GraduationYear: String, CaseIterable, Sendable {
        /// The year of the grant's effective date.
        case grantDate = "grant-date"
        /// The year of the first month the grant covers (the grant's date when it covers none).
        case firstCoveredMonth = "first-covered-month"
    }
}

/// A person's retirement group (docs/EVENTS.md).
public enum RetirementGroup: String, CaseIterable, Sendable {
    case male
    case femaleWorker = "female-worker"
    case femaleCadre = "female-cadre"

    /// The group of a `person.registered`: its `retirementGroup`, else
    /// `male` for `M` and `female-worker` for `F`.
    public init(registration data: FieldSet) {
        if let code = data.code(.retirementGroup), let name = Vocabulary.retirementGroup.name(of: code),
           let group = RetirementGroup(rawValue: name) {
            self = group
        } else if let code = data.code(.sex), Vocabulary.sex.name(of: code) == "F" {
            self = .femaleWorker
        } else {
            self = .male
        }
    }

    /// `man`, `female worker`, `female cadre`, for messages.
    public var words: String {
        switch self {
        case .male: "man"
        case .femaleWorker: "female worker"
        case .femaleCadre: "female cadre"
        }
    }
}

/// Retirement ages by group, and a reform the file does not carry yet.
public struct RetirementRules: Hashable, Sendable {
    /// The parameter (years) giving each group's retirement age.
    public let ages: [RetirementGroup: ParameterName]
    /// A reform of retirement ages that applies to retirement dates from
    /// `from` on and is not in the file.
    public let pendingReform: PendingReform?

    public init(ages: [RetirementGroup: ParameterName], pendingReform: PendingReform?) {
        self.ages = ages
        self.pendingReform = pendingReform
    }

    public func ageParameter(_ group: RetirementGroup) -> ParameterName {
        guard let name = ages[group] else { preconditionFailure("the loader checks every group has an age") }
        return name
    }

    public struct PendingReform: Hashable, Sendable {
        public let from: CalendarDate
        public let source: String
        public init(from: CalendarDate, source: String) {
            self.from = from
            self.source = source
        }
    }
}

/// A person's retirement date and how it was found.
public struct Retirement: Hashable, Sendable {
    public let date: CalendarDate
    public let group: RetirementGroup
    public let ageYears: Int
    /// The retirement-age entry used.
    public let entry: ParameterEntry
    /// Set when the date falls where a reform the file does not carry applies.
    public let pendingReform: RetirementRules.PendingReform?

    /// `2022-03-05 (man, age 60)`.
    public var description: String { "\(date) (\(group.words), age \(ageYears))" }

    /// A sentence for findings that depend on a date the file cannot judge
    /// exactly; empty otherwise.
    public var reformNote: String {
        guard let reform = pendingReform else { return "" }
        return " Note: the retirement date \(date) falls on or after \(reform.from), from when the gradual "
            + "retirement-age reform applies (\(reform.source)); the policy file does not carry it yet, "
            + "so the age before the reform was used."
    }
}

/// A policy file that cannot be used, or a date it does not cover: the
/// file, the JSON path inside it, and what is wrong.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let path: String
    public let message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `FILE: PATH: message`.
    public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}
