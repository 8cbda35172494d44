import ArgumentParser
import Audit
import EventStore
import HtmlReport
import LedgerQueries
import LedgerCore
import Policy
import Projections
import Proofs
import Reports

/// `report html`: one self-contained page for budget officers (docs/REPORT.md).
struct ReportHtmlCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "html",
        abstract: "One self-contained HTML page of fund usage, performance and audit findings, to open or e-mail.",
        discussion: """
            The page covers one fiscal year (--fiscal-year; by default the latest year with a budget line \
            in the view) and one region with those below it (--region; by default every region): the funds \
            of each budget line and region (received, paid by programme, recovered, available) rolled up \
            county → prefecture → province with a bar chart per level, payments month by month against \
            the funds received, the figures of `report performance` with the regions ranked by execution \
            rate, and the audit's findings (policy: the seed's, or --policy DIR) grouped by rule and \
            region, the largest of each rule with the computation of `audit --explain` behind a \
            disclosure, and the early warnings of `warnings` (as of the view's last business date, 90 days \
            ahead) in the region. The footer names the ledger's head, its Merkle root, the policy and the view.

            The page loads nothing from anywhere (inline style, inline SVG charts, no script; a \
            Content-Security-Policy forbids every network load), prints on A4, and speaks --lang \
            zh-CN (default) or en. The same ledger and options give the same bytes.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewSelection
    @OptionGroup var privacy: PrivacyOptions

    @Option(name: .customLong("fiscal-year"), help: ArgumentHelp("The fiscal year (default: the latest with a budget line).", valueName: "year"))
    var fiscalYear: Int64?

    @Option(help: ArgumentHelp("Only this region and the regions below it (six-digit GB/T 2260 code).", valueName: "code"))
    var region: String?

    @Option(help: ArgumentHelp("Audit against the policy in DIR/policy.json instead of the seed's.", valueName: "dir"))
    var policy: String?

    @Option(help: ArgumentHelp("The page's language: zh-CN or en.", valueName: "lang"))
    var lang: String = ReportLanguage.zhCN.rawValue

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        if let fiscalYear { try validateFiscalYear(fiscalYear) }
        try validateRegion(region)
        if ReportLanguage(rawValue: lang) == nil {
            throw ValidationError("--lang: \"\(lang)\" is not one of " + ReportLanguage.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let chosenPolicy = try loadPolicy(policy)
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        // Budget lines and loans are all the page and the report read.
        let (balances, last) = try ledger.balances(view: view.ledgerView, tables: .linesAndLoans)
        var pinned = view.ledgerView
        pinned.asOfSeq = last
        let scope = RegionScope(region)
        guard let year = fiscalYear ?? balances.lines.keys.filter({ scope.contains($0.region) }).map(\.fiscalYear).max() else {
            throw CLIFailure.input("error: no budget line in this view" + (region == nil ? "" : " and region")
                + ": give the year with --fiscal-year")
        }

        // One read of the view's facts serves the audit and the early
        // warnings, both asked to speak the page's language.
        let language = ReportLanguage(rawValue: lang) ?? .zhCN
        let input = try AuditQuery.read(ledger, view: pinned)
        let result: AuditResult, warnings: WarningsResult
        do {
            (result, warnings) = try Auditor(policy: chosenPolicy, language: language.textLanguage)
                .auditAndWarnings(input, asOf: view.effectiveDate)
        } catch let error as AuditError {
            if case .overflow = error { throw error }
            throw CLIFailure.input("error: the audit behind the findings and warnings failed: \(error)")
        }
        var performance = try PerformanceReport.Accumulation(
            balances: balances, findings: PerformanceQuery.performanceInputs(result.findings), fiscalYear: year, level: nil, scope: scope, asOfSeq: last)
        var builder = HtmlReportBuilder(balances: balances, fiscalYear: year, scope: scope, findings: result.findings)
        // One pass over the live events; an event neither needs is not decoded.
        try ledger.forEachLiveRecord(view: pinned) { record in
            let forReport = performance.needs(record), forPage = builder.needs(record)
            guard forReport || forPage else { return }
            let event = try Ledger.decoded(record).event
            if forReport { try performance.add(event) }
            if forPage { try builder.add(event) }
        }

        let head = try ledger.head()
        let coverage = try ledger.merkleCoverage()
        let tree = coverage.treeSize > 0 ? try ledger.treeHead(size: coverage.treeSize) : nil
        let provenance = Provenance(
            headSeq: head.seq, headHash: HashChain.hex(head.hash),
            tree: tree.map { ($0.size, Base64.encode($0.rootHash.bytes)) }, origin: tree?.origin, policy: chosenPolicy,
            lastSeq: last, asOfSeq: view.asOfSeq, knownAt: view.knownAt, effectiveOn: view.effectiveOn,
            showsPersonalIDs: privacy.showPersonalIDs)
        let document = try builder.document(
            performance: performance.report(), placing: performance, findings: result.findings, explain: result.explain,
            policy: chosenPolicy, masking: privacy.masking, people: privacy.showPersonalIDs ? [] : result.peopleToMask,
            warnings: warnings, provenance: provenance, textLanguage: result.language)
        try write(HtmlPage.render(document, language: language), to: output, masking: privacy.masking)
    }
}
