import ArgumentParser
import Audit
import EventStore
import LedgerCore
import LedgerQueries
import Policy
import Projections
import Reports

/// `warnings`: what the audit will find if things go on as they are
/// (docs/WARNINGS.md). The computation is the library's
/// (``EarlyWarnings``); this command reads the view and renders.
struct WarningsCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "warnings",
        abstract: "Early warnings for a budget officer: caps, terms, rates, budget lines and certifications about to be broken.",
        discussion: """
            As of the view's date (--effective-on, else the latest effective date in the view): \
            LOAN-CAP-NEAR, borrowers within the policy's margin of their loan cap; TERM-ENDING and \
            EXTENSION-ENDING, people with few months left of a subsidy term or of the retirement extension \
            that lifted it; DISCOUNT-RATE-NEAR, running loans to persons whose rate is close to the \
            benchmark + margin limit of interest discounts; BUDGET-RUN-OUT, budget lines that, paying on at \
            their average daily rate of the payment window, run out before their fiscal year ends (with the \
            projected date); CERTIFICATION-EXPIRING, certifications that expire while the subsidies needing \
            them go on.

            The thresholds are parameters of the policy (warning-loan-cap-margin, warning-term-months-left, \
            warning-discount-rate-margin, warning-payment-window), dated like the rest: the seed's built in, \
            or --policy DIR. A dated warning must fall within --horizon of the as-of date (90d by default).
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("Take the thresholds from the policy in DIR/policy.json instead of the seed's.", valueName: "dir"))
    var policy: String?

    @Option(help: ArgumentHelp("How far ahead dated warnings look: a number of days, such as 90d (default) or 365d.", valueName: "days"))
    var horizon: String = "\(EarlyWarnings.defaultHorizonDays)d"

    @Option(help: ArgumentHelp("Write to this file instead of standard output (CSV gets a UTF-8 byte-order mark).", valueName: "file"))
    var output: String?

    func validate() throws {
        guard WarningsQuery.horizonDays(horizon) != nil else {
            throw ValidationError("--horizon: \"\(horizon)\" is not a number of days from 0 to \(WarningsQuery.longestHorizonDays), such as 90d")
        }
    }

    func run() throws {
        let chosenPolicy = try loadPolicy(policy)
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let result = try Self.warnings(ledger, view: view.ledgerView, policy: chosenPolicy, horizonDays: WarningsQuery.horizonDays(horizon) ?? 0)
        let shown = WarningsQuery.shown(result, masking: privacy.masking)
        let text: String
        switch view.outputFormat {
        case .json: text = WarningsJSON.render(result, warnings: shown)
        case .csv: text = (output == nil ? "" : CSV.byteOrderMark) + Self.table(shown).renderCSV()
        case .table: text = terminalSafe(Self.blocks(result, shown: shown, policy: chosenPolicy))
        }
        try write(text, to: output, masking: privacy.masking)
    }

    /// The warnings of a view of the ledger, as of the view's date
    /// (`--effective-on`, else its latest effective date).
    static func warnings(_ ledger: Ledger, view: LedgerView, policy: Policy, horizonDays: Int) throws -> WarningsResult {
        do {
            return try WarningsQuery.warnings(ledger, view: view, policy: policy, horizonDays: horizonDays)
        } catch let error as AuditError {
            // An overflow is the ledger's problem (exit 4, in main), not the input's.
            if case .overflow = error { throw error }
            throw CLIFailure.input("error: \(error)")
        }
    }

    static func heading(_ result: WarningsResult) -> String {
        guard let asOf = result.asOf, let end = result.horizonEnd else {
            return "Early warnings: the view has no event (policy \(result.policyName)).\n"
        }
        return "Early warnings as of \(asOf), looking \(result.horizonDays) day\(result.horizonDays == 1 ? "" : "s") ahead "
            + "(to \(end)); policy \(result.policyName) (\(result.policySource)).\n"
    }

    /// One block a warning, as the audit lists findings: the kind, the
    /// subject and the date; the clause; the figures; the threshold and its
    /// source; the events; why. Then the count per kind.
    static func blocks(_ result: WarningsResult, shown: [Warning], policy: Policy) -> String {
        var out = heading(result)
        guard !shown.isEmpty else { return out + "No warnings.\n" }
        out += "\n"
        let indent = String(repeating: " ", count: String(shown.count).count + 2)
        for (index, warning) in shown.enumerated() {
            let number = String(index + 1) + "."
            out += number + String(repeating: " ", count: indent.count - number.count) + "\(warning.kind.rawValue)  \(warning.subject)"
                + (warning.projectedDate.map { "  \($0)" } ?? "") + "\n"
            out += indent + "clause     \(policy.clauseHeading(warning.clause))\n"
            if warning.region != nil || warning.fiscalYear != nil {
                out += indent + "where      " + [warning.region.map { "region \($0)" }, warning.fiscalYear.map { "fiscal year \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ") + "\n"
            }
            out += indent + "figures    " + warning.figures.map { "\($0.name) \($0.value.text)" }.joined(separator: ", ") + "\n"
            out += indent + "threshold  \(warning.threshold.name) \(warning.threshold.value.text) (\(warning.thresholdSource))\n"
            if !warning.events.isEmpty { out += indent + "entries    \(warning.events.joined(separator: " "))\n" }
            out += indent + "\(warning.message)\n\n"
        }
        var summary = TextTable(headers: ["KIND", "WARNINGS"], rightAligned: [1])
        for kind in WarningKind.allCases.sorted() {
            let count = shown.filter { $0.kind == kind }.count
            if count > 0 { summary.rows.append([kind.rawValue, String(count)]) }
        }
        out += summary.render() + "\n"
        out += "\(shown.count) warning\(shown.count == 1 ? "" : "s").\n"
        return out
    }

    /// One row a warning, for CSV (and for a report's own table).
    static func table(_ warnings: [Warning]) -> ReportTable {
        var table = ReportTable(name: "warnings", columns: [
            .init("kind"), .init("subject"), .init("region"), .init("fiscalYear", "YEAR"), .init("date"), .init("clause"),
            .init("figures"), .init("threshold"), .init("events"), .init("message"),
        ])
        for warning in warnings {
            table.rows.append([
                .text(warning.kind.rawValue), .text(warning.subject), warning.region.map(Cell.text) ?? .null,
                warning.fiscalYear.map { .integer(Int($0)) } ?? .null, warning.projectedDate.map { .text($0.description) } ?? .null,
                .text(warning.clause),
                .text(warning.figures.map { "\($0.name)=\($0.value.text)" }.joined(separator: "; ")),
                .text("\(warning.threshold.name)=\(warning.threshold.value.text)"),
                .text(warning.events.joined(separator: " ")), .text(warning.message),
            ])
        }
        return table
    }
}
