import Foundation
@_exported import LedgerTestSupport
import Testing

let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The `subsidy-ledger` executable built beside this test bundle.
let executable: String = {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
    if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("subsidy-ledger").path
}()

/// The history generator built beside it.
let generatorExecutable: String = {
    URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("subsidy-ledger-gen").path
}()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the tool with `arguments` in `directory` and waits for it, at most
/// ``childProcessTimeout`` (then it is killed and this throws). The exit
/// status is the caller's to check; a set-up step uses ``runOK(_:in:stdin:environment:sourceLocation:)``.
@discardableResult
func run(_ arguments: [String], in directory: String, stdin: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SUBSIDY_LEDGER")
    for (key, value) in environment { env[key] = value }
    return try runProcess(executable, arguments, in: directory, stdin: stdin, environment: env)
}

/// Runs the tool as ``run(_:in:stdin:environment:)`` does and requires exit
/// 0: otherwise the test records an issue at the caller's line, with the
/// command, its status and its standard error, and stops (throws). For
/// set-up steps (`init`, `import`, …) whose failure would make every later
/// check meaningless.
@discardableResult
func runOK(_ arguments: [String], in directory: String, stdin: String? = nil, environment: [String: String] = [:],
           sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    let result = try run(arguments, in: directory, stdin: stdin, environment: environment)
    try #require(result.status == 0,
                 "subsidy-ledger \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout.prefix(2000))",
                 sourceLocation: sourceLocation)
    return result
}

/// How long a child process may run before it is killed and its test fails:
/// SUBSIDY_LEDGER_TEST_TIMEOUT seconds, 120 by default.
let childProcessTimeout: TimeInterval = {
    if let text = ProcessInfo.processInfo.environment["SUBSIDY_LEDGER_TEST_TIMEOUT"], let seconds = TimeInterval(text), seconds > 0 {
        return seconds
    }
    return 120
}()

/// A child process that did not finish in time; it was killed.
struct ChildProcessTimedOut: Error, CustomStringConvertible {
    var command: String
    var seconds: TimeInterval
    var stderr: String
    var description: String {
        "\(command) did not finish within \(seconds) s (SUBSIDY_LEDGER_TEST_TIMEOUT) and was killed; its standard error so far: \(stderr.suffix(2000))"
    }
}

/// Runs `path` with `arguments` and waits for it, at most `timeout` seconds:
/// then it is killed and this throws ``ChildProcessTimedOut``. Output goes
/// to files rather than pipes, so a child that writes a lot never blocks;
/// `stdin` is fed through a pipe from another thread, so a child that does
/// not read it never blocks this one. `environment` nil inherits ours.
func runProcess(_ path: String, _ arguments: [String], in directory: String? = nil, stdin: String? = nil,
                environment: [String: String]? = nil, timeout: TimeInterval = childProcessTimeout) throws -> RunResult {
    ignoreBrokenPipes
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let capture = NSTemporaryDirectory() + "subsidy-ledger-run-" + UUID().uuidString
    // Writable by everyone: the child may run as another user (AsNobody).
    let everyone: [FileAttributeKey: Any] = [.posixPermissions: 0o666]
    guard FileManager.default.createFile(atPath: capture + ".out", contents: nil, attributes: everyone),
          FileManager.default.createFile(atPath: capture + ".err", contents: nil, attributes: everyone) else {
        throw TestSetupError("cannot create capture files \(capture).out/.err")
    }
    defer {
        try? FileManager.default.removeItem(atPath: capture + ".out")
        try? FileManager.default.removeItem(atPath: capture + ".err")
    }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: capture + ".out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: capture + ".err"))
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    let writer = input.fileHandleForWriting
    if let stdin {
        // A child that exits without reading gets EPIPE here, not us a crash.
        DispatchQueue.global().async {
            try? writer.write(contentsOf: Data(stdin.utf8))
            try? writer.close()
        }
    } else {
        try writer.close()
    }
    let timedOut = finished.wait(timeout: .now() + timeout) == .timedOut
    if timedOut {
        kill(process.processIdentifier, SIGKILL)
        _ = finished.wait(timeout: .now() + 30)
    }
    try out.close()
    try err.close()
    let outData = FileManager.default.contents(atPath: capture + ".out") ?? Data()
    let errData = FileManager.default.contents(atPath: capture + ".err") ?? Data()
    let stderr = String(decoding: errData, as: UTF8.self)
    if timedOut {
        throw ChildProcessTimedOut(command: ([path] + arguments).joined(separator: " "), seconds: timeout, stderr: stderr)
    }
    return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: stderr)
}

/// SIGPIPE would end the whole test runner when a child closes its input early.
private let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

/// A set-up step of a test that could not be done (a file not written, a
/// tool that failed), thrown so the test stops with the reason.
struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Generates a history with `subsidy-ledger-gen` (arguments such as
/// `--events 8000 --seed 11`) into `file`, and requires it to succeed.
func generateHistory(_ arguments: [String], to file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let result = try runProcess(generatorExecutable, arguments + ["--output", file])
    try #require(result.status == 0, "subsidy-ledger-gen \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)",
                 sourceLocation: sourceLocation)
}

/// Programs of other authors that some tests use: hledger, python3 with
/// `lmdb` and `cryptography` (Tools/setup installs them). A test that needs
/// one is skipped, saying why, where it is absent, unless
/// SUBSIDY_LEDGER_REQUIRE_TOOLS=1 (set by Tools/test, and so in CI): then
/// it runs and fails naming what is missing, so CI never passes by skipping.
enum ExternalTool {
    static let required = ProcessInfo.processInfo.environment["SUBSIDY_LEDGER_REQUIRE_TOOLS"] == "1"

    /// Every executable `name` on PATH, then in /usr/bin and /usr/local/bin.
    static func candidates(_ name: String) -> [String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var seen = Set<String>()
        return (path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"])
            .map { $0 + "/" + name }
            .filter { FileManager.default.isExecutableFile(atPath: $0) && seen.insert($0).inserted }
    }

    /// The absolute path of the program `name`, or nil.
    static func find(_ name: String) -> String? { candidates(name).first }

    static let hledger: String? = find("hledger")

    /// A python3 that imports every module named: the system's first (where
    /// Tools/setup installs the Debian packages), then any on PATH (a
    /// pyenv or venv python3 may lack them).
    static func python(importing modules: [String]) -> String? {
        let pythons = ["/usr/bin/python3"].filter { FileManager.default.isExecutableFile(atPath: $0) } + candidates("python3")
        let script = modules.map { "import " + $0 }.joined(separator: "; ")
        return pythons.first { (try? runProcess($0, ["-c", script], timeout: 60))?.status == 0 }
    }

    /// python3 with the `lmdb` module, for Tools/read-ledger.py.
    static let pythonWithLMDB: String? = python(importing: ["lmdb"])
    /// python3 with `cryptography`'s Ed25519, for Tools/check-proof.py.
    static let pythonWithCryptography: String? = python(importing: ["cryptography.hazmat.primitives.asymmetric.ed25519"])
    static var pythonLMDB: Bool { pythonWithLMDB != nil }

    /// For a condition trait: run when the tool is here, or when tools are required.
    static func runs(if present: Bool) -> Bool { present || required }

    static let hledgerMissing: Comment = "hledger is not installed (Tools/setup installs it; Tools/test requires it)"
    static let readerMissing: Comment = "python3 with the lmdb module is not installed (Tools/setup installs python3-lmdb)"
    static let checkerMissing: Comment = "python3 with cryptography is not installed (Tools/setup installs python3-cryptography)"
}

/// Runs the independent reader Tools/read-ledger.py with `arguments`;
/// requires python3 with `lmdb` (the test stops, naming it, otherwise).
func readLedger(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
    let python3 = try #require(ExternalTool.pythonWithLMDB, ExternalTool.readerMissing, sourceLocation: sourceLocation)
    return try runProcess(python3, [packageRoot + "/Tools/read-ledger.py"] + arguments)
}

/// A fresh working directory, removed afterwards.
final class WorkDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "subsidy-ledger-cli-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Not a crash of the whole runner: this test fails, saying why.
            Issue.record("cannot create the working directory \(path): \(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the directory and returns its path; a
    /// file that cannot be written fails the test.
    @discardableResult
    func file(_ name: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let filePath = path + "/" + name
        if !FileManager.default.createFile(atPath: filePath, contents: Data(text.utf8)) {
            Issue.record("cannot write the test file \(filePath)", sourceLocation: sourceLocation)
        }
        return filePath
    }
}

/// The first line where two outputs differ, for a failure message that
/// fits on a screen.
func firstDifference(_ actual: String, _ expected: String) -> String {
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(a.count, e.count) {
        let got = index < a.count ? String(a[index]) : "(no line)"
        let want = index < e.count ? String(e[index]) : "(no line)"
        if !got.utf8.elementsEqual(want.utf8) {
            return "line \(index + 1): got \(got.prefix(300)) expected \(want.prefix(300))"
        }
    }
    return "same lines (\(a.count)); bytes differ"
}
