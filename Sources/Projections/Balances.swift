import LedgerCore

/// A budget line: one fund, in one region, for one fiscal year.
public struct BudgetLineKey: Hashable, Comparable, Sendable {
    public var fund: String
    public var region: String
    public var fiscalYear: Int64

    public init(fund: String, region: String, fiscalYear: Int64) {
        self.fund = fund
        self.region = region
        self.fiscalYear = fiscalYear
    }

    public static func < (a: BudgetLineKey, b: BudgetLineKey) -> Bool {
        (a.fund, a.region, a.fiscalYear) < (b.fund, b.region, b.fiscalYear)
    }
}

/// Programme keys for payouts that are not grants.
public enum PayoutKind {
    public static let interestDiscount = "interest-discount"
    public static let guaranteeCompensation = "guarantee-compensation"
}

/// Money on one budget line.
public struct BudgetLine: Hashable, Sendable {
    public var appropriated = Money.zero
    public var transferredIn = Money.zero
    public var transferredOut = Money.zero
    /// Gross payouts by programme code (and `interest-discount`, `guarantee-compensation`).
    public var paidByProgramme: [String: Money] = [:]
    /// Subsidy recoveries credited to this line, and guarantee recoveries naming it.
    public var recovered = Money.zero
    /// The same recoveries by the programme they take back from.
    public var recoveredByProgramme: [String: Money] = [:]

    public init() {}

    /// Checks that the derived totals below fit in Int64 fen; the fold calls
    /// it after every change, so the totals can then be computed freely.
    func checkTotals() throws {
        var received = appropriated
        try received.add(transferredIn, "received")
        try received.add(transferredOut, sign: -1, "received")
        var paid = Money.zero
        for amount in paidByProgramme.values { try paid.add(amount, "paid") }
        var available = received
        try available.add(paid, sign: -1, "available")
        try available.add(recovered, "available")
    }

    /// Nothing on the line: no event that counts touches it.
    var isEmpty: Bool {
        appropriated.fen == 0 && transferredIn.fen == 0 && transferredOut.fen == 0 && recovered.fen == 0
            && paidByProgramme.isEmpty && recoveredByProgramme.isEmpty
    }

    /// Appropriations plus transfers in, minus transfers out.
    public var received: Money { Money(fen: appropriated.fen &+ transferredIn.fen &- transferredOut.fen) }
    /// Gross payouts.
    public var paid: Money { Money(fen: paidByProgramme.values.reduce(0) { $0 &+ $1.fen }) }
    /// received − paid + recovered; negative when overdrawn.
    public var available: Money { Money(fen: received.fen &- paid.fen &+ recovered.fen) }
}

/// What one person received under one programme.
public struct PersonProgramme: Hashable, Sendable {
    public var granted = Money.zero
    public var recovered = Money.zero
    public var grants = 0
    /// Months covered, with how many live grants cover each.
    public var monthCoverage = CountedSet<YearMonth>()
    /// Effective dates of the live grants, with multiplicity.
    public var approvals = CountedSet<CalendarDate>()

    public init() {}

    public var net: Money { Money(fen: granted.fen &- recovered.fen) }
    /// Distinct months covered by live grants.
    public var months: Int { monthCoverage.count }
    /// The first approval: the earliest live grant's effective date.
    public var firstApproval: CalendarDate? { approvals.min }
}

/// What one enterprise received under one programme.
public struct EnterpriseProgramme: Hashable, Sendable {
    public var granted = Money.zero
    public var recovered = Money.zero
    public var grants = 0
    public var net: Money { Money(fen: granted.fen &- recovered.fen) }
}

/// One guarantee loan.
public struct LoanBalance: Hashable, Sendable {
    public var borrower: String
    public var category: String
    public var region: String
    public var issued: CalendarDate
    public var principal = Money.zero
    public var repaid = Money.zero
    public var discounted = Money.zero
    public var compensated = Money.zero
    public var recovered = Money.zero
    public var writtenOff = Money.zero
    public var defaults = 0

    public var outstanding: Money { Money(fen: principal.fen &- repaid.fen) }

    /// `written-off` after any write-off, else `defaulted`, else `repaid`
    /// when nothing is outstanding, else `active`.
    public var status: String {
        if writtenOff.fen > 0 { return "written-off" }
        if defaults > 0 { return "defaulted" }
        if outstanding.fen == 0 { return "repaid" }
        return "active"
    }
}

/// Finds events a fold needs but has not kept: a reversal's target and the
/// grant a recovery refers to. The store answers from its indexes; tests
/// from a dictionary.
public protocol EventLookup {
    /// The event with this id, if it is in the log.
    func event(withID id: String) throws -> Event?
    /// The `subsidy.granted` event that created grant `id`.
    func grant(_ id: String) throws -> Event?
}

/// Every balance the commands show as one pure fold over events.
///
/// `apply` takes an event in log order; a reversal takes its target's effect
/// back (the target must have counted). Folding the same events gives the
/// same balances, byte for byte, on every machine.
public struct Balances: Sendable {
    public var lines: [BudgetLineKey: BudgetLine] = [:]
    public var people: [PersonProgrammeKey: PersonProgramme] = [:]
    public var enterprises: [EnterpriseProgrammeKey: EnterpriseProgramme] = [:]
    public var loans: [String: LoanBalance] = [:]
    /// The tables this state holds. Budget lines and loans always; the
    /// person × programme and enterprise × programme entries only when
    /// asked for (most of a large state, and no line or loan figure
    /// depends on them). A table not held stays empty: the fold passes it
    /// by and ``StateCodec`` reads none of its stored entries.
    public private(set) var tables: Tables = .all

    /// Which tables a state holds (see ``tables``).
    public struct Tables: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let people = Tables(rawValue: 1 << 0)
        public static let enterprises = Tables(rawValue: 1 << 1)
        /// Every table: lines, people, enterprises and loans.
        public static let all: Tables = [.people, .enterprises]
        /// Budget lines and loans only.
        public static let linesAndLoans: Tables = []
    }

    public struct PersonProgrammeKey: Hashable, Comparable, Sendable {
        public var person: String
        public var programme: String
        public init(person: String, programme: String) {
            self.person = person
            self.programme = programme
        }
        public static func < (a: Self, b: Self) -> Bool { (a.person, a.programme) < (b.person, b.programme) }
    }

    public struct EnterpriseProgrammeKey: Hashable, Comparable, Sendable {
        public var enterprise: String
        public var programme: String
        public init(enterprise: String, programme: String) {
            self.enterprise = enterprise
            self.programme = programme
        }
        public static func < (a: Self, b: Self) -> Bool { (a.enterprise, a.programme) < (b.enterprise, b.programme) }
    }

    public init() {}

    /// An empty state holding only `tables` (lines and loans always).
    public init(tables: Tables) {
        self.tables = tables
    }

    /// Folds one event of the view in. Events that do not count by date, and
    /// reversals of events that did not count, change nothing.
    public mutating func apply(_ event: Event, view: LedgerView = .all, lookup: EventLookup) throws {
        if event.type == .entryReversed {
            guard let target = try lookup.event(withID: event.data.string(.target)!) else {
                preconditionFailure("reversal target missing from the log")
            }
            guard view.counts(target) else { return }
            try fold(target, sign: -1, lookup: lookup)
        } else {
            guard view.counts(event) else { return }
            try fold(event, sign: 1, lookup: lookup)
        }
    }

    /// Takes out the effect of an event that was folded in (not a reversal).
    public mutating func remove(_ event: Event, lookup: EventLookup) throws {
        precondition(event.type != .entryReversed, "reversals are not removed, their targets are")
        try fold(event, sign: -1, lookup: lookup)
    }

    /// Adds (sign 1) or removes (sign −1) one event's effect.
    mutating func fold(_ event: Event, sign: Int64, lookup: EventLookup) throws {
        for key in try foldAmounts(event, sign: sign, lookup: lookup) {
            guard var line = lines.removeValue(forKey: key) else { continue }
            try line.checkTotals()
            // A state is a function of the events it counts, however it was
            // reached: what a reversal or a removal brought back to zero goes.
            if line.paidByProgramme.values.contains(where: { $0.fen == 0 }) {
                line.paidByProgramme = line.paidByProgramme.filter { $0.value.fen != 0 }
            }
            if line.recoveredByProgramme.values.contains(where: { $0.fen == 0 }) {
                line.recoveredByProgramme = line.recoveredByProgramme.filter { $0.value.fen != 0 }
            }
            if !line.isEmpty { lines[key] = line }
        }
    }

    /// Returns the budget lines it changed.
    private mutating func foldAmounts(_ event: Event, sign: Int64, lookup: EventLookup) throws -> [BudgetLineKey] {
        let data = event.data
        switch event.type {
        case .fundAppropriated:
            let key = line(data)
            try lines[key, default: BudgetLine()].appropriated.add(data.money(.amount)!, sign: sign, "appropriations of \(key)")
            return [key]
        case .fundTransferred:
            let fund = data.string(.fund)!, year = data.integer(.fiscalYear)!, amount = data.money(.amount)!
            let from = BudgetLineKey(fund: fund, region: data.string(.fromRegion)!, fiscalYear: year)
            let to = BudgetLineKey(fund: fund, region: data.string(.toRegion)!, fiscalYear: year)
            try lines[from, default: BudgetLine()].transferredOut.add(amount, sign: sign, "transfers out of \(from)")
            try lines[to, default: BudgetLine()].transferredIn.add(amount, sign: sign, "transfers into \(to)")
            return [from, to]
        case .subsidyGranted:
            let amount = data.money(.amount)!, programme = data.string(.program)!
            let key = line(data)
            try lines[key, default: BudgetLine()].paidByProgramme[programme, default: .zero].add(amount, sign: sign, "payouts")
            if tables.contains(.people), let person = data.string(.person) {
                let key = PersonProgrammeKey(person: person, programme: programme)
                var entry = people.removeValue(forKey: key) ?? PersonProgramme()  // unique: no copy on write
                try entry.granted.add(amount, sign: sign, "grants to \(person)")
                entry.grants += Int(sign)
                for month in Self.months(of: data) {
                    entry.monthCoverage.add(month, Int(sign))
                }
                entry.approvals.add(event.effective, Int(sign))
                people[key] = entry.grants == 0 && entry.recovered.fen == 0 ? nil : entry
            }
            if tables.contains(.enterprises), let enterprise = data.string(.enterprise) {
                let key = EnterpriseProgrammeKey(enterprise: enterprise, programme: programme)
                var entry = enterprises.removeValue(forKey: key) ?? EnterpriseProgramme()
                try entry.granted.add(amount, sign: sign, "grants to \(enterprise)")
                entry.grants += Int(sign)
                enterprises[key] = entry.grants == 0 && entry.recovered.fen == 0 ? nil : entry
            }
            return [key]
        case .subsidyRecovered:
            guard let grant = try lookup.grant(data.string(.grant)!) else {
                preconditionFailure("recovered grant missing from the log")
            }
            let amount = data.money(.amount)!, programme = grant.data.string(.program)!
            let lineKey = line(grant.data)
            try lines[lineKey, default: BudgetLine()].recovered.add(amount, sign: sign, "recoveries")
            try lines[lineKey, default: BudgetLine()].recoveredByProgramme[programme, default: .zero].add(amount, sign: sign, "recoveries")
            if tables.contains(.people), let person = grant.data.string(.person) {
                let key = PersonProgrammeKey(person: person, programme: programme)
                var entry = people.removeValue(forKey: key) ?? PersonProgramme()
                try entry.recovered.add(amount, sign: sign, "recoveries from \(person)")
                people[key] = entry.grants == 0 && entry.recovered.fen == 0 ? nil : entry
            }
            if tables.contains(.enterprises), let enterprise = grant.data.string(.enterprise) {
                let key = EnterpriseProgrammeKey(enterprise: enterprise, programme: programme)
                var entry = enterprises.removeValue(forKey: key) ?? EnterpriseProgramme()
                try entry.recovered.add(amount, sign: sign, "recoveries from \(enterprise)")
                enterprises[key] = entry.grants == 0 && entry.recovered.fen == 0 ? nil : entry
            }
            return [lineKey]
        case .loanIssued:
            let id = data.string(.loan)!
            if sign < 0 {
                loans[id] = nil
            } else {
                let borrower = data.string(.person).map { "person:" + $0 } ?? "enterprise:" + data.string(.enterprise)!
                var loan = LoanBalance(borrower: borrower, category: ValueText.text(data[.category]!, field: .category),
                                       region: data.string(.region)!, issued: event.effective)
                loan.principal = data.money(.principal)!
                loans[id] = loan
            }
            return []
        case .loanInterestDiscounted:
            let amount = data.money(.amount)!
            let key = line(data)
            try lines[key, default: BudgetLine()].paidByProgramme[PayoutKind.interestDiscount, default: .zero].add(amount, sign: sign, "payouts")
            try loans[data.string(.loan)!]?.discounted.add(amount, sign: sign, "discounts")
            return [key]
        case .loanRepaid:
            try loans[data.string(.loan)!]?.repaid.add(data.money(.principal)!, sign: sign, "repayments")
            return []
        case .loanDefaulted:
            loans[data.string(.loan)!]?.defaults += Int(sign)
            return []
        case .guaranteeCompensated:
            let amount = data.money(.amount)!
            let key = line(data)
            try lines[key, default: BudgetLine()].paidByProgramme[PayoutKind.guaranteeCompensation, default: .zero].add(amount, sign: sign, "payouts")
            try loans[data.string(.loan)!]?.compensated.add(amount, sign: sign, "compensations")
            return [key]
        case .guaranteeRecovered:
            let amount = data.money(.amount)!
            let key = line(data)
            try lines[key, default: BudgetLine()].recovered.add(amount, sign: sign, "recoveries")
            try lines[key, default: BudgetLine()].recoveredByProgramme[PayoutKind.guaranteeCompensation, default: .zero].add(amount, sign: sign, "recoveries")
            try loans[data.string(.loan)!]?.recovered.add(amount, sign: sign, "guarantee recoveries")
            return [key]
        case .guaranteeWrittenOff:
            try loans[data.string(.loan)!]?.writtenOff.add(data.money(.amount)!, sign: sign, "write-offs")
            return []
        case .personRegistered, .personCertified, .enterpriseRegistered, .entryReversed:
            return []
        }
    }

    private func line(_ data: FieldSet) -> BudgetLineKey {
        BudgetLineKey(fund: data.string(.fund)!, region: data.string(.region)!, fiscalYear: data.integer(.fiscalYear)!)
    }

    /// The months a grant covers: its month period, or every month its date
    /// period touches; none without a period.
    public static func months(of data: FieldSet) -> [YearMonth] {
        let range: (YearMonth, YearMonth)
        switch (data[.periodStart], data[.periodEnd]) {
        case (.month(let start)?, .month(let end)?): range = (start, end)
        case (.date(let start)?, .date(let end)?): range = (start.yearMonth, end.yearMonth)
        default: return []
        }
        return (range.0.index...range.1.index).map(YearMonth.init(index:))
    }
}
