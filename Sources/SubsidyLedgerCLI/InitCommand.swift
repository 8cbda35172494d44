import ArgumentParser
import EventStore
import LedgerCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty ledger.",
        discussion: "Creates the directory if needed. Refuses (exit 2) when a ledger is already there.")

    @OptionGroup var location: LedgerLocation

    @Option(help: ArgumentHelp(
        "The name checkpoints carry, e.g. jilin.example/subsidy-ledger/220000 (default: subsidy-ledger.local/ and the creation time).",
        valueName: "name"))
    var origin: String?

    func run() throws {
        do {
            _ = try Ledger.create(at: location.path, origin: origin)
        } catch let error as LedgerError {
            switch error {
            case .alreadyExists, .invalidRequest: throw CLIFailure.input("error: \(error)")
            default: break
            }
            throw CLIFailure.unopenable("error: \(error)")
        }
        print("created an empty ledger at \(TerminalText.escaped(location.path))")
    }
}
