import LedgerCore

/// Where a compact fold finds the few records it needs out of order: the
/// target of a reversal and the grant a recovery takes back from. Both are
/// rare corrections, so the records are copied.
public protocol RecordLookup {
    /// The stored record (hash ‖ canonical bytes) of the event with this id.
    func record(ofEventID id: UnsafeRawBufferPointer) throws -> [UInt8]?
    /// The stored record of the `subsidy.granted` that created grant `id`.
    func record(ofGrant id: UnsafeRawBufferPointer) throws -> [UInt8]?
}

/// The balances of ``Balances``, folded from stored records read in place
/// into flat arrays indexed by interned names.
///
/// It gives exactly the state ``Balances`` gives for the same events (a
/// property test holds the two together on random histories); only the
/// representation differs. ``materialize()`` turns it into a ``Balances``
/// when it is written out. A history the compact fold does not handle —
/// sums whose magnitudes could leave 64 bits, or anything a valid log
/// never holds — throws ``Unsupported``, and the caller folds it with
/// ``Balances``, which names the problem exactly as it always has.
public struct CompactBalances {
    /// Not handled here; fold with ``Balances`` instead.
    public struct Unsupported: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "the compact fold does not handle this history: \(reason)" }
    }

    struct Line {
        var fund: Int32, region: Int32, fiscalYear: Int64
        var appropriated: Int64 = 0, transferredIn: Int64 = 0, transferredOut: Int64 = 0, recovered: Int64 = 0
        /// By programme number; zero is absent.
        var paid: [Int64] = []
        var recoveredBy: [Int64] = []
        /// The line's budget account under double entry, over live events only.
        var account: Int64 = 0
    }

    struct PersonEntry {
        var person: Int32, programme: Int32
        var granted: Int64 = 0, recovered: Int64 = 0
        var grants: Int = 0
        var months = CountedSet<YearMonth>()
        var approvals = CountedSet<CalendarDate>()
    }

    struct EnterpriseEntry {
        var enterprise: Int32, programme: Int32
        var granted: Int64 = 0, recovered: Int64 = 0
        var grants: Int = 0
    }

    struct Loan {
        var present = false
        var borrowerIsPerson = true
        var borrower: Int32 = 0
        var category: UInt8 = 0
        var region: Int32 = 0
        var issued = CalendarDate(dayNumber: 0)
        var principal: Int64 = 0, repaid: Int64 = 0, discounted: Int64 = 0
        var compensated: Int64 = 0, recovered: Int64 = 0, writtenOff: Int64 = 0
        var defaults = 0
    }

    var funds = ByteInterner()
    var regions = ByteInterner()
    var programmes = ByteInterner()
    var loanNames = ByteInterner(capacity: 1 << 10)
    /// Loans' borrowers (their own names, apart from the holders' tables,
    /// which may be folded on another thread).
    var borrowers = ByteInterner(capacity: 1 << 10)

    var lineIndex = PackedKeyIndex()
    var lines: [Line] = []
    var holders = Holders()
    var loans: [Loan] = []
    /// Set while the holders' tables are folded on a thread of their own
    /// (``foldHoldersAside()``).
    var aside: HolderWorker?
    /// The changes for `aside` not yet handed over.
    var asideBatch = HolderWorker.Batch()
    /// Set with a ``backing`` (an import's batch, over the stored state):
    /// the holders' changes then wait in `pendingHolders` and are folded in
    /// place a batch at a time, when it fills and by ``foldPendingHolders()``,
    /// in the passes the holders' thread takes (``HolderWorker``), so that
    /// the cache misses of successive changes overlap. Nothing reads the
    /// holders' tables while changes wait.
    private(set) var batchesHolders = false
    var pendingHolders = HolderWorker.Batch()

    /// Lines and loans changed since the last ``forEachChange(_:)`` or
    /// ``forgetChanges()``, each once (the holders keep their own).
    var lineChanged: [Bool] = [], loanChanged: [Bool] = []
    var changedLines: [Int32] = [], changedLoans: [Int32] = []

    let interestDiscount: Int32
    let guaranteeCompensation: Int32
    /// The sum of the magnitudes of every amount folded: while it fits in
    /// Int64, no total, account or line figure can overflow.
    var magnitude: UInt64 = 0
    /// Only events effective on or before this date count (nil: all).
    public let effectiveOn: CalendarDate?
    /// The tables folded (``Balances/tables``): without people or
    /// enterprises, a grant or recovery changes only its budget line.
    public let tables: Balances.Tables
    /// Where an entry the fold touches for the first time is found, when the
    /// fold continues a stored state it does not hold whole (an import's
    /// batch): each line, person or enterprise entry and loan is loaded
    /// from it once, before its first change. Nil: the fold holds its whole
    /// start, and an entry it has not seen is empty. With a backing, the
    /// budget accounts count the folded events only
    /// (``budgetAccountMismatch()`` does not apply). The holders' changes
    /// are folded in batches while there is one (``batchesHolders``).
    public weak var backing: BalanceBacking? {
        didSet { batchesHolders = backing != nil }
    }

    public init(effectiveOn: CalendarDate? = nil, tables: Balances.Tables = .all) {
        self.effectiveOn = effectiveOn
        self.tables = tables
        interestDiscount = programmes.intern(PayoutKind.interestDiscount)
        guaranteeCompensation = programmes.intern(PayoutKind.guaranteeCompensation)
    }

    /// Starts from a state folded earlier (a stored projection or snapshot),
    /// to fold the events after it.
    public init(_ start: Balances, effectiveOn: CalendarDate? = nil) throws {
        self.init(effectiveOn: effectiveOn, tables: start.tables)
        for (key, value) in start.lines {
            let fund = funds.intern(key.fund), region = regions.intern(key.region)
            guard key.fiscalYear >= 0 && key.fiscalYear < 1 << 16 else { throw Unsupported(reason: "fiscal year \(key.fiscalYear)") }
            let packed = UInt64(UInt32(bitPattern: fund)) << 40 | UInt64(UInt32(bitPattern: region)) << 16 | UInt64(key.fiscalYear)
            let count = Int32(lines.count)
            _ = lineIndex.value(for: packed) { count }
            lineChanged.append(false)
            lines.append(Line(fund: fund, region: region, fiscalYear: key.fiscalYear))
            try fill(line: lines.count - 1, from: value)
        }
        // The tables taken aside while they are filled, as a batch's fold
        // takes them (``foldPendingHolders()``).
        var tables = Holders()
        swap(&tables, &holders)
        defer { swap(&tables, &holders) }
        for (key, value) in start.people {
            let programme = programmes.intern(key.programme)
            var name = key.person
            let e = name.withUTF8 { tables.entry(person: true, name: UnsafeRawBufferPointer($0), programme: programme).index }
            try fill(person: e, in: &tables.personEntries, from: value)
        }
        for (key, value) in start.enterprises {
            let programme = programmes.intern(key.programme)
            var name = key.enterprise
            let e = name.withUTF8 { tables.entry(person: false, name: UnsafeRawBufferPointer($0), programme: programme).index }
            try fill(enterprise: e, in: &tables.enterpriseEntries, from: value)
        }
        for (id, value) in start.loans {
            let index = Int(loanNames.intern(id))
            if index == loans.count {
                loans.append(Loan())
                loanChanged.append(false)
            }
            try fill(loan: index, from: value)
        }
    }

    // MARK: Entries from their stored form

    mutating func fill(line index: Int, from value: BudgetLine) throws {
        lines[index].appropriated = try amount(value.appropriated.fen)
        lines[index].transferredIn = try amount(value.transferredIn.fen)
        lines[index].transferredOut = try amount(value.transferredOut.fen)
        lines[index].recovered = try amount(value.recovered.fen)
        for (name, money) in value.paidByProgramme { Self.add(&lines[index].paid, programmes.intern(name), try amount(money.fen)) }
        for (name, money) in value.recoveredByProgramme { Self.add(&lines[index].recoveredBy, programmes.intern(name), try amount(money.fen)) }
    }

    /// Person entry `e` of `entries` (the holders' tables, taken aside from
    /// the state) given its stored figures.
    mutating func fill(person e: Int, in entries: inout [PersonEntry], from value: PersonProgramme) throws {
        entries[e].granted = try amount(value.granted.fen)
        entries[e].recovered = try amount(value.recovered.fen)
        entries[e].grants = value.grants
        entries[e].months = value.monthCoverage
        entries[e].approvals = value.approvals
    }

    mutating func fill(enterprise e: Int, in entries: inout [EnterpriseEntry], from value: EnterpriseProgramme) throws {
        entries[e].granted = try amount(value.granted.fen)
        entries[e].recovered = try amount(value.recovered.fen)
        entries[e].grants = value.grants
    }

    mutating func fill(loan index: Int, from value: LoanBalance) throws {
        let id = loanNames.string(Int32(index))
        var loan = Loan()
        loan.present = true
        if value.borrower.hasPrefix("person:") {
            loan.borrower = borrowers.intern(String(value.borrower.dropFirst("person:".count)))
        } else if value.borrower.hasPrefix("enterprise:") {
            loan.borrowerIsPerson = false
            loan.borrower = borrowers.intern(String(value.borrower.dropFirst("enterprise:".count)))
        } else {
            throw Unsupported(reason: "loan \(id) has borrower \(value.borrower)")
        }
        guard let category = Vocabulary.loanCategory.code(of: value.category) else {
            throw Unsupported(reason: "loan \(id) has category \(value.category)")
        }
        loan.category = category
        loan.region = regions.intern(value.region)
        loan.issued = value.issued
        loan.principal = try amount(value.principal.fen)
        loan.repaid = try amount(value.repaid.fen)
        loan.discounted = try amount(value.discounted.fen)
        loan.compensated = try amount(value.compensated.fen)
        loan.recovered = try amount(value.recovered.fen)
        loan.writtenOff = try amount(value.writtenOff.fen)
        loan.defaults = value.defaults
        loans[index] = loan
    }

    @inline(__always)
    func counts(_ record: EventRecordView) -> Bool {
        guard let effectiveOn else { return true }
        return record.effective <= effectiveOn
    }

    /// Folds one record of the log in order. `live` says whether the event
    /// stays in the log's double entry (it is not a reversal, nor reversed).
    public mutating func apply(_ record: EventRecordView, live: Bool = true, lookup: RecordLookup) throws {
        if record.type == .entryReversed {
            guard let bytes = try lookup.record(ofEventID: record.bytes(.target)) else {
                throw Unsupported(reason: "the target of reversal \(record.seq) is not in the log")
            }
            try bytes.withUnsafeBytes { raw in
                let target = try EventRecordView(record: raw)
                guard counts(target) else { return }
                try fold(target, sign: -1, live: false, lookup: lookup)
            }
        } else {
            guard counts(record) else { return }
            try fold(record, sign: 1, live: live, lookup: lookup)
        }
    }

    /// From here on the holders' tables (people and enterprises by
    /// programme) are folded on a thread of their own while this fold goes
    /// on with budget lines and loans; ``bringHoldersBack()`` waits for
    /// them before anything reads the state. Only for a fold that holds its
    /// whole start (no backing).
    public mutating func foldHoldersAside() {
        precondition(aside == nil && backing == nil, "the holders are folded aside once, by a fold without a backing")
        let worker = HolderWorker()
        swap(&holders, &worker.holders)
        aside = worker
    }

    /// Waits until the holders' tables have folded every change handed to
    /// them and takes them back. Throws ``Unsupported`` if one was refused,
    /// or the error of a task (``whenHoldersCatchUp(_:)``); the tables are
    /// then not to be used.
    public mutating func bringHoldersBack() throws {
        guard let worker = aside else { return }
        aside = nil
        if !asideBatch.changes.isEmpty { worker.put(asideBatch) }
        asideBatch = HolderWorker.Batch()
        defer { swap(&holders, &worker.holders) }
        try worker.finish()
    }

    /// Runs `task` on the holders' thread once every change handed over so
    /// far is folded, while this fold goes on: `task` gets a state holding
    /// the holders' tables as they then stand (and the programme names),
    /// but no budget line or loan. A task that throws stops the holders'
    /// thread; ``bringHoldersBack()`` throws its error.
    public mutating func whenHoldersCatchUp(_ task: @escaping (inout CompactBalances) throws -> Void) {
        guard let aside else { preconditionFailure("the holders are not folded aside") }
        if !asideBatch.changes.isEmpty { aside.put(asideBatch) }
        asideBatch = HolderWorker.Batch()
        let programmes = self.programmes
        aside.put { holders in
            var part = CompactBalances()
            part.programmes = programmes
            swap(&part.holders, &holders)
            defer { swap(&part.holders, &holders) }
            try task(&part)
        }
    }

    /// Runs `body` (a fold) with the holders' tables folded aside, and
    /// brings them back after it. If `body` throws, a change the holders
    /// refused (or a task's error) is thrown instead: it came earlier in the
    /// log than whatever `body` found, as a fold on one thread would have
    /// reported it.
    public mutating func withHoldersAside(_ body: (inout CompactBalances) throws -> Void) throws {
        foldHoldersAside()
        do {
            try body(&self)
        } catch {
            try bringHoldersBack()
            throw error
        }
        try bringHoldersBack()
    }

    /// Runs `body`, a fold of `events` events: with the holders' tables
    /// aside when the events are many (a second thread pays for itself
    /// past a few thousand) and the fold keeps those tables at all.
    public mutating func fold(events: UInt64, _ body: (inout CompactBalances) throws -> Void) throws {
        if events >= 16_384 && !tables.isDisjoint(with: [.people, .enterprises]) && backing == nil {
            try withHoldersAside(body)
        } else {
            try body(&self)
        }
    }

    @inline(__always)
    mutating func amount(_ value: Int64) throws -> Int64 {
        let (sum, overflow) = magnitude.addingReportingOverflow(value.magnitude)
        guard !overflow, sum <= UInt64(Int64.max) else { throw Unsupported(reason: "amounts too large for 64-bit sums") }
        magnitude = sum
        return value
    }

    @inline(__always)
    mutating func line(_ record: EventRecordView, region field: Field = .region) throws -> Int {
        let fund = funds.intern(record.bytes(.fund))
        let region = regions.intern(record.bytes(field))
        let year = record.integer(.fiscalYear)
        guard year >= 0 && year < 1 << 16 else { throw Unsupported(reason: "fiscal year \(year)") }
        let key = UInt64(UInt32(bitPattern: fund)) << 40 | UInt64(UInt32(bitPattern: region)) << 16 | UInt64(year)
        let count = Int32(lines.count)
        let index = lineIndex.value(for: key) { count }
        if index == count {
            lines.append(Line(fund: fund, region: region, fiscalYear: year))
            lineChanged.append(false)
            if let backing, let stored = try backing.line(BudgetLineKey(fund: funds.string(fund), region: regions.string(region), fiscalYear: year)) {
                try fill(line: Int(index), from: stored)
            }
        }
        if !lineChanged[Int(index)] {
            lineChanged[Int(index)] = true
            changedLines.append(index)
        }
        return Int(index)
    }

    @inline(__always)
    static func add(_ list: inout [Int64], _ index: Int32, _ amount: Int64) {
        let slot = Int(index)
        if slot >= list.count { list.append(contentsOf: repeatElement(0, count: slot + 1 - list.count)) }
        list[slot] &+= amount
    }

    /// Folds one change into the holders' tables: handed to their own
    /// thread while they are folded aside, or else applied here, an entry
    /// new to the fold first loaded from the backing.
    @inline(__always)
    mutating func holder(_ change: HolderChange, name: UnsafeRawBufferPointer) throws {
        // Tested, not bound: binding the worker retained and released it for
        // every grant.
        if aside != nil {
            if asideBatch.add(change, name: name) {
                aside!.put(asideBatch)
                asideBatch = HolderWorker.Batch()
            }
            return
        }
        if batchesHolders {
            if pendingHolders.add(change, name: name) { try foldPendingHolders() }
            return
        }
        // No backing: an entry the fold has not seen starts empty.
        try holders.apply(change, at: holders.entry(person: change.isPerson, name: name, programme: change.programme).index)
    }

    /// Folds the holders' changes waiting in `pendingHolders` (see
    /// ``batchesHolders``). Throws ``Unsupported`` as the changes one at a
    /// time would have, at the first it refuses; the state is then not to be
    /// used.
    public mutating func foldPendingHolders() throws {
        guard !pendingHolders.changes.isEmpty else { return }
        // The tables are taken aside while the batch folds into them, so
        // that loading a new entry's stored figures can reach the rest of
        // the state (the backing, the programmes' names, the magnitudes).
        var tables = Holders()
        swap(&tables, &holders)
        defer { swap(&tables, &holders) }
        let batch = pendingHolders
        pendingHolders = HolderWorker.Batch()
        try HolderWorker.apply(batch, to: &tables) { tables, e, change, name in try self.load(e, change, name, into: &tables) }
    }

    /// Entry `e` of `tables`, new to the fold, given the figures the backing
    /// stores for it (none: it stays empty).
    private mutating func load(_ e: Int, _ change: HolderChange, _ name: UnsafeRawBufferPointer, into tables: inout Holders) throws {
        guard let backing else { return }
        let holder = String(decoding: name, as: UTF8.self), programme = programmes.string(change.programme)
        if change.isPerson {
            if let stored = try backing.person(Balances.PersonProgrammeKey(person: holder, programme: programme)) {
                try fill(person: e, in: &tables.personEntries, from: stored)
            }
        } else if let stored = try backing.enterprise(Balances.EnterpriseProgrammeKey(enterprise: holder, programme: programme)) {
            try fill(enterprise: e, in: &tables.enterpriseEntries, from: stored)
        }
    }

    @inline(__always)
    mutating func loan(_ record: EventRecordView) throws -> Int {
        let index = Int(loanNames.intern(record.bytes(.loan)))
        if index == loans.count {
            loans.append(Loan())
            loanChanged.append(false)
            if let backing, let stored = try backing.loan(loanNames.string(Int32(index))) { try fill(loan: index, from: stored) }
        }
        if !loanChanged[index] {
            loanChanged[index] = true
            changedLoans.append(Int32(index))
        }
        return index
    }

    /// Adds (sign 1) or removes (sign −1) one event's effect. `live` also
    /// posts it to the budget accounts.
    mutating func fold(_ record: EventRecordView, sign: Int64, live: Bool, lookup: RecordLookup) throws {
        let post: Int64 = live ? 1 : 0
        switch record.type {
        case .fundAppropriated:
            let amount = try self.amount(record.fen(.amount))
            let l = try line(record)
            lines[l].appropriated &+= sign &* amount
            lines[l].account &+= post &* amount
        case .fundTransferred:
            let amount = try self.amount(record.fen(.amount))
            let from = try line(record, region: .fromRegion)
            let to = try line(record, region: .toRegion)
            lines[from].transferredOut &+= sign &* amount
            lines[to].transferredIn &+= sign &* amount
            lines[from].account &-= post &* amount
            lines[to].account &+= post &* amount
        case .subsidyGranted:
            let amount = try self.amount(record.fen(.amount))
            let programme = programmes.intern(record.bytes(.program))
            let l = try line(record)
            Self.add(&lines[l].paid, programme, sign &* amount)
            lines[l].account &-= post &* amount
            if tables.contains(.people) && record.has(.person) {
                var change = HolderChange(isPerson: true, programme: programme, sign: sign)
                change.granted = sign &* amount
                change.grants = Int(sign)
                if record.has(.periodStart) && record.has(.periodEnd) && record.holdsDate(.periodStart) == record.holdsDate(.periodEnd) {
                    change.firstMonth = record.month(.periodStart).index
                    change.lastMonth = record.month(.periodEnd).index
                    guard change.firstMonth <= change.lastMonth else { throw Unsupported(reason: "a period that ends before it starts") }
                }
                change.countsApproval = true
                change.approvalDay = record.effective.dayNumber
                try holder(change, name: record.bytes(.person))
            }
            if tables.contains(.enterprises) && record.has(.enterprise) {
                var change = HolderChange(isPerson: false, programme: programme, sign: sign)
                change.granted = sign &* amount
                change.grants = Int(sign)
                try holder(change, name: record.bytes(.enterprise))
            }
        case .subsidyRecovered:
            let amount = try self.amount(record.fen(.amount))
            guard let bytes = try lookup.record(ofGrant: record.bytes(.grant)) else {
                throw Unsupported(reason: "the grant recovered at \(record.seq) is not in the log")
            }
            try bytes.withUnsafeBytes { raw in
                let grant = try EventRecordView(record: raw)
                let programme = programmes.intern(grant.bytes(.program))
                let l = try line(grant)
                lines[l].recovered &+= sign &* amount
                Self.add(&lines[l].recoveredBy, programme, sign &* amount)
                lines[l].account &+= post &* amount
                for (field, isPerson) in [(Field.person, true), (.enterprise, false)]
                where tables.contains(isPerson ? .people : .enterprises) && grant.has(field) {
                    var change = HolderChange(isPerson: isPerson, programme: programme, sign: sign)
                    change.recovered = sign &* amount
                    try holder(change, name: grant.bytes(field))
                }
            }
        case .loanIssued:
            let principal = try amount(record.fen(.principal))
            let l = try loan(record)
            if sign < 0 {
                loans[l] = Loan()
            } else {
                var made = Loan()
                made.present = true
                if record.has(.person) {
                    made.borrower = borrowers.intern(record.bytes(.person))
                } else {
                    made.borrowerIsPerson = false
                    made.borrower = borrowers.intern(record.bytes(.enterprise))
                }
                made.category = record.code(.category)
                made.region = regions.intern(record.bytes(.region))
                made.issued = record.effective
                made.principal = principal
                loans[l] = made
            }
        case .loanInterestDiscounted:
            let amount = try self.amount(record.fen(.amount))
            let l = try line(record)
            Self.add(&lines[l].paid, interestDiscount, sign &* amount)
            lines[l].account &-= post &* amount
            let n = try loan(record)
            if loans[n].present { loans[n].discounted &+= sign &* amount }
        case .loanRepaid:
            let amount = try self.amount(record.fen(.principal))
            let n = try loan(record)
            if loans[n].present { loans[n].repaid &+= sign &* amount }
        case .loanDefaulted:
            let n = try loan(record)
            if loans[n].present { loans[n].defaults += Int(sign) }
        case .guaranteeCompensated:
            let amount = try self.amount(record.fen(.amount))
            let l = try line(record)
            Self.add(&lines[l].paid, guaranteeCompensation, sign &* amount)
            lines[l].account &-= post &* amount
            let n = try loan(record)
            if loans[n].present { loans[n].compensated &+= sign &* amount }
        case .guaranteeRecovered:
            let amount = try self.amount(record.fen(.amount))
            let l = try line(record)
            lines[l].recovered &+= sign &* amount
            Self.add(&lines[l].recoveredBy, guaranteeCompensation, sign &* amount)
            lines[l].account &+= post &* amount
            let n = try loan(record)
            if loans[n].present { loans[n].recovered &+= sign &* amount }
        case .guaranteeWrittenOff:
            let amount = try self.amount(record.fen(.amount))
            let n = try loan(record)
            if loans[n].present { loans[n].writtenOff &+= sign &* amount }
        case .personRegistered, .personCertified, .enterpriseRegistered, .entryReversed:
            break
        }
    }

    // MARK: Output

    /// Line `index` as ``Balances`` holds it: nil when nothing on it counts
    /// (``Balances`` drops such lines, and programme amounts of zero).
    func lineEntry(_ index: Int) -> (key: BudgetLineKey, value: BudgetLine?) {
        let line = lines[index]
        func amounts(_ list: [Int64]) -> [String: Money] {
            var map: [String: Money] = [:]
            for (programme, fen) in list.enumerated() where fen != 0 { map[programmes.string(Int32(programme))] = Money(fen: fen) }
            return map
        }
        var value = BudgetLine()
        value.appropriated = Money(fen: line.appropriated)
        value.transferredIn = Money(fen: line.transferredIn)
        value.transferredOut = Money(fen: line.transferredOut)
        value.recovered = Money(fen: line.recovered)
        value.paidByProgramme = amounts(line.paid)
        value.recoveredByProgramme = amounts(line.recoveredBy)
        let key = BudgetLineKey(fund: funds.string(line.fund), region: regions.string(line.region), fiscalYear: line.fiscalYear)
        return (key, value.isEmpty ? nil : value)
    }

    /// Person entry `index`: nil once no live grant or recovery is left on it.
    func personEntry(_ index: Int) -> (key: Balances.PersonProgrammeKey, value: PersonProgramme?) {
        let entry = holders.personEntries[index]
        let key = Balances.PersonProgrammeKey(person: holders.people.string(entry.person), programme: programmes.string(entry.programme))
        guard personPresent(index) else { return (key, nil) }
        var value = PersonProgramme()
        value.granted = Money(fen: entry.granted)
        value.recovered = Money(fen: entry.recovered)
        value.grants = entry.grants
        value.monthCoverage = entry.months
        value.approvals = entry.approvals
        return (key, value)
    }

    func enterpriseEntry(_ index: Int) -> (key: Balances.EnterpriseProgrammeKey, value: EnterpriseProgramme?) {
        let entry = holders.enterpriseEntries[index]
        let key = Balances.EnterpriseProgrammeKey(enterprise: holders.enterprises.string(entry.enterprise), programme: programmes.string(entry.programme))
        guard enterprisePresent(index) else { return (key, nil) }
        var value = EnterpriseProgramme()
        value.granted = Money(fen: entry.granted)
        value.recovered = Money(fen: entry.recovered)
        value.grants = entry.grants
        return (key, value)
    }

    func loanEntry(_ index: Int) -> (key: String, value: LoanBalance?) {
        let loan = loans[index]
        let key = loanNames.string(Int32(index))
        guard loan.present else { return (key, nil) }
        let borrower = (loan.borrowerIsPerson ? "person:" : "enterprise:") + borrowers.string(loan.borrower)
        var value = LoanBalance(borrower: borrower, category: Vocabulary.loanCategory.name(of: loan.category) ?? String(loan.category),
                                region: regions.string(loan.region), issued: loan.issued)
        value.principal = Money(fen: loan.principal)
        value.repaid = Money(fen: loan.repaid)
        value.discounted = Money(fen: loan.discounted)
        value.compensated = Money(fen: loan.compensated)
        value.recovered = Money(fen: loan.recovered)
        value.writtenOff = Money(fen: loan.writtenOff)
        value.defaults = loan.defaults
        return (key, value)
    }

    /// The same state as a ``Balances``: lines, entries and programme
    /// amounts brought back to zero are left out, as ``Balances`` drops them.
    public func materialize() -> Balances {
        precondition(pendingHolders.changes.isEmpty, "the holders' changes are folded before the state is read")
        var balances = Balances(tables: tables)
        balances.lines.reserveCapacity(lines.count)
        for index in lines.indices {
            let (key, value) = lineEntry(index)
            if let value { balances.lines[key] = value }
        }
        balances.people.reserveCapacity(holders.personEntries.count)
        for index in holders.personEntries.indices {
            let (key, value) = personEntry(index)
            if let value { balances.people[key] = value }
        }
        for index in holders.enterpriseEntries.indices {
            let (key, value) = enterpriseEntry(index)
            if let value { balances.enterprises[key] = value }
        }
        balances.loans.reserveCapacity(loans.count)
        for index in loans.indices {
            let (key, value) = loanEntry(index)
            if let value { balances.loans[key] = value }
        }
        return balances
    }

    /// Calls `body` with every entry of the state as stored (table, key,
    /// value), in canonical order: what ``StateCodec/entries(_:)`` gives for
    /// ``materialize()``, byte for byte, written straight from the flat
    /// arrays with no `String` or dictionary per entry. With `packed`,
    /// person values are in their packed form (a snapshot's).
    public mutating func forEachEntry(packed: Bool = false,
                                      _ body: (StateCodec.Table, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        precondition(pendingHolders.changes.isEmpty, "the holders' changes are folded before the state is read")
        var key = ByteWriter(capacity: 160)
        var value = ByteWriter(capacity: 1024)
        func emit(_ table: StateCodec.Table) throws {
            try key.bytes.withUnsafeBytes { k in try value.bytes.withUnsafeBytes { v in try body(table, k, v) } }
            key.bytes.removeAll(keepingCapacity: true)
            value.bytes.removeAll(keepingCapacity: true)
        }
        // Budget lines are few: through their Balances form.
        var lineEntries: [([UInt8], [UInt8])] = []
        for index in lines.indices {
            let (lineKey, line) = lineEntry(index)
            if let line { lineEntries.append((StateCodec.key(lineKey), StateCodec.value(line))) }
        }
        for (k, v) in lineEntries.sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) {
            key.raw(k)
            value.raw(v)
            try emit(.lines)
        }
        for e in personOrder(holders.personEntries.indices.filter(personPresent)) {
            personKey(e, into: &key)
            personValue(e, packed: packed, into: &value)
            try emit(.people)
        }
        for e in enterpriseOrder(holders.enterpriseEntries.indices.filter(enterprisePresent)) {
            enterpriseKey(e, into: &key)
            enterpriseValue(e, into: &value)
            try emit(.enterprises)
        }
        for index in loanNames.sortedOrder() where loans[Int(index)].present {
            loanNames.withBytes(index) { key.raw($0) }
            loanValue(loans[Int(index)], into: &value)
            try emit(.loans)
        }
    }

    // The stored form of one entry, as ``StateCodec`` writes it for the
    // ``Balances`` form (docs/FORMAT.md), from the flat arrays.

    /// An entry's index with its place in canonical order.
    struct RankedEntry {
        var rank: UInt64
        var index: Int32
    }

    /// Entry indexes in canonical order: a key `name ‖ 0 ‖ programme` sorts
    /// as (name, programme) byte-wise (0 is below every identifier byte), so
    /// by the name's rank, then the programme's. Each index is sorted beside
    /// its packed ranks, and the entries are then read in order without a
    /// hash look-up each.
    static func canonicalOrder(_ indices: [Int], nameRank: [Int32], programmeRank: [Int32],
                               name: (Int) -> Int32, programme: (Int) -> Int32) -> [Int] {
        var order = indices.map { e in
            RankedEntry(rank: UInt64(nameRank[Int(name(e))]) << 32 | UInt64(programmeRank[Int(programme(e))]), index: Int32(e))
        }
        order.sort { $0.rank < $1.rank }
        return order.map { Int($0.index) }
    }

    mutating func personOrder(_ indices: [Int]) -> [Int] {
        Self.canonicalOrder(indices, nameRank: Self.ranks(holders.people.sortedOrder()), programmeRank: Self.ranks(programmes.sortedOrder()),
                            name: { holders.personEntries[$0].person }, programme: { holders.personEntries[$0].programme })
    }

    mutating func enterpriseOrder(_ indices: [Int]) -> [Int] {
        Self.canonicalOrder(indices, nameRank: Self.ranks(holders.enterprises.sortedOrder()), programmeRank: Self.ranks(programmes.sortedOrder()),
                            name: { holders.enterpriseEntries[$0].enterprise }, programme: { holders.enterpriseEntries[$0].programme })
    }

    /// Whether an entry is in the state: a live grant or a recovery is left on it.
    func personPresent(_ e: Int) -> Bool { holders.personEntries[e].grants != 0 || holders.personEntries[e].recovered != 0 }
    func enterprisePresent(_ e: Int) -> Bool { holders.enterpriseEntries[e].grants != 0 || holders.enterpriseEntries[e].recovered != 0 }

    // Entries are read where they lie (by index): a `PersonEntry` copied
    // out would retain and release its month and approval sets.

    /// `person ‖ 0 ‖ programme`.
    func personKey(_ e: Int, into key: inout ByteWriter) {
        holders.people.withBytes(holders.personEntries[e].person) { key.raw($0) }
        key.u8(0)
        programmes.withBytes(holders.personEntries[e].programme) { key.raw($0) }
    }

    func personValue(_ e: Int, packed: Bool, into value: inout ByteWriter) {
        holders.personEntries.withUnsafeBufferPointer { all in
            let entry = UnsafePointer(all.baseAddress! + e)
            if packed {
                StateCodec.appendPackedPerson(granted: entry.pointee.granted, recovered: entry.pointee.recovered, grants: entry.pointee.grants,
                                              months: entry.pointee.months, approvals: entry.pointee.approvals, to: &value)
                return
            }
            let months = entry.pointee.months.count, approvals = entry.pointee.approvals.count
            value.write(count: 28 + 8 * (months + approvals)) { out in
                out.i64(entry.pointee.granted); out.i64(entry.pointee.recovered); out.u32(UInt32(entry.pointee.grants))
                out.u32(UInt32(months))
                entry.pointee.months.withHeld { held in
                    for month in held { out.i32(month.value.index); out.u32(month.count) }
                }
                out.u32(UInt32(approvals))
                entry.pointee.approvals.withHeld { held in
                    for day in held { out.i32(day.value.dayNumber); out.u32(day.count) }
                }
            }
        }
    }

    /// `enterprise ‖ 0 ‖ programme`.
    func enterpriseKey(_ e: Int, into key: inout ByteWriter) {
        holders.enterprises.withBytes(holders.enterpriseEntries[e].enterprise) { key.raw($0) }
        key.u8(0)
        programmes.withBytes(holders.enterpriseEntries[e].programme) { key.raw($0) }
    }

    func enterpriseValue(_ e: Int, into value: inout ByteWriter) {
        value.i64(holders.enterpriseEntries[e].granted); value.i64(holders.enterpriseEntries[e].recovered); value.u32(UInt32(holders.enterpriseEntries[e].grants))
    }

    func loanValue(_ loan: Loan, into value: inout ByteWriter) {
        let prefix = loan.borrowerIsPerson ? "person:" : "enterprise:"
        borrowers.withBytes(loan.borrower) { name in
            value.u8(UInt8(prefix.utf8.count + name.count))
            value.raw(prefix.utf8)
            value.raw(name)
        }
        value.string8(Vocabulary.loanCategory.name(of: loan.category) ?? String(loan.category))
        regions.withBytes(loan.region) { region in
            value.u8(UInt8(region.count))
            value.raw(region)
        }
        value.i32(loan.issued.dayNumber)
        for amount in [loan.principal, loan.repaid, loan.discounted, loan.compensated, loan.recovered, loan.writtenOff] { value.i64(amount) }
        value.u32(UInt32(loan.defaults))
    }

    /// Appends the canonical bytes of the state to `w`
    /// (``StateCodec/canonicalBytes(_:)`` of ``materialize()``, written
    /// straight from the flat arrays).
    public mutating func writeCanonicalBytes(into w: inout ByteWriter) {
        forEachEntry { table, key, value in StateCodec.append(table, key: key, value: value, to: &w) }
    }

    /// Appends the bytes of a packed whole snapshot after its kind byte:
    /// the canonical bytes with person values packed.
    public mutating func writePackedBytes(into w: inout ByteWriter) {
        forEachEntry(packed: true) { table, key, value in StateCodec.append(table, key: key, value: value, to: &w) }
    }

    /// rank[number] = its place in `order`.
    static func ranks(_ order: [Int32]) -> [Int32] {
        var rank = [Int32](repeating: 0, count: order.count)
        for (place, number) in order.enumerated() { rank[Int(number)] = Int32(place) }
        return rank
    }

    /// Forgets the changes since the last ``forEachChange(_:)`` without
    /// writing them (the state was written whole instead).
    public mutating func forgetChanges() {
        for index in changedLines { lineChanged[Int(index)] = false }
        for index in changedLoans { loanChanged[Int(index)] = false }
        changedLines = []
        changedLoans = []
        holders.forgetChanges()
    }

    /// Calls `body` with each entry changed since the last call (or since
    /// the start): its table, its key as stored, and its stored value, or nil
    /// where the entry is gone; in canonical order (table, then key bytes).
    /// Then forgets the changes. Written straight from the flat arrays, as
    /// ``forEachEntry(packed:_:)`` writes the whole state; with `packed`,
    /// person values in their packed form.
    public mutating func forEachChange(packed: Bool = false,
                                       _ body: (StateCodec.Table, UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Void) rethrows {
        precondition(pendingHolders.changes.isEmpty, "the holders' changes are folded before the state is read")
        var key = ByteWriter(capacity: 160)
        var value = ByteWriter(capacity: 1024)
        func emit(_ table: StateCodec.Table, present: Bool) throws {
            try key.bytes.withUnsafeBytes { k in
                if present {
                    try value.bytes.withUnsafeBytes { v in try body(table, k, v) }
                } else {
                    try body(table, k, nil)
                }
            }
            key.bytes.removeAll(keepingCapacity: true)
            value.bytes.removeAll(keepingCapacity: true)
        }
        // Budget lines are few: through their Balances form.
        var lineChanges: [([UInt8], [UInt8]?)] = changedLines.map { index in
            let (lineKey, line) = lineEntry(Int(index))
            return (StateCodec.key(lineKey), line.map(StateCodec.value))
        }
        lineChanges.sort { $0.0.lexicographicallyPrecedes($1.0) }
        for (k, v) in lineChanges {
            key.raw(k)
            if let v { value.raw(v) }
            try emit(.lines, present: v != nil)
        }
        _ = try forEachHolderChange(packed: packed) { table, key, value in
            try body(table, key, value)
            return true
        }
        if !changedLoans.isEmpty {
            let loanRank = Self.ranks(loanNames.sortedOrder())
            for index in changedLoans.sorted(by: { loanRank[Int($0)] < loanRank[Int($1)] }) {
                let loan = loans[Int(index)]
                loanNames.withBytes(index) { key.raw($0) }
                if loan.present { loanValue(loan, into: &value) }
                try emit(.loans, present: loan.present)
            }
        }
        forgetChanges()
    }

    /// The people and enterprises part of ``forEachChange(packed:_:)``: each
    /// entry changed since the changes were last forgotten, in canonical
    /// order, handed to `body` until it returns false. Returns whether every
    /// one was handed over. Forgets nothing.
    mutating func forEachHolderChange(packed: Bool,
                                      _ body: (StateCodec.Table, UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> Bool) rethrows -> Bool {
        var key = ByteWriter(capacity: 160)
        var value = ByteWriter(capacity: 1024)
        func give(_ table: StateCodec.Table, present: Bool) throws -> Bool {
            defer {
                key.bytes.removeAll(keepingCapacity: true)
                value.bytes.removeAll(keepingCapacity: true)
            }
            return try key.bytes.withUnsafeBytes { k in
                present ? try value.bytes.withUnsafeBytes { v in try body(table, k, v) } : try body(table, k, nil)
            }
        }
        for e in personOrder(holders.changedPeople.map { Int($0) }) {
            personKey(e, into: &key)
            let present = personPresent(e)
            if present { personValue(e, packed: packed, into: &value) }
            guard try give(.people, present: present) else { return false }
        }
        for e in enterpriseOrder(holders.changedEnterprises.map { Int($0) }) {
            enterpriseKey(e, into: &key)
            let present = enterprisePresent(e)
            if present { enterpriseValue(e, into: &value) }
            guard try give(.enterprises, present: present) else { return false }
        }
        return true
    }

    /// Appends the people and enterprise items of a packed delta snapshot
    /// (what ``forEachChange(packed:_:)`` gives for them, each as
    /// ``StateCodec/appendDeltaItem(_:key:value:to:)`` writes it) while
    /// they take at most `limit` bytes. Returns whether they all fit; when
    /// they do not, it stops at the first item past the limit, and `w`
    /// holds a part the caller drops. Forgets nothing.
    ///
    /// A rebuild writes a delta only while the deltas since the last whole
    /// snapshot stay under a quarter of it: writing the delta against that
    /// limit decides and writes in one pass over the changed entries, and
    /// when the whole state wins (at province scale, nearly always) stops
    /// early, where weighing every entry first and then writing the winner
    /// read each changed entry twice.
    public mutating func writeHolderChanges(into w: inout ByteWriter, limit: Int) -> Bool {
        guard limit >= 0 else { return false }
        let start = w.bytes.count
        return forEachHolderChange(packed: true) { table, key, value in
            StateCodec.appendDeltaItem(table, key: key, value: value, to: &w)
            return w.bytes.count - start <= limit
        }
    }

    /// Double entry over the live events: each budget line's account equals
    /// its `available`. Returns the first line where they differ.
    public func budgetAccountMismatch() -> (line: BudgetLineKey, account: Money, available: Money)? {
        for line in lines {
            let paid = line.paid.reduce(0, &+)
            let available = line.appropriated &+ line.transferredIn &- line.transferredOut &- paid &+ line.recovered
            if available != line.account {
                return (BudgetLineKey(fund: funds.string(line.fund), region: regions.string(line.region), fiscalYear: line.fiscalYear),
                        Money(fen: line.account), Money(fen: available))
            }
        }
        return nil
    }
}
