import ArgumentParser
import Audit
import EventStore
import LedgerCore
import Policy
import Reports

/// `audit --compare-with DIR` and `audit --set NAME=VALUE@DATE`: the same
/// view audited under a second policy, and the findings that differ
/// (docs/RULES.md, "What-if"). The comparison is the library's
/// (``PolicyComparison``); this file reads the options and renders.
struct WhatIfOptions: ParsableArguments {
    @Option(name: .customLong("compare-with"), help: ArgumentHelp(
        "What-if: audit the view under the policy in DIR/policy.json as well, and list the findings that differ.",
        valueName: "dir"))
    var compareWith: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "What-if: a parameter value from a date, such as loan-cap-individual=150000.00@2016-01-01, in the policy compared with (repeat for more).",
        valueName: "name=value@date"))
    var overrides: [String] = []

    /// Whether a comparison was asked for.
    var active: Bool { compareWith != nil || !overrides.isEmpty }

    func validate() throws {
        for text in overrides {
            do {
                _ = try ParameterOverride.parse(text)
            } catch let error as PolicyError {
                throw ValidationError(error.description)
            }
        }
    }

    /// Refuses what cannot go with a comparison.
    func check(explain: String?) throws {
        if active && explain != nil {
            throw ValidationError("--explain explains one audit; it cannot be combined with --compare-with or --set")
        }
    }

    /// The policy compared with: DIR's (or the base's) with the overrides.
    func otherPolicy(base: Policy) throws -> Policy {
        let start: Policy
        do {
            start = try compareWith.map { try Policy.load(directory: $0) } ?? base
        } catch let error as PolicyError {
            throw CLIFailure.input("error: --compare-with: \(error)")
        }
        do {
            return try start.overriding(try overrides.map(ParameterOverride.parse))
        } catch let error as PolicyError {
            throw CLIFailure.input("error: \(error)")
        }
    }
}

extension AuditCommand {
    /// Audits the view under both policies and prints the difference; exits
    /// 3 under --fail-on-findings when there is any. The view is read once.
    func runWhatIf() throws {
        let base = try loadPolicy(policy)
        let other = try whatIf.otherPolicy(base: base)
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let input = try Self.read(ledger, view: view.ledgerView)
        let result: ComparisonResult
        do {
            result = try PolicyComparison(base: base, other: other, rules: selectedRules).compare(input)
        } catch let error as AuditError {
            if case .overflow = error { throw error }
            throw CLIFailure.input("error: \(error)")
        }
        let people = privacy.showPersonalIDs ? [] : result.peopleToMask
        let shown = result.changes.map { $0.finding.masked(privacy.masking, people: people) }
        let text: String
        switch view.outputFormat {
        case .json: text = ComparisonJSON.render(result, base: base, other: other, shown: shown)
        case .csv: text = (output == nil ? "" : CSV.byteOrderMark) + Self.comparisonCSV(result, shown: shown)
        case .table: text = terminalSafe(Self.comparisonTable(result, shown: shown, base: base, other: other))
        }
        try write(text, to: output, masking: privacy.masking)
        if failOnFindings && !result.changes.isEmpty { throw ExitCode(3) }
    }

    /// One line a change, RFC 4180.
    static func comparisonCSV(_ result: ComparisonResult, shown: [Finding]) -> String {
        var out = "change,rule,clause,subject,trigger,region,fiscalYear,before,after,difference,message\r\n"
        for (change, finding) in zip(result.changes, shown) {
            out += [change.change.rawValue, finding.rule.rawValue, finding.clause, finding.subject, finding.trigger,
                    change.region ?? "", change.fiscalYear.map(String.init) ?? "", change.before?.amount?.yuan ?? "",
                    change.after?.amount?.yuan ?? "", Money.yuan(fen: change.difference), finding.message]
                .map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// The two policies, the summary by rule, region and fiscal year with
    /// the money at stake, then each change.
    static func comparisonTable(_ result: ComparisonResult, shown: [Finding], base: Policy, other: Policy) -> String {
        var out = "What-if: \(result.base.findings.count) finding\(result.base.findings.count == 1 ? "" : "s") under \(base.name) "
            + "(\(base.source)), \(result.other.findings.count) under \(other.name) (\(other.source)).\n"
        guard !result.changes.isEmpty else { return out + "No differences.\n" }
        var summary = TextTable(headers: ["RULE", "REGION", "YEAR", "APPEARED", "DISAPPEARED", "CHANGED", "BEFORE", "AFTER", "DIFFERENCE"],
                                rightAligned: [3, 4, 5, 6, 7, 8])
        var before: Int128 = 0, after: Int128 = 0
        var counts = (0, 0, 0)
        for row in result.summary {
            summary.rows.append([row.rule.rawValue, row.region ?? "—", row.fiscalYear.map(String.init) ?? "—", String(row.appeared),
                                 String(row.disappeared), String(row.changed), Money.yuan(fen: row.before), Money.yuan(fen: row.after),
                                 Money.yuan(fen: row.difference)])
            before += row.before
            after += row.after
            counts = (counts.0 + row.appeared, counts.1 + row.disappeared, counts.2 + row.changed)
        }
        summary.rows.append(["TOTAL", "", "", String(counts.0), String(counts.1), String(counts.2), Money.yuan(fen: before),
                             Money.yuan(fen: after), Money.yuan(fen: after - before)])
        out += "\n" + summary.render() + "\n\n"
        let indent = String(repeating: " ", count: String(shown.count).count + 2)
        for (index, (change, finding)) in zip(result.changes, shown).enumerated() {
            let number = String(index + 1) + "."
            let amounts: String
            switch change.change {
            case .appeared: amounts = finding.amount.map { "  \($0.yuan)" } ?? ""
            case .disappeared: amounts = change.before?.amount.map { "  \($0.yuan)" } ?? ""
            case .changed: amounts = "  \(change.before?.amount?.yuan ?? "—") → \(change.after?.amount?.yuan ?? "—")"
            }
            out += number + String(repeating: " ", count: indent.count - number.count)
                + "\(change.change.rawValue)  \(finding.rule.rawValue)  \(finding.subject)  trigger \(finding.trigger)\(amounts)\n"
            out += indent + "\(finding.message)\n\n"
        }
        out += "\(result.changes.count) difference\(result.changes.count == 1 ? "" : "s"): \(counts.0) appeared, "
            + "\(counts.1) disappeared, \(counts.2) changed; money at stake \(Money.yuan(fen: after - before)).\n"
        return out
    }
}
