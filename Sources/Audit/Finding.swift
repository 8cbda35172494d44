import LedgerCore
import Policy

/// One live event of the audited view with its place in the log (the
/// view's events without reversals and without the events they reverse, as
/// `Ledger.liveEvents(view:)` gives them).
public struct AuditedEvent: Sendable {
    public var seq: UInt64
    public var event: Event

    public init(seq: UInt64, event: Event) {
        self.seq = seq
        self.event = event
    }
}

/// The audit rules of docs/RULES.md.
public enum RuleCode: String, CaseIterable, Comparable, Sendable {
    case loanCap = "LOAN-CAP"
    case loanCategory = "LOAN-CATEGORY"
    case discountRate = "DISCOUNT-RATE"
    case discountExcess = "DISCOUNT-EXCESS"
    case discountOverlap = "DISCOUNT-OVERLAP"
    case termLimit = "TERM-LIMIT"
    case pastRetirement = "PAST-RETIREMENT"
    case duplicatePeriod = "DUPLICATE-PERIOD"
    case onceOnly = "ONCE-ONLY"
    case eligibility = "ELIGIBILITY"
    case writeoffBasis = "WRITEOFF-BASIS"
    case fundOverdraft = "FUND-OVERDRAFT"

    /// Findings sort by the rule's code as text.
    public static func < (a: RuleCode, b: RuleCode) -> Bool { a.rawValue.utf8.lexicographicallyPrecedes(b.rawValue.utf8) }
}

/// A place where the history breaks a rule (docs/RULES.md): the event at which it
/// breaks (`trigger`), the earlier events that break it together with the
/// trigger, the amount paid against the rule (nil where docs/RULES.md says so) and a
/// sentence saying why.
public struct Finding: Hashable, Sendable {
    public var rule: RuleCode
    /// The seed clause, such as `十一`.
    public var clause: String
    /// `person:P`, `enterprise:E`, `loan:L` or `fund:F/R/Y`.
    public var subject: String
    /// The id of the event at which the rule breaks.
    public var trigger: String
    /// The trigger first, then the earlier events cited, in business-date order.
    public var events: [String]
    /// The amount against the rule, or nil (LOAN-CATEGORY).
    public var amount: Money?
    public var message: String
    /// The trigger's place in business-date order (effective date, ties by
    /// sequence), from 0: the last sort key, and how an explanation finds it.
    public var triggerPosition: Int

    public init(rule: RuleCode, clause: String, subject: String, trigger: String, events: [String], amount: Money?,
                message: String, triggerPosition: Int) {
        self.rule = rule
        self.clause = clause
        self.subject = subject
        self.trigger = trigger
        self.events = events
        self.amount = amount
        self.message = message
        self.triggerPosition = triggerPosition
    }

    /// Rule (as text), subject (byte order), then the trigger's place in
    /// business-date order.
    public static func ordered(_ a: Finding, _ b: Finding) -> Bool {
        if a.rule != b.rule { return a.rule < b.rule }
        if a.subject != b.subject { return a.subject.utf8.lexicographicallyPrecedes(b.subject.utf8) }
        return a.triggerPosition < b.triggerPosition
    }
}

extension Finding {
    /// The finding as output shows it: the person of its subject, and every
    /// person of `people` (and every identity number) named in its message,
    /// masked as `masking` says. Sorting and counting use the finding itself.
    public func masked(_ masking: PersonalIDMasking, people: Set<String>) -> Finding {
        guard !masking.showsPersonalIDs else { return self }
        var shown = self
        shown.subject = masking.subject(subject)
        shown.trigger = masking.text(trigger)
        shown.events = events.map { masking.text($0) }
        let person = subject.hasPrefix("person:") ? String(subject.dropFirst("person:".count)) : nil
        shown.message = masking.text(message, people: people, alsoNaming: person)
        return shown
    }
}

/// Why an audit could not be completed.
public enum AuditError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A figure beyond 64-bit fen (or an interest sum beyond 64 bits).
    case overflow(String)
    /// A grant of a programme the policy does not know.
    case unknownProgramme(code: String, event: String, policy: String)
    /// The policy has no value for a date a rule needs, or lacks a parameter.
    case policy(PolicyError)

    public var description: String {
        switch self {
        case .overflow(let what): return "a figure overflowed 64 bits: \(what)"
        case .unknownProgramme(let code, let event, let policy):
            return "\(policy): programmes: no programme \"\(code)\", which event \(event) grants; add it to the policy file"
        case .policy(let error): return error.description
        }
    }
}
