import LedgerCore
import Projections

/// The tables of `balances --by …` (JSON shapes of docs/OUTPUT.md; fields are only ever added).
public enum BalanceReports {
    public enum Grouping: String, CaseIterable, Sendable {
        case fund, person, enterprise, loan, program, region

        /// The tables of the balances this grouping reads: the person and
        /// enterprise entries only where it shows or counts them.
        public var tables: Balances.Tables {
            switch self {
            case .person: return .people
            case .enterprise: return .enterprises
            case .program: return .all
            case .fund, .loan, .region: return .linesAndLoans
            }
        }
    }

    /// The table of one grouping. Rows are grouped and sorted by the real
    /// ids; `masking` applies only to the person ids shown (two people whose
    /// masked ids look alike stay two rows).
    public static func table(_ balances: Balances, by grouping: Grouping, masking: PersonalIDMasking) throws -> ReportTable {
        switch grouping {
        case .fund: return funds(balances)
        case .person: return people(balances, masking: masking)
        case .enterprise: return enterprises(balances)
        case .loan: return loans(balances, masking: masking)
        case .program: return try programmes(balances)
        case .region: return try regions(balances)
        }
    }

    static func sorted(_ pairs: [String: Money]) -> Cell {
        .object(pairs.keys.sorted().map { ($0, .money(pairs[$0]!)) })
    }

    /// A column total, taken in 128 bits: it never overflows.
    static func sum(_ values: [Money]) -> Cell {
        var total = Total.zero
        for value in values { total.add(value) }
        return .amount(total)
    }

    public static func funds(_ b: Balances) -> ReportTable {
        var table = ReportTable(name: "lines", columns: [
            .init("fund"), .init("region"), .init("fiscalYear", "YEAR"), .init("received"), .init("paid"), .init("recovered"),
            .init("available"), .init("appropriated"), .init("transferredIn", "IN"), .init("transferredOut", "OUT"),
            .init("paidByProgram", jsonOnly: true),
        ])
        let keys = b.lines.keys.sorted()
        for key in keys {
            let line = b.lines[key]!
            table.rows.append([.text(key.fund), .text(key.region), .integer(Int(key.fiscalYear)), .money(line.received),
                               .money(line.paid), .money(line.recovered), .money(line.available), .money(line.appropriated),
                               .money(line.transferredIn), .money(line.transferredOut), sorted(line.paidByProgramme)])
        }
        let lines = keys.map { b.lines[$0]! }
        table.totals = [.text("TOTAL"), .text(""), .text(""), (sum(lines.map(\.received))), (sum(lines.map(\.paid))),
                        (sum(lines.map(\.recovered))), (sum(lines.map(\.available))), (sum(lines.map(\.appropriated))),
                        (sum(lines.map(\.transferredIn))), (sum(lines.map(\.transferredOut))), .null]
        return table
    }

    public static func people(_ b: Balances, masking: PersonalIDMasking) -> ReportTable {
        var table = ReportTable(name: "people", columns: [
            .init("person"), .init("program"), .init("granted"), .init("recovered"), .init("net"), .init("months"),
            .init("firstApproval", "FIRST APPROVAL"), .init("grants"),
        ])
        let keys = b.people.keys.sorted()
        for key in keys {
            let entry = b.people[key]!
            table.rows.append([.text(masking.personal(key.person)), .text(key.programme), .money(entry.granted), .money(entry.recovered),
                               .money(entry.net), .integer(entry.months), entry.firstApproval.map { .text($0.description) } ?? .null,
                               .integer(entry.grants)])
        }
        let entries = keys.map { b.people[$0]! }
        table.totals = [.text("TOTAL"), .text(""), (sum(entries.map(\.granted))), (sum(entries.map(\.recovered))),
                        (sum(entries.map(\.net))), .text(""), .text(""), .integer(entries.reduce(0) { $0 + $1.grants })]
        return table
    }

    public static func enterprises(_ b: Balances) -> ReportTable {
        var table = ReportTable(name: "enterprises", columns: [
            .init("enterprise"), .init("program"), .init("granted"), .init("recovered"), .init("net"), .init("grants"),
        ])
        let keys = b.enterprises.keys.sorted()
        for key in keys {
            let entry = b.enterprises[key]!
            table.rows.append([.text(key.enterprise), .text(key.programme), .money(entry.granted), .money(entry.recovered),
                               .money(entry.net), .integer(entry.grants)])
        }
        let entries = keys.map { b.enterprises[$0]! }
        table.totals = [.text("TOTAL"), .text(""), (sum(entries.map(\.granted))), (sum(entries.map(\.recovered))),
                        (sum(entries.map(\.net))), .integer(entries.reduce(0) { $0 + $1.grants })]
        return table
    }

    public static func loans(_ b: Balances, masking: PersonalIDMasking) -> ReportTable {
        var table = ReportTable(name: "loans", columns: [
            .init("loan"), .init("borrower"), .init("category"), .init("principal"), .init("repaid"), .init("outstanding"),
            .init("discounted"), .init("compensated"), .init("recovered"), .init("writtenOff", "WRITTEN OFF"), .init("status"),
            .init("region"), .init("issued"),
        ])
        let keys = b.loans.keys.sorted()
        for key in keys {
            let loan = b.loans[key]!
            table.rows.append([.text(key), .text(masking.subject(loan.borrower)), .text(loan.category), .money(loan.principal), .money(loan.repaid),
                               .money(loan.outstanding), .money(loan.discounted), .money(loan.compensated), .money(loan.recovered),
                               .money(loan.writtenOff), .text(loan.status), .text(loan.region), .text(loan.issued.description)])
        }
        let all = keys.map { b.loans[$0]! }
        table.totals = [.text("TOTAL"), .text(""), .text(""), (sum(all.map(\.principal))), (sum(all.map(\.repaid))),
                        (sum(all.map(\.outstanding))), (sum(all.map(\.discounted))), (sum(all.map(\.compensated))),
                        (sum(all.map(\.recovered))), (sum(all.map(\.writtenOff))), .text(""), .text(""), .text("")]
        return table
    }

    public static func programmes(_ b: Balances) throws -> ReportTable {
        // Sums over every budget line, in 128 bits: no ledger makes them overflow.
        var paid: [String: Total] = [:]
        var recovered: [String: Total] = [:]
        for line in b.lines.values {
            for (programme, amount) in line.paidByProgramme { paid[programme, default: .zero].add(amount) }
            for (programme, amount) in line.recoveredByProgramme { recovered[programme, default: .zero].add(amount) }
        }
        var people: [String: Int] = [:]
        for key in b.people.keys where b.people[key]!.grants > 0 { people[key.programme, default: 0] += 1 }
        var enterprises: [String: Int] = [:]
        for key in b.enterprises.keys where b.enterprises[key]!.grants > 0 { enterprises[key.programme, default: 0] += 1 }
        var table = ReportTable(name: "programs", columns: [
            .init("program"), .init("paid"), .init("recovered"), .init("net"), .init("people"), .init("enterprises"),
        ])
        let codes = Set(paid.keys).union(recovered.keys).sorted()
        for code in codes {
            let p = paid[code] ?? .zero, r = recovered[code] ?? .zero
            var net = p
            net.add(r, sign: -1)
            table.rows.append([.text(code), .amount(p), .amount(r), .amount(net),
                               .integer(people[code] ?? 0), .integer(enterprises[code] ?? 0)])
        }
        var totalPaid = Total.zero, totalRecovered = Total.zero
        for value in paid.values { totalPaid.add(value) }
        for value in recovered.values { totalRecovered.add(value) }
        var totalNet = totalPaid
        totalNet.add(totalRecovered, sign: -1)
        table.totals = [.text("TOTAL"), .amount(totalPaid), .amount(totalRecovered), .amount(totalNet), .text(""), .text("")]
        return table
    }

    public static func regions(_ b: Balances) throws -> ReportTable {
        // Counties roll up into prefectures and provinces: the sums are taken
        // in 128 bits, so no set of valid budget lines can make them fail.
        struct Totals { var received = Total.zero, paid = Total.zero, recovered = Total.zero }
        var byRegion: [String: (RegionLevel, Totals)] = [:]
        for (key, line) in b.lines {
            for (code, level) in RegionLevel.rollUp(key.region) {
                var entry = byRegion[code] ?? (level, Totals())
                entry.1.received.add(line.received)
                entry.1.paid.add(line.paid)
                entry.1.recovered.add(line.recovered)
                byRegion[code] = entry
            }
        }
        var table = ReportTable(name: "regions", columns: [
            .init("region"), .init("level"), .init("received"), .init("paid"), .init("recovered"), .init("available"),
        ])
        for code in byRegion.keys.sorted() {
            let (level, t) = byRegion[code]!
            var available = t.received
            available.add(t.paid, sign: -1)
            available.add(t.recovered)
            table.rows.append([.text(code), .text(level.rawValue), .amount(t.received), .amount(t.paid), .amount(t.recovered),
                               .amount(available)])
        }
        return table
    }
}
