import ArgumentParser
import EventStore
import LedgerCore
import LedgerQueries

struct LogCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print stored events with their sequence number, recorded time and hash.")

    @OptionGroup var location: LedgerLocation
    @OptionGroup var view: ViewOptions
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("First sequence number to print.", valueName: "seq"))
    var from: UInt64 = 1

    @Option(help: ArgumentHelp("Last sequence number to print.", valueName: "seq"))
    var to: UInt64?

    @Option(name: .long, help: ArgumentHelp("Only events of this type (repeatable), e.g. subsidy.granted.", valueName: "type"))
    var type: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only events of this stream, e.g. loan:L1 or person:P1.", valueName: "stream"))
    var stream: String?

    func validate() throws {
        for name in type where EventType(name: name) == nil {
            throw ValidationError("--type: \"\(name)\" is not an event type; known: " + EventType.allCases.map(\.name).joined(separator: ", "))
        }
        if let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
    }

    func run() throws {
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let query = EventQuery(from: from, to: to, types: Set(type.compactMap(EventType.init(name:))), stream: stream,
                               view: view.ledgerView)
        // One head for every step: an import meanwhile is not half shown.
        let head = try ledger.head().seq
        let last = query.lastSeq(head: head)
        var printer = EventPrinter(format: view.outputFormat, lastSeq: last, masking: privacy.masking)
        // Mark events reversed within the view's log prefix.
        let reversals = try ledger.reversalMap()
        printer.reversedBy = query.reversedBy(reversals, head: head)
        if view.outputFormat == .csv {
            // A reversal belongs to its target's stream: read the targets of
            // the reversals that can be printed (reversals are rare).
            for (target, reversal) in reversals where reversal >= from && reversal <= last {
                try ledger.forEachEvent(from: target, to: target) { stored in
                    printer.reversalStreams[reversal] = stored.event.ownStream
                    return false
                }
            }
        }
        printer.begin()
        try query.forEach(in: ledger, through: last) { stored in
            printer.print(stored)
            return true
        }
        printer.end()
    }
}

/// Writes events as a table, a JSON object `{"events":[…]}` or CSV, streaming.
///
/// CSV has one record an event and one column a value (docs/OUTPUT.md):
/// ``csvColumns``, then one column for each field of `data` (``Field``, in
/// tag order), empty where the event has no such field. `data` keeps the
/// fields as one readable `name=value …` text, as before.
struct EventPrinter {
    /// The columns before the data fields: added to, never renamed.
    static let csvColumns = ["seq", "recorded", "hash", "id", "type", "effective", "data", "reversedBy", "stream",
                             "expectStream", "expectVersion"]
    static let csvHeader = (csvColumns + Field.allCases.map(\.name)).joined(separator: ",")

    let format: OutputFormat
    /// Width of the SEQ column: the digits of the largest seq that can appear.
    let seqWidth: Int
    let masking: PersonalIDMasking
    var out: Output
    var count = 0
    /// Reversed seq → the seq of its reversal.
    var reversedBy: [UInt64: UInt64] = [:]
    /// Seq of an `entry.reversed` → its target's stream (CSV only).
    var reversalStreams: [UInt64: String] = [:]

    init(format: OutputFormat, lastSeq: UInt64, masking: PersonalIDMasking) {
        self.format = format
        self.masking = masking
        // Personal fields are masked field by field; the rest (ids, references,
        // reasons) as it is written.
        out = Output(masking: masking)
        seqWidth = max(3, String(lastSeq).count)
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - displayWidth(text)))
        return right ? padding + text : text + padding
    }

    mutating func begin() {
        switch format {
        case .json: out.write("{\"events\":[")
        case .csv: out.line(Self.csvHeader)
        case .table:
            out.line(pad("SEQ", seqWidth, right: true) + "  " + pad("RECORDED (UTC)", 27) + "  " + pad("EFFECTIVE", 10) + "  "
                + pad("TYPE", 23) + "  " + pad("HASH", 16) + "  " + pad("ID", 10) + "  DATA")
        }
    }

    mutating func print(_ stored: StoredEvent) {
        let event = stored.event
        let recorded = Clock.iso8601(micros: stored.recordedMicros)
        let hash = HashChain.hex(stored.hash)
        switch format {
        case .json:
            let object = EventJSON.object(stored, reversedBy: reversedBy[stored.seq], masking: masking)
            out.write((count == 0 ? "\n" : ",\n") + object)
        case .csv:
            var fields = [String(stored.seq), recorded, hash, event.id, event.type.name, event.effective.description, summary(event),
                          reversedBy[stored.seq].map(String.init) ?? "", event.ownStream ?? reversalStreams[stored.seq] ?? "",
                          event.expect?.stream ?? "", event.expect.map { String($0.version) } ?? ""]
            var values = [String](repeating: "", count: Field.allCases.count)
            for (field, value) in event.data.entries {
                if let index = Self.fieldColumn[field] { values[index] = ValueText.text(value, field: field) }
            }
            fields += values
            out.line(fields.map(csvField).joined(separator: ","))
        case .table:
            out.line(pad(String(stored.seq), seqWidth, right: true) + "  " + recorded + "  " + event.effective.description + "  "
                + pad(event.type.name, 23) + "  " + hash.prefix(16) + "  " + pad(event.id, 10) + "  " + TerminalText.escaped(summary(event))
                + (reversedBy[stored.seq].map { "  [reversed by seq \($0)]" } ?? ""))
        }
        count += 1
    }

    mutating func end() {
        switch format {
        case .json: out.line(count == 0 ? "]}" : "\n]}")
        case .table: out.line("(\(count) event\(count == 1 ? "" : "s"))")
        case .csv: break
        }
        out.flush()
    }

    /// A data field → its place among the data columns.
    private static let fieldColumn: [Field: Int] = Dictionary(uniqueKeysWithValues: Field.allCases.enumerated().map { ($1, $0) })

    private func summary(_ event: Event) -> String {
        event.data.entries.map { "\($0.field.name)=\(ValueText.text($0.value, field: $0.field, masking: masking))" }.joined(separator: " ")
    }
}
