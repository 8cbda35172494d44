import Glibc

/// Why a connection to the server failed or ended, in words for a person.
public struct HTTPFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An `http://HOST[:PORT][/PATH]` address. Only plain HTTP: where the
/// leader is reached across a network, TLS is terminated by a reverse proxy
/// or a tunnel in front of each end (docs/REPLICATION.md).
public struct HTTPAddress: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    /// The path before any query, without a trailing slash ("" for none).
    public var path: String

    /// Parses `text`, refusing what this client cannot reach, with the reason.
    public init(parsing text: String) throws(HTTPFailure) {
        var rest = Substring(text)
        if rest.lowercased().hasPrefix("https://") {
            throw HTTPFailure("\(text): https is not spoken here; follow talks plain HTTP to the server or to a TLS-terminating "
                + "proxy or tunnel on this machine (see docs/REPLICATION.md)")
        }
        guard rest.lowercased().hasPrefix("http://") else {
            throw HTTPFailure("\(text) is not an http:// URL such as http://127.0.0.1:8080")
        }
        rest = rest.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        rest = rest.dropFirst(authority.count)
        guard !authority.contains("@") else { throw HTTPFailure("\(text): put the token in --token-file, not in the URL") }
        var hostPart = Substring(authority)
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw HTTPFailure("\(text): the IPv6 address has no closing ]") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw HTTPFailure("\(text): cannot read the host") }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portText = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw HTTPFailure("\(text) names no host") }
        host = String(hostPart)
        if let portText {
            guard let number = UInt16(portText), number > 0 else { throw HTTPFailure("\(text): \"\(portText)\" is not a port from 1 to 65535") }
            port = number
        } else {
            port = 80
        }
        let pathPart = rest.prefix { $0 != "?" && $0 != "#" }
        guard pathPart.count == rest.count else {
            throw HTTPFailure("\(text): give the server's address without a query; the options say what to follow")
        }
        var trimmed = String(pathPart)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        path = trimmed
    }

    /// `host:port` as the `Host` header writes it.
    public var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
}

/// A response's status and headers (names lower-cased).
public struct HTTPResponseHead: Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// One HTTP/1.1 exchange over a POSIX socket: a GET, its response head, then
/// its body read as it arrives (chunked, by length, or up to the close).
/// Every wait is bounded by `idleTimeout`: a server that sends nothing for
/// that long (not even a heartbeat) is taken to be gone.
public final class HTTPConnection {
    private var fd: Int32
    private let idleTimeoutMilliseconds: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var bodyMode: BodyMode = .untilClose
    private var finished = false

    enum BodyMode {
        case length(Int)
        case chunked(remainingInChunk: Int, state: ChunkState)
        case untilClose
    }

    enum ChunkState { case size, data, dataEnd, trailers }

    /// Longest response head or chunk-size line accepted.
    static let maxHeadBytes = 64 * 1024

    /// Connects to `address` (every address its host resolves to, in turn).
    public init(address: HTTPAddress, connectTimeout: Double, idleTimeout: Double) throws(HTTPFailure) {
        idleTimeoutMilliseconds = Int32(min(max(idleTimeout, 0.001) * 1000, Double(Int32.max)))
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPFailure("cannot resolve \(address.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let socketFD = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard socketFD >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            if let problem = Self.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen, timeout: connectTimeout) {
                lastError = problem
                _ = Glibc.close(socketFD)
                continue
            }
            var one: Int32 = 1
            setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            fd = socketFD
            return
        }
        throw HTTPFailure("cannot connect to \(address.hostHeader): \(lastError)")
    }

    deinit { close() }

    /// Closes the socket (once).
    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Connects without waiting longer than `timeout`; the reason when it fails.
    private static func connect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, timeout: Double) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        if ready == 0 { return "no answer within \(Int(timeout)) s" }
        if ready < 0 { return String(cString: strerror(errno)) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    /// Sends a GET for `target` (path and query) with `headers`, then reads
    /// the response head.
    public func get(_ target: String, host: String, headers: [(String, String)]) throws(HTTPFailure) -> HTTPResponseHead {
        var request = "GET \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try send(Array(request.utf8))
        // A kept-alive connection: the body before this one was read to its end.
        finished = false
        return try readHead()
    }

    private func send(_ bytes: [UInt8]) throws(HTTPFailure) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw HTTPFailure("the connection failed while sending the request: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Reads more bytes from the socket into the buffer; false at the end of the stream.
    private func fill() throws(HTTPFailure) -> Bool {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 16 {
            buffer.removeFirst(position)
            position = 0
        }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, idleTimeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw HTTPFailure("waiting for the server failed: \(String(cString: strerror(errno)))") }
            if ready == 0 {
                throw HTTPFailure("the server sent nothing for \(idleTimeoutMilliseconds / 1000) s, not even a heartbeat")
            }
            break
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw HTTPFailure("the connection failed: \(String(cString: strerror(errno)))") }
            if count == 0 { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
    }

    /// Whether bytes are waiting on the socket or in the buffer (so a
    /// reader can tell a burst still arriving from a pause).
    public var hasPendingInput: Bool {
        if position < buffer.count { return true }
        guard fd >= 0 else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0
    }

    /// The next line ending in CRLF (or LF), without it.
    private func readLine(_ what: String) throws(HTTPFailure) -> String {
        var scanned = position
        while true {
            while scanned < buffer.count {
                if buffer[scanned] == 0x0A {
                    var end = scanned
                    if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                    let line = String(decoding: buffer[position..<end], as: UTF8.self)
                    position = scanned + 1
                    return line
                }
                scanned += 1
            }
            guard scanned - position < Self.maxHeadBytes else { throw HTTPFailure("the server's \(what) is longer than \(Self.maxHeadBytes) bytes") }
            // Filling may move the unread bytes to the front of the buffer.
            let alreadyScanned = scanned - position
            guard try fill() else { throw HTTPFailure("the server closed the connection in the middle of its \(what)") }
            scanned = position + alreadyScanned
        }
    }

    private func readHead() throws(HTTPFailure) -> HTTPResponseHead {
        var statusLine = try readLine("response head")
        // Interim responses (100 Continue) come before the real one.
        while true {
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status) else {
                throw HTTPFailure("the server's answer is not HTTP/1.1: \(statusLine.prefix(80))")
            }
            var headers: [(name: String, value: String)] = []
            var headBytes = 0
            while true {
                let line = try readLine("response head")
                headBytes += line.utf8.count
                guard headBytes < Self.maxHeadBytes else { throw HTTPFailure("the server's response head is too long") }
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { throw HTTPFailure("a header line of the server's answer has no colon") }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces()
                headers.append((name, value))
            }
            if status >= 100 && status < 200 {
                statusLine = try readLine("response head")
                continue
            }
            let head = HTTPResponseHead(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers)
            if let encoding = head.header("transfer-encoding"), encoding.lowercased().contains("chunked") {
                bodyMode = .chunked(remainingInChunk: 0, state: .size)
            } else if let length = head.header("content-length").flatMap({ Int($0) }), length >= 0 {
                bodyMode = .length(length)
            } else {
                bodyMode = .untilClose
            }
            return head
        }
    }

    /// The next bytes of the body as they arrive, nil at its end.
    public func readBody() throws(HTTPFailure) -> [UInt8]? {
        while !finished {
            switch bodyMode {
            case .length(let remaining):
                if remaining == 0 {
                    finished = true
                    return nil
                }
                if position == buffer.count {
                    guard try fill() else { throw HTTPFailure("the server closed the connection before the end of its answer") }
                }
                let take = min(remaining, buffer.count - position)
                let out = Array(buffer[position..<position + take])
                position += take
                bodyMode = .length(remaining - take)
                return out
            case .untilClose:
                if position == buffer.count {
                    guard try fill() else {
                        finished = true
                        return nil
                    }
                }
                let out = Array(buffer[position...])
                position = buffer.count
                return out
            case .chunked(let remaining, let state):
                switch state {
                case .size:
                    let line = try readLine("chunk size")
                    let sizeText = line.prefix { $0 != ";" }.trimmingSpaces()
                    guard let size = Int(sizeText, radix: 16), size >= 0 else {
                        throw HTTPFailure("the server's chunked answer is malformed (chunk size \"\(sizeText.prefix(20))\")")
                    }
                    bodyMode = .chunked(remainingInChunk: size, state: size == 0 ? .trailers : .data)
                case .data:
                    if position == buffer.count {
                        guard try fill() else { throw HTTPFailure("the server closed the connection in the middle of a chunk") }
                    }
                    let take = min(remaining, buffer.count - position)
                    let out = Array(buffer[position..<position + take])
                    position += take
                    bodyMode = .chunked(remainingInChunk: remaining - take, state: remaining - take == 0 ? .dataEnd : .data)
                    return out
                case .dataEnd:
                    guard try readLine("chunk end").isEmpty else { throw HTTPFailure("the server's chunked answer is malformed (no line end after a chunk)") }
                    bodyMode = .chunked(remainingInChunk: 0, state: .size)
                case .trailers:
                    if try readLine("trailer").isEmpty {
                        finished = true
                        return nil
                    }
                }
            }
        }
        return nil
    }

    /// The whole body (for an error answer), at most `limit` bytes kept.
    public func readWholeBody(limit: Int = 1 << 20) throws(HTTPFailure) -> [UInt8] {
        var out: [UInt8] = []
        while let bytes = try readBody() {
            if out.count < limit { out += bytes.prefix(limit - out.count) }
        }
        return out
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start] == " " || scalars[start] == "\t" { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)] == " " || scalars[scalars.index(before: end)] == "\t" {
            end = scalars.index(before: end)
        }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
