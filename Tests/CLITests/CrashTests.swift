import Foundation
import Testing

@Suite("Crash safety")
struct CrashTests {
    /// A history of `people` people with two events each.
    func largeFile(in dir: WorkDirectory, people: Int) -> String {
        var text = ""
        text.reserveCapacity(people * 260)
        for index in 0..<people {
            text += Line.person("k-p\(index)", "K\(index)") + "\n"
            text += Line.certify("k-c\(index)", "K\(index)", on: "2016-02-01") + "\n"
        }
        return dir.file("large.jsonl", text)
    }

    func head(_ dir: WorkDirectory) throws -> (seq: Int, ok: Bool) {
        let result = try run(["verify", "--format", "json"], in: dir.path)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (object?["head"] as? Int ?? -1, result.status == 0 && object?["ok"] as? Bool == true)
    }

    @Test("SIGKILL in the middle of a large import leaves a ledger that verifies and holds none or all of the file")
    func killDuringImport() throws {
        let dir = WorkDirectory()
        try run(["init"], in: dir.path)
        let seed = dir.file("seed.jsonl", Line.person("s-1", "S1") + "\n")
        try run(["import", seed], in: dir.path)
        let people = 50_000
        let file = largeFile(in: dir, people: people)
        var killedMidImport = 0
        var completed = false
        // Kill later and later until an import finishes before its kill.
        for delay in [0.05, 0.3, 0.6, 1.0, 1.5, 2.2, 3.0, 4.0, 6.0, 9.0] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["import", "--no-progress", file]
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal { killedMidImport += 1 }
            } else {
                process.waitUntilExit()
            }
            let state = try head(dir)
            #expect(state.ok, "ledger does not verify after a kill at \(delay) s")
            #expect(state.seq == 1 || state.seq == 1 + 2 * people, "partial import visible: head \(state.seq)")
            if state.seq == 1 + 2 * people {
                completed = true
                break
            }
        }
        #expect(killedMidImport >= 1, "no kill landed during an import")
        if !completed {
            let finish = try run(["import", "--no-progress", file], in: dir.path)
            #expect(finish.status == 0, "\(finish.stderr)")
        }
        let final = try head(dir)
        #expect(final.ok && final.seq == 1 + 2 * people)
    }
}
