import EventStore
import Glibc
import LedgerCore
import LedgerQueries
import Reports

/// Output formats every reading command offers. JSON and CSV are stable
/// interfaces: fields are added, never renamed.
enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// Buffered standard output; large listings stream through it.
struct Output {
    private var buffer: [UInt8] = []
    /// Applied to each text written (whole lines or objects, so that no id
    /// is split): identity numbers masked unless shown. Nil for output that
    /// holds no ledger content (hashes, checkpoints, keys).
    let masking: PersonalIDMasking?

    init(masking: PersonalIDMasking? = nil) {
        self.masking = masking
        buffer.reserveCapacity(1 << 16)
    }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: (masking?.text(text) ?? text).utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func line(_ text: String = "") {
        write(text)
        write("\n")
    }

    mutating func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    // The reader went away (a closed pipe): stop quietly.
                    exit(0)
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes to standard error at once, with identity numbers masked as `masking` says.
func printError(_ text: String, masking: PersonalIDMasking) {
    printError(masking.text(text))
}

/// Writes to standard error at once. Control characters that reached the
/// message from the input (a file name, an argument, a value) are escaped
/// (``TerminalText``): a message never moves the cursor, rings the bell or
/// changes the terminal. Its own line breaks stay.
func printError(_ text: String) {
    var line = TerminalText.escaped(text, keepingNewlines: true)
    line.append("\n")
    _ = line.withUTF8 { Glibc.write(2, $0.baseAddress, $0.count) }
}

func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// JSON text for a string.
func jsonString(_ text: String) -> String { JSONText.quote(text) }

/// A stored event as `log --format json` prints it, without the closing
/// brace (``EventJSON/fields(seq:recordedMicros:event:hash:masking:)``, which
/// the server's answers use too).
func eventJSONFields(seq: UInt64, recordedMicros: Int64, event: Event, hash: String?, masking: PersonalIDMasking) -> String {
    EventJSON.fields(seq: seq, recordedMicros: recordedMicros, event: event, hash: hash, masking: masking)
}

/// Text of a table for a terminal: control characters from the input
/// escaped (``TerminalText``), line breaks kept.
func terminalSafe(_ text: String) -> String { TerminalText.escaped(text, keepingNewlines: true) }

/// A CSV field, quoted per RFC 4180 when it needs to be, neutralised for
/// spreadsheets (``CSV/field(_:)``).
func csvField(_ text: String) -> String { CSV.field(text) }

/// Display width on a terminal (CJK characters count two).
func displayWidth(_ text: String) -> Int { Text.width(text) }

/// A table for a terminal: columns aligned by display width (CJK characters
/// count two), numbers right-aligned, control characters escaped.
struct TextTable {
    var headers: [String]
    var rightAligned: Set<Int> = []
    var rows: [[String]] = []

    func render() -> String {
        let rows = self.rows.map { $0.map { TerminalText.escaped($0) } }
        var widths = headers.map(displayWidth)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], displayWidth(cell))
            }
        }
        func format(_ row: [String]) -> String {
            var parts: [String] = []
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - displayWidth(cell))
                let isLast = index == row.count - 1
                if rightAligned.contains(index) {
                    parts.append(padding + cell)
                } else {
                    parts.append(isLast ? cell : cell + padding)
                }
            }
            return parts.joined(separator: "  ")
        }
        var lines = [format(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(format)
        return lines.joined(separator: "\n")
    }
}
