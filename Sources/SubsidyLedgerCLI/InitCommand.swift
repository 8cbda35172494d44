import ArgumentParser
import EventStore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty ledger.",
        discussion: "Creates the directory if needed. Refuses (exit 2) when a ledger is already there.")

    @OptionGroup var location: LedgerLocation

    func run() throws {
        do {
            _ = try Ledger.create(at: location.path)
        } catch let error as LedgerError {
            if case .alreadyExists = error { throw CLIFailure.input("error: \(error)") }
            throw CLIFailure.unopenable("error: \(error)")
        }
        print("created an empty ledger at \(location.path)")
    }
}
