import EventStore
import LedgerCore
import Projections

/// An answer other than success, as the API gives it: an HTTP status and
/// `{"error":{"code":…,"message":…,"details":…}}` (docs/SERVER.md). Every
/// failure of a request ends as one of these, Hummingbird's own included.
public struct APIError: Error, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    /// A JSON array or object, already rendered.
    public var details: String
    /// Extra response headers (`WWW-Authenticate` on a 401).
    public var headers: [(String, String)] = []

    public init(status: Int, code: String, message: String, details: String = "[]") {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, code: "bad_request", message: message) }
    public static func unauthorized(_ message: String) -> APIError {
        var error = APIError(status: 401, code: "unauthorized", message: message)
        error.headers = [("WWW-Authenticate", "Bearer")]
        return error
    }
    public static func forbidden(_ message: String) -> APIError { APIError(status: 403, code: "forbidden", message: message) }
    public static func notFound(_ message: String) -> APIError { APIError(status: 404, code: "not_found", message: message) }
    public static func methodNotAllowed(_ message: String, allowed: [String]) -> APIError {
        var error = APIError(status: 405, code: "method_not_allowed", message: message)
        error.headers = [("Allow", allowed.joined(separator: ", "))]
        return error
    }
    public static func payloadTooLarge(_ limit: Int) -> APIError {
        APIError(status: 413, code: "payload_too_large", message: "the request body is larger than this server's limit of \(limit) bytes (--max-body)")
    }
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: 415, code: "unsupported_media_type", message: message)
    }
    public static func timeout(_ seconds: Double) -> APIError {
        APIError(status: 503, code: "timeout", message: "the request took longer than this server's limit of \(seconds) s (--request-timeout)")
    }
    public static func internalError(_ message: String) -> APIError { APIError(status: 500, code: "internal", message: message) }

    /// The ledger failed one of its checks while answering: never served as if it were sound.
    public static func ledgerDamaged(_ message: String) -> APIError {
        APIError(status: 503, code: "ledger_damaged", message: message)
    }

    /// The JSON body of this error.
    public var body: String {
        "{\"error\":{\"code\":\(JSONString.quote(code)),\"message\":\(JSONString.quote(message)),\"details\":\(details)}}"
    }

    /// Any error thrown while answering, as the API reports it: a ledger
    /// that fails its checks is `ledger_damaged`, a question the ledger
    /// cannot answer is `bad_request`, storage failing and anything
    /// unforeseen is `internal`. The message never leaves out the cause.
    public static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let failure = LedgerError.from(error) {
            switch failure {
            case .corrupt, .damaged:
                return .ledgerDamaged("\(failure)")
            case .storage(let lmdb) where lmdb.isCorrupt:
                return .ledgerDamaged("\(failure)")
            case .invalidRequest:
                return .badRequest("\(failure)")
            default:
                return .internalError("\(failure)")
            }
        }
        if let overflow = error as? OverflowError {
            return .ledgerDamaged("the ledger's figures cannot be computed: \(overflow.what) is beyond 64-bit fen; run `subsidy-ledger verify` and report this ledger")
        }
        return .internalError("\(error)")
    }
}
