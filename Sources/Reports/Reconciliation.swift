import LedgerCore
import Projections

/// Which regions a report covers: every region, or one region code and the
/// codes below it by GB/T 2260 prefix (a province `220000` covers `22xxxx`,
/// a prefecture `220100` covers `2201xx`, a county only itself).
public struct RegionScope: Hashable, Sendable {
    /// The region asked for, or nil for all.
    public var region: String?

    public init(_ region: String? = nil) {
        precondition(region.map(Identifier.isValidRegion) ?? true, "a region scope needs a six-digit code")
        self.region = region
    }

    public static let all = RegionScope()

    /// Whether a budget line, grant or loan booked at `code` is inside.
    public func contains(_ code: String) -> Bool {
        guard let region else { return true }
        return RegionLevel.rollUp(code).contains { $0.code == region }
    }

    /// `all regions`, or `region 220100 (prefecture)`.
    public var label: String {
        guard let region else { return "all regions" }
        return "region \(region) (\(RegionLevel(code: region).rawValue)) and below"
    }
}

/// The money on one budget line, or on several added up, with checked sums.
public struct LineFigures: Hashable, Sendable {
    public var appropriated = Money.zero
    public var transferredIn = Money.zero
    public var transferredOut = Money.zero
    /// appropriated + transferred in − transferred out.
    public var received = Money.zero
    /// Gross payouts by programme code (and `interest-discount`, `guarantee-compensation`).
    public var paidByProgramme: [String: Money] = [:]
    public var paid = Money.zero
    /// Subsidy recoveries credited to the line and guarantee recoveries naming it.
    public var recovered = Money.zero
    public var recoveredByProgramme: [String: Money] = [:]
    /// received − paid + recovered.
    public var available = Money.zero

    public init() {}

    /// The figures of one projected line, recomputed with checked arithmetic.
    public init(_ line: BudgetLine, _ key: BudgetLineKey) throws {
        self.init()
        try add(line, key)
    }

    /// Whether the line has paid out more than it received (available < 0).
    public var overdrawn: Bool { available.fen < 0 }

    /// Adds a projected line; throws ``OverflowError`` past Int64 fen.
    public mutating func add(_ line: BudgetLine, _ key: BudgetLineKey) throws {
        let name = Streams.budgetLine(fund: key.fund, region: key.region, fiscalYear: key.fiscalYear)
        try appropriated.add(line.appropriated, "appropriations of \(name)")
        try transferredIn.add(line.transferredIn, "transfers into \(name)")
        try transferredOut.add(line.transferredOut, "transfers out of \(name)")
        try received.add(line.appropriated, "received by \(name)")
        try received.add(line.transferredIn, "received by \(name)")
        try received.add(line.transferredOut, sign: -1, "received by \(name)")
        try available.add(line.appropriated, "available on \(name)")
        try available.add(line.transferredIn, "available on \(name)")
        try available.add(line.transferredOut, sign: -1, "available on \(name)")
        for (programme, amount) in line.paidByProgramme {
            try paidByProgramme[programme, default: .zero].add(amount, "\(programme) paid from \(name)")
            try paid.add(amount, "paid from \(name)")
            try available.add(amount, sign: -1, "available on \(name)")
        }
        for (programme, amount) in line.recoveredByProgramme {
            try recoveredByProgramme[programme, default: .zero].add(amount, "\(programme) recovered to \(name)")
        }
        try recovered.add(line.recovered, "recovered to \(name)")
        try available.add(line.recovered, "available on \(name)")
    }

    /// Adds other figures (a totals row).
    public mutating func add(_ other: LineFigures) throws {
        try appropriated.add(other.appropriated, "total appropriations")
        try transferredIn.add(other.transferredIn, "total transfers in")
        try transferredOut.add(other.transferredOut, "total transfers out")
        try received.add(other.received, "total received")
        for (programme, amount) in other.paidByProgramme { try paidByProgramme[programme, default: .zero].add(amount, "total \(programme) paid") }
        try paid.add(other.paid, "total paid")
        try recovered.add(other.recovered, "total recovered")
        for (programme, amount) in other.recoveredByProgramme {
            try recoveredByProgramme[programme, default: .zero].add(amount, "total \(programme) recovered")
        }
        try available.add(other.available, "total available")
    }
}

/// `reconcile --fiscal-year Y [--region R]`: every budget line of the year
/// (within the region, rolled up by code), with what it received (its
/// appropriations, plus transfers in, minus transfers out), what it paid
/// by programme, what came back, what is left, and whether it is
/// overdrawn (available < 0), then the totals.
///
/// Rows are in (fund, region) byte order. The totals add the rows; a
/// transfer between two lines of the scope adds to one and takes from the
/// other, so the total received is what came into the scope from outside.
public struct BudgetLineReconciliation: Sendable {
    public struct Row: Hashable, Sendable {
        public var key: BudgetLineKey
        public var figures: LineFigures
    }

    public var fiscalYear: Int64
    public var scope: RegionScope
    /// The last sequence number of the view the figures come from.
    public var asOfSeq: UInt64
    public var rows: [Row]
    public var totals: LineFigures

    /// Throws ``OverflowError`` when a total passes Int64 fen.
    public init(balances: Balances, fiscalYear: Int64, scope: RegionScope, asOfSeq: UInt64) throws {
        self.fiscalYear = fiscalYear
        self.scope = scope
        self.asOfSeq = asOfSeq
        let keys = balances.lines.keys.filter { $0.fiscalYear == fiscalYear && scope.contains($0.region) }
            .sorted { ($0.fund, $0.region) < ($1.fund, $1.region) }
        rows = try keys.map { Row(key: $0, figures: try LineFigures(balances.lines[$0]!, $0)) }
        totals = LineFigures()
        for row in rows { try totals.add(row.figures) }
    }

    public var overdrawnRows: [Row] { rows.filter(\.figures.overdrawn) }

    // MARK: Rendering

    public func renderJSON() -> String {
        func object(_ figures: LineFigures, key: BudgetLineKey?) -> JSONValue {
            var members: [JSONValue.Member] = []
            if let key {
                members += [.init("fund", .string(key.fund)), .init("region", .string(key.region)),
                            .init("fiscalYear", .integer(key.fiscalYear))]
            }
            members += [
                .init("received", .money(figures.received)), .init("paid", .money(figures.paid)),
                .init("recovered", .money(figures.recovered)), .init("available", .money(figures.available)),
                .init("appropriated", .money(figures.appropriated)), .init("transferredIn", .money(figures.transferredIn)),
                .init("transferredOut", .money(figures.transferredOut)), .init("paidByProgram", .amounts(figures.paidByProgramme)),
                .init("recoveredByProgram", .amounts(figures.recoveredByProgramme)),
            ]
            members.append(key == nil ? .init("overdrawnLines", .integer(Int64(overdrawnRows.count)))
                                      : .init("overdrawn", .bool(figures.overdrawn)))
            return .object(members)
        }
        return JSONValue.document([
            .init("lines", .array(rows.map { object($0.figures, key: $0.key) })),
            .init("totals", object(totals, key: nil)),
            .init("fiscalYear", .integer(fiscalYear)),
            .init("region", scope.region.map(JSONValue.string) ?? .null),
            .init("asOfSeq", .integer(Int64(clamping: asOfSeq))),
        ])
    }

    static let csvColumns = ["fund", "region", "fiscalYear", "received", "paid", "recovered", "available", "appropriated",
                             "transferredIn", "transferredOut", "overdrawn", "paidByProgram", "recoveredByProgram"]

    /// One record a line (no totals row: a program summing the column must
    /// not count it twice); the programme columns read `code=yuan; …`.
    public func renderCSV() -> String {
        var out = Self.csvColumns.joined(separator: ",") + "\r\n"
        for row in rows {
            let f = row.figures
            let fields = [row.key.fund, row.key.region, String(row.key.fiscalYear), f.received.yuan, f.paid.yuan, f.recovered.yuan,
                          f.available.yuan, f.appropriated.yuan, f.transferredIn.yuan, f.transferredOut.yuan,
                          f.overdrawn ? "true" : "false", Self.flatten(f.paidByProgramme), Self.flatten(f.recoveredByProgramme)]
            out += fields.map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func flatten(_ amounts: [String: Money]) -> String {
        amounts.keys.sorted(by: byteOrder).map { "\($0)=\(amounts[$0]!.yuan)" }.joined(separator: "; ")
    }

    /// The lines, then what each paid by programme, then the overdrawn ones.
    public func renderTable() -> String { trimmingTrailingSpaces(table()) }

    func table() -> String {
        var out = "Budget lines of fiscal year \(fiscalYear), \(scope.label); ledger as of seq \(asOfSeq).\n\n"
        var lines = ReportTable(name: "lines", columns: [
            .init("fund"), .init("region"), .init("appropriated"), .init("transferredIn", "IN"), .init("transferredOut", "OUT"),
            .init("received"), .init("paid"), .init("recovered"), .init("available"), .init("overdrawn"),
        ])
        for row in rows {
            let f = row.figures
            lines.rows.append([.text(row.key.fund), .text(row.key.region), .money(f.appropriated), .money(f.transferredIn),
                               .money(f.transferredOut), .money(f.received), .money(f.paid), .money(f.recovered),
                               .money(f.available), .text(f.overdrawn ? "OVERDRAWN" : "")])
        }
        let t = totals
        lines.totals = [.text("TOTAL"), .text(""), .money(t.appropriated), .money(t.transferredIn), .money(t.transferredOut),
                        .money(t.received), .money(t.paid), .money(t.recovered), .money(t.available),
                        .text(overdrawnRows.isEmpty ? "" : "\(overdrawnRows.count) line\(overdrawnRows.count == 1 ? "" : "s")")]
        out += lines.renderTable()
        guard !rows.isEmpty else { return out }

        var programmes = ReportTable(name: "programmes", columns: [
            .init("fund"), .init("region"), .init("program", "PROGRAMME"), .init("paid"), .init("recovered"), .init("net"),
        ])
        for row in rows {
            let f = row.figures
            for code in Set(f.paidByProgramme.keys).union(f.recoveredByProgramme.keys).sorted(by: byteOrder) {
                let paid = f.paidByProgramme[code] ?? .zero, recovered = f.recoveredByProgramme[code] ?? .zero
                programmes.rows.append([.text(row.key.fund), .text(row.key.region), .text(code), .money(paid), .money(recovered),
                                         paid.subtracting(recovered).map(Cell.money) ?? .text("overflow")])
            }
        }
        if !programmes.rows.isEmpty {
            var recoveredTotal = Money.zero
            for amount in t.recoveredByProgramme.values { recoveredTotal = recoveredTotal.adding(amount) ?? recoveredTotal }
            programmes.totals = [.text("TOTAL"), .text(""), .text(""), .money(t.paid), .money(recoveredTotal),
                                 t.paid.subtracting(recoveredTotal).map(Cell.money) ?? .text("overflow")]
            out += "\nPaid and recovered by programme\n\n" + programmes.renderTable()
        }
        let overdrawn = overdrawnRows
        out += "\n" + (overdrawn.isEmpty ? "No line is overdrawn.\n"
            : "Overdrawn (paid out more than received, net of recoveries): "
                + overdrawn.map { "\($0.key.fund)/\($0.key.region) \($0.figures.available.yuan)" }.joined(separator: ", ") + ".\n")
        return out
    }
}

extension Balances {
    /// Folds the live events of a view (reversals and their targets already
    /// taken out, in sequence order), as `Ledger.liveEvents(view:)` returns
    /// them: the same balances `Ledger.balances(view:)` gives for that view.
    public init(liveEvents events: [Event]) throws {
        self.init()
        let lookup = LiveEventLookup(events)
        for event in events { try apply(event, lookup: lookup) }
    }
}

/// Look-ups among live events: a live recovery's grant is live (a grant with
/// live dependants cannot be reversed), and there are no reversals to follow.
struct LiveEventLookup: EventLookup {
    var grants: [String: Event] = [:]

    init(_ events: [Event]) {
        for event in events where event.type == .subsidyGranted { grants[event.data.string(.grant)!] = event }
    }

    func event(withID id: String) throws -> Event? { nil }
    func grant(_ id: String) throws -> Event? { grants[id] }
}
