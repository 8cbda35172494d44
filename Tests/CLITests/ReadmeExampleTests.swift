import Foundation
import Testing

/// The README's bad-input example must run as shown: the file it names is
/// in the repository, and the output printed there is the tool's.
@Suite("README examples")
struct ReadmeExampleTests {
    static let command = "$ subsidy-ledger import Fixtures/bad-input.jsonl"

    /// The lines the README shows after `command`, up to the next command
    /// or the end of the console block.
    static func shownOutput() throws -> [String] {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: command) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.hasPrefix("$ ") && !$0.hasPrefix("```") })
    }

    @Test("import Fixtures/bad-input.jsonl into the tour's ledger prints what the README shows, exits 2 and appends nothing")
    func badInput() throws {
        let shown = try Self.shownOutput()
        #expect(shown.count >= 2, "README.md has no `\(Self.command)` example with output")

        // The README runs from the repository's root, after the tour.
        let dir = WorkDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/Fixtures", withDestinationPath: packageRoot + "/Fixtures")
        #expect(try run(["init"], in: dir.path).status == 0)
        let tour = try run(["import", "Fixtures/sample-history.jsonl"], in: dir.path)
        #expect(tour.status == 0, "\(tour.stderr)")

        let bad = try run(["import", "Fixtures/bad-input.jsonl"], in: dir.path)
        #expect(bad.status == 2)
        #expect(bad.stdout == "")
        let printed = bad.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(printed == shown + [""], "\(firstDifference(bad.stderr, shown.joined(separator: "\n") + "\n"))")

        let verify = try run(["verify", "--format", "json"], in: dir.path)
        let head = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
        #expect(head?["head"] as? Int == 242)
    }
}
