import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import Logging
import NIOCore

/// Routes each request to its endpoint, after authentication, and turns
/// every failure into the API's JSON error (unknown paths and methods,
/// Hummingbird's own errors such as a body over the limit, the ledger's
/// damage). Writes one log line per request: method, path, status, duration.
struct LedgerResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let state: ServerState

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        var role: Role?
        var response: Response
        do {
            let exchange = try prepare(request)
            role = exchange.role
            switch exchange.route.endpoint {
            case .subscribe:
                // A stream lives as long as its client: no request timeout.
                response = try await handle(exchange)
            case .append:
                // Only receiving the body is timed: an import, once begun,
                // runs to its end, and the answer says what it did.
                response = try await handle(exchange)
            default:
                response = try await withDeadline(state.options.requestTimeoutSeconds) { try await handle(exchange) }
            }
        } catch {
            response = Self.errorResponse(Self.apiError(error))
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let line = "\(request.method.rawValue) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", milliseconds)) ms"
            + (role.map { " \($0.rawValue)" } ?? "")
        state.logger.info("\(line)")
        return response
    }

    /// The route and the caller's role, or the error that ends the request:
    /// 404 for a path no endpoint has, 405 for a method the path does not
    /// take, 401/403 for a caller without the right.
    func prepare(_ request: Request) throws(APIError) -> Exchange {
        let path = request.uri.path
        let candidates = Routes.matching(path: path)
        guard !candidates.isEmpty else {
            throw .notFound("no endpoint at \(path); the API is described at /v1/openapi.json")
        }
        let method = request.method.rawValue
        guard let (route, parameters) = candidates.first(where: { $0.route.method == method }) else {
            let allowed = candidates.map(\.route.method)
            throw .methodNotAllowed("\(path) takes \(allowed.joined(separator: ", ")), not \(method)", allowed: allowed)
        }
        let role = try state.options.authenticator.role(authorization: request.headers[.authorization])
        switch route.endpoint {
        case .append where !role.mayWrite:
            throw .forbidden("appending events needs a writer's token; this one is a \(role.rawValue)'s")
        case .explain where !role.mayExplain:
            throw .forbidden("explaining findings needs an auditor's token; this one is a \(role.rawValue)'s")
        default:
            break
        }
        return Exchange(request: request, route: route, parameters: parameters, role: role,
                        query: Query(request.uri.queryParameters.map { (String($0.key), String($0.value)) }))
    }

    func handle(_ exchange: Exchange) async throws -> Response {
        let endpoints = Endpoints(state: state, exchange: exchange)
        switch exchange.route.endpoint {
        case .head: return try await endpoints.head()
        case .events: return try await endpoints.events()
        case .event: return try await endpoints.event()
        case .balances: return try await endpoints.balances()
        case .audit: return try await endpoints.audit()
        case .explain: return try await endpoints.explain()
        case .warnings: return try await endpoints.warnings()
        case .performance: return try await endpoints.performance()
        case .verify: return try await endpoints.verify()
        case .append: return try await endpoints.append()
        case .subscribe: return try await endpoints.subscribe()
        case .openAPI:
            try exchange.query.onlyKnown([])
            return Self.json(state.options.openAPIDocument, masking: nil)
        }
    }

    // MARK: Responses

    /// A JSON answer; `masking` applies the caller's masking to the whole
    /// text, as the command-line tool's output does (nil: no ledger content).
    static func json(_ text: String, status: HTTPResponse.Status = .ok, masking: PersonalIDMasking?) -> Response {
        let body = masking?.text(text) ?? text
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Any error as the API reports it, Hummingbird's own (a body over the
    /// limit, a bad request) included.
    static func apiError(_ error: any Error) -> APIError {
        if let http = error as? HTTPError {
            let code: String
            switch http.status.code {
            case 400: code = "bad_request"
            case 401: code = "unauthorized"
            case 403: code = "forbidden"
            case 404: code = "not_found"
            case 405: code = "method_not_allowed"
            case 413: code = "payload_too_large"
            case 415: code = "unsupported_media_type"
            default: code = http.status.code >= 500 ? "internal" : "bad_request"
            }
            return APIError(status: http.status.code, code: code, message: http.body ?? http.status.reasonPhrase)
        }
        return APIError.from(error)
    }

    static func errorResponse(_ error: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        // Error messages may quote the input (an id, a reference): masked as
        // the command-line tool masks its messages.
        let body = PersonalIDMasking.masked.text(error.body) + "\n"
        return Response(status: HTTPResponse.Status(code: error.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// One request on its way through: the route it matched and who asks.
struct Exchange: Sendable {
    var request: Request
    let route: Route
    let parameters: [String: String]
    let role: Role
    let query: Query

    var masking: PersonalIDMasking { role.masking }
}

/// The query string's parameters. A name given twice is refused where the
/// endpoint takes one value.
struct Query: Sendable {
    let pairs: [(String, String)]

    init(_ pairs: [(String, String)]) { self.pairs = pairs }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    func single(_ name: String) throws(APIError) -> String? {
        let values = all(name)
        guard values.count <= 1 else { throw .badRequest("\(name): given \(values.count) times; give it once") }
        return values.first
    }

    func unsigned(_ name: String) throws(APIError) -> UInt64? {
        guard let text = try single(name) else { return nil }
        guard let value = UInt64(text) else { throw .badRequest("\(name): \"\(text)\" is not a whole number") }
        return value
    }

    /// Refuses any parameter the endpoint does not take, so that a typo
    /// (`asofseq`) is never silently the whole ledger.
    func onlyKnown(_ names: Set<String>) throws(APIError) {
        for (name, _) in pairs where !names.contains(name) {
            throw .badRequest("\(name): not a parameter of this endpoint; it takes " + (names.isEmpty ? "none" : names.sorted().joined(separator: ", ")))
        }
    }
}

/// Runs `work`, or answers 503 `timeout` once `seconds` have passed. The
/// ledger work of a read cannot be interrupted: it finishes on its thread
/// and its answer is dropped.
func withDeadline<T: Sendable>(_ seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        once.set(continuation)
        let task = Task {
            do { once.resume(.success(try await work())) } catch { once.resume(.failure(error)) }
        }
        let timer = Task {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            if once.resume(.failure(APIError.timeout(seconds))) {
                task.cancel()
            }
        }
        once.onResume { timer.cancel() }
    }
}

/// Runs `work` as a child task, or answers 503 `timeout` once `seconds`
/// have passed, and returns only after `work` has ended. For reading a
/// request's body: NIO allows one reader of a connection's inbound parts at
/// a time, and once this returns Hummingbird reads the same parts (to reach
/// the next request), so a reader left running after the answer would be a
/// second one. The body's reader ends as soon as it is cancelled.
func withJoinedDeadline<T: Sendable>(_ seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return nil
        }
        // Leaving the group waits for both children; the loser is cancelled.
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw APIError.timeout(seconds)
        }
        return value
    }
}

/// A continuation resumed by whichever comes first.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var pending: Result<T, any Error>?
    private var done = false
    private var cleanup: (@Sendable () -> Void)?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let pending {
            lock.unlock()
            continuation.resume(with: pending)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func onResume(_ body: @escaping @Sendable () -> Void) {
        lock.lock()
        if done {
            lock.unlock()
            body()
            return
        }
        cleanup = body
        lock.unlock()
    }

    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        lock.lock()
        guard !done else {
            lock.unlock()
            return false
        }
        done = true
        let continuation = self.continuation
        if continuation == nil { pending = result }
        let cleanup = self.cleanup
        lock.unlock()
        continuation?.resume(with: result)
        cleanup?()
        return true
    }
}
