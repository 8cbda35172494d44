import CSV
import LedgerCore

/// One payment line of a treasury statement.
public struct StatementLine: Hashable, Sendable {
    /// The line number in the file where this record starts (the header is line 1).
    public var line: Int
    public var date: CalendarDate
    public var voucher: String
    public var fund: String
    public var region: String
    public var amount: Money

    public init(line: Int, date: CalendarDate, voucher: String, fund: String, region: String, amount: Money) {
        self.line = line
        self.date = date
        self.voucher = voucher
        self.fund = fund
        self.region = region
        self.amount = amount
    }
}

/// One thing wrong with a statement, printed as `FILE:LINE: field: reason`.
public struct StatementProblem: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The column (`date`, `voucher`, …), or `header`, `fields`, `quotes`, `encoding`.
    public var field: String
    public var reason: String

    public var description: String { "\(file):\(line): \(field): \(reason)" }
}

/// A statement that cannot be reconciled: every problem found in it (up to
/// ``TreasuryStatement/maxProblemsKept``), and how many there were in all.
public struct StatementError: Error, Sendable, CustomStringConvertible {
    public var problems: [StatementProblem]
    public var total: Int

    public var description: String {
        var lines = problems.map(\.description)
        if total > problems.count { lines.append("… and \(total - problems.count) more") }
        return lines.joined(separator: "\n")
    }
}

/// A treasury statement: the payments the treasury made, one CSV record each,
/// with the columns `date,voucher,fund,region,amount`.
///
/// The file is read through CSV.swift (RFC 4180: quoted fields may hold
/// commas, quotes written twice and line breaks). What it accepts:
/// - UTF-8, with or without a byte-order mark; UTF-16 and invalid UTF-8 are refused.
/// - LF, CRLF (or CR) line ends; a missing final line end.
/// - Quoting as RFC 4180 has it: a quoted field that is never closed, or text
///   after a closing quote (`"V1"2`), is refused with the line, since the
///   records after it cannot be told apart. A quote inside an unquoted field
///   (`V"1`) is taken as written.
/// - The header names the five columns exactly (lower case, no spaces), **in
///   any order**; further columns (a payee, a memo) are allowed and ignored.
///   A missing or repeated column is an error naming it.
/// - Blank lines (whitespace only), and lines whose every field is empty or
///   blank (as spreadsheets write them), are skipped wherever they are.
/// - `date` is `YYYY-MM-DD`; `voucher` and `fund` are non-empty without
///   spaces at either end or control characters; `region` is a six-digit
///   GB/T 2260 code; `amount` is yuan as in the event format (`1500`,
///   `1500.5`, `1500.50`; > 0, at most two decimals, no sign, spaces or
///   thousands separators).
///
/// The whole file is checked before anything is matched: one bad record
/// makes the statement unusable and every problem is reported with its line
/// number, so nothing is half-reported.
public struct TreasuryStatement: Sendable {
    /// The columns a statement must have.
    public static let columns = ["date", "voucher", "fund", "region", "amount"]
    /// At most this many problems are kept for the report; the rest are counted.
    public static let maxProblemsKept = 100

    /// The name the statement is reported under (the path as given).
    public var file: String
    /// The payment lines, in file order.
    public var lines: [StatementLine]

    public init(file: String, lines: [StatementLine]) {
        self.file = file
        self.lines = lines
    }

    /// Parses the bytes of a statement file; throws ``StatementError`` listing
    /// every problem when any record is malformed.
    public static func parse(_ bytes: [UInt8], file: String) throws(StatementError) -> TreasuryStatement {
        var problems = ProblemList(file: file)
        let text: String
        switch decodeUTF8(bytes) {
        case .success(let decoded): text = decoded
        case .failure(let problem):
            problems.add(line: problem.line, field: "encoding", problem.reason)
            throw problems.error
        }
        // The reader does not say when quoting is broken: check it first,
        // since records cannot be told apart after such a mistake.
        if let problem = quotingProblem(in: text) {
            problems.add(line: problem.line, field: "quotes", problem.reason)
            throw problems.error
        }
        // The reader splits records; lines are counted here from the line
        // breaks inside each record, which is how the reader splits too.
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            problems.add(line: 1, field: "header", "cannot be read (\(error))")
            throw problems.error
        }
        guard let header = reader.next() else {
            problems.add(line: 1, field: "header", "the file is empty; the first line must name the columns " + columns.joined(separator: ","))
            throw problems.error
        }
        var lineNumber = 2 + lineBreaks(in: header)  // where the first record starts
        let positions: [Int]
        switch columnPositions(header) {
        case .success(let found): positions = found
        case .failure(let problem):
            problems.add(line: 1, field: "header", problem.description)
            throw problems.error
        }

        var lines: [StatementLine] = []
        while let record = reader.next() {
            let start = lineNumber
            let breaks = lineBreaks(in: record)
            lineNumber += 1 + breaks
            if record.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { continue }
            guard record.count == header.count else {
                var reason = "has \(record.count) field\(record.count == 1 ? "" : "s"), the header has \(header.count)"
                if breaks > 0 { reason += "; a quoted field runs over \(breaks + 1) lines: is a closing quote missing?" }
                problems.add(line: start, field: "fields", reason)
                continue
            }
            if let line = parseRecord(record, positions: positions, line: start, problems: &problems) {
                lines.append(line)
            }
        }
        guard problems.total == 0 else { throw problems.error }
        return TreasuryStatement(file: file, lines: lines)
    }

    /// Validates one record; adds a problem for each bad field.
    static func parseRecord(_ record: [String], positions: [Int], line: Int, problems: inout ProblemList) -> StatementLine? {
        let before = problems.total
        let dateText = record[positions[0]], voucher = record[positions[1]], fund = record[positions[2]]
        let region = record[positions[3]], amountText = record[positions[4]]

        let date = CalendarDate.parse(dateText)
        if date == nil { problems.add(line: line, field: "date", "\(quoted(dateText)) is not a calendar date YYYY-MM-DD") }
        if let reason = textProblem(voucher) { problems.add(line: line, field: "voucher", reason) }
        if let reason = textProblem(fund) { problems.add(line: line, field: "fund", reason) }
        if !Identifier.isValidRegion(region) {
            problems.add(line: line, field: "region", "\(quoted(region)) is not a six-digit GB/T 2260 region code such as \"220102\"")
        }
        var amount = Money.zero
        switch Money.parsePositive(amountText) {
        case .success(let parsed): amount = parsed
        case .failure(let error): problems.add(line: line, field: "amount", "\(quoted(amountText)) \(error)")
        }
        guard problems.total == before, let date else { return nil }
        return StatementLine(line: line, date: date, voucher: voucher, fund: fund, region: region, amount: amount)
    }

    /// Where each of ``columns`` is in the header, or why the header is unusable.
    static func columnPositions(_ header: [String]) -> Result<[Int], HeaderProblem> {
        var positions: [Int] = []
        for column in columns {
            let found = header.indices.filter { header[$0] == column }
            if found.isEmpty {
                return .failure(HeaderProblem("no \(quoted(column)) column; the header must name the columns "
                    + columns.joined(separator: ",") + " (in any order), found " + header.map(quoted).joined(separator: ",")))
            }
            if found.count > 1 {
                return .failure(HeaderProblem("the column \(quoted(column)) appears \(found.count) times (columns "
                    + found.map { String($0 + 1) }.joined(separator: ", ") + ")"))
            }
            positions.append(found[0])
        }
        return .success(positions)
    }

    struct HeaderProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Why a voucher or fund is unusable, or nil.
    static func textProblem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "\(quoted(text)) contains a control character or a line break"
        }
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
           first.properties.isWhitespace || last.properties.isWhitespace {
            return "\(quoted(text)) has spaces at its start or end"
        }
        return nil
    }

    /// Where the text breaks RFC 4180 quoting, which the CSV reader passes
    /// over without a word: a quoted field that is never closed takes the
    /// rest of the file into one field (in an ignored column, every later
    /// payment would vanish), and text after a closing quote is dropped while
    /// the field goes on to the next quote, across records. A quote inside an
    /// unquoted field is taken as written.
    static func quotingProblem(in text: String) -> (line: Int, reason: String)? {
        enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
        var state = State.fieldStart
        var line = 1
        var openedOn = 1
        var previousCR = false
        for scalar in text.unicodeScalars {
            let isBreak = scalar == "\r" || (scalar == "\n" && !previousCR)
            let ends = scalar == "," || scalar == "\r" || scalar == "\n"
            switch state {
            case .fieldStart:
                if scalar == "\"" {
                    state = .quoted
                    openedOn = line
                } else if !ends {
                    state = .unquoted
                }
            case .unquoted:
                if ends { state = .fieldStart }
            case .quoted:
                if scalar == "\"" { state = .quoteInQuoted }
            case .quoteInQuoted:
                if scalar == "\"" {
                    state = .quoted  // a quote written twice
                } else if ends {
                    state = .fieldStart
                } else {
                    return (line, "text after the closing quote of a quoted field; inside quotes, write a quote twice (\"\")")
                }
            }
            if isBreak { line += 1 }
            previousCR = scalar == "\r"
        }
        if state == .quoted {
            return (openedOn, "a quoted field starts here and is never closed: is a closing quote missing?")
        }
        return nil
    }

    /// Line breaks inside the fields of a record: CRLF, CR and LF count one each.
    static func lineBreaks(in record: [String]) -> Int {
        var count = 0
        for field in record {
            var previousCR = false
            for scalar in field.unicodeScalars {
                if scalar == "\r" {
                    count += 1
                } else if scalar == "\n" && !previousCR {
                    count += 1
                }
                previousCR = scalar == "\r"
            }
        }
        return count
    }

    struct EncodingProblem: Error {
        var line: Int
        var reason: String
    }

    /// The text without a UTF-8 byte-order mark; refuses UTF-16/32 and bytes
    /// that are not UTF-8, naming the line.
    static func decodeUTF8(_ bytes: [UInt8]) -> Result<String, EncodingProblem> {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            return .failure(EncodingProblem(line: 1, reason: "the file is UTF-16 or UTF-32; save it as UTF-8"))
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        var decoder = UTF8()
        var iterator = body.makeIterator()
        var line = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
            case .emptyInput:
                return .success(String(decoding: body, as: UTF8.self))
            case .error:
                return .failure(EncodingProblem(line: line, reason: "not valid UTF-8; save the statement as UTF-8"))
            }
        }
    }

    static func quoted(_ text: String) -> String { JSONText.quote(text) }
}

/// Problems collected while reading a statement, keeping the first few.
struct ProblemList {
    let file: String
    var kept: [StatementProblem] = []
    var total = 0

    init(file: String) { self.file = file }

    mutating func add(line: Int, field: String, _ reason: String) {
        total += 1
        if kept.count < TreasuryStatement.maxProblemsKept {
            kept.append(StatementProblem(file: file, line: line, field: field, reason: reason))
        }
    }

    var error: StatementError { StatementError(problems: kept, total: total) }
}
