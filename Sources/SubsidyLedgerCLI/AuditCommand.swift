import ArgumentParser
import Audit
import EventStore
import Glibc
import LedgerCore
import Policy
import Projections
import Reports

/// `audit`: findings of docs/RULES.md against the effective-dated policy.
struct AuditCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the history against the effective-dated policy and list where it breaks a rule.",
        // Written out: past 12 options the generated line shrinks to `<options>`.
        usage: "subsidy-ledger audit [--ledger <dir>] [--as-of-seq <n>] [--known-at <time>] [--effective-on <date>] "
            + "[--format <format>] [--show-personal-ids] [--policy <dir>] [--compare-with <dir>] [--set <name=value@date> ...] "
            + "[--rule <rule> ...] [--fail-on-findings] [--explain <event-id>] [--output <file>]",
        discussion: """
            Replays the view (--as-of-seq, --known-at, --effective-on) in business-date order and checks \
            every rule of the policy: LOAN-CAP, LOAN-CATEGORY, DISCOUNT-RATE, DISCOUNT-EXCESS, \
            DISCOUNT-OVERLAP, TERM-LIMIT, PAST-RETIREMENT, DUPLICATE-PERIOD, ONCE-ONLY, ELIGIBILITY, \
            WRITEOFF-BASIS, FUND-OVERDRAFT. Each finding names the rule, the clause of the policy, the \
            subject, the event at which the rule breaks (the trigger), the earlier events that break it \
            with it, and the amount paid against the rule.

            The policy is the seed's (built in) unless --policy DIR names a directory holding policy.json \
            (for example Fixtures/policy/amended). --explain EVENT walks through the computation behind \
            the findings that event triggers. --fail-on-findings exits 3 when there is any finding.

            What-if: --compare-with DIR2 audits the same view under DIR2's policy too, and --set \
            NAME=VALUE@DATE (repeatable) changes a parameter of the policy compared with (DIR2's, or the \
            first one's) from DATE on. The output is the difference: the findings that appear, disappear \
            or change amount, summarised by rule, region and fiscal year with the money at stake, then \
            listed; with --fail-on-findings, exit 3 when there is any difference.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("Audit against the policy in DIR/policy.json instead of the seed's.", valueName: "dir"))
    var policy: String?

    @OptionGroup var whatIf: WhatIfOptions

    @Option(name: .customLong("rule"), help: ArgumentHelp("Only this rule (repeat for more), such as LOAN-CAP.", valueName: "rule"))
    var rules: [String] = []

    @Flag(name: .customLong("fail-on-findings"), help: "Exit 3 when there is any finding.")
    var failOnFindings = false

    @Option(help: ArgumentHelp("Explain the findings triggered by the event with this id.", valueName: "event-id"))
    var explain: String?

    @Option(help: ArgumentHelp("Write to this file instead of standard output (CSV gets a UTF-8 byte-order mark).", valueName: "file"))
    var output: String?

    func validate() throws {
        try whatIf.check(explain: explain)
        for rule in rules where RuleCode(rawValue: rule.uppercased()) == nil {
            throw ValidationError("--rule: \"\(rule)\" is not one of " + RuleCode.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    var selectedRules: [RuleCode] {
        rules.isEmpty ? RuleCode.allCases : rules.compactMap { RuleCode(rawValue: $0.uppercased()) }
    }

    func run() throws {
        if whatIf.active { return try runWhatIf() }
        let chosenPolicy = try loadPolicy(policy)
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let input = try Self.read(ledger, view: view.ledgerView)

        let result: AuditResult
        do {
            result = try Auditor(policy: chosenPolicy, rules: selectedRules).audit(input)
        } catch let error as AuditError {
            // An overflow is the ledger's problem (exit 4, in main), not the input's.
            if case .overflow = error { throw error }
            throw CLIFailure.input("error: \(error)")
        }

        // Findings are sorted and counted as they are; only what is printed is masked.
        let people = privacy.showPersonalIDs ? [] : result.peopleToMask
        if let explain {
            try write(try explanation(of: explain, in: result, people: people), to: output, masking: privacy.masking)
        } else {
            let shown = result.findings.map { $0.masked(privacy.masking, people: people) }
            try write(render(shown, policy: chosenPolicy), to: output, masking: privacy.masking)
        }
        if failOnFindings && !result.findings.isEmpty { throw ExitCode(3) }
    }

    /// The view's live events as audit facts, read as a stream.
    ///
    /// This is the view `Ledger.liveEvents(view:)` gives (the prefix's
    /// events effective by the view's date, without reversals and the
    /// events they reverse, whatever the reversal's own date), built
    /// without decoding or holding the events: each record is read in place
    /// and reduced to the audit's fixed-size facts (about 90 bytes an event;
    /// a decoded event takes about 550). Reversals go to the input, which
    /// leaves their targets out.
    static func read(_ ledger: Ledger, view: LedgerView) throws -> AuditInput {
        var input = AuditInput()
        // An upper bound on the events read: no array grows by copying.
        input.reserveCapacity(Int(min(try ledger.head().seq, view.asOfSeq ?? .max)))
        try ledger.forEachRecord(to: view.asOfSeq ?? .max) { record in
            // Recorded times never decrease: the first event past the view ends it.
            guard view.inPrefix(seq: record.seq, recordedMicros: record.recordedMicros) else { return false }
            if record.type == .entryReversed || view.counts(effective: record.effective) {
                input.add(seq: record.seq, record: record)
            }
            return true
        }
        return input
    }

    // MARK: Output

    func render(_ findings: [Finding], policy: Policy) -> String {
        switch view.outputFormat {
        case .json: return FindingsJSON.render(findings)
        case .csv: return (output == nil ? "" : CSV.byteOrderMark) + csv(findings)
        case .table: return terminalSafe(table(findings, policy: policy))
        }
    }

    /// RFC 4180, events separated by spaces.
    func csv(_ findings: [Finding]) -> String {
        var out = "rule,clause,subject,trigger,events,amount,message\r\n"
        for finding in findings {
            out += [finding.rule.rawValue, finding.clause, finding.subject, finding.trigger,
                    finding.events.joined(separator: " "), finding.amount?.yuan ?? "", finding.message]
                .map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// One block a finding: the rule, the clause in Chinese and English,
    /// the subject, the amount over, the entries cited and why; then the
    /// count and amount per rule.
    func table(_ findings: [Finding], policy: Policy) -> String {
        guard !findings.isEmpty else { return "No findings (policy \(policy.name)).\n" }
        var out = ""
        let indent = String(repeating: " ", count: String(findings.count).count + 2)
        for (index, finding) in findings.enumerated() {
            let number = String(index + 1) + "."
            out += number + String(repeating: " ", count: indent.count - number.count) + "\(finding.rule.rawValue)  \(finding.subject)"
                + (finding.amount.map { "  \($0.yuan) over" } ?? "") + "\n"
            out += indent + "clause   \(policy.clauseHeading(finding.clause))\n"
            out += indent + "trigger  \(finding.trigger)\n"
            out += indent + "entries  \(finding.events.joined(separator: " "))\n"
            out += indent + "\(finding.message)\n\n"
        }
        var summary = TextTable(headers: ["RULE", "FINDINGS", "AMOUNT"], rightAligned: [1, 2])
        for rule in RuleCode.allCases.sorted() {
            let ofRule = findings.filter { $0.rule == rule }
            guard !ofRule.isEmpty else { continue }
            // Findings of one rule may cite the same money more than once
            // (each LOAN-CAP finding counts the borrower's whole outstanding
            // principal): their sum is taken in 128 bits, never wrapped.
            let total = ofRule.compactMap(\.amount).reduce(Int128(0)) { $0 + Int128($1.fen) }
            let anyAmount = ofRule.contains { $0.amount != nil }
            summary.rows.append([rule.rawValue, String(ofRule.count), anyAmount ? Money.yuan(fen: total) : "—"])
        }
        out += summary.render() + "\n"
        out += "\(findings.count) finding\(findings.count == 1 ? "" : "s") against policy \(policy.name) (\(policy.source)).\n"
        return out
    }

    func explanation(of id: String, in result: AuditResult, people: Set<String>) throws -> String {
        let findings = result.findings(triggeredBy: id)
        let masking = privacy.masking
        func steps(_ finding: Finding) throws -> [String] {
            var named = people
            if finding.subject.hasPrefix("person:") { named.insert(String(finding.subject.dropFirst("person:".count))) }
            return try result.explain(finding).map { masking.text($0, people: named) }
        }
        guard !findings.isEmpty else {
            let known = result.viewContains(eventID: id)
            throw CLIFailure.input("error: --explain: " + (known
                ? "\(id) triggers no finding in this view" + (rules.isEmpty ? "" : " among the rules chosen")
                : "no live event \(id) in this view"))
        }
        switch view.outputFormat {
        case .json:
            var out = "{\"findings\":["
            for (index, finding) in findings.enumerated() {
                let explained = try steps(finding).map(FindingsJSON.quote).joined(separator: ",")
                let shown = finding.masked(masking, people: people)
                out += (index == 0 ? "\n" : ",\n") + String(FindingsJSON.object(shown).dropLast()) + ",\"explanation\":[" + explained + "]}"
            }
            return out + "\n]}\n"
        case .csv:
            var out = "rule,subject,trigger,step\r\n"
            for finding in findings {
                let shown = finding.masked(masking, people: people)
                for step in try steps(finding) {
                    out += [shown.rule.rawValue, shown.subject, shown.trigger, step].map(CSV.field).joined(separator: ",") + "\r\n"
                }
            }
            return out
        case .table:
            var out = ""
            for finding in findings {
                let shown = finding.masked(masking, people: people)
                out += "\(shown.rule.rawValue)  \(shown.subject)  trigger \(shown.trigger)"
                    + (finding.amount.map { "  \($0.yuan) over" } ?? "") + "\n"
                for step in try steps(finding) { out += "  " + step + "\n" }
                out += "\n"
            }
            return terminalSafe(out)
        }
    }

}
