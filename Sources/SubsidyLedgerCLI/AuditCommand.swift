import ArgumentParser

/// Placeholder until the audit lands: registered so the command list is stable.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the history against the effective-dated policy (not yet available).")

    func run() throws {
        throw CLIFailure.input("error: the audit is not built yet")
    }
}
