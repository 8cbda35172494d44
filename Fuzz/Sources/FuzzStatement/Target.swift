import FuzzSupport
import LedgerCore
import Reports

// The bank (treasury) statement reader (Sources/Reports/Statement.swift).
//
// Input: the bytes of a statement file. Properties:
// - a refused statement lists at least one problem, each with a line inside
//   the file, a field and a reason, never more than maxProblemsKept, and a
//   total at least as large (never a trap);
// - an accepted statement is one an independent strict RFC 4180 reader
//   (FuzzSupport/StrictCSV.swift) also reads, with the same payment lines,
//   values and line numbers: nothing skipped, merged or cut short;
// - every accepted line holds a valid date, voucher, fund, region and an
//   amount above zero;
// - written back as CSV, the lines read back the same.

let columns = TreasuryStatement.columns

func fuzzStatement(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    return 0
}

func lineCount(_ bytes: [UInt8]) -> Int {
    var count = 1
    var previous: UInt8 = 0
    for byte in bytes {
        if byte == 0x0A && previous != 0x0D { count += 1 }
        if byte == 0x0D { count += 1 }
        previous = byte
    }
    return count
}

func check(_ bytes: [UInt8]) {
    let statement: TreasuryStatement
    do {
        statement = try TreasuryStatement.parse(bytes, file: "s.csv")
    } catch {
        require(!error.problems.isEmpty, "a refusal lists a problem")
        require(error.problems.count <= TreasuryStatement.maxProblemsKept && error.total >= error.problems.count, "problem counts")
        let lines = lineCount(bytes)
        for problem in error.problems {
            require(problem.file == "s.csv" && !problem.field.isEmpty && !problem.reason.isEmpty, "a problem names field and reason", "\(problem)")
            require(problem.line >= 1 && problem.line <= lines, "a problem's line is in the file", "\(problem) of \(lines) lines")
        }
        return
    }

    var lastLine = 1
    for line in statement.lines {
        require(line.line > lastLine, "line numbers increase", "\(line.line) after \(lastLine)")
        lastLine = line.line
        require(line.amount.fen > 0, "amount above zero", "\(line)")
        require(Identifier.isValidRegion(line.region), "region valid", "\(line)")
        require(!line.voucher.isEmpty && !line.fund.isEmpty, "voucher and fund present", "\(line)")
        require(CalendarDate.parse(line.date.description) == line.date, "date valid", "\(line)")
    }

    // The independent reader must see the same payments.
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    let text = String(decoding: body, as: UTF8.self)
    let records: [StrictCSV.Record]
    switch StrictCSV.records(text) {
    case .success(let found): records = found
    case .failure(let malformed):
        violated("an accepted statement is well-formed RFC 4180", "\(malformed); accepted \(statement.lines.count) line(s)\n\(text.debugDescription)")
    }
    guard let header = records.first else { violated("an accepted statement has a header", text.debugDescription) }
    let positions = columns.map { column in header.fields.firstIndex(of: column) ?? -1 }
    require(!positions.contains(-1), "an accepted header names every column", "\(header.fields)")
    let payments = records.dropFirst().filter { !$0.fields.allSatisfy { $0.allSatisfy(\.isWhitespace) } }
    require(payments.count == statement.lines.count, "every record is one payment line",
            "strict reader: \(payments.count) record(s) \(payments.map(\.line)); statement: \(statement.lines.count) \(statement.lines.map(\.line))\n\(text.debugDescription)")
    for (record, line) in zip(payments, statement.lines) {
        require(record.fields.count == header.fields.count, "an accepted record has the header's fields", "\(record)")
        let value = positions.map { record.fields[$0] }
        require(record.line == line.line, "the line number is where the record starts", "strict \(record.line), statement \(line.line)\n\(text.debugDescription)")
        require(value[0] == line.date.description, "date as written", "\(value) \(line)")
        require(value[1] == line.voucher && value[2] == line.fund && value[3] == line.region, "voucher, fund, region as written", "\(value) \(line)")
        require((try? Money.parsePositive(value[4]).get()) == line.amount, "amount as written", "\(value) \(line)")
    }

    // Written back, the lines read back the same.
    var csv = columns.joined(separator: ",") + "\r\n"
    for line in statement.lines {
        csv += [line.date.description, line.voucher, line.fund, line.region, line.amount.yuan].map(StrictCSV.field).joined(separator: ",") + "\r\n"
    }
    do {
        let again = try TreasuryStatement.parse(Array(csv.utf8), file: "again.csv")
        require(again.lines.count == statement.lines.count, "written back: same number of lines")
        for (index, (a, b)) in zip(again.lines, statement.lines).enumerated() {
            require(a.line == index + 2 && a.date == b.date && a.voucher == b.voucher && a.fund == b.fund
                    && a.region == b.region && a.amount == b.amount, "written back: same line", "\(a)\n\(b)")
        }
    } catch {
        violated("an accepted statement written back is accepted", "\(error)\n\(csv.debugDescription)")
    }
}
