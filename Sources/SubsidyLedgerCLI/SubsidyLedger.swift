import ArgumentParser
import Audit
import EventStore
import Glibc
import LedgerCore
import Projections

/// The `subsidy-ledger` command.
struct SubsidyLedger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subsidy-ledger",
        abstract: "An append-only, hash-chained ledger of employment and entrepreneurship subsidies.",
        discussion: """
            The ledger is an LMDB environment (a directory, ./ledger by default; --ledger DIR or \
            SUBSIDY_LEDGER name another). Events enter as JSON Lines through `import` and are never \
            changed; `verify` proves the history is intact.

            Person ids (often resident identity numbers) are masked in every output, as in \
            2201**********1239, unless the command is given --show-personal-ids.

            Exit codes: 0 success, 1 verification failed, 2 usage or input error (nothing written), \
            3 differences found, 4 the ledger cannot be opened, its figures cannot be computed, or its \
            storage failed (a full disk, an I/O error).
            """,
        version: "0.1.0",
        subcommands: [InitCommand.self, ImportCommand.self, LogCommand.self, VerifyCommand.self, BalancesCommand.self, AuditCommand.self, WarningsCommand.self, ReconcileCommand.self, ReportCommand.self, ExportCommand.self, RebuildCommand.self, StatsCommand.self, OriginCommand.self, KeyCommand.self, CheckpointCommand.self, ProveCommand.self, CheckProofCommand.self]
    )
}

@main
enum Main {
    static func main() {
        // Error messages are masked as the command's output is (--show-personal-ids).
        var masking = PersonalIDMasking.masked
        do {
            var command = try SubsidyLedger.parseAsRoot(globalOptionsMovedAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
            masking = (command as? ShowsPersonalData)?.privacy.masking ?? .masked
            do {
                try command.run()
            } catch let error as OverflowError {
                // No valid input gets here (import refuses amounts past the
                // policy's bound and a ledger whose sums could leave 64 bits);
                // a total that overflows anyway is a problem of the ledger,
                // not of the command line.
                throw CLIFailure.ledger("error: the ledger's figures cannot be computed: \(error.what) is beyond 64-bit fen; "
                    + "run `subsidy-ledger verify` and report this ledger")
            } catch let error as AuditError {
                guard case .overflow(let what) = error else { throw error }
                throw CLIFailure.ledger("error: the ledger's figures cannot be computed: \(what) is beyond 64 bits; "
                    + "run `subsidy-ledger verify` and report this ledger")
            }
        } catch let failure as CLIFailure {
            printError(masking.text(failure.message))
            exit(failure.code)
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch let error where LedgerError.from(error) != nil {
            // A damaged ledger found while reading is a failed check (1),
            // never an input error; a question the ledger cannot answer is
            // one (2); storage that fails (a full disk, an I/O error, met in
            // the middle of a command) is a ledger that cannot be used (4).
            let failure = LedgerError.from(error) ?? .io("\(error)")
            printError(masking.text("error: \(failure)"))
            switch failure {
            case .corrupt: exit(1)
            case .invalidRequest: exit(2)
            default: exit(4)
            }
        } catch {
            let code = SubsidyLedger.exitCode(for: error)
            if code == .success {
                // --help and --version print to standard output.
                print(SubsidyLedger.fullMessage(for: error))
                exit(0)
            }
            printError(masking.text(SubsidyLedger.fullMessage(for: error)))
            // Usage errors are input errors: exit 2, nothing written.
            exit(code == .validationFailure ? 2 : code.rawValue == 1 ? 2 : code.rawValue)
        }
    }
}

/// Lets `--ledger DIR` (or `--ledger=DIR`) come before the subcommand, as in
/// `subsidy-ledger --ledger /data/jilin verify`, by moving it after the
/// subcommand name, where the subcommand's own option parses it.
func globalOptionsMovedAfterSubcommand(_ arguments: [String]) -> [String] {
    var moved: [String] = []
    var rest: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--ledger", index + 1 < arguments.count {
            moved += [argument, arguments[index + 1]]
            index += 2
            continue
        }
        if argument.hasPrefix("--ledger=") {
            moved.append(argument)
            index += 1
            continue
        }
        if !argument.hasPrefix("-") {
            // The subcommand name: everything from here on is its own.
            rest.append(argument)
            rest += moved
            rest += arguments[(index + 1)...]
            return rest
        }
        rest.append(argument)
        index += 1
    }
    return rest + moved
}
