import ArgumentParser
import EventStore
import Glibc
import LedgerCore
import Projections
import Reports

struct BalancesCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "balances",
        abstract: "Balances rebuilt from the log, as of any point in it and any business date.",
        discussion: """
            --by fund: per budget line (fund, region, fiscal year): received (appropriations and \
            transfers in, less transfers out), paid (gross), recovered, available = received − paid + \
            recovered. --by person / enterprise: per programme, granted, recovered, net, months covered. \
            --by loan: principal, repaid, outstanding, discounted, compensated, recovered, written off, \
            status. --by program: paid and recovered per programme. --by region: budget lines rolled up \
            county → prefecture → province by GB/T 2260 code.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("fund, person, enterprise, loan, program or region.", valueName: "grouping"))
    var by: String = "fund"

    @Option(help: ArgumentHelp("Write to this file instead of standard output (CSV gets a UTF-8 byte-order mark for Excel and WPS).", valueName: "file"))
    var output: String?

    func validate() throws {
        guard BalanceReports.Grouping(rawValue: by) != nil else {
            throw ValidationError("--by: \"\(by)\" is not one of " + BalanceReports.Grouping.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let grouping = BalanceReports.Grouping(rawValue: by)!
        let (balances, _) = try ledger.balances(view: view.ledgerView, tables: grouping.tables)
        let table = try BalanceReports.table(balances, by: grouping, masking: privacy.masking)
        try emit(table, format: view.outputFormat, to: output, masking: privacy.masking)
    }
}

/// Writes a report in the chosen format to standard output or a file.
func emit(_ table: ReportTable, format: OutputFormat, to path: String?, masking: PersonalIDMasking) throws {
    switch format {
    case .json: try write(table.renderJSON(), to: path, masking: masking)
    case .csv: try write((path == nil ? "" : CSV.byteOrderMark) + table.renderCSV(), to: path, masking: masking)
    case .table: try write(terminalSafe(table.renderTable()), to: path, masking: masking)
    }
}

/// Writes text to standard output, or to a file when a path is given, with
/// every identity number in it masked as `masking` says (nil: text that
/// holds no ledger content).
func write(_ text: String, to path: String?, masking: PersonalIDMasking?) throws {
    var text = masking?.text(text) ?? text
    guard let path else {
        var out = Output()
        out.write(text)
        out.flush()
        return
    }
    guard let file = fopen(path, "wb") else {
        throw CLIFailure.input("error: cannot write \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == text.utf8.count, fflush(file) == 0 else {
        throw CLIFailure.input("error: cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
