import Foundation
import Testing

/// A server a test starts and stops: `subsidy-ledger serve` or the stand-in
/// Fixtures/tests/sse-server.py. Both print `listening on http://HOST:PORT`
/// as their first line; the URL is read from it. Stopped (SIGTERM, then
/// SIGKILL) when dropped.
final class BackgroundServer {
    let process = Process()
    let url: String
    private let errorFile: String
    private let exited = DispatchSemaphore(value: 0)
    private var stopped = false

    init(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        errorFile = NSTemporaryDirectory() + "subsidy-ledger-server-" + UUID().uuidString + ".err"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        process.standardInput = FileHandle.nullDevice
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // The first line, read byte by byte so nothing after it is taken.
        let reader = output.fileHandleForReading
        var line = Data()
        while true {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://") else {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + childProcessTimeout)
            let stderr = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: errorFile)
            throw TestSetupError("\(path) did not say where it listens (first line \"\(text)\"): \(stderr.suffix(2000))")
        }
        url = String(text[range.lowerBound...])
        // The rest of standard output is drained, so the server never blocks on it.
        DispatchQueue.global().async { _ = reader.readDataToEndOfFile() }
    }

    /// What the server wrote on standard error so far.
    var stderr: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }

    /// Ends the server at once (SIGKILL: what it leaves behind is never
    /// what a test checks) and waits until it has exited.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(process.processIdentifier, SIGKILL)
        _ = exited.wait(timeout: .now() + childProcessTimeout)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: errorFile)
    }
}

/// The stand-in subscription server over the ledger at `ledger`, logging
/// its requests to `log` (one JSON object a line).
func standInServer(ledger: String, log: String, _ options: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> BackgroundServer {
    let python3 = try #require(ExternalTool.pythonWithLMDB, ExternalTool.readerMissing, sourceLocation: sourceLocation)
    return try BackgroundServer(python3, [packageRoot + "/Fixtures/tests/sse-server.py", "--ledger", ledger, "--log", log] + options,
                                sourceLocation: sourceLocation)
}

/// The requests the stand-in server logged.
func loggedRequests(_ log: String) throws -> [[String: Any]] {
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map { line in
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// `verify`'s head line of the ledger at `path` (`head SEQ:HASH`).
func verifiedHead(_ path: String, in directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let result = try runOK(["verify", "--ledger", path], in: directory, sourceLocation: sourceLocation)
    return try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("head ") }.map(String.init),
                        "verify printed no head line: \(result.stdout)", sourceLocation: sourceLocation)
}
