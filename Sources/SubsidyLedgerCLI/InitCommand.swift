import ArgumentParser
import EventStore
import LedgerCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty ledger.",
        discussion: """
            Creates the directory if needed, in one step: the ledger is built beside it and renamed \
            into place, so an interrupted `init` leaves no ledger (and the next `init` removes what it \
            left). Refuses (exit 2) when a ledger is already there, and (exit 4) when the directory's \
            data.mdb is anything else, saying what it found. The files are readable by their owner \
            only (0600, in a 0700 directory a new `init` creates); --group-readable lets the owner's \
            group read them.
            """)

    @OptionGroup var location: LedgerLocation

    @Option(help: ArgumentHelp(
        "The name checkpoints carry, e.g. jilin.example/subsidy-ledger/220000 (default: subsidy-ledger.local/ and the creation time).",
        valueName: "name"))
    var origin: String?

    @Flag(name: .customLong("group-readable"), help: ArgumentHelp(
        "Let the owner's group read the ledger (directory 0750, data.mdb 0640, lock.mdb 0660 for its readers' slots)."))
    var groupReadable = false

    func run() throws {
        do {
            _ = try Ledger.create(at: location.path, origin: origin, sharing: groupReadable ? .groupReadable : .ownerOnly,
                                  notice: { printError("note: \($0)") })
        } catch {
            guard let failure = LedgerError.from(error) else { throw error }
            if failure.isRequestError { throw CLIFailure.input("error: \(failure)") }
            if case .storage = failure { throw CLIFailure.unopenable("error: \(failure)\nthe ledger could not be created") }
            throw CLIFailure.unopenable("error: \(failure)")
        }
        print("created an empty ledger at \(TerminalText.escaped(location.path))")
    }
}
