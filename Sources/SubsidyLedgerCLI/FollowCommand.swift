import ArgumentParser
import EventStore
import Follow
import Glibc
import LedgerCore

struct FollowCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow a ledger server's events as they are committed; keep a read replica.",
        discussion: """
            Reads GET /v1/subscribe of a `subsidy-ledger serve` at URL (http://HOST:PORT) and prints \
            each event as one line of JSON on standard output (the object `log --format json` prints; \
            personal ids masked unless --show-personal-ids). A dropped connection is made again, \
            after ½ s, 1 s, 2 s … up to 30 s, resuming after the last event received (Last-Event-ID), \
            so nothing is lost or shown twice. The token is read from --token-file or the \
            SUBSIDY_LEDGER_TOKEN environment variable. Plain HTTP only: across a network, terminate TLS \
            in a reverse proxy or tunnel at each end.

            --replica DIR appends every event to the ledger DIR (created if absent) so that its records \
            are the leader's byte for byte: same seq, recorded time, canonical bytes and hash, and the \
            indexes, balances and Merkle tree an import would derive. Each event is checked before it \
            is appended: its seq follows the replica's head, SHA-256(previous hash ‖ canonical bytes) is \
            its hash, it decodes and satisfies every stored-event rule, its recorded time does not go \
            back, and the append rules accept it. A batch that fails is not appended at all. An existing \
            replica resumes at its head + 1. This needs the canonical bytes, which the server sends to \
            an auditor's token only. See docs/REPLICATION.md.

            Exit codes: 0 the head was reached (--until-head); 1 the chain breaks (an event the replica \
            refuses, a heartbeat whose head differs from the replica's), the server's ledger is damaged \
            or its stream is malformed; 2 usage error, or the server refused the request (its message \
            is shown); 4 the replica cannot be opened or written, or the server stayed unreachable for \
            --retries attempts.
            """)

    @Argument(help: ArgumentHelp("The server, e.g. http://127.0.0.1:8080.", valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("First sequence number to follow (default 1; a replica resumes at its head + 1).", valueName: "seq"))
    var from: UInt64?

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "A file holding the bearer token (else $SUBSIDY_LEDGER_TOKEN).", valueName: "file"))
    var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp("Only events of this type (repeatable); not with --replica.", valueName: "type"))
    var type: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only events of this stream, e.g. loan:L1; not with --replica.", valueName: "stream"))
    var stream: String?

    @Option(help: ArgumentHelp("Append every event to this ledger directory, a byte-for-byte replica (needs an auditor's token).",
                               valueName: "dir"))
    var replica: String?

    @Flag(name: .customLong("until-head"), help: ArgumentHelp(
        "Exit 0 once the head announced by the server's first heartbeat is reached."))
    var untilHead = false

    @Option(help: ArgumentHelp("Reconnections tried in a row before giving up (exit 4); default: never give up.", valueName: "n"))
    var retries: Int?

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp(
        "Seconds without a byte from the server (not even a heartbeat) before reconnecting; above the server's --heartbeat.",
        valueName: "seconds"))
    var idleTimeout: Int = 30

    @Option(name: .customLong("batch-size"), help: ArgumentHelp(
        "At most this many events per replica transaction.", valueName: "n"))
    var batchSize: Int = 1000

    @Flag(inversion: .prefixedNo, help: "Show progress on standard error (default: on when it is a terminal).")
    var progress: Bool?

    @OptionGroup var privacy: PrivacyOptions

    func validate() throws {
        do {
            _ = try HTTPAddress(parsing: url)
        } catch {
            throw ValidationError(error.message)
        }
        for name in type where EventType(name: name) == nil {
            throw ValidationError("--type: \"\(name)\" is not an event type; known: " + EventType.allCases.map(\.name).joined(separator: ", "))
        }
        if replica != nil && (!type.isEmpty || stream != nil) {
            throw ValidationError("--replica keeps every event of the log; it cannot be combined with --type or --stream")
        }
        if let from, from == 0 { throw ValidationError("--from: sequence numbers start at 1") }
        if let retries, retries < 0 { throw ValidationError("--retries: give 0 or more") }
        guard idleTimeout >= 1 && idleTimeout <= 86_400 else { throw ValidationError("--idle-timeout: give 1 to 86400 seconds") }
        guard batchSize >= 1 && batchSize <= 1_000_000 else { throw ValidationError("--batch-size: give 1 to 1000000") }
    }

    func run() throws {
        let address: HTTPAddress
        do {
            address = try HTTPAddress(parsing: url)
        } catch {
            throw CLIFailure.input("error: \(error.message)")
        }
        let token = try readToken()
        let sink: FollowSink & FollowOutput
        var first = from ?? 1
        if let replica {
            let target = try openReplica(replica)
            let head = try target.head()
            if let from, from != head.seq + 1 {
                throw CLIFailure.input("error: --from \(from): the replica at \(replica) holds events 1–\(head.seq) and resumes at \(head.seq + 1)")
            }
            first = head.seq + 1
            sink = try ReplicaSink(replica: target, path: replica, url: url, masking: privacy.masking, progress: progress ?? isTerminal(2))
        } else {
            sink = PrintSink(start: first - 1, masking: privacy.masking, progress: progress ?? isTerminal(2))
        }
        var configuration = FollowConfiguration(address: address, from: first)
        configuration.token = token
        configuration.types = type
        configuration.stream = stream
        configuration.untilHead = untilHead
        configuration.batchSize = batchSize
        configuration.maxRetries = retries
        configuration.idleTimeout = Double(idleTimeout)
        let follower = Follower(configuration: configuration, sink: sink)
        do {
            _ = try follower.run()
            sink.finish()
        } catch {
            sink.finish()
            throw Self.failure(error)
        }
    }

    /// The token from --token-file (its first line, without surrounding
    /// blanks) or $SUBSIDY_LEDGER_TOKEN; nil when neither is given.
    func readToken() throws -> String? {
        if let tokenFile {
            let bytes: [UInt8]
            do {
                // The mapping lives as long as the InputFile: copied while it is held.
                let file = try InputFile(path: tokenFile)
                bytes = withExtendedLifetime(file) { Array(file.bytes) }
            } catch {
                throw CLIFailure.input("error: --token-file: \(error)")
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first.map(String.init) ?? ""
            let token = line.trimmingCharactersInSpaces()
            guard !token.isEmpty else { throw CLIFailure.input("error: --token-file: \(tokenFile) holds no token") }
            guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw CLIFailure.input("error: --token-file: the token in \(tokenFile) holds spaces or characters outside printable ASCII")
            }
            return token
        }
        if let env = getenv("SUBSIDY_LEDGER_TOKEN"), let value = String(validatingCString: env) {
            let token = value.trimmingCharactersInSpaces()
            guard !token.isEmpty else { return nil }
            guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw CLIFailure.input("error: SUBSIDY_LEDGER_TOKEN holds spaces or characters outside printable ASCII")
            }
            return token
        }
        return nil
    }

    /// The replica ledger at `path`, created (as `init` creates one) when
    /// the directory holds none, after the checks an import runs first.
    func openReplica(_ path: String) throws -> Replica {
        var options = Ledger.OpenOptions(snapshotIntervalEvents: LedgerLocation.snapshotIntervalSetting)
        // Many batches in one run: the balances' checksum is added up once.
        options.remembersVerifiedHead = true
        do {
            let ledger: Ledger
            if access(path + "/data.mdb", F_OK) == 0 {
                ledger = try Ledger.open(at: path, options: options)
            } else {
                ledger = try Ledger.create(at: path, options: options, notice: { printError("note: \($0)") })
                printError("created an empty replica ledger at \(path)")
            }
            return try Replica(ledger: ledger) { printError($0) }
        } catch let error as CLIFailure {
            throw error
        } catch {
            guard let failure = LedgerError.from(error) else { throw error }
            if case .corrupt = failure {
                throw CLIFailure.unopenable("error: the replica at \(path) fails its check, so nothing is appended to it: \(failure)")
            }
            throw CLIFailure.unopenable("error: the replica at \(path) cannot be used: \(failure)")
        }
    }

    /// The exit code and message for why following stopped.
    static func failure(_ error: any Error) -> any Error {
        switch error {
        case let failure as FollowFailure:
            switch failure {
            case .refused: return CLIFailure.input("error: \(failure)")
            case .leaderDamaged, .badStream: return CLIFailure(message: "error: \(failure)", code: 1)
            case .unreachable: return CLIFailure.unopenable("error: \(failure)")
            }
        case let refused as ReplicationRefused:
            return CLIFailure(message: "error: the replica refused the leader's events: \(refused)", code: 1)
        case let failure as CLIFailure:
            return failure
        default:
            if let failure = LedgerError.from(error) {
                return CLIFailure.unopenable("error: the replica could not be written: \(failure); nothing of the last batch was appended. "
                    + "Run follow again once this is dealt with: it resumes at the replica's head")
            }
            return error
        }
    }
}

/// What both sinks add to ``FollowSink``: a last word when following stops.
protocol FollowOutput {
    func finish()
}

/// Prints each event's JSON line on standard output, flushed after every batch.
final class PrintSink: FollowSink, FollowOutput {
    private(set) var position: UInt64
    private var output: Output
    private var status: StatusLine

    init(start: UInt64, masking: PersonalIDMasking, progress: Bool) {
        position = start
        output = Output(masking: masking)
        status = StatusLine(enabled: progress)
    }

    func deliver(_ events: [FollowedEvent]) throws {
        for event in events {
            output.line(event.json)
            position = event.seq
        }
        output.flush()
        status.show("followed through seq \(position)")
    }

    func heartbeat(_ head: HeadAnnouncement) throws {
        // A filtered stream considered events it did not send: resume after them.
        position = max(position, head.scannedThrough)
        status.show("followed through seq \(position), head \(head.seq)")
    }

    func notice(_ text: String) {
        status.clear()
        printError("follow: \(text)")
    }

    func finish() { status.clear() }
}

/// Appends each batch to the replica (printing its events once they are
/// committed), refusing events that come without their canonical bytes and
/// a heartbeat whose head is the replica's seq with another hash.
final class ReplicaSink: FollowSink, FollowOutput {
    let replica: Replica
    let path: String
    let url: String
    private(set) var position: UInt64
    private var headHash: [UInt8]
    private var output: Output
    private var status: StatusLine

    init(replica: Replica, path: String, url: String, masking: PersonalIDMasking, progress: Bool) throws {
        self.replica = replica
        self.path = path
        self.url = url
        let head = try replica.head()
        position = head.seq
        headHash = head.hash
        output = Output(masking: masking)
        status = StatusLine(enabled: progress)
    }

    func deliver(_ events: [FollowedEvent]) throws {
        var records: [ReplicatedRecord] = []
        records.reserveCapacity(events.count)
        for event in events {
            guard let canonical = event.canonical else {
                throw CLIFailure.input("error: the server sent event \(event.seq) without its canonical bytes, which a replica "
                    + "needs: give follow a token of the auditor role (--token-file). Nothing was appended to \(path); "
                    + "its head is \(position):\(HashChain.hex(headHash))")
            }
            records.append(ReplicatedRecord(hash: event.hash, canonical: canonical))
        }
        let report = try replica.append(records)
        position = report.headSeq
        headHash = report.headHash
        for event in events { output.line(event.json) }
        output.flush()
        status.show("replica at seq \(position)")
    }

    func heartbeat(_ head: HeadAnnouncement) throws {
        if head.seq == position && head.hash != headHash {
            throw CLIFailure(message: "error: the server's head \(head.seq):\(HashChain.hex(head.hash)) is not the replica's "
                + "\(position):\(HashChain.hex(headHash)): the two logs differ", code: 1)
        }
        if head.seq < position {
            throw CLIFailure(message: "error: the server's head is \(head.seq), behind the replica's \(position): "
                + "the replica holds events the server does not (another leader, or a log cut short)", code: 1)
        }
        status.show("replica at seq \(position), head \(head.seq)")
    }

    func notice(_ text: String) {
        status.clear()
        printError("follow: \(text)")
    }

    func finish() { status.clear() }
}

/// One status line on standard error, rewritten in place (a terminal only).
struct StatusLine {
    let enabled: Bool
    var shown = false

    mutating func show(_ text: String) {
        guard enabled else { return }
        let line = "\r\(text)\u{1B}[K"
        _ = line.withCString { write(2, $0, strlen($0)) }
        shown = true
    }

    mutating func clear() {
        guard shown else { return }
        _ = "\r\u{1B}[K".withCString { write(2, $0, strlen($0)) }
        shown = false
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line ends.
    func trimmingCharactersInSpaces() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" || first == "\n" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" || last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}
