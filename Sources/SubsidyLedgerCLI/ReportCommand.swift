import ArgumentParser
import Audit
import EventStore
import LedgerCore
import LedgerQueries
import Policy
import Projections
import Reports

/// `report`: figures for performance-evaluation tooling.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for performance-evaluation tooling.",
        subcommands: [PerformanceCommand.self, ReportHtmlCommand.self])

    /// Takes `--ledger` when it is written before the subcommand
    /// (`subsidy-ledger --ledger DIR report performance …`); the subcommand's
    /// own option group receives it.
    @OptionGroup(visibility: .hidden) var location: LedgerLocation
}

/// `report performance`: per region, how the year's money was used (docs/OUTPUT.md).
struct PerformanceCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "performance",
        abstract: "Per region: budget execution, people and enterprises supported, guarantee loans, findings by rule.",
        discussion: """
            One row per region (GB/T 2260, counties rolled up into prefectures and provinces by code); \
            --level province|prefecture|county keeps one level (every level by default), --region one \
            region and those below it.

            received, paid (gross), recovered: the region's budget lines of --fiscal-year; discounted and \
            compensated: the interest discounts and guarantee compensations among paid; executionRate = \
            (paid − recovered) ÷ received. people / enterprises: per programme, distinct persons and \
            enterprises named by a live grant on those lines; subsidyPerPerson: per programme, the grants \
            naming a person less their recoveries, ÷ people. loansIssued: guarantee loans issued \
            (effective date) in the calendar year --fiscal-year at the region: count, principal, and of \
            them how many defaulted and how much was compensated and written off; defaultRate = \
            defaulted ÷ count, compensationRate = compensated ÷ principal, writeOffRate = written off ÷ \
            principal. writtenOff: write-offs effective in that year on the region's loans. findings: \
            the audit's findings (policy: the seed's, or --policy DIR) per rule, placed by their trigger \
            event's budget line (or the loan's region and the event's year).

            Rates are ratios with four decimals (0.8500 = 85%), computed in integers and rounded half up; \
            null where the denominator is zero. JSON and CSV are stable: fields are added, never renamed.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(name: .customLong("fiscal-year"), help: ArgumentHelp("The fiscal year (and calendar year for loans).", valueName: "year"))
    var fiscalYear: Int64

    @Option(help: ArgumentHelp("province, prefecture or county (default: every level).", valueName: "level"))
    var level: String?

    @Option(help: ArgumentHelp("Only this region and the regions below it (six-digit GB/T 2260 code).", valueName: "code"))
    var region: String?

    @Option(help: ArgumentHelp("Count findings against the policy in DIR/policy.json instead of the seed's.", valueName: "dir"))
    var policy: String?

    @Option(help: ArgumentHelp("Write to this file instead of standard output (CSV gets a UTF-8 byte-order mark).", valueName: "file"))
    var output: String?

    func validate() throws {
        try validateFiscalYear(fiscalYear)
        try validateRegion(region)
        if let level, RegionLevel(rawValue: level) == nil {
            throw ValidationError("--level: \"\(level)\" is not one of province, prefecture, county")
        }
    }

    func run() throws {
        let chosenPolicy = try loadPolicy(policy)
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let report: PerformanceReport
        do {
            report = try PerformanceQuery.report(ledger, view: view.ledgerView, policy: chosenPolicy, fiscalYear: fiscalYear,
                                                 level: level.flatMap(RegionLevel.init(rawValue:)), region: region)
        } catch let failure as PerformanceQuery.AuditFailed {
            throw CLIFailure.input("error: \(failure)")
        }
        let text: String
        switch view.outputFormat {
        case .json: text = report.renderJSON()
        case .csv: text = (output == nil ? "" : CSV.byteOrderMark) + report.renderCSV()
        case .table: text = terminalSafe(report.renderTable())
        }
        try write(text, to: output, masking: privacy.masking)
    }
}
