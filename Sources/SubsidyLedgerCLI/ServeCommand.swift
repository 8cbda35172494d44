import ArgumentParser
import Dispatch
import EventStore
import Foundation
import Glibc
import LedgerServer
import Logging

/// `serve`: the ledger as an HTTP service (docs/SERVER.md).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP: reads, appends and a live subscription (JSON; docs/SERVER.md).",
        discussion: """
            Answers with the same JSON as the commands' --format json, computed by the same code: \
            GET /v1/head, /v1/events, /v1/events/{id}, /v1/balances, /v1/audit, \
            /v1/audit/explain/{eventId}, /v1/reports/performance, /v1/verify, /v1/openapi.json and \
            /v1/subscribe (server-sent events); POST /v1/events appends a batch as `import` does \
            (atomic, same validation, duplicates skipped).

            On start it prints one line on standard output, `listening on http://HOST:PORT` (port 0 \
            picks a free port), and then one log line per request on standard error. SIGINT or \
            SIGTERM stops accepting connections, lets the requests in flight finish, and exits 0.

            Tokens: --tokens FILE holds one `ROLE SHA256-HEX` a line (reader, writer or auditor; the \
            hex is the SHA-256 of the token; # comments). Clients send `Authorization: Bearer TOKEN`. \
            A reader reads with personal identity numbers masked; a writer may also append; an \
            auditor reads unmasked and may explain findings. Without --tokens the server listens on \
            a loopback address only, and every request has every right (as the user of this machine \
            has with the tool itself).
            """)

    @OptionGroup var location: LedgerLocation

    @Option(help: ArgumentHelp("Address and port to listen on; port 0 picks a free one.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("Token file: one `ROLE SHA256-HEX` a line (required to listen beyond loopback).", valueName: "file"))
    var tokens: String?

    @Flag(name: .customLong("allow-anonymous-read"), help: "With --tokens: requests without a token read as a reader (masked).")
    var allowAnonymousRead = false

    @Option(name: .customLong("max-body"), help: ArgumentHelp("Largest request body accepted, in bytes (413 beyond).", valueName: "bytes"))
    var maxBody: Int = 64 << 20

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds a request may take (not a subscription).", valueName: "seconds"))
    var requestTimeout: Double = 30

    @Option(name: .customLong("max-subscribers"), help: ArgumentHelp("Subscriptions open at once (503 beyond).", valueName: "n"))
    var maxSubscribers: Int = 64

    @Option(help: ArgumentHelp("Seconds between heartbeats on a subscription.", valueName: "seconds"))
    var heartbeat: Double = 2

    /// The host and port of --listen: `HOST:PORT`, `[IPV6]:PORT`.
    var address: (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    func validate() throws {
        guard let address else { throw ValidationError("--listen: \"\(listen)\" is not HOST:PORT, such as 127.0.0.1:8080") }
        if tokens == nil && !ServerOptions.isLoopback(address.host) {
            throw ValidationError("--listen \(listen): a server beyond loopback needs --tokens FILE, so that nobody reads or writes the ledger without a token")
        }
        if allowAnonymousRead && tokens == nil {
            throw ValidationError("--allow-anonymous-read: without --tokens every request already has every right; give --tokens FILE")
        }
        guard maxBody > 0 else { throw ValidationError("--max-body: must be at least 1 byte") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout: must be more than 0 seconds") }
        guard maxSubscribers >= 0 else { throw ValidationError("--max-subscribers: must be 0 or more") }
        guard heartbeat > 0 else { throw ValidationError("--heartbeat: must be more than 0 seconds") }
    }

    func run() throws {
        guard let address else { throw CLIFailure.input("error: --listen: \"\(listen)\" is not HOST:PORT") }
        var options = ServerOptions()
        options.host = address.host
        options.port = address.port
        do {
            options.authenticator = Authenticator(tokens: try tokens.map { try TokenTable(contentsOf: $0) },
                                                  allowsAnonymousRead: allowAnonymousRead)
        } catch let error as TokenFileError {
            throw CLIFailure.input("error: --tokens: \(error)")
        }
        options.maxBodyBytes = maxBody
        options.requestTimeoutSeconds = requestTimeout
        options.maxSubscribers = maxSubscribers
        options.heartbeatSeconds = heartbeat
        options.openAPIDocument = OpenAPIDocument.text
        let ledger = try location.open(readOnly: false, remembersVerifiedHead: true)

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "subsidy-ledger.serve")
        let host = address.host.contains(":") ? "[\(address.host)]" : address.host
        let finished = DispatchSemaphore(value: 0)
        let outcome = ServeOutcome()
        Task {
            do {
                try await LedgerHTTPServer.run(ledger: ledger, options: options, logger: logger) { port in
                    // The first line on standard output: scripts and tests read the port from it.
                    let line = "listening on http://\(host):\(port)\n"
                    _ = line.withCString { Glibc.write(1, $0, strlen($0)) }
                }
            } catch {
                outcome.error = error
            }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error {
            throw CLIFailure.unopenable("error: the server stopped: \(error)")
        }
    }
}

/// How the server task ended, handed back to the main thread.
private final class ServeOutcome: @unchecked Sendable {
    var error: (any Error)?
}
