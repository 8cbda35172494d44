import ArgumentParser
import EventStore
import Glibc
import LedgerCore
import LedgerQueries

struct ImportCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate JSON Lines events and append them atomically.",
        discussion: """
            All files of one import are one atomic batch: if any line is refused, the refused lines \
            are reported as FILE:LINE: field: what is wrong (the first 100; validation goes on to the \
            end and the summary counts them all), nothing at all is appended, and the exit code is 2. \
            A line whose id is already in the ledger with identical content is a duplicate \
            and is skipped; the same id with other content is refused.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var privacy: PrivacyOptions

    @Argument(help: ArgumentHelp("JSON Lines files to import; - reads standard input.", valueName: "file"))
    var files: [String]

    @Flag(inversion: .prefixedNo, help: "Show progress on standard error (default: on when it is a terminal).")
    var progress: Bool?

    @Option(name: .long, help: ArgumentHelp("Output format of the summary: table or json.", valueName: "format"))
    var format: String = "table"

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file to import (or - for standard input)") }
        guard format == "table" || format == "json" else { throw ValidationError("--format: \"\(format)\" is not table or json") }
    }

    func run() throws {
        var inputs: [InputFile] = []
        for file in files {
            do {
                inputs.append(try InputFile(path: file))
            } catch let error as LedgerError {
                throw CLIFailure.input("error: \(error)")
            }
        }
        let ledger = try location.open(readOnly: false)
        let showProgress = progress ?? isTerminal(2)
        var reporter = ProgressLine(enabled: showProgress)
        let report: ImportReport
        do {
            report = try ledger.importEvents(from: inputs, notice: { printError($0) }) { reporter.update($0) }
            reporter.finish()
        } catch LedgerError.corrupt(let what) {
            reporter.finish()
            throw CLIFailure.unopenable("error: the ledger is damaged: \(what); nothing was appended. "
                + "Run `subsidy-ledger verify`; a damaged log is restored from a copy that verifies, damaged derived data is rewritten by `rebuild`")
        } catch let rejected as ImportRejected {
            reporter.finish()
            let report = rejected.report
            // A refused line's message may echo an identity number.
            for error in report.errors { printError(error.description, masking: privacy.masking) }
            if report.unlistedErrors > 0 {
                printError("rejected: \(report.rejected) line(s) refused, the first \(report.errors.count) listed above; nothing was appended")
            } else {
                printError("rejected: \(report.rejected) line(s) refused; nothing was appended")
            }
            if format == "json" {
                var unchanged = rejected.report
                (unchanged.headSeq, unchanged.headHash, _) = try ledger.head()
                emit(unchanged, rejected: true)
            }
            throw ExitCode(2)
        } catch {
            reporter.finish()
            throw storageFailure(error, "nothing of this import was appended; once the disk has room (or is repaired), import again: what is already in the ledger is skipped as duplicates")
        }
        emit(report, rejected: false)
    }

    private func emit(_ report: ImportReport, rejected: Bool) {
        var out = Output(masking: privacy.masking)
        if format == "json" {
            out.line(ImportJSON.summary(report, rejected: rejected))
        } else {
            out.line("appended \(report.appended), duplicates \(report.duplicates), rejected \(report.rejected)")
            out.line("head \(report.headSeq) \(HashChain.hex(report.headHash))")
        }
        out.flush()
    }
}

/// A one-line progress display on standard error.
struct ProgressLine {
    let enabled: Bool
    var shown = false

    mutating func update(_ progress: ImportProgress) {
        guard enabled else { return }
        let percent = progress.bytesTotal == 0 ? 100 : progress.bytesDone * 100 / progress.bytesTotal
        var text = "\r\(TerminalText.escaped(progress.source)): \(percent)% (\(progress.lines) lines)"
        text += "\u{1B}[K"
        _ = text.withUTF8 { write(2, $0.baseAddress, $0.count) }
        shown = true
    }

    mutating func finish() {
        if shown { _ = "\n".withCString { write(2, $0, 1) } }
        shown = false
    }
}
