import ArgumentParser
import EventStore
import Glibc
import LedgerCore
import LedgerQueries
import Projections
import Reports

/// `reconcile`: budget lines of a fiscal year, or a treasury statement
/// matched against the ledger's payments (docs/OUTPUT.md).
struct ReconcileCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Reconcile a fiscal year's budget lines, or match a treasury statement against the ledger's payments.",
        discussion: """
            Without --statement: every budget line (fund, region, fiscal year) of --fiscal-year, within \
            --region if given (a province 220000 takes in 22xxxx, a prefecture 220100 takes in 2201xx): \
            appropriated, transferred in and out, received (= appropriated + in − out), paid (gross) and \
            paid by programme, recovered, available (= received − paid + recovered), and OVERDRAWN where \
            available < 0; then the totals. Exits 0.

            With --statement FILE.csv: the treasury statement (columns date,voucher,fund,region,amount in \
            any order, further columns ignored; UTF-8 with or without a byte-order mark; quoted fields; \
            CRLF or LF; blank lines skipped) is checked in full first: any malformed line is reported as \
            FILE:LINE: field: reason, nothing is matched, and the command exits 2. Then the payments \
            (subsidy.granted, loan.interestDiscounted, guarantee.compensated) on the year's budget lines \
            (within --region) that carry a voucher are matched to statement lines by voucher: matched \
            (amount, fund and region agree), mismatches (difference = statement − ledger), \
            missingInLedger, missingInStatement, duplicates and misattributed (same voucher, another fund \
            or region). A voucher on two or more payments, or two or more statement lines, is listed \
            under duplicates for each side that repeats it and is never also counted as matched: money \
            paid twice under one voucher does not reconcile. Payments without a voucher cannot be \
            matched; they are listed, not counted as differences. Every list is in voucher order. \
            Exits 3 when any voucher differs, 0 when everything reconciles.

            With --as-of-seq, --known-at or --effective-on the figures are those of that view of the \
            log, byte for byte the same however many events are appended later.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(name: .customLong("fiscal-year"), help: ArgumentHelp("The fiscal year of the budget lines.", valueName: "year"))
    var fiscalYear: Int64

    @Option(help: ArgumentHelp("Only this region and the regions below it (six-digit GB/T 2260 code).", valueName: "code"))
    var region: String?

    @Option(help: ArgumentHelp("A treasury statement (CSV: date,voucher,fund,region,amount) to match by voucher; - reads standard input.",
                               valueName: "file"))
    var statement: String?

    @Option(help: ArgumentHelp("Write to this file instead of standard output (CSV gets a UTF-8 byte-order mark).", valueName: "file"))
    var output: String?

    func validate() throws {
        try validateFiscalYear(fiscalYear)
        try validateRegion(region)
    }

    func run() throws {
        // The statement is checked before the ledger is read: a bad statement
        // is an input error whatever the ledger holds.
        let treasury = try statement.map { try readStatement($0) }
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        // Budget lines are all it reads.
        let (balances, last) = try ledger.balances(view: view.ledgerView, tables: .linesAndLoans)
        let scope = RegionScope(region)
        guard let treasury else {
            let report = try BudgetLineReconciliation(balances: balances, fiscalYear: fiscalYear, scope: scope, asOfSeq: last)
            try write(render(json: report.renderJSON, csv: report.renderCSV, table: report.renderTable), to: output, masking: privacy.masking)
            return
        }
        var matcher = StatementMatcher(statement: treasury, fiscalYear: fiscalYear, scope: scope)
        // Pinned to the balances' last event, so both reads see the same log.
        var pinned = view.ledgerView
        pinned.asOfSeq = last
        try ledger.forEachLiveEvent(view: pinned) { matcher.add($0.event) }
        let result = try matcher.finish(asOfSeq: last)
        try write(render(json: result.renderJSON, csv: result.renderCSV, table: result.renderTable), to: output, masking: privacy.masking)
        if !result.reconciles { throw ExitCode(3) }
    }

    func render(json: () -> String, csv: () -> String, table: () -> String) -> String {
        switch view.outputFormat {
        case .json: return json()
        case .csv: return (output == nil ? "" : CSV.byteOrderMark) + csv()
        case .table: return terminalSafe(table())
        }
    }

    /// Reads and checks the whole statement; exit 2 listing every problem.
    func readStatement(_ path: String) throws -> TreasuryStatement {
        let name = path == "-" ? "<stdin>" : path
        let bytes = try readAll(path)
        do {
            return try TreasuryStatement.parse(bytes, file: name)
        } catch {
            throw CLIFailure.input(error.description + "\nerror: \(name): \(error.total) problem\(error.total == 1 ? "" : "s") "
                + "in the statement; nothing was matched. Correct the lines above and run again.")
        }
    }
}

/// `--fiscal-year` within the range the event format allows.
func validateFiscalYear(_ year: Int64) throws {
    guard PerformanceQuery.fiscalYears.contains(year) else {
        throw ValidationError("--fiscal-year: \(year) is not a year between 1990 and 2100")
    }
}

/// `--region` must be a six-digit code.
func validateRegion(_ region: String?) throws {
    if let region, !Identifier.isValidRegion(region) {
        throw ValidationError("--region: \"\(region)\" is not a six-digit GB/T 2260 region code such as 220100")
    }
}

/// The bytes of a file, or of standard input for `-`.
func readAll(_ path: String) throws -> [UInt8] {
    let fd = path == "-" ? 0 : open(path, O_RDONLY)
    guard fd >= 0 else { throw CLIFailure.input("error: cannot read \(path): \(String(cString: strerror(errno)))") }
    defer { if fd != 0 { close(fd) } }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw CLIFailure.input("error: cannot read \(path): \(String(cString: strerror(errno)))")
        }
        bytes.append(contentsOf: chunk[..<count])
    }
}
