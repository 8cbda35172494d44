import LedgerCore
import Projections

/// `report performance --fiscal-year Y [--level L] [--region R]`: figures per
/// region for performance-evaluation tooling (clauses 三十–三十二: target
/// responsibility, fund-use performance evaluation, statistics).
///
/// A region's row adds up everything booked at its code and the codes below
/// it (GB/T 2260 prefix: `220102` counts toward `220100` and `220000`). With
/// a level, only rows of that level are given (a province's own lines then
/// show at `province` only); without one, every level. With a region scope,
/// only rows inside the scope.
///
/// What each figure counts:
/// - `received`, `paid` (gross), `recovered`: the region's budget lines of
///   fiscal year Y, as `balances --by fund`; `discounted` and `compensated`
///   are the interest discounts and guarantee compensations among `paid`.
/// - `executionRate` = (paid − recovered) ÷ received.
/// - `people` / `enterprises`: per programme, the distinct persons and
///   enterprises named by a live grant on those lines; `peopleTotal` and
///   `enterprisesTotal` count each once across programmes; `subsidyPerPerson`
///   is, per programme, the grants naming a person less what was recovered
///   from them, divided by `people`, half up to the fen.
/// - `loansIssued`: the guarantee loans issued (effective date) in calendar
///   year Y whose region is inside: `count`, `amount` (principal), and of
///   those, `defaulted` (count), `compensated` and `writtenOff` (amounts, at
///   any date in the view). `defaultRate` = defaulted ÷ count,
///   `compensationRate` = compensated ÷ amount, `writeOffRate` =
///   writtenOff ÷ amount (all over that cohort of loans).
/// - `writtenOff`: write-offs effective in calendar year Y on loans of the
///   region, whenever the loan was issued (write-offs name no budget line).
/// - `findings`: audit findings per rule whose trigger event lies in the
///   region and year: on a budget line of fiscal year Y (grants, discounts,
///   compensations, transfers by their sending line), or, for events without
///   a budget line (a loan's issue or write-off), effective in calendar year
///   Y at the loan's region.
///
/// Rates are ratios written with four decimals (`0.8500` is 85 %), computed in
/// integers and rounded half up (away from zero); a rate whose denominator
/// is zero is null.
public struct PerformanceReport: Sendable {
    /// One audit finding as the report needs it: its rule and the id of the
    /// event that triggered it. The report places it by that event.
    public struct FindingInput: Hashable, Sendable {
        public var rule: String
        public var trigger: String
        public init(rule: String, trigger: String) {
            self.rule = rule
            self.trigger = trigger
        }
    }

    /// The guarantee loans of one region issued in the year.
    public struct LoanCohort: Hashable, Sendable {
        public var count = 0
        public var amount = Money.zero
        public var defaulted = 0
        public var compensated = Money.zero
        public var writtenOff = Money.zero

        public init(count: Int = 0, amount: Money = .zero, defaulted: Int = 0, compensated: Money = .zero, writtenOff: Money = .zero) {
            self.count = count
            self.amount = amount
            self.defaulted = defaulted
            self.compensated = compensated
            self.writtenOff = writtenOff
        }
    }

    public struct Region: Hashable, Sendable {
        public var code: String
        public var level: RegionLevel
        public var received = Money.zero
        public var paid = Money.zero
        public var recovered = Money.zero
        public var discounted = Money.zero
        public var compensated = Money.zero
        public var writtenOff = Money.zero
        /// Distinct persons and enterprises per programme.
        public var people: [String: Int] = [:]
        public var enterprises: [String: Int] = [:]
        public var peopleTotal = 0
        public var enterprisesTotal = 0
        /// Net grants naming a person per programme, ÷ people, half up.
        public var subsidyPerPerson: [String: Money] = [:]
        public var loans = LoanCohort()
        public var findings: [String: Int] = [:]

        init(code: String, level: RegionLevel) {
            self.code = code
            self.level = level
        }

        /// (paid − recovered) ÷ received.
        public var executionRate: String? {
            guard let net = paid.subtracting(recovered) else { return nil }
            return Rate.format(net.fen, received.fen)
        }
        public var defaultRate: String? { Rate.format(Int64(loans.defaulted), Int64(loans.count)) }
        public var compensationRate: String? { Rate.format(loans.compensated.fen, loans.amount.fen) }
        public var writeOffRate: String? { Rate.format(loans.writtenOff.fen, loans.amount.fen) }
    }

    public var fiscalYear: Int64
    /// The level asked for, or nil for every level.
    public var level: RegionLevel?
    public var scope: RegionScope
    /// The last sequence number of the view the figures come from.
    public var asOfSeq: UInt64
    /// In region code order.
    public var regions: [Region]
    /// Whether findings were given at all (an audit ran).
    public var audited: Bool
    /// Findings of the view whose trigger the report could not place in a
    /// region (it is not among the live events, or names no region); by rule.
    public var findingsWithoutRegion: [String: Int]

    /// Builds the report from the balances and the live events of one view
    /// (`Ledger.balances(view:)` and `Ledger.liveEvents(view:)` pinned to the
    /// same sequence number), and the audit's findings of that view, or nil
    /// when no audit was run. Throws ``OverflowError`` past Int64 fen.
    public init(balances: Balances, liveEvents events: some Sequence<Event>, findings: [FindingInput]?, fiscalYear: Int64,
                level: RegionLevel?, scope: RegionScope, asOfSeq: UInt64) throws {
        var accumulation = try Accumulation(balances: balances, findings: findings, fiscalYear: fiscalYear, level: level,
                                            scope: scope, asOfSeq: asOfSeq)
        for event in events { try accumulation.add(event) }
        self = accumulation.report()
    }

    private init(fiscalYear: Int64, level: RegionLevel?, scope: RegionScope, asOfSeq: UInt64, audited: Bool,
                 regions: [Region], findingsWithoutRegion: [String: Int]) {
        self.fiscalYear = fiscalYear
        self.level = level
        self.scope = scope
        self.asOfSeq = asOfSeq
        self.audited = audited
        self.regions = regions
        self.findingsWithoutRegion = findingsWithoutRegion
    }

    /// The report built as the live events stream past, one at a time in
    /// log order, so that a decade of events is never held at once: what it
    /// keeps grows with the year's grants and the regions, not the log.
    public struct Accumulation {
        let balances: Balances
        let findings: [FindingInput]?
        let fiscalYear: Int64
        let level: RegionLevel?
        let scope: RegionScope
        let asOfSeq: UInt64
        var builder: Builder
        let triggers: Set<String>
        var places: [String: Placement] = [:]
        var grantsOfYear: [String: (region: String, programme: String, person: Bool)] = [:]

        /// Starts from the balances and the findings of the view (nil when no
        /// audit was run); the view's live events follow through ``add(_:)``.
        public init(balances: Balances, findings: [FindingInput]?, fiscalYear: Int64, level: RegionLevel?, scope: RegionScope,
                    asOfSeq: UInt64) throws {
            self.balances = balances
            self.findings = findings
            self.fiscalYear = fiscalYear
            self.level = level
            self.scope = scope
            self.asOfSeq = asOfSeq
            builder = Builder(level: level, scope: scope)
            for (key, line) in balances.lines where key.fiscalYear == fiscalYear {
                let figures = try LineFigures(line, key)
                try builder.forEach(key.region) { region in
                    try region.received.add(figures.received, "received in \(region.code)")
                    try region.paid.add(figures.paid, "paid in \(region.code)")
                    try region.recovered.add(figures.recovered, "recovered in \(region.code)")
                    try region.discounted.add(figures.paidByProgramme[PayoutKind.interestDiscount] ?? .zero, "discounts in \(region.code)")
                    try region.compensated.add(figures.paidByProgramme[PayoutKind.guaranteeCompensation] ?? .zero, "compensations in \(region.code)")
                }
            }
            for (_, loan) in balances.loans where Int64(loan.issued.year) == fiscalYear {
                try builder.forEach(loan.region) { region in
                    region.loans.count += 1
                    try region.loans.amount.add(loan.principal, "loans issued in \(region.code)")
                    if loan.defaults > 0 { region.loans.defaulted += 1 }
                    try region.loans.compensated.add(loan.compensated, "compensations of loans issued in \(region.code)")
                    try region.loans.writtenOff.add(loan.writtenOff, "write-offs of loans issued in \(region.code)")
                }
            }
            triggers = Set((findings ?? []).map(\.trigger))
        }

        /// Whether ``add(_:)`` does anything with the event of this stored
        /// record, read in place, so that a caller decodes only those: the
        /// year's grants and write-offs, recoveries of the year's grants to
        /// people, and the findings' triggers. In a decade of events, a
        /// tenth of the grants.
        ///
        /// Mutating though it changes nothing: a caller asks from inside the
        /// closure of a scan, where a non-mutating call copied the whole
        /// accumulation (its balances, findings and tables: a dozen
        /// references to retain and release) for every record of the log.
        public mutating func needs(_ record: EventRecordView) -> Bool {
            if !triggers.isEmpty && triggers.contains(String(decoding: record.id, as: UTF8.self)) { return true }
            switch record.type {
            case .subsidyGranted: return record.integer(.fiscalYear) == fiscalYear
            case .subsidyRecovered:
                return !grantsOfYear.isEmpty && grantsOfYear[String(decoding: record.bytes(.grant), as: UTF8.self)]?.person == true
            case .guaranteeWrittenOff: return Int64(record.effective.year) == fiscalYear
            default: return false
            }
        }

        /// Grants of the year and what is recovered from them; write-offs of
        /// the year; where each finding's trigger belongs.
        public mutating func add(_ event: Event) throws {
            let data = event.data
            let fiscalYear = self.fiscalYear
            switch event.type {
            case .subsidyGranted where data.integer(.fiscalYear)! == fiscalYear:
                let programme = data.string(.program)!, amount = data.money(.amount)!, code = data.string(.region)!
                let person = data.string(.person), enterprise = data.string(.enterprise)
                grantsOfYear[data.string(.grant)!] = (code, programme, person != nil)
                try builder.forEachAccumulator(code) { accumulator in
                    if let person {
                        accumulator.people[programme, default: []].insert(person)
                        try accumulator.personNet[programme, default: .zero].add(amount, "grants to people in \(accumulator.region.code)")
                    }
                    if let enterprise { accumulator.enterprises[programme, default: []].insert(enterprise) }
                }
            case .subsidyRecovered:
                guard let grant = grantsOfYear[data.string(.grant)!], grant.person else { break }
                try builder.forEachAccumulator(grant.region) { accumulator in
                    try accumulator.personNet[grant.programme, default: .zero].add(data.money(.amount)!, sign: -1,
                                                                                  "grants to people in \(accumulator.region.code)")
                }
            case .guaranteeWrittenOff where Int64(event.effective.year) == fiscalYear:
                guard let loan = balances.loans[data.string(.loan)!] else { break }
                try builder.forEach(loan.region) { region in
                    try region.writtenOff.add(data.money(.amount)!, "write-offs in \(region.code)")
                }
            default:
                break
            }
            if triggers.contains(event.id) {
                places[event.id] = PerformanceReport.place(event, fiscalYear: fiscalYear, balances: balances, grants: grantsOfYear)
            }
        }

        /// Where the finding triggered by the event `id` counts in this
        /// report (as the findings column places it): the region, when it is
        /// in the report's year; ``FindingPlace/elsewhere`` when in another
        /// year; ``FindingPlace/nowhere`` when it names no region.
        public func place(ofTrigger id: String) -> FindingPlace {
            switch places[id] ?? .nowhere {
            case .region(let code, let year): return year == fiscalYear ? .region(code) : .elsewhere
            case .otherYear: return .elsewhere
            case .nowhere: return .nowhere
            }
        }

        /// The report of everything added.
        public func report() -> PerformanceReport {
            var builder = self.builder
            var unplaced: [String: Int] = [:]
            for finding in findings ?? [] {
                switch places[finding.trigger] ?? .nowhere {
                case .region(let code, let year):
                    guard year == fiscalYear else { continue }
                    builder.forEach(code) { region in region.findings[finding.rule, default: 0] += 1 }
                case .otherYear:
                    continue
                case .nowhere:
                    unplaced[finding.rule, default: 0] += 1
                }
            }
            return PerformanceReport(fiscalYear: fiscalYear, level: level, scope: scope, asOfSeq: asOfSeq, audited: findings != nil,
                                     regions: builder.finish(), findingsWithoutRegion: unplaced)
        }
    }

    /// Where a finding counts, as ``Accumulation/place(ofTrigger:)`` says.
    public enum FindingPlace: Hashable, Sendable {
        /// At this region code, in the report's year.
        case region(String)
        /// In another year.
        case elsewhere
        /// In no region.
        case nowhere
    }

    /// Where a finding's trigger belongs.
    enum Placement {
        case region(String, year: Int64)
        /// In a year other than the report's.
        case otherYear
        /// Names no region.
        case nowhere
    }

    static func place(_ event: Event, fiscalYear: Int64, balances: Balances,
                      grants: [String: (region: String, programme: String, person: Bool)]) -> Placement {
        let data = event.data
        switch event.type {
        case .subsidyGranted, .loanInterestDiscounted, .guaranteeCompensated, .guaranteeRecovered, .fundAppropriated:
            return .region(data.string(.region)!, year: data.integer(.fiscalYear)!)
        case .fundTransferred:
            return .region(data.string(.fromRegion)!, year: data.integer(.fiscalYear)!)
        case .subsidyRecovered:
            // Only the year's grants are kept: a recovery of another grant is another year's.
            return grants[data.string(.grant)!].map { .region($0.region, year: fiscalYear) } ?? .otherYear
        case .loanIssued, .enterpriseRegistered:
            return .region(data.string(.region)!, year: Int64(event.effective.year))
        case .loanRepaid, .loanDefaulted, .guaranteeWrittenOff:
            return balances.loans[data.string(.loan)!].map { .region($0.region, year: Int64(event.effective.year)) } ?? .nowhere
        case .personRegistered, .personCertified, .entryReversed:
            return .nowhere
        }
    }

    /// Collects figures per region code at the levels and in the scope asked for.
    struct Builder {
        struct Accumulator {
            var region: Region
            var people: [String: Set<String>] = [:]
            var enterprises: [String: Set<String>] = [:]
            var personNet: [String: Money] = [:]
        }

        let level: RegionLevel?
        let scope: RegionScope
        var accumulators: [String: Accumulator] = [:]
        /// The rows each region code counts toward, at the level and in the
        /// scope asked for: worked out once per code, not once per event.
        private var rows: [String: [(code: String, level: RegionLevel)]] = [:]

        init(level: RegionLevel?, scope: RegionScope) {
            self.level = level
            self.scope = scope
        }

        /// Runs `body` on the row of every region `code` counts toward, in
        /// place.
        mutating func forEachAccumulator(_ code: String, _ body: (inout Accumulator) throws -> Void) rethrows {
            if rows[code] == nil {
                rows[code] = RegionLevel.rollUp(code).filter { (level == nil || $0.level == level) && scope.contains($0.code) }
            }
            for (rowCode, rowLevel) in rows[code]! {
                try body(&accumulators[rowCode, default: Accumulator(region: Region(code: rowCode, level: rowLevel))])
            }
        }

        mutating func forEach(_ code: String, _ body: (inout Region) throws -> Void) rethrows {
            try forEachAccumulator(code) { try body(&$0.region) }
        }

        func finish() -> [Region] {
            accumulators.keys.sorted(by: byteOrder).map { code in
                let accumulator = accumulators[code]!
                var region = accumulator.region
                region.people = accumulator.people.mapValues(\.count)
                region.enterprises = accumulator.enterprises.mapValues(\.count)
                region.peopleTotal = accumulator.people.values.reduce(into: Set<String>()) { $0.formUnion($1) }.count
                region.enterprisesTotal = accumulator.enterprises.values.reduce(into: Set<String>()) { $0.formUnion($1) }.count
                for (programme, net) in accumulator.personNet {
                    let people = accumulator.people[programme]?.count ?? 0
                    guard people > 0 else { continue }
                    region.subsidyPerPerson[programme] = Rate.divideHalfUp(net, by: Int64(people))
                }
                return region
            }
        }
    }
}

/// Rates and shares in integer arithmetic, never floating point.
public enum Rate {
    /// numerator ÷ denominator with four decimals, rounded half up (away from
    /// zero): `"0.8523"`, `"1.0000"`, `"-0.0125"`. Nil when the denominator is
    /// zero. Exact for every pair of Int64 (no overflow).
    public static func format(_ numerator: Int64, _ denominator: Int64) -> String? {
        guard denominator != 0 else { return nil }
        let negative = (numerator < 0) != (denominator < 0)
        let n = numerator.magnitude, d = denominator.magnitude
        var whole = n / d
        let remainder = n % d
        // remainder < d ≤ 2^63, so remainder × 10^4 fits in 128 bits and its
        // quotient by d is below 10^4.
        let scaled = remainder.multipliedFullWidth(by: 10_000)
        var (fraction, rest) = d.dividingFullWidth(scaled)
        if rest >= d - rest { fraction += 1 }  // rest ≥ d/2, without overflow
        if fraction == 10_000 {
            whole += 1
            fraction = 0
        }
        let digits = String(fraction)
        let text = String(whole) + "." + String(repeating: "0", count: 4 - digits.count) + digits
        return negative && (whole > 0 || fraction > 0) ? "-" + text : text
    }

    /// An amount shared out: amount ÷ count, half up (away from zero) to the fen.
    public static func divideHalfUp(_ amount: Money, by count: Int64) -> Money {
        precondition(count > 0, "a share needs a positive count")
        if count == 1 { return amount }
        let n = amount.fen.magnitude, d = UInt64(count)
        var quotient = n / d
        let remainder = n % d
        if remainder >= d - remainder { quotient += 1 }
        return Money(fen: amount.fen < 0 ? -Int64(quotient) : Int64(quotient))
    }
}

// MARK: Rendering

extension PerformanceReport {
    /// docs/OUTPUT.md: `{"regions": [{"region", "level", "received", "paid",
    /// "recovered", "executionRate", "people", "enterprises", "loansIssued":
    /// {"count", "amount"}, "defaultRate", "compensated", "writtenOff",
    /// "discounted", "findings"}]}`, each region with added fields
    /// (`peopleTotal`, `enterprisesTotal`, `subsidyPerPerson`,
    /// `compensationRate`, `writeOffRate`; `loansIssued` adds `defaulted`,
    /// `compensated`, `writtenOff`), then the figures of the run.
    public func renderJSON() -> String {
        let rows: [JSONValue] = regions.map { region in
            .members([
                "region": .string(region.code), "level": .string(region.level.rawValue),
                "received": .money(region.received), "paid": .money(region.paid), "recovered": .money(region.recovered),
                "executionRate": .rate(region.executionRate),
                "people": .counts(region.people), "enterprises": .counts(region.enterprises),
                "loansIssued": .members(["count": .integer(Int64(region.loans.count)), "amount": .money(region.loans.amount),
                                         "defaulted": .integer(Int64(region.loans.defaulted)),
                                         "compensated": .money(region.loans.compensated), "writtenOff": .money(region.loans.writtenOff)]),
                "defaultRate": .rate(region.defaultRate),
                "compensated": .money(region.compensated), "writtenOff": .money(region.writtenOff),
                "discounted": .money(region.discounted), "findings": .counts(region.findings),
                "peopleTotal": .integer(Int64(region.peopleTotal)), "enterprisesTotal": .integer(Int64(region.enterprisesTotal)),
                "subsidyPerPerson": .amounts(region.subsidyPerPerson),
                "compensationRate": .rate(region.compensationRate), "writeOffRate": .rate(region.writeOffRate),
            ])
        }
        return JSONValue.document([
            .init("regions", .array(rows)),
            .init("fiscalYear", .integer(fiscalYear)),
            .init("level", level.map { .string($0.rawValue) } ?? .null),
            .init("region", scope.region.map(JSONValue.string) ?? .null),
            .init("audited", .bool(audited)),
            .init("findingsWithoutRegion", .counts(findingsWithoutRegion)),
            .init("asOfSeq", .integer(Int64(clamping: asOfSeq))),
        ])
    }

    static let csvColumns = [
        "region", "level", "received", "paid", "recovered", "executionRate", "people", "enterprises", "loansIssuedCount",
        "loansIssuedAmount", "defaultRate", "compensated", "writtenOff", "discounted", "findings", "peopleTotal",
        "enterprisesTotal", "subsidyPerPerson", "loansDefaulted", "loansCompensated", "loansWrittenOff", "compensationRate",
        "writeOffRate",
    ]

    /// One record a region; per-programme and per-rule figures read
    /// `key=value; …`; a null rate is an empty field.
    public func renderCSV() -> String {
        func flat(_ counts: [String: Int]) -> String {
            counts.keys.sorted(by: byteOrder).map { "\($0)=\(counts[$0]!)" }.joined(separator: "; ")
        }
        var out = Self.csvColumns.joined(separator: ",") + "\r\n"
        for r in regions {
            let fields = [
                r.code, r.level.rawValue, r.received.yuan, r.paid.yuan, r.recovered.yuan, r.executionRate ?? "", flat(r.people),
                flat(r.enterprises), String(r.loans.count), r.loans.amount.yuan, r.defaultRate ?? "", r.compensated.yuan,
                r.writtenOff.yuan, r.discounted.yuan, flat(r.findings), String(r.peopleTotal), String(r.enterprisesTotal),
                BudgetLineReconciliation.flatten(r.subsidyPerPerson), String(r.loans.defaulted), r.loans.compensated.yuan,
                r.loans.writtenOff.yuan, r.compensationRate ?? "", r.writeOffRate ?? "",
            ]
            out += fields.map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// Four tables: budget execution, support per programme, the year's
    /// guarantee loans, findings by rule.
    public func renderTable() -> String { trimmingTrailingSpaces(table()) }

    func table() -> String {
        let levelText = level.map { "\($0.rawValue) level" } ?? "every level"
        var out = "Performance in fiscal year \(fiscalYear), \(levelText), \(scope.label); ledger as of seq \(asOfSeq).\n"
        out += "Rates are ratios to four decimals (0.8500 = 85%), rounded half up; — where nothing is to divide by.\n"
        func rate(_ text: String?) -> Cell { .rate(text ?? "—") }

        var budget = ReportTable(name: "budget", columns: [
            .init("region"), .init("level"), .init("received"), .init("paid"), .init("recovered"), .init("executionRate", "EXECUTION"),
            .init("discounted"), .init("compensated"), .init("writtenOff", "WRITTEN OFF"), .init("people"), .init("enterprises"),
            .init("findings"),
        ])
        budget.rows = regions.map { r in
            [.text(r.code), .text(r.level.rawValue), .money(r.received), .money(r.paid), .money(r.recovered), rate(r.executionRate),
             .money(r.discounted), .money(r.compensated), .money(r.writtenOff), .integer(r.peopleTotal), .integer(r.enterprisesTotal),
             .integer(r.findings.values.reduce(0, +))]
        }
        out += "\nBudget execution: (paid − recovered) ÷ received, budget lines of fiscal year \(fiscalYear)\n\n" + budget.renderTable()
        guard !regions.isEmpty else { return out }

        var support = ReportTable(name: "support", columns: [
            .init("region"), .init("program", "PROGRAMME"), .init("people"), .init("enterprises"), .init("subsidyPerPerson", "PER PERSON"),
        ])
        for r in regions {
            for programme in Set(r.people.keys).union(r.enterprises.keys).sorted(by: byteOrder) {
                support.rows.append([.text(r.code), .text(programme), .integer(r.people[programme] ?? 0),
                                     .integer(r.enterprises[programme] ?? 0), r.subsidyPerPerson[programme].map(Cell.money) ?? .rate("—")])
            }
        }
        if !support.rows.isEmpty {
            out += "\nSupported per programme (distinct people and enterprises named by the year's grants; "
                + "per person = net grants naming a person ÷ people)\n\n" + support.renderTable()
        }

        var loans = ReportTable(name: "loans", columns: [
            .init("region"), .init("loans"), .init("principal"), .init("defaulted"), .init("defaultRate", "DEFAULT RATE"),
            .init("compensated"), .init("compensationRate", "COMPENSATION RATE"), .init("writtenOff", "WRITTEN OFF"),
            .init("writeOffRate", "WRITE-OFF RATE"),
        ])
        loans.rows = regions.filter { $0.loans.count > 0 }.map { r in
            [.text(r.code), .integer(r.loans.count), .money(r.loans.amount), .integer(r.loans.defaulted), rate(r.defaultRate),
             .money(r.loans.compensated), rate(r.compensationRate), .money(r.loans.writtenOff), rate(r.writeOffRate)]
        }
        out += "\nGuarantee loans issued in \(fiscalYear) (by issue date) and what became of them\n\n" + loans.renderTable()

        out += "\nAudit findings by rule (trigger on the year's budget lines, or in the year at the loan's region)\n\n"
        guard audited else { return out + "(no audit was run)\n" }
        var findings = ReportTable(name: "findings", columns: [.init("region"), .init("rule"), .init("findings")])
        for r in regions {
            for rule in r.findings.keys.sorted(by: byteOrder) { findings.rows.append([.text(r.code), .text(rule), .integer(r.findings[rule]!)]) }
        }
        out += findings.rows.isEmpty ? "No findings in these regions and year.\n" : findings.renderTable()
        if !findingsWithoutRegion.isEmpty {
            out += "Findings placed in no region: " + findingsWithoutRegion.keys.sorted(by: byteOrder)
                .map { "\($0) \(findingsWithoutRegion[$0]!)" }.joined(separator: ", ") + ".\n"
        }
        return out
    }
}
