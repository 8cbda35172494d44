import Foundation
import Testing

/// Crashes the fuzz targets (Fuzz/, docs/FUZZING.md) found, through the
/// command: import parses on a thread of its own, with a stack of its own.
@Suite("Fuzzing finds, through the command")
struct FuzzRegressionCLITests {
    @Test("a line nested 60,000 arrays deep is refused with FILE:LINE, not a crash, and nothing is written")
    func deeplyNestedLine() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        let line = #"{"id":"a","data":"# + String(repeating: "[", count: 60_000)
        let file = dir.file("deep.jsonl", Line.person("p1", "P1") + "\n" + line + "\n")
        let result = try run(["import", file], in: dir.path)
        #expect(result.status == 2, "\(result.status) \(result.stderr.prefix(300))")
        #expect(result.stderr.contains("deep.jsonl:2: json: not valid JSON at column 82: arrays and objects nested more than 64 deep"),
                "\(result.stderr.prefix(300))")
        #expect(result.stderr.contains("nothing was appended"))
        let stats = try run(["stats", "--format", "json"], in: dir.path)
        #expect(stats.stdout.contains("\"events\":0"), "\(stats.stdout)")
    }
}
