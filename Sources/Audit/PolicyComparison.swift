import LedgerCore
import Policy

/// What-if (`audit --compare-with DIR`, `audit --set …`): the same view
/// audited under two policies, and the findings that differ
/// (docs/RULES.md, "What-if").
///
/// A finding is the same finding under both when its rule, subject and
/// trigger are the same (the n-th of them, should one trigger give several).
/// It *appears* when only the other policy has it, *disappears* when only
/// the base has it, and *changes* when both have it with different amounts;
/// a finding whose amount is the same is no difference, even when its
/// message cites another number's source.
///
/// Cost: the events are reduced to facts once; the two audits share them,
/// so the whole is at most twice one audit.
public struct PolicyComparison: Sendable {
    public var base: Policy
    public var other: Policy
    public var rules: [RuleCode]

    public init(base: Policy, other: Policy, rules: [RuleCode] = RuleCode.allCases) {
        self.base = base
        self.other = other
        self.rules = rules
    }

    public func compare(_ events: [AuditedEvent]) throws -> ComparisonResult {
        try compare(AuditInput(events))
    }

    /// Throws ``AuditError`` as either audit does.
    public func compare(_ input: consuming AuditInput) throws -> ComparisonResult {
        // Done once here, so that the two audits share the facts instead of
        // each copying them to resolve the recoveries.
        input.resolveRecoveries()
        let shared = input
        let before = try Auditor(policy: base, rules: rules).audit(shared)
        let after = try Auditor(policy: other, rules: rules).audit(shared)
        return ComparisonResult(base: before, other: after)
    }
}

/// How a finding differs between the two policies.
public enum FindingChangeKind: String, CaseIterable, Sendable {
    case appeared, disappeared, changed
}

/// One finding that differs, with where its money is: the region and fiscal
/// year of its trigger (``AuditResult/place(_:)``).
public struct FindingChange: Sendable {
    public var change: FindingChangeKind
    /// The finding under the base policy (nil when it appeared).
    public var before: Finding?
    /// The finding under the other policy (nil when it disappeared).
    public var after: Finding?
    public var region: String?
    public var fiscalYear: Int64?

    /// The finding as one of the two audits has it (the other's when both do).
    public var finding: Finding {
        guard let shown = after ?? before else { preconditionFailure("a change without a finding") }
        return shown
    }

    /// The other amount less the base amount, fen (a missing finding or
    /// amount counts 0): the money at stake.
    public var difference: Int128 { Int128(after?.amount?.fen ?? 0) - Int128(before?.amount?.fen ?? 0) }
}

/// The changes of one rule in one region and fiscal year, with their money.
public struct ComparisonSummaryRow: Hashable, Sendable {
    public var rule: RuleCode
    public var region: String?
    public var fiscalYear: Int64?
    public var appeared = 0
    public var disappeared = 0
    public var changed = 0
    /// The amounts of these findings under the base and under the other
    /// policy, and other − base, in fen (128 bits: never overflows).
    public var before: Int128 = 0
    public var after: Int128 = 0
    public var difference: Int128 { after - before }
}

/// The difference between the audits of one view under two policies.
public struct ComparisonResult: Sendable {
    public let base: AuditResult
    public let other: AuditResult
    /// Ordered by rule, subject, the trigger's place in business-date order,
    /// then appeared, disappeared, changed, then message.
    public let changes: [FindingChange]

    init(base: AuditResult, other: AuditResult) {
        self.base = base
        self.other = other
        struct Key: Hashable {
            var rule: RuleCode
            var subject: String
            var position: Int
            var occurrence: Int
        }
        func keyed(_ findings: [Finding]) -> [Key: Finding] {
            var seen: [Key: Int] = [:]
            var out: [Key: Finding] = [:]
            for finding in findings {
                var key = Key(rule: finding.rule, subject: finding.subject, position: finding.triggerPosition, occurrence: 0)
                key.occurrence = seen[key, default: 0]
                seen[Key(rule: finding.rule, subject: finding.subject, position: finding.triggerPosition, occurrence: 0)] = key.occurrence + 1
                out[key] = finding
            }
            return out
        }
        // Both audits read the same facts in the same business-date order,
        // so a trigger's place is the same in both.
        let before = keyed(base.findings), after = keyed(other.findings)
        var changes: [FindingChange] = []
        for (key, finding) in before {
            let place = base.place(finding)
            if let now = after[key] {
                if now.amount != finding.amount {
                    changes.append(FindingChange(change: .changed, before: finding, after: now, region: place.region,
                                                 fiscalYear: place.fiscalYear))
                }
            } else {
                changes.append(FindingChange(change: .disappeared, before: finding, after: nil, region: place.region,
                                             fiscalYear: place.fiscalYear))
            }
        }
        for (key, finding) in after where before[key] == nil {
            let place = other.place(finding)
            changes.append(FindingChange(change: .appeared, before: nil, after: finding, region: place.region, fiscalYear: place.fiscalYear))
        }
        let order = Dictionary(uniqueKeysWithValues: FindingChangeKind.allCases.enumerated().map { ($1, $0) })
        changes.sort { a, b in
            let x = a.finding, y = b.finding
            if x.rule != y.rule { return x.rule < y.rule }
            if x.subject != y.subject { return x.subject.utf8.lexicographicallyPrecedes(y.subject.utf8) }
            if x.triggerPosition != y.triggerPosition { return x.triggerPosition < y.triggerPosition }
            if a.change != b.change { return order[a.change, default: 0] < order[b.change, default: 0] }
            return x.message.utf8.lexicographicallyPrecedes(y.message.utf8)
        }
        self.changes = changes
    }

    /// Counts and money by rule, region and fiscal year, ordered by rule,
    /// region (none last) and year (none last).
    public var summary: [ComparisonSummaryRow] {
        struct Key: Hashable {
            var rule: RuleCode
            var region: String?
            var fiscalYear: Int64?
        }
        var rows: [Key: ComparisonSummaryRow] = [:]
        for change in changes {
            let key = Key(rule: change.finding.rule, region: change.region, fiscalYear: change.fiscalYear)
            var row = rows[key] ?? ComparisonSummaryRow(rule: key.rule, region: key.region, fiscalYear: key.fiscalYear)
            switch change.change {
            case .appeared: row.appeared += 1
            case .disappeared: row.disappeared += 1
            case .changed: row.changed += 1
            }
            row.before += Int128(change.before?.amount?.fen ?? 0)
            row.after += Int128(change.after?.amount?.fen ?? 0)
            rows[key] = row
        }
        return rows.values.sorted { a, b in
            if a.rule != b.rule { return a.rule < b.rule }
            if a.region != b.region {
                guard let x = a.region else { return false }
                guard let y = b.region else { return true }
                return x.utf8.lexicographicallyPrecedes(y.utf8)
            }
            return (a.fiscalYear ?? .max) < (b.fiscalYear ?? .max)
        }
    }

    /// Person ids to mask in messages (``AuditResult/peopleToMask``).
    public var peopleToMask: Set<String> { base.peopleToMask }
}

extension AuditResult {
    /// Where a finding's money is: the budget line of its trigger (a
    /// transfer's sending line, a subsidy recovery's grant's line), or for
    /// a loan's own events (issue, repayment, default, write-off) the loan's
    /// region and the event's calendar year. Both nil when the trigger names
    /// no place.
    public func place(_ finding: Finding) -> (region: String?, fiscalYear: Int64?) {
        guard let trigger = context.fact(atPosition: finding.triggerPosition) else { preconditionFailure("a finding of another audit") }
        let fact = context.fact(trigger)
        switch fact.type {
        case .loanIssued, .loanRepaid, .loanDefaulted, .guaranteeWrittenOff:
            let region = context.loanRegions[Int(fact.key)]
            return (region.isEmpty ? nil : region, Int64(fact.date.year))
        default:
            guard fact.line != Fact.none else { return (nil, nil) }
            let line = context.lines[Int(fact.line)]
            return (line.region, line.fiscalYear)
        }
    }
}

/// The JSON of `audit --compare-with/--set --format json` (docs/RULES.md), a
/// stable interface: fields may be added, never renamed.
///
///     {"base":{"policy":"jilin-2015","source":"…","findings":13},
///      "other":{"policy":"jilin-2015","source":"… with --set …","findings":12},
///      "summary":[{"rule":"LOAN-CAP","region":"220102","fiscalYear":2016,"appeared":0,"disappeared":1,
///                  "changed":0,"before":"10000.00","after":"0.00","difference":"-10000.00"}],
///      "changes":[
///     {"change":"disappeared","rule":"LOAN-CAP",…,"before":"10000.00","after":null,"difference":"-10000.00","finding":{…}}
///     ]}
public enum ComparisonJSON {
    /// `changes` may be given masked (``Finding/masked(_:people:)``) in the
    /// order of `result.changes`.
    public static func render(_ result: ComparisonResult, base: Policy, other: Policy, shown: [Finding]? = nil) -> String {
        func side(_ policy: Policy, _ audit: AuditResult) -> String {
            "{\"policy\":" + JSONString.quote(policy.name) + ",\"source\":" + JSONString.quote(policy.source)
                + ",\"findings\":\(audit.findings.count)}"
        }
        func amount(_ fen: Int128) -> String { "\"" + Money.yuan(fen: fen) + "\"" }
        func optional(_ money: Money??) -> String {
            guard let present = money else { return "null" }
            return present.map { "\"" + $0.yuan + "\"" } ?? "null"
        }
        var out = "{\"base\":" + side(base, result.base) + ",\n\"other\":" + side(other, result.other) + ",\n\"summary\":["
        for (index, row) in result.summary.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "{\"rule\":" + JSONString.quote(row.rule.rawValue)
                + ",\"region\":" + (row.region.map(JSONString.quote) ?? "null")
                + ",\"fiscalYear\":" + (row.fiscalYear.map(String.init) ?? "null")
                + ",\"appeared\":\(row.appeared),\"disappeared\":\(row.disappeared),\"changed\":\(row.changed)"
                + ",\"before\":" + amount(row.before) + ",\"after\":" + amount(row.after) + ",\"difference\":" + amount(row.difference) + "}"
        }
        out += result.summary.isEmpty ? "],\n\"changes\":[" : "\n],\n\"changes\":["
        for (index, change) in result.changes.enumerated() {
            let finding = shown?[index] ?? change.finding
            out += index == 0 ? "\n" : ",\n"
            out += "{\"change\":\"\(change.change.rawValue)\",\"rule\":" + JSONString.quote(finding.rule.rawValue)
                + ",\"subject\":" + JSONString.quote(finding.subject) + ",\"trigger\":" + JSONString.quote(finding.trigger)
                + ",\"region\":" + (change.region.map(JSONString.quote) ?? "null")
                + ",\"fiscalYear\":" + (change.fiscalYear.map(String.init) ?? "null")
                + ",\"before\":" + optional(change.before.map(\.amount)) + ",\"after\":" + optional(change.after.map(\.amount))
                + ",\"difference\":" + amount(change.difference) + ",\"finding\":" + FindingsJSON.object(finding) + "}"
        }
        out += result.changes.isEmpty ? "]}\n" : "\n]}\n"
        return out
    }
}
