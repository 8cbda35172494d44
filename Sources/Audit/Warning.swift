import LedgerCore
import Policy

/// The kinds of early warning (docs/WARNINGS.md). Where the audit says what
/// went wrong, a warning says what is about to: a borrower near a loan cap,
/// a term or a retirement extension about to end, a loan rate near the
/// discount limit, a budget line that will run out before its fiscal year
/// ends, a certification expiring while the subsidies it allows go on.
public enum WarningKind: String, CaseIterable, Comparable, Sendable {
    case loanCapNear = "LOAN-CAP-NEAR"
    case termEnding = "TERM-ENDING"
    case extensionEnding = "EXTENSION-ENDING"
    case discountRateNear = "DISCOUNT-RATE-NEAR"
    case budgetRunOut = "BUDGET-RUN-OUT"
    case certificationExpiring = "CERTIFICATION-EXPIRING"

    /// Warnings sort by the kind's code as text, as findings sort by rule.
    public static func < (a: WarningKind, b: WarningKind) -> Bool {
        a.rawValue.utf8.lexicographicallyPrecedes(b.rawValue.utf8)
    }
}

/// One figure of a warning, in its own unit: amounts stay fen, rates basis
/// points, spans whole months or days, dates calendar dates.
public enum WarningValue: Hashable, Sendable {
    case money(Money)
    case basisPoints(Int64)
    case months(Int)
    case days(Int)
    case date(CalendarDate)
    case month(YearMonth)
    case text(String)

    /// `100000.00`, `735 bp`, `3 months`, `90 days`, `2017-12-31`, `2017-12`.
    public var text: String {
        switch self {
        case .money(let money): return money.yuan
        case .basisPoints(let bp): return "\(bp) bp"
        case .months(let count): return Say.count(count, "month")
        case .days(let count): return Say.count(count, "day")
        case .date(let date): return date.description
        case .month(let month): return month.description
        case .text(let text): return text
        }
    }

    /// The figure in a language: ``text`` in English; `100,000.00 元`,
    /// `735 个基点`, `3 个月`, `90 天` in Chinese (dates, months and text as they are).
    public func text(in language: TextLanguage) -> String {
        guard language == .chinese else { return text }
        switch self {
        case .money(let money): return Zh.yuan(money)
        case .basisPoints(let bp): return Zh.bp(bp)
        case .months(let count): return Zh.count(count, "个月")
        case .days(let count): return Zh.count(count, "天")
        case .date, .month, .text: return text
        }
    }

    /// JSON: amounts as yuan strings, counts and basis points as integers,
    /// dates and months as strings.
    public var json: String {
        switch self {
        case .money(let money): return "\"" + money.yuan + "\""
        case .basisPoints(let bp): return String(bp)
        case .months(let count), .days(let count): return String(count)
        case .date(let date): return "\"" + date.description + "\""
        case .month(let month): return "\"" + month.description + "\""
        case .text(let text): return JSONString.quote(text)
        }
    }
}

/// A named figure of a warning, such as `outstanding` = 110000.00.
public struct WarningFigure: Hashable, Sendable {
    public var name: String
    public var value: WarningValue

    public init(_ name: String, _ value: WarningValue) {
        self.name = name
        self.value = value
    }
}

/// One early warning: what it is about, the figures behind it, the policy
/// threshold that made it one, and the date it looks ahead to.
///
/// Plain values only, so that a report, a page or an HTTP answer can show
/// it as it likes; ``WarningsJSON`` is the stable JSON form.
public struct Warning: Hashable, Sendable {
    public var kind: WarningKind
    /// `person:P`, `enterprise:E`, `loan:L` or `fund:F/R/Y`.
    public var subject: String
    /// The six-digit region code the warning belongs to: the budget line's,
    /// the loan's, or that of the latest grant behind it.
    public var region: String?
    /// The budget line's fiscal year, or that of the latest grant behind it;
    /// nil for loans and borrowers.
    public var fiscalYear: Int64?
    /// The clause of the policy, such as `十一`.
    public var clause: String
    /// The figures, in a fixed order for each kind (docs/WARNINGS.md).
    public var figures: [WarningFigure]
    /// The policy threshold: its parameter's name and the value in force on
    /// the as-of date.
    public var threshold: WarningFigure
    /// Where the threshold comes from (the parameter entry's provenance).
    public var thresholdSource: String
    /// The date the warning looks ahead to: the projected run-out of a
    /// budget line, the end of a term or extension, a certification's last
    /// valid day. Nil for the warnings that are not about a date.
    public var projectedDate: CalendarDate?
    /// Ids of the events behind it, in business-date order.
    public var events: [String]
    public var message: String

    public init(kind: WarningKind, subject: String, region: String?, fiscalYear: Int64?, clause: String,
                figures: [WarningFigure], threshold: WarningFigure, thresholdSource: String,
                projectedDate: CalendarDate?, events: [String], message: String) {
        self.kind = kind
        self.subject = subject
        self.region = region
        self.fiscalYear = fiscalYear
        self.clause = clause
        self.figures = figures
        self.threshold = threshold
        self.thresholdSource = thresholdSource
        self.projectedDate = projectedDate
        self.events = events
        self.message = message
    }

    /// The figure with this name.
    public func figure(_ name: String) -> WarningValue? {
        figures.first { $0.name == name }?.value
    }

    /// Kind (as text), subject (byte order), projected date (none first),
    /// then the message: the same warnings always come out in the same order.
    public static func ordered(_ a: Warning, _ b: Warning) -> Bool {
        if a.kind != b.kind { return a.kind < b.kind }
        if a.subject != b.subject { return a.subject.utf8.lexicographicallyPrecedes(b.subject.utf8) }
        let x = a.projectedDate?.dayNumber ?? .min, y = b.projectedDate?.dayNumber ?? .min
        if x != y { return x < y }
        return a.message.utf8.lexicographicallyPrecedes(b.message.utf8)
    }

    /// The warning as output shows it: the person of its subject, and every
    /// person of `people` (and every identity number) in its texts, masked
    /// as `masking` says.
    public func masked(_ masking: PersonalIDMasking, people: Set<String>) -> Warning {
        guard !masking.showsPersonalIDs else { return self }
        var shown = self
        shown.subject = masking.subject(subject)
        shown.events = events.map { masking.text($0) }
        let person = subject.hasPrefix("person:") ? String(subject.dropFirst("person:".count)) : nil
        shown.message = masking.text(message, people: people, alsoNaming: person)
        shown.figures = figures.map { figure in
            guard case .text(let text) = figure.value else { return figure }
            return WarningFigure(figure.name, .text(masking.text(text, people: people, alsoNaming: person)))
        }
        return shown
    }
}

/// The early warnings of one view.
public struct WarningsResult: Sendable {
    /// The date the warnings are as of; nil when the view has no event.
    public let asOf: CalendarDate?
    /// How many days ahead dated warnings look.
    public let horizonDays: Int
    public let warnings: [Warning]
    /// The policy's short name and where it came from.
    public let policyName: String
    public let policySource: String
    /// Person ids of the view that masking changes but that do not look like
    /// identity numbers (see ``AuditResult/peopleToMask``).
    public let peopleToMask: Set<String>
    /// The language of the messages.
    public var language: TextLanguage = .english

    /// The last day a dated warning may fall on: as-of + horizon.
    public var horizonEnd: CalendarDate? { asOf?.addingDays(horizonDays) }
}

/// The JSON of `warnings --format json` (docs/WARNINGS.md), a stable interface:
///
///     {"asOf":"2017-12-20","horizonDays":90,"horizonEnd":"2018-03-20","policy":"jilin-2015","warnings":[
///     {"kind":"BUDGET-RUN-OUT","subject":"fund:employment-special/220104/2017","region":"220104","fiscalYear":2017,
///      "clause":"三十一","date":"2017-12-28","figures":{…},"threshold":{"parameter":"warning-payment-window",
///      "value":90,"source":"…"},"events":[],"message":"…"},
///     …
///     ]}
///
/// one warning a line, keys in this order. Fields may be added, never renamed.
public enum WarningsJSON {
    public static func render(_ result: WarningsResult, warnings: [Warning]? = nil) -> String {
        let shown = warnings ?? result.warnings
        var out = "{\"asOf\":" + (result.asOf.map { "\"\($0)\"" } ?? "null")
            + ",\"horizonDays\":\(result.horizonDays)"
            + ",\"horizonEnd\":" + (result.horizonEnd.map { "\"\($0)\"" } ?? "null")
            + ",\"policy\":" + JSONString.quote(result.policyName) + ",\"warnings\":["
        for (index, warning) in shown.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += object(warning)
        }
        out += shown.isEmpty ? "]}\n" : "\n]}\n"
        return out
    }

    /// One warning as a JSON object.
    public static func object(_ warning: Warning) -> String {
        "{\"kind\":" + JSONString.quote(warning.kind.rawValue)
            + ",\"subject\":" + JSONString.quote(warning.subject)
            + ",\"region\":" + (warning.region.map(JSONString.quote) ?? "null")
            + ",\"fiscalYear\":" + (warning.fiscalYear.map(String.init) ?? "null")
            + ",\"clause\":" + JSONString.quote(warning.clause)
            + ",\"date\":" + (warning.projectedDate.map { "\"\($0)\"" } ?? "null")
            + ",\"figures\":{" + warning.figures.map { JSONString.quote($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
            + ",\"threshold\":{\"parameter\":" + JSONString.quote(warning.threshold.name)
            + ",\"value\":" + warning.threshold.value.json
            + ",\"source\":" + JSONString.quote(warning.thresholdSource) + "}"
            + ",\"events\":[" + warning.events.map(JSONString.quote).joined(separator: ",") + "]"
            + ",\"message\":" + JSONString.quote(warning.message) + "}"
    }
}
