import Foundation
import Testing

/// docs/FORMAT.md must stay exact: Tools/read-ledger.py, written from it
/// alone, must read what the tool writes.
@Suite("docs/FORMAT.md against an independent reader")
struct FormatDocumentTests {
    func python(_ arguments: [String]) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [packageRoot + "/Tools/read-ledger.py"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }

    @Test("the Python reader verifies the same head and hash, and decodes every event as `log` prints it")
    func independentReader() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        try run(["import", packageRoot + "/Fixtures/tests/every-type.jsonl"], in: dir.path)
        let ours = try JSONSerialization.jsonObject(with: Data(try run(["verify", "--format", "json"], in: dir.path).stdout.utf8)) as? [String: Any]
        let theirsRun = try python([dir.path + "/ledger", "verify"])
        #expect(theirsRun.status == 0, "read-ledger.py failed; is python3-lmdb installed (Tools/setup)?")
        let theirs = try JSONSerialization.jsonObject(with: Data(theirsRun.stdout.utf8)) as? [String: Any]
        #expect(theirs?["head"] as? Int == 19)
        #expect(theirs?["hash"] as? String == ours?["hash"] as? String)

        let log = try JSONSerialization.jsonObject(with: Data(try run(["log", "--format", "json"], in: dir.path).stdout.utf8)) as? [String: Any]
        let logged = (log?["events"] as? [[String: Any]] ?? []).map { NSDictionary(dictionary: $0) }
        let decoded = try python([dir.path + "/ledger", "events"]).stdout.split(separator: "\n").map {
            NSDictionary(dictionary: try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:])
        }
        #expect(decoded.count == 19)
        #expect(decoded == logged)
    }
}
