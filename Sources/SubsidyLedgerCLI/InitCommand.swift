import ArgumentParser
import EventStore

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
        } catch {
            guard let failure = LedgerError.from(error) else { throw error }
            if failure.isRequestError { throw CLIFailure.input("error: \(failure)") }
            if case .storage = failure { throw CLIFailure.unopenable("error: \(failure)\nthe ledger could not be created") }
            throw CLIFailure.unopenable("error: \(failure)")
        }
        print("created an empty ledger at \(location.path)")
    }
}
