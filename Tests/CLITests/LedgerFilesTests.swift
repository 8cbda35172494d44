import Foundation
import Glibc
import Testing

/// Running the tool as `nobody` (the tests usually run as root, who may
/// write any file): `setpriv`, present and permitted, and a tool `nobody`
/// can execute.
enum AsNobody {
    static let setpriv = "/usr/bin/setpriv"
    static let prefix = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    /// Ours, without a ledger named by SUBSIDY_LEDGER.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SUBSIDY_LEDGER")
        return environment
    }

    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: setpriv), geteuid() == 0 else { return false }
        let probe = try? runProcess(setpriv, prefix + [executable, "--version"], in: "/", environment: childEnvironment, timeout: 60)
        return probe?.status == 0
    }()

    static func run(_ arguments: [String], in directory: String) throws -> RunResult {
        try runProcess(setpriv, prefix + [executable] + arguments, in: directory, environment: childEnvironment)
    }
}

@Suite("Ledger files from the command line: damaged, read-only, private, created in one step")
struct LedgerFilesTests {
    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func mode(_ path: String) -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return status.st_mode & 0o7777
    }

    /// A ledger holding the sample history in `dir`/ledger.
    func sampleLedger(_ dir: WorkDirectory) throws -> String {
        let created = try run(["init"], in: dir.path)
        #expect(created.status == 0, "\(created.stderr)")
        let imported = try run(["import", "--no-progress", packageRoot + "/Fixtures/sample-history.jsonl"], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        return dir.path + "/ledger"
    }

    static let commands: [[String]] = [
        ["verify"], ["log", "--to", "3"], ["balances", "--by", "fund"], ["stats"], ["audit"],
        ["export", "hledger"], ["rebuild"], ["import", "--no-progress", "more.jsonl"],
    ]

    @Test("an empty, truncated or foreign data.mdb: every command exits 4 saying what it found, and the file is left as it was")
    func damagedFiles() throws {
        let dir = WorkDirectory()
        let ledger = try sampleLedger(dir)
        dir.file("more.jsonl", Line.person("m-1", "M1") + "\n")
        let original = try #require(contents(ledger + "/data.mdb"))
        let damages: [(String, Data, String)] = [
            ("empty", Data(), "is empty (0 bytes)"),
            ("truncated", original.prefix(original.count / 2), "is truncated"),
            ("cut in its first page", original.prefix(100), "too short for LMDB's first meta page"),
            ("foreign", Data(String(repeating: "subsidy ledger? no.\n", count: 500).utf8), "is not an LMDB file"),
        ]
        for (name, bytes, finding) in damages {
            #expect(FileManager.default.createFile(atPath: ledger + "/data.mdb", contents: bytes))
            for command in Self.commands {
                let result = try run(command, in: dir.path)
                #expect(result.status == 4, "\(name): \(command) exited \(result.status): \(result.stderr)")
                #expect(result.stderr.hasPrefix("error: damaged ledger: \(ledger)/data.mdb") || result.stderr.hasPrefix("error: damaged ledger: ./ledger/data.mdb"),
                        "\(name): \(command): \(result.stderr)")
                #expect(result.stderr.contains(finding), "\(name): \(command): \(result.stderr)")
                #expect(contents(ledger + "/data.mdb") == bytes, "\(name): \(command) changed data.mdb")
            }
            let initAgain = try run(["init"], in: dir.path)
            #expect(initAgain.status == 4, "\(name): init: \(initAgain.stderr)")
            #expect(initAgain.stderr.contains("holds no complete ledger") && initAgain.stderr.contains(finding), "\(name): \(initAgain.stderr)")
            #expect(contents(ledger + "/data.mdb") == bytes, "\(name): init changed data.mdb")
        }
        // Put back, the ledger is whole again: nothing was written into it meanwhile.
        #expect(FileManager.default.createFile(atPath: ledger + "/data.mdb", contents: original))
        #expect(try run(["verify"], in: dir.path).status == 0)
    }

    @Test("init makes a private ledger (0700, 0600), or with --group-readable one the group can read (0750, 0640, lock 0660)")
    func permissions() throws {
        let dir = WorkDirectory()
        let made = try run(["init", "--ledger", "private"], in: dir.path)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(mode(dir.path + "/private") == 0o700)
        #expect(mode(dir.path + "/private/data.mdb") == 0o600)
        #expect(mode(dir.path + "/private/lock.mdb") == 0o600)
        let shared = try run(["init", "--ledger", "shared", "--group-readable"], in: dir.path)
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(mode(dir.path + "/shared") == 0o750)
        #expect(mode(dir.path + "/shared/data.mdb") == 0o640)
        #expect(mode(dir.path + "/shared/lock.mdb") == 0o660)
        // Importing keeps the modes.
        dir.file("one.jsonl", Line.person("o-1", "O1") + "\n")
        #expect(try run(["import", "--ledger", "private", "one.jsonl"], in: dir.path).status == 0)
        #expect(mode(dir.path + "/private/data.mdb") == 0o600)
    }

    @Test("init after an interrupted init removes its remains, says so, and creates the ledger; init on a half-made ledger says what it found")
    func interruptedInit() throws {
        let dir = WorkDirectory()
        // An interrupted init leaves its staging directory beside the target.
        #expect(try run(["init", "--ledger", "model"], in: dir.path).status == 0)
        try FileManager.default.moveItem(atPath: dir.path + "/model", toPath: dir.path + "/.ledger.init")
        let verifyBefore = try run(["verify"], in: dir.path)
        #expect(verifyBefore.status == 4 && verifyBefore.stderr.contains("no ledger at ./ledger"), "\(verifyBefore.stderr)")
        let again = try run(["init"], in: dir.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("note: removed the remains of an interrupted `init` at ./.ledger.init"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.ledger.init"))
        #expect(try run(["verify"], in: dir.path).status == 0)
        // A ledger already there: exit 2, as before.
        let twice = try run(["init"], in: dir.path)
        #expect(twice.status == 2 && twice.stderr.contains("a ledger already exists"), "\(twice.stderr)")
    }

    @Test("a read-only copy is read by another user without its lock file, with one note; commands that write exit 4",
          .enabled(if: AsNobody.available, "needs root and setpriv to run the tool as nobody"))
    func readOnlyCopy() throws {
        let dir = WorkDirectory()
        let ledger = try sampleLedger(dir)
        let expected = try run(["verify"], in: dir.path)
        #expect(expected.status == 0)
        // An archived copy: files 0444 in a 0555 directory, the lock file included.
        let copy = dir.path + "/archive"
        try FileManager.default.copyItem(atPath: ledger, toPath: copy)
        for name in ["data.mdb", "lock.mdb"] { #expect(chmod(copy + "/" + name, 0o444) == 0) }
        #expect(chmod(copy, 0o555) == 0)
        #expect(chmod(dir.path, 0o755) == 0)
        let before = try #require(contents(copy + "/data.mdb"))

        let verify = try AsNobody.run(["verify", "--ledger", copy], in: dir.path)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout == expected.stdout)
        let notes = verify.stderr.components(separatedBy: "read without its lock file").count - 1
        #expect(notes == 1, "\(verify.stderr)")
        #expect(verify.stderr.contains("could reuse pages"), "\(verify.stderr)")
        for command in [["balances", "--by", "region"], ["log", "--from", "240"], ["stats"]] {
            let result = try AsNobody.run(command + ["--ledger", copy], in: dir.path)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stdout.isEmpty)
        }
        // Without any lock file at all, and in a directory nobody can write.
        #expect(chmod(copy, 0o755) == 0)
        #expect(unlink(copy + "/lock.mdb") == 0)
        #expect(chmod(copy, 0o555) == 0)
        let noLock = try AsNobody.run(["verify", "--ledger", copy], in: dir.path)
        #expect(noLock.status == 0 && noLock.stdout == expected.stdout, "\(noLock.stderr)")
        #expect(!FileManager.default.fileExists(atPath: copy + "/lock.mdb"))

        dir.file("more.jsonl", Line.person("m-1", "M1") + "\n")
        for command in [["import", "--no-progress", "more.jsonl"], ["rebuild"]] {
            let result = try AsNobody.run(command + ["--ledger", copy], in: dir.path)
            #expect(result.status == 4, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("cannot be written by this user"), "\(command): \(result.stderr)")
        }
        #expect(contents(copy + "/data.mdb") == before)
        #expect(chmod(copy, 0o755) == 0)
    }
}
