import EventStore
import Foundation
import Hummingbird
import LedgerCore
import Logging
import NIOCore

/// What `subsidy-ledger serve` was asked for.
public struct ServerOptions: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var authenticator = Authenticator(tokens: nil, allowsAnonymousRead: false)
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes: Int = 64 << 20
    /// How long a request may take, body and answer (subscriptions excepted).
    public var requestTimeoutSeconds: Double = 30
    public var maxSubscribers: Int = 64
    public var heartbeatSeconds: Double = 2
    /// How often a subscription looks for events committed by another process.
    public var pollMilliseconds: Int = 100
    /// The OpenAPI document served at `/v1/openapi.json`.
    public var openAPIDocument: String = "{}"

    public init() {}

    /// Whether `host` is a loopback address: 127.0.0.0/8, ::1 or `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// The HTTP service over one ledger (docs/SERVER.md).
public enum LedgerHTTPServer {
    /// Serves until SIGINT or SIGTERM, then lets the requests in flight
    /// finish and returns. `onListening` gets the bound port (the one chosen
    /// for port 0).
    public static func run(ledger: Ledger, options: ServerOptions, logger: Logger,
                           onListening: @escaping @Sendable (Int) -> Void) async throws {
        let state = ServerState(access: LedgerAccess(ledger: ledger), options: options, logger: logger)
        let responder = LedgerResponder(state: state)
        let app = Application(
            responder: responder,
            // A connection with nothing to say is closed, but never a
            // subscription between two heartbeats.
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(max(options.requestTimeoutSeconds, options.heartbeatSeconds, 1) * 2 + 1)))),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "subsidy-ledger"),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? options.port)
            },
            logger: logger
        )
        try await app.runService()
    }
}

/// What every request shares: the ledger and its threads, the options, the
/// subscriptions and the answers kept for idempotent retries.
final class ServerState: Sendable {
    let access: LedgerAccess
    let options: ServerOptions
    let logger: Logger
    let subscriptions: SubscriptionHub
    let idempotency = IdempotencyCache()
    /// The balances carried from head to head, and the answers made from them (``BalanceAnswers``).
    let balanceAnswers = BalanceAnswers()

    init(access: LedgerAccess, options: ServerOptions, logger: Logger) {
        self.access = access
        self.options = options
        self.logger = logger
        self.subscriptions = SubscriptionHub(access: access, options: options, logger: logger)
    }
}
