import Foundation
import Testing

/// Help text is part of what users rely on: each command's help must equal
/// its reviewed snapshot in Fixtures/help (regenerate with
/// Tools/update-help-snapshots and review the diff).
@Suite("Help text")
struct HelpSnapshotTests {
    @Test("every command's help equals its reviewed snapshot",
          arguments: ["", "init", "import", "log", "verify", "balances", "audit", "warnings", "export hledger", "rebuild", "stats",
                      "reconcile", "report performance", "report html", "origin", "key generate", "checkpoint", "prove", "check-proof", "serve",
                      "follow"])
    func snapshot(command: String) throws {
        let name = command.isEmpty ? "subsidy-ledger" : command.replacingOccurrences(of: " ", with: "-")
        let expected = try String(contentsOfFile: packageRoot + "/Fixtures/help/\(name).txt", encoding: .utf8)
        let dir = WorkDirectory()
        let arguments = command.split(separator: " ").map(String.init) + ["--help"]
        let result = try run(arguments, in: dir.path, environment: ["COLUMNS": "100"])
        #expect(result.status == 0)
        #expect(result.stdout == expected, "help of '\(command)' changed; run Tools/update-help-snapshots and review")
    }
}
