import Foundation
@_exported import LedgerTestSupport

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

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the tool with `arguments` in `directory` and waits for it.
@discardableResult
func run(_ arguments: [String], in directory: String, stdin: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "SUBSIDY_LEDGER")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    // Files rather than pipes: a child that writes a lot can never block.
    let capture = NSTemporaryDirectory() + "subsidy-ledger-run-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: capture + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: capture + ".err", contents: nil)
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
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let outData = FileManager.default.contents(atPath: capture + ".out") ?? Data()
    let errData = FileManager.default.contents(atPath: capture + ".err") ?? Data()
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh working directory, removed afterwards.
final class WorkDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "subsidy-ledger-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func file(_ name: String, _ text: String) -> String {
        let filePath = path + "/" + name
        precondition(FileManager.default.createFile(atPath: filePath, contents: Data(text.utf8)))
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
