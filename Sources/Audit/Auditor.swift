import Dispatch
import LedgerCore
import Policy

/// Checks a history against an effective-dated policy (docs/RULES.md).
///
/// Give it the live events of a view (the ledger's `liveEvents(view:)`:
/// reversed events and reversals already left out, `--effective-on`
/// already applied), as an array or one at a time through an
/// ``AuditInput``. It orders them by business date (effective, ties by
/// sequence), runs each rule (side by side on the machine's cores) and
/// returns the findings sorted by rule, subject and the trigger's place in
/// that order. The same events and policy give the same findings, byte for
/// byte, on every machine, whatever order the events came in.
///
///     let result = try Auditor(policy: .seed).audit(events)
///     for finding in result.findings { print(finding.message) }
///     let steps = try result.explain(result.findings[0])
///
/// Cost: about 75 bytes an event and linear time for events in sequence
/// order, as the ledger gives them (they are put in business-date order by
/// counting days; in any other order they are sorted); every rule is a
/// pass over per-subject groups.
public struct Auditor: Sendable {
    public var policy: Policy
    /// The rules to run (all by default).
    public var rules: [RuleCode]
    /// The language of the findings' messages and of their explanations
    /// (English by default, as every command and the server give them).
    public var language: TextLanguage

    public init(policy: Policy = .seed, rules: [RuleCode] = RuleCode.allCases, language: TextLanguage = .english) {
        self.policy = policy
        self.rules = rules
        self.language = language
    }

    /// Audits `events`. Throws ``AuditError`` when the policy has no value
    /// for a date a rule needs, a grant names a programme the policy does
    /// not know, or a figure overflows.
    public func audit(_ events: [AuditedEvent]) throws -> AuditResult {
        try audit(AuditInput(events))
    }

    /// Audits events gathered one at a time (see ``AuditInput``).
    public func audit(_ input: consuming AuditInput) throws -> AuditResult {
        try audit(context: try AuditContext(input, policy: policy, language: language))
    }

    /// The audit and the early warnings of one input, under this auditor's
    /// policy and in its language, from one context (`report html` shows
    /// both): the input's facts are ordered and indexed once, not twice.
    public func auditAndWarnings(_ input: consuming AuditInput, horizonDays: Int = EarlyWarnings.defaultHorizonDays,
                                 asOf: CalendarDate?) throws -> (audit: AuditResult, warnings: WarningsResult) {
        let context = try AuditContext(input, policy: policy, language: language)
        let warnings = try EarlyWarnings(policy: policy, horizonDays: horizonDays, language: language).warnings(context: context, asOf: asOf)
        return (try audit(context: context), warnings)
    }

    func audit(context: AuditContext) throws -> AuditResult {
        // The rules read the context and nothing else: they run side by
        // side, each writing its own slot. The final sort makes the order
        // of the findings independent of which finished first.
        let codes = Set(rules).sorted()
        let slots = Slots(count: codes.count)
        DispatchQueue.concurrentPerform(iterations: codes.count) { slot in
            slots.set(slot, Result { try Self.rule(codes[slot]).findings(in: context) })
        }
        var findings: [Finding] = []
        for slot in codes.indices { findings += try slots.take(slot).get() }
        findings.sort(by: Finding.ordered)
        return AuditResult(findings: findings, context: context)
    }

    static func rule(_ code: RuleCode) -> any AuditRule.Type {
        switch code {
        case .loanCap: LoanCapRule.self
        case .loanCategory: LoanCategoryRule.self
        case .discountRate: DiscountRateRule.self
        case .discountExcess: DiscountExcessRule.self
        case .discountOverlap: DiscountOverlapRule.self
        case .termLimit: TermLimitRule.self
        case .pastRetirement: PastRetirementRule.self
        case .duplicatePeriod: DuplicatePeriodRule.self
        case .onceOnly: OnceOnlyRule.self
        case .eligibility: EligibilityRule.self
        case .writeoffBasis: WriteoffBasisRule.self
        case .fundOverdraft: FundOverdraftRule.self
        }
    }
}

/// The findings of one audit, and what is needed to explain them.
public struct AuditResult: Sendable {
    public let findings: [Finding]
    let context: AuditContext

    /// The language of the messages and of the explanations.
    public var language: TextLanguage { context.language }

    /// The findings whose trigger is the event with this id.
    public func findings(triggeredBy id: String) -> [Finding] {
        findings.filter { $0.trigger == id }
    }

    /// The person ids of the view that masking changes but that do not look
    /// like identity numbers (those are found by their check character): a
    /// message naming such a person is masked by this list
    /// (``Finding/masked(_:people:)``).
    public var peopleToMask: Set<String> {
        Set(context.people.filter { $0.utf8.count > 2 * PersonalIDMasking.keptAtEachEnd && !ResidentIDNumber.isValid($0) })
    }

    /// Whether an event with this id is among the audited (live) events.
    public func viewContains(eventID id: String) -> Bool {
        context.ids.indices.contains { context.ids[$0] == id && context.rank[$0] >= 0 }
    }

    /// Walks through the computation behind a finding of this audit, in
    /// sentences: the figures, the dates and the policy entries behind it
    /// (the days and outstanding principal behind a discount bound, the
    /// months counted towards a term, …), in the audit's language. The last
    /// step is the finding's message after ``TextLanguage/findingStepPrefix``.
    public func explain(_ finding: Finding) throws -> [String] {
        guard let trigger = context.fact(atPosition: finding.triggerPosition) else { preconditionFailure("a finding of another audit") }
        let trace = Trace(target: trigger, language: context.language)
        let again = try Auditor.rule(finding.rule).findings(at: trigger, in: context, trace: trace)
        guard again.contains(where: { $0.subject == finding.subject && $0.amount == finding.amount }) else {
            preconditionFailure("\(finding.rule.rawValue) at \(finding.trigger) did not recur while explaining it")
        }
        return trace.lines + [context.language.findingStepPrefix + finding.message]
    }
}

/// One result per rule, written by the thread that ran it. Each slot has
/// exactly one writer, and is read only after `concurrentPerform` returns,
/// which orders the writes before the reads.
private final class Slots: @unchecked Sendable {
    private let results: UnsafeMutablePointer<Result<[Finding], any Error>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        results = .allocate(capacity: max(count, 1))
        results.initialize(repeating: nil, count: count)
    }

    deinit {
        results.deinitialize(count: count)
        results.deallocate()
    }

    func set(_ slot: Int, _ result: Result<[Finding], any Error>) {
        precondition(slot >= 0 && slot < count)
        results[slot] = result
    }

    func take(_ slot: Int) -> Result<[Finding], any Error> {
        guard let result = results[slot] else { preconditionFailure("rule \(slot) did not run") }
        return result
    }
}

/// One audit rule: its code and the computation behind its findings.
///
/// Each rule lives in its own file with its clause and its messages. A rule
/// computes all its findings in one go, and can compute again the findings
/// of one trigger while writing its steps down (`trace`), so that an
/// explanation is the same computation as the finding, not a second one.
protocol AuditRule {
    static var code: RuleCode { get }

    /// Every finding of the rule in the view.
    static func findings(in context: AuditContext) throws -> [Finding]

    /// The findings at one trigger (a fact index), computed again with the
    /// steps written down in `trace`.
    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding]
}

/// A rule judged loan by loan, from the loan's issue: the walk over the
/// loans and the re-run for one trigger are the same for each such rule.
protocol LoanIssueRule: AuditRule {
    /// Appends the findings of the loan issued at fact `issue`.
    static func evaluate(_ issue: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws
}

extension LoanIssueRule {
    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for issue in context.loanIssues where issue != Fact.none {
            try evaluate(issue, in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        let issue = context.loanIssues[Int(context.fact(trigger).key)]
        guard issue != Fact.none else { return [] }
        var findings: [Finding] = []
        try evaluate(issue, in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }
}
