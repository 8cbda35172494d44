import Foundation
import Glibc
import Testing

/// `subsidy-ledger serve` started on a free port of 127.0.0.1: the port is
/// read from its first line of standard output; its log goes to a file.
final class ServerProcess {
    let process = Process()
    let port: Int
    let logPath: String
    private let finished = DispatchSemaphore(value: 0)
    private var stopped = false

    /// Starts the server on `ledger` with further `arguments` and waits (at
    /// most ``childProcessTimeout``) for its `listening on` line.
    init(ledger: String, _ arguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        signal(SIGPIPE, SIG_IGN)
        logPath = NSTemporaryDirectory() + "subsidy-ledger-serve-" + UUID().uuidString + ".log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw TestSetupError("cannot create \(logPath)") }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--ledger", ledger, "--listen", "127.0.0.1:0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SUBSIDY_LEDGER")
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardInput = FileHandle.nullDevice
        let finished = self.finished
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let fd = out.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(childProcessTimeout)
        var line: [UInt8] = []
        while !line.contains(0x0A) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard remaining > 0, poll(&poller, 1, remaining) > 0 else { break }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("listening on http://127.0.0.1:"), let port = Int(text.split(separator: ":").last ?? "") else {
            kill(process.processIdentifier, SIGKILL)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestSetupError("serve did not announce its port (got \"\(text)\"); its log: \(log.suffix(2000))")
        }
        self.port = port
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit, at most
    /// ``childProcessTimeout``; returns the exit status.
    func stop(signal: Int32 = SIGTERM) throws -> Int32 {
        stopped = true
        kill(process.processIdentifier, signal)
        guard finished.wait(timeout: .now() + childProcessTimeout) == .success else {
            kill(process.processIdentifier, SIGKILL)
            throw TestSetupError("serve did not stop within \(childProcessTimeout) s of signal \(signal)")
        }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Stops the server with SIGTERM and records an issue unless it exits 0,
    /// with the end of its log (a crash's message lands there).
    func expectCleanStop(sourceLocation: SourceLocation = #_sourceLocation) {
        let status: Int32
        do { status = try stop() } catch {
            Issue.record("\(error); its log ends: \(log.suffix(3000))", sourceLocation: sourceLocation)
            return
        }
        #expect(status == 0, "serve exited \(status); its log ends: \(log.suffix(3000))", sourceLocation: sourceLocation)
    }

    deinit {
        if !stopped && process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// A request to this server.
    func request(_ method: String, _ path: String, token: String? = nil, headers: [(String, String)] = [],
                 body: String? = nil, contentType: String? = nil) throws -> HTTPReply {
        var all = headers
        if let token { all.append(("Authorization", "Bearer " + token)) }
        if let contentType { all.append(("Content-Type", contentType)) }
        return try HTTPReply.fetch(port: port, method: method, path: path, headers: all, body: body.map { Array($0.utf8) })
    }

    func get(_ path: String, token: String? = nil) throws -> HTTPReply { try request("GET", path, token: token) }
}

/// One HTTP/1.1 exchange over a plain socket (`Connection: close`).
struct HTTPReply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (object["error"] as? [String: Any])?["message"] as? String ?? "" }

    static func fetch(port: Int, method: String, path: String, headers: [(String, String)], body: [UInt8]?,
                      timeout: TimeInterval = childProcessTimeout) throws -> HTTPReply {
        let connection = try SocketConnection(port: port)
        defer { connection.close() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        // A server that answers before reading the whole body may close the
        // connection under us: the answer is still read.
        try? connection.send(Array(head.utf8) + (body ?? []))
        let deadline = Date().addingTimeInterval(timeout)
        var raw: [UInt8] = []
        while let chunk = try connection.receive(deadline: deadline) { raw += chunk }
        return try parse(raw)
    }

    static func parse(_ raw: [UInt8]) throws -> HTTPReply {
        guard let end = find([13, 10, 13, 10], in: raw) else { throw TestSetupError("no complete HTTP head in \(raw.count) bytes") }
        let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestSetupError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoder = ChunkedDecoder()
            decoder.feed(body)
            body = decoder.decoded
        }
        return HTTPReply(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }
}

func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
    guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
    for index in start...(haystack.count - needle.count) where haystack[index..<index + needle.count].elementsEqual(needle) {
        return index
    }
    return nil
}

/// Decodes `Transfer-Encoding: chunked` as bytes arrive.
struct ChunkedDecoder {
    private var pending: [UInt8] = []
    var decoded: [UInt8] = []
    var ended = false

    mutating func feed(_ bytes: [UInt8]) {
        pending += bytes
        while !ended, let lineEnd = find([13, 10], in: pending) {
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return }
            if size == 0 {
                ended = true
                return
            }
            guard pending.count >= lineEnd + 2 + size + 2 else { return }
            decoded += pending[(lineEnd + 2)..<(lineEnd + 2 + size)]
            pending.removeFirst(lineEnd + 2 + size + 2)
        }
    }
}

/// A TCP connection to 127.0.0.1.
final class SocketConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw TestSetupError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestSetupError("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// The next bytes, nil at the end of the stream; throws at the deadline.
    func receive(deadline: Date) throws -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
        guard remaining > 0, poll(&poller, 1, remaining) > 0 else { throw TestSetupError("no answer from the server in time") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == ECONNRESET { return nil }
        guard n >= 0 else { throw TestSetupError("recv: \(String(cString: strerror(errno)))") }
        return n == 0 ? nil : Array(buffer[..<n])
    }

    func close() { Glibc.close(fd) }
}

/// A server-sent event.
struct ServerSentEvent {
    var event: String
    var id: String?
    var data: String
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
}

/// A `GET /v1/subscribe` stream, read event by event.
final class EventStreamClient {
    let connection: SocketConnection
    let status: Int
    let headers: [String: String]
    private var decoder = ChunkedDecoder()
    private var consumed = 0

    init(port: Int, path: String, headers: [(String, String)] = [], timeout: TimeInterval = childProcessTimeout) throws {
        connection = try SocketConnection(port: port)
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try connection.send(Array((head + "\r\n").utf8))
        let deadline = Date().addingTimeInterval(timeout)
        var raw: [UInt8] = []
        var end: Int?
        while end == nil {
            guard let chunk = try connection.receive(deadline: deadline) else { break }
            raw += chunk
            end = find([13, 10, 13, 10], in: raw)
        }
        guard let end else { throw TestSetupError("the subscription sent no HTTP head") }
        let reply = try HTTPReply.parse(Array(raw[..<(end + 4)]))
        status = reply.status
        self.headers = reply.headers
        decoder.feed(Array(raw[(end + 4)...]))
    }

    deinit { connection.close() }

    /// The next event, waiting at most until `deadline`; nil when the
    /// server ended the stream.
    func next(deadline: Date) throws -> ServerSentEvent? {
        while true {
            let text = decoder.decoded
            if let end = find([10, 10], in: text, from: consumed) {
                let block = String(decoding: text[consumed..<end], as: UTF8.self)
                consumed = end + 2
                var event = ServerSentEvent(event: "message", id: nil, data: "")
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
                    if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
                }
                return event
            }
            if decoder.ended { return nil }
            guard let chunk = try connection.receive(deadline: deadline) else { return nil }
            decoder.feed(chunk)
        }
    }

    /// Events until `until` holds for one (it included), or the deadline.
    func collect(within seconds: TimeInterval = childProcessTimeout, until: (ServerSentEvent) -> Bool) throws -> [ServerSentEvent] {
        let deadline = Date().addingTimeInterval(seconds)
        var events: [ServerSentEvent] = []
        while let event = try next(deadline: deadline) {
            events.append(event)
            if until(event) { return events }
        }
        return events
    }
}

/// The SHA-256 of `text` in hex, for a token file.
func sha256Hex(_ text: String) throws -> String {
    let result = try runProcess("/usr/bin/sha256sum", [], stdin: text)
    return String(result.stdout.prefix(64))
}
