import ArgumentParser
import EventStore
import Glibc
import LedgerCore
import Policy
import Projections

/// A failure the user can act on, with the exit code README.md assigns.
struct CLIFailure: Error {
    var message: String
    var code: Int32

    /// 2: usage or input error, nothing written.
    static func input(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 2) }
    /// 4: the ledger cannot be opened.
    static func unopenable(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 4) }
    /// 4: the ledger cannot be read or its figures cannot be computed.
    static func ledger(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 4) }
}

/// `--ledger DIR`, shared by every command.
struct LedgerLocation: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger directory (LMDB environment).", valueName: "dir"))
    var ledger: String?

    /// `--ledger`, else `$SUBSIDY_LEDGER`, else `./ledger`.
    var path: String {
        if let ledger { return ledger }
        if let env = getenv("SUBSIDY_LEDGER"), let value = String(validatingCString: env), !value.isEmpty { return value }
        return "./ledger"
    }

    /// `SUBSIDY_LEDGER_SNAPSHOT_EVENTS`: how many events between projection
    /// snapshots (default 250,000). Smaller makes as-of reads faster and
    /// the ledger larger.
    var snapshotInterval: UInt64 { Self.snapshotIntervalSetting }

    /// `SUBSIDY_LEDGER_SNAPSHOT_EVENTS` for a ledger named otherwise than by
    /// --ledger (`follow --replica DIR`).
    static var snapshotIntervalSetting: UInt64 {
        if let env = getenv("SUBSIDY_LEDGER_SNAPSHOT_EVENTS"), let value = UInt64(String(cString: env)), value > 0 { return value }
        return Ledger.defaultSnapshotIntervalEvents
    }

    /// `remembersVerifiedHead`: for `serve`, which appends many batches in
    /// one run (``Ledger/OpenOptions/remembersVerifiedHead``).
    func open(readOnly: Bool, remembersVerifiedHead: Bool = false) throws -> Ledger {
        let ledger: Ledger
        do {
            var options = Ledger.OpenOptions(readOnly: readOnly, snapshotIntervalEvents: snapshotInterval)
            options.remembersVerifiedHead = remembersVerifiedHead
            ledger = try Ledger.open(at: path, options: options)
        } catch {
            guard let failure = LedgerError.from(error) else { throw error }
            throw CLIFailure.unopenable("error: \(failure)")
        }
        if ledger.isOpenWithoutLockFile && !LockFileNote.shown {
            LockFileNote.shown = true
            printError("note: \(path) cannot be written by this user, so it is read without its lock file: "
                       + "right for an archived copy; a writer working on it meanwhile would not see this reader and could reuse pages it reads")
        }
        return ledger
    }
}

/// A storage failure in the middle of a writing command, exit 4, with what
/// it means for the ledger: LMDB makes a transaction all or nothing, so the
/// one that failed left no trace. Other errors are returned unchanged.
func storageFailure(_ error: any Error, _ consequence: String) -> any Error {
    guard let failure = LedgerError.from(error), case .storage = failure else { return error }
    return CLIFailure.unopenable("error: \(failure)\n\(consequence)")
}

/// The note about a read without a lock file is printed once per run
/// (a command may open the ledger twice). The tool is single-threaded.
enum LockFileNote {
    nonisolated(unsafe) static var shown = false
}

/// The view of the log a reading command works on (docs/OUTPUT.md), and its
/// output format.
struct ViewOptions: ParsableArguments {
    @OptionGroup var selection: ViewSelection

    @Option(name: .long, help: ArgumentHelp("Output format: table, json or csv.", valueName: "format"))
    var format: String = "table"

    func validate() throws {
        if OutputFormat(rawValue: format) == nil {
            throw ValidationError("--format: \"\(format)\" is not one of table, json, csv")
        }
    }

    var outputFormat: OutputFormat { OutputFormat(rawValue: format) ?? .table }

    var asOfSeq: UInt64? { selection.asOfSeq }
    var knownAt: String? { selection.knownAt }
    var effectiveOn: String? { selection.effectiveOn }
    var knownAtMicros: Int64? { selection.knownAtMicros }
    var effectiveDate: CalendarDate? { selection.effectiveDate }
    func includes(_ stored: StoredEvent) -> Bool { selection.includes(stored) }
    var ledgerView: LedgerView { selection.ledgerView }
    var lastPossibleSeq: UInt64 { selection.lastPossibleSeq }
    func checkAsOfSeq(in ledger: Ledger) throws { try selection.checkAsOfSeq(in: ledger) }
}

/// `--as-of-seq`, `--known-at` and `--effective-on`: the view of the log,
/// without an output format (for `export hledger`, whose format is fixed).
struct ViewSelection: ParsableArguments {
    @Option(name: .customLong("as-of-seq"), help: ArgumentHelp("Only the first N events of the log.", valueName: "n"))
    var asOfSeq: UInt64?

    @Option(name: .customLong("known-at"), help: ArgumentHelp(
        "Only events recorded by this time (UTC): YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM:SS[.ffffff]Z.",
        valueName: "time"))
    var knownAt: String?

    @Option(name: .customLong("effective-on"), help: ArgumentHelp("Only events effective on or before this business date (YYYY-MM-DD).", valueName: "date"))
    var effectiveOn: String?

    func validate() throws {
        if knownAt != nil && knownAtMicros == nil {
            throw ValidationError("--known-at: \"\(knownAt!)\" is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff]Z")
        }
        if effectiveOn != nil && effectiveDate == nil {
            throw ValidationError("--effective-on: \"\(effectiveOn!)\" is not a calendar date YYYY-MM-DD")
        }
    }

    var knownAtMicros: Int64? { knownAt.flatMap(Clock.parse) }
    var effectiveDate: CalendarDate? { effectiveOn.flatMap(CalendarDate.parse) }

    /// `--as-of-seq` past the head is refused (exit 2): a view of events the
    /// ledger does not have would silently be the whole ledger.
    func checkAsOfSeq(in ledger: Ledger) throws {
        guard let asOfSeq else { return }
        try checkNotPastHead(asOfSeq, option: "--as-of-seq", in: ledger)
    }

    /// Whether a stored event is inside the view.
    func includes(_ stored: StoredEvent) -> Bool {
        if let asOfSeq, stored.seq > asOfSeq { return false }
        if let knownAtMicros, stored.recordedMicros > knownAtMicros { return false }
        if let effectiveDate, stored.event.effective > effectiveDate { return false }
        return true
    }

    /// The view for projections and reports.
    var ledgerView: LedgerView {
        LedgerView(asOfSeq: asOfSeq, knownAtMicros: knownAtMicros, effectiveOn: effectiveDate)
    }

    /// No event after this sequence number can be inside the view: the log
    /// is a prefix by seq, and recorded times never decrease along it.
    var lastPossibleSeq: UInt64 { asOfSeq ?? .max }
}

/// Refuses (exit 2) a count of events past the ledger's head, naming the
/// head, so that a view of events the ledger does not have is never
/// silently the whole ledger.
func checkNotPastHead(_ size: UInt64, option: String, in ledger: Ledger) throws {
    let head = try ledger.head()
    guard size > head.seq else { return }
    throw CLIFailure.input("error: \(option) \(size) is past the head: the ledger has \(head.seq) event\(head.seq == 1 ? "" : "s"), "
        + "head \(head.seq):\(HashChain.hex(head.hash))")
}

/// The policy of `--policy DIR` (DIR/policy.json), or the seed's built in.
func loadPolicy(_ directory: String?) throws -> Policy {
    do {
        return try directory.map { try Policy.load(directory: $0) } ?? .seed
    } catch let error as PolicyError {
        throw CLIFailure.input("error: --policy: \(error)")
    }
}

/// `--show-personal-ids`, on every command that prints what the ledger
/// holds. Without it personal identity numbers are masked in everything the
/// command writes, its error messages included (``PersonalIDMasking``).
struct PrivacyOptions: ParsableArguments {
    @Flag(name: .customLong("show-personal-ids"), help: ArgumentHelp(
        "Show personal identity numbers in full (by default they are masked, as in 2201**********1234)."))
    var showPersonalIDs = false

    var masking: PersonalIDMasking { PersonalIDMasking(showsPersonalIDs: showPersonalIDs) }
}

/// A command whose output or error messages may show personal ids: `main`
/// masks its error messages as the command's own output is masked.
protocol ShowsPersonalData {
    var privacy: PrivacyOptions { get }
}
