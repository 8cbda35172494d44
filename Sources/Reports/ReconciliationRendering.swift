import LedgerCore
import Projections

extension StatementReconciliation {
    /// docs/OUTPUT.md: `{"matched": [voucher…], "mismatches": [{"voucher", "ledger",
    /// "statement", "difference"}], "missingInLedger": [{"voucher", "line",
    /// "amount"}], "missingInStatement": [{"voucher", "event", "amount"}],
    /// "duplicates": [{"voucher", "side"}]}`, each entry with added fields,
    /// then the added lists `misattributed` and `withoutVoucher` and the
    /// figures of the run.
    public func renderJSON() -> String {
        JSONValue.document([
            .init("matched", .array(matched.map(JSONValue.string))),
            .init("mismatches", .array(mismatches.map { match in
                .members(["voucher": .string(match.voucher), "ledger": .money(match.payment.amount),
                          "statement": .money(match.line.amount), "difference": .money(match.difference),
                          "event": .string(match.payment.event), "line": .integer(Int64(match.line.line))])
            })),
            .init("missingInLedger", .array(missingInLedger.map { missing in
                let line = missing.line
                return .members(["voucher": .string(line.voucher), "line": .integer(Int64(line.line)), "amount": .money(line.amount),
                                 "date": .string(line.date.description), "fund": .string(line.fund), "region": .string(line.region),
                                 "elsewhere": missing.elsewhere.map(Self.paymentObject) ?? .null])
            })),
            .init("missingInStatement", .array(missingInStatement.map { payment in
                .members(["voucher": .string(payment.voucher!), "event": .string(payment.event), "amount": .money(payment.amount),
                          "date": .string(payment.date.description), "fund": .string(payment.line.fund),
                          "region": .string(payment.line.region), "program": .string(payment.programme)])
            })),
            .init("duplicates", .array(duplicates.map { duplicate in
                .members(["voucher": .string(duplicate.voucher), "side": .string(duplicate.side.rawValue),
                          "lines": .array(duplicate.lines.map { .integer(Int64($0)) }),
                          "events": .array(duplicate.events.map(JSONValue.string)),
                          "ledger": duplicate.ledger.map(JSONValue.money) ?? .null,
                          "statement": duplicate.statement.map(JSONValue.money) ?? .null])
            })),
            .init("misattributed", .array(misattributed.map { match in
                .members(["voucher": .string(match.voucher), "event": .string(match.payment.event), "line": .integer(Int64(match.line.line)),
                          "ledgerFund": .string(match.payment.line.fund), "statementFund": .string(match.line.fund),
                          "ledgerRegion": .string(match.payment.line.region), "statementRegion": .string(match.line.region)])
            })),
            .init("withoutVoucher", .array(withoutVoucher.map { payment in
                .members(["event": .string(payment.event), "amount": .money(payment.amount), "date": .string(payment.date.description),
                          "fund": .string(payment.line.fund), "region": .string(payment.line.region),
                          "program": .string(payment.programme)])
            })),
            .init("fiscalYear", .integer(fiscalYear)),
            .init("region", scope.region.map(JSONValue.string) ?? .null),
            .init("statement", .string(statement)),
            .init("ledgerPayments", .integer(Int64(ledgerPayments))),
            .init("statementLines", .integer(Int64(statementLines))),
            .init("differences", .integer(Int64(differenceCount))),
            .init("asOfSeq", .integer(Int64(clamping: asOfSeq))),
        ])
    }

    static func paymentObject(_ payment: LedgerPayment) -> JSONValue {
        .members(["event": .string(payment.event), "amount": .money(payment.amount), "fund": .string(payment.line.fund),
                  "region": .string(payment.line.region), "fiscalYear": .integer(payment.line.fiscalYear)])
    }

    /// One record a voucher outcome (and one a payment without a voucher):
    /// `status` is `matched`, `mismatch`, `misattributed`, `missing-in-ledger`,
    /// `missing-in-statement`, `duplicate` or `without-voucher`; `events` and
    /// `lines` list ids and line numbers separated by spaces; `ledger` and
    /// `statement` are each side's amount (total, for a duplicate).
    public func renderCSV() -> String {
        var out = "status,voucher,side,events,lines,ledger,statement,difference,ledgerFund,ledgerRegion,statementFund,statementRegion\r\n"
        func record(_ fields: [String]) { out += fields.map(CSV.field).joined(separator: ",") + "\r\n" }
        func pair(_ status: String, _ match: Match) {
            record([status, match.voucher, "", match.payment.event, String(match.line.line), match.payment.amount.yuan,
                    match.line.amount.yuan, match.difference.yuan, match.payment.line.fund, match.payment.line.region,
                    match.line.fund, match.line.region])
        }
        for match in matches { pair("matched", match) }
        for match in mismatches { pair("mismatch", match) }
        for match in misattributed { pair("misattributed", match) }
        for missing in missingInLedger {
            let line = missing.line
            record(["missing-in-ledger", line.voucher, "", "", String(line.line), "", line.amount.yuan, "", "", "", line.fund, line.region])
        }
        for payment in missingInStatement {
            record(["missing-in-statement", payment.voucher!, "", payment.event, "", payment.amount.yuan, "", "",
                    payment.line.fund, payment.line.region, "", ""])
        }
        for duplicate in duplicates {
            record(["duplicate", duplicate.voucher, duplicate.side.rawValue, duplicate.events.joined(separator: " "),
                    duplicate.lines.map(String.init).joined(separator: " "), duplicate.ledger?.yuan ?? "",
                    duplicate.statement?.yuan ?? "", "", "", "", "", ""])
        }
        for payment in withoutVoucher {
            record(["without-voucher", "", "", payment.event, "", payment.amount.yuan, "", "", payment.line.fund, payment.line.region, "", ""])
        }
        return out
    }

    /// A heading, the differences one section a kind (empty sections left
    /// out), the payments that cannot be matched, and a summary.
    public func renderTable() -> String { trimmingTrailingSpaces(table()) }

    func table() -> String {
        var out = "Treasury statement \(statement) against the payments on fiscal year \(fiscalYear) budget lines, "
            + "\(scope.label); ledger as of seq \(asOfSeq).\n"
        out += "\(ledgerPayments) ledger payment\(ledgerPayments == 1 ? "" : "s") with a voucher, "
            + "\(statementLines) statement line\(statementLines == 1 ? "" : "s").\n"

        func section(_ title: String, _ table: ReportTable) {
            guard !table.rows.isEmpty else { return }
            out += "\n\(title) (\(table.rows.count))\n\n" + table.renderTable()
        }
        var table = ReportTable(name: "mismatches", columns: [
            .init("voucher"), .init("event"), .init("line"), .init("ledger"), .init("statement"), .init("difference"),
        ])
        table.rows = mismatches.map { [.text($0.voucher), .text($0.payment.event), .integer($0.line.line), .money($0.payment.amount),
                                       .money($0.line.amount), .money($0.difference)] }
        section("Amounts differ (difference = statement − ledger)", table)

        // The last column only when some line has a payment elsewhere (no trailing blanks).
        let anyElsewhere = missingInLedger.contains { $0.elsewhere != nil }
        table = ReportTable(name: "missingInLedger", columns: [
            .init("voucher"), .init("line"), .init("date"), .init("fund"), .init("region"), .init("amount"),
        ] + (anyElsewhere ? [.init("elsewhere", "IN THE LEDGER ELSEWHERE")] : []))
        table.rows = missingInLedger.map { missing in
            let line = missing.line
            let cells: [Cell] = [.text(line.voucher), .integer(line.line), .text(line.date.description), .text(line.fund),
                                 .text(line.region), .money(line.amount)]
            guard anyElsewhere else { return cells }
            return cells + [.text(missing.elsewhere.map {
                "\($0.event): \($0.line.fund)/\($0.line.region)/\($0.line.fiscalYear) \($0.amount.yuan)"
            } ?? "—")]
        }
        section("In the statement, not in the ledger", table)

        table = ReportTable(name: "missingInStatement", columns: [
            .init("voucher"), .init("event"), .init("date"), .init("fund"), .init("region"), .init("program", "PROGRAMME"), .init("amount"),
        ])
        table.rows = missingInStatement.map {
            [.text($0.voucher!), .text($0.event), .text($0.date.description), .text($0.line.fund), .text($0.line.region),
             .text($0.programme), .money($0.amount)]
        }
        section("In the ledger, not in the statement", table)

        table = ReportTable(name: "duplicates", columns: [
            .init("voucher"), .init("side", "REPEATED ON"), .init("lines", "STATEMENT LINES"), .init("events", "LEDGER EVENTS"),
            .init("ledger", "LEDGER TOTAL"), .init("statement", "STATEMENT TOTAL"),
        ])
        table.rows = duplicates.map {
            [.text($0.voucher), .text($0.side.rawValue), .text($0.lines.map(String.init).joined(separator: " ")),
             .text($0.events.joined(separator: " ")), .text($0.ledger?.yuan ?? "—"), .text($0.statement?.yuan ?? "—")]
        }
        section("Duplicate vouchers (not counted as matched)", table)

        table = ReportTable(name: "misattributed", columns: [
            .init("voucher"), .init("event"), .init("line"), .init("ledgerFund", "LEDGER FUND"), .init("statementFund", "STATEMENT FUND"),
            .init("ledgerRegion", "LEDGER REGION"), .init("statementRegion", "STATEMENT REGION"),
        ])
        table.rows = misattributed.map {
            [.text($0.voucher), .text($0.payment.event), .integer($0.line.line), .text($0.payment.line.fund), .text($0.line.fund),
             .text($0.payment.line.region), .text($0.line.region)]
        }
        section("Fund or region differ", table)

        table = ReportTable(name: "withoutVoucher", columns: [
            .init("event"), .init("date"), .init("fund"), .init("region"), .init("program", "PROGRAMME"), .init("amount"),
        ])
        table.rows = withoutVoucher.map {
            [.text($0.event), .text($0.date.description), .text($0.line.fund), .text($0.line.region), .text($0.programme), .money($0.amount)]
        }
        section("Payments without a voucher (cannot be matched; not counted as differences)", table)

        let count = differenceCount
        out += "\n\(matches.count) voucher\(matches.count == 1 ? "" : "s") matched; "
        if count == 0 { return out + "everything reconciles.\n" }
        var kinds: [String] = []
        func kind(_ n: Int, _ one: String, _ many: String? = nil) {
            if n > 0 { kinds.append("\(n) " + (n == 1 ? one : many ?? one)) }
        }
        kind(mismatches.count, "amount mismatch", "amount mismatches")
        kind(missingInLedger.count, "missing in the ledger")
        kind(missingInStatement.count, "missing in the statement")
        kind(duplicates.count, "duplicate", "duplicates")
        kind(misattributed.count, "with another fund or region")
        out += "\(count) voucher\(count == 1 ? "" : "s") differ\(count == 1 ? "s" : ""): " + kinds.joined(separator: ", ") + ".\n"
        return out
    }
}
