import LedgerCore

/// The events an audit reads, reduced as they arrive to fixed-size facts
/// (no references, nothing to retain) and interned names.
///
/// Give it the live events of a view one at a time, in any order: the
/// business-date order is worked out from their dates and sequence numbers
/// when the audit runs. It keeps about 75 bytes an event, so a caller that
/// reads the log as a stream never needs the decoded events in memory at
/// once. A reversal may be given too: its target is then left out, as in a
/// view that contains the reversal (docs/RULES.md).
public struct AuditInput: Sendable {
    var facts: [Fact] = []
    var ids = TextArena()
    var seqs: [UInt64] = []
    var people = Names()
    var enterprises = Names()
    var loans = Names()
    var programmes = Names()
    var funds = Names()
    /// Regions of loans (`loan.issued`'s `region`), interned.
    var regions = Names()
    /// Loan id → its region in `regions` (-1 until its issue is seen).
    var loanRegions: [Int32] = []
    /// Budget lines by a packed key (fund, year, region as a number), so a
    /// line is found without hashing strings.
    var lineIndex: [Int64: Int32] = [:]
    var lines: [BudgetLine] = []
    /// Grant ids in the order the grants came; a grant fact's `key` is its
    /// place here. Grants are not interned (each is named once): the few
    /// recoveries find theirs when the audit starts.
    var grantNames = TextArena()
    /// Recoveries waiting for their grant's line: (fact index, grant id).
    var recoveries: [(fact: Int32, grant: String)] = []
    /// Ids of events reversed by a reversal given here.
    var reversedIDs = Set<String>()
    /// The first event naming each programme, for an unknown-programme error.
    var programmeFirstUse: [Int32] = []
    var sequenceOrdered = true

    public init() {}

    /// The facts of `events`, gathered in their order.
    public init(_ events: [AuditedEvent]) {
        reserveCapacity(events.count)
        for event in events { add(seq: event.seq, event: event.event) }
    }

    /// The number of facts kept (reversals are not facts).
    public var count: Int { facts.count }

    public mutating func reserveCapacity(_ events: Int) {
        facts.reserveCapacity(events)
        ids.reserveCapacity(events)
        seqs.reserveCapacity(events)
    }

    /// Adds one event of the view. The event is laid out as its stored
    /// record and read like one, so the facts come from one reading of the
    /// fields whichever way the events arrive.
    public mutating func add(seq: UInt64, event: Event) {
        var writer = ByteWriter(capacity: EventCodec.hashBytes + EventCodec.contentOffset + 160)
        writer.raw(repeatElement(0, count: EventCodec.hashBytes))
        EventCodec.writeHeader(seq: seq, recordedMicros: 0, into: &writer)
        EventCodec.encodeContent(event, into: &writer)
        writer.bytes.withUnsafeBytes { bytes in
            guard let record = try? EventRecordView(record: bytes) else {
                preconditionFailure("event \(event.id) does not read back from its own encoding")
            }
            add(seq: seq, record: record)
        }
    }

    /// Adds one event of the view, read in place from its stored record.
    public mutating func add(seq: UInt64, record: EventRecordView) {
        var fact = Fact(day: record.effective.dayNumber, type: record.type)
        switch record.type {
        case .personRegistered:
            fact.key = people.intern(record.bytes(.person))
            fact.first = record.date(.birthDate).dayNumber
            // Without a retirement group: male for M, female worker for F.
            fact.code = record.has(.retirementGroup) ? record.code(.retirementGroup)
                : (Vocabulary.sex.name(of: record.code(.sex)) == "F" ? 1 : 0)
        case .personCertified:
            fact.key = people.intern(record.bytes(.person))
            fact.code = record.code(.kind)
            fact.first = record.has(.graduationDate) ? record.date(.graduationDate).dayNumber : Fact.noDate
            fact.last = record.has(.validUntil) ? record.date(.validUntil).dayNumber : Fact.noDate
        case .enterpriseRegistered:
            fact.key = enterprises.intern(record.bytes(.enterprise))
            fact.code = record.code(.size)
        case .fundAppropriated:
            fact.line = line(record, region: .region)
            fact.amount = record.fen(.amount)
        case .fundTransferred:
            fact.line = line(record, region: .fromRegion)
            fact.first = line(record, region: .toRegion)
            fact.amount = record.fen(.amount)
        case .subsidyGranted:
            fact.key = Int32(grantNames.count)
            grantNames.append(record.bytes(.grant))
            fact.person = record.has(.person) ? people.intern(record.bytes(.person)) : Fact.none
            fact.enterprise = record.has(.enterprise) ? enterprises.intern(record.bytes(.enterprise)) : Fact.none
            let programme = programmes.intern(record.bytes(.program))
            if Int(programme) == programmeFirstUse.count { programmeFirstUse.append(Int32(facts.count)) }
            fact.extra = programme
            fact.line = line(record, region: .region)
            fact.amount = record.fen(.amount)
            if let span = MonthSpan.of(record) {
                fact.code = 1
                fact.first = span.first
                fact.last = span.last
            }
        case .subsidyRecovered:
            recoveries.append((Int32(facts.count), record.string(.grant)!))
            fact.amount = record.fen(.amount)
        case .loanIssued:
            fact.key = loans.intern(record.bytes(.loan))
            fact.person = record.has(.person) ? people.intern(record.bytes(.person)) : Fact.none
            fact.enterprise = record.has(.enterprise) ? enterprises.intern(record.bytes(.enterprise)) : Fact.none
            while loanRegions.count <= Int(fact.key) { loanRegions.append(Fact.none) }
            loanRegions[Int(fact.key)] = regions.intern(record.bytes(.region))
            fact.code = record.code(.category)
            fact.amount = record.fen(.principal)
            fact.first = record.date(.maturity).dayNumber
            fact.last = Int32(truncatingIfNeeded: record.integer(.rateBp))
            fact.extra = Int32(truncatingIfNeeded: record.integer(.benchmarkBp))
        case .loanInterestDiscounted:
            fact.key = loans.intern(record.bytes(.loan))
            fact.line = line(record, region: .region)
            fact.amount = record.fen(.amount)
            fact.first = record.date(.periodStart).dayNumber
            fact.last = record.date(.periodEnd).dayNumber
        case .loanRepaid:
            fact.key = loans.intern(record.bytes(.loan))
            fact.amount = record.fen(.principal)
        case .loanDefaulted:
            fact.key = loans.intern(record.bytes(.loan))
        case .guaranteeCompensated, .guaranteeRecovered:
            fact.key = loans.intern(record.bytes(.loan))
            fact.line = line(record, region: .region)
            fact.amount = record.fen(.amount)
        case .guaranteeWrittenOff:
            fact.key = loans.intern(record.bytes(.loan))
            fact.amount = record.fen(.amount)
        case .entryReversed:
            reversedIDs.insert(record.string(.target)!)
            return
        }
        if let last = seqs.last, last >= seq { sequenceOrdered = false }
        facts.append(fact)
        ids.append(record.id)
        seqs.append(seq)
    }

    /// The budget line a stored record names, interned.
    mutating func line(_ record: EventRecordView, region field: Field) -> Int32 {
        let year = record.integer(.fiscalYear)
        // Regions are six ASCII digits and years 1990–2100 (input format).
        var regionNumber: Int64 = 0
        for byte in record.bytes(field) { regionNumber = regionNumber * 10 + Int64(byte &- 0x30) }
        let fund = funds.intern(record.bytes(.fund))
        let key = Int64(fund) << 32 | (year & 0xFFF) << 20 | regionNumber
        if let found = lineIndex[key] { return found }
        let id = Int32(lines.count)
        lineIndex[key] = id
        lines.append(BudgetLine(fund: funds[fund], region: record.string(field)!, fiscalYear: year))
        return id
    }

    /// Resolves recoveries to the line of the grant they take back from.
    /// The audit does it when it starts; a caller whose input serves more
    /// than one audit or warning pass calls it once all events are added,
    /// so that the passes share the facts rather than each copying them
    /// (at ten million events, half a gigabyte) to resolve them.
    public mutating func resolveRecoveries() {
        guard !recoveries.isEmpty else { return }
        let wanted = Set(recoveries.map(\.grant))
        var lineOfGrant: [String: Int32] = [:]
        for index in facts.indices where facts[index].type == .subsidyGranted {
            let name = grantNames[Int(facts[index].key)]
            if wanted.contains(name) { lineOfGrant[name] = facts[index].line }
        }
        for recovery in recoveries {
            facts[Int(recovery.fact)].line = lineOfGrant[recovery.grant] ?? Fact.none
        }
        recoveries = []
    }
}

/// One event as the rules read it: 44 bytes, no references. What each slot
/// holds depends on the type (the accessors below name them).
struct Fact: Sendable {
    /// The effective date, days since 1970-01-01.
    var day: Int32
    var type: EventType
    /// person.registered: retirement group (0 male, 1 female worker, 2 female
    /// cadre); certified: kind; enterprise: size; loan: category; grant: 1
    /// when it covers months.
    var code: UInt8 = 0
    /// The entity: person, enterprise, grant or loan id.
    var key: Int32 = Fact.none
    /// Grants: the covered person; loans: the borrowing person.
    var person: Int32 = Fact.none
    /// Grants: the paying enterprise; loans: the borrowing enterprise.
    var enterprise: Int32 = Fact.none
    /// Money events: the budget line (transfers: the sending line;
    /// subsidy recoveries: the recovered grant's line).
    var line: Int32 = Fact.none
    /// Birth date, graduation date, first covered month, first discounted
    /// day, maturity, or the receiving line of a transfer.
    var first: Int32 = Fact.none
    /// validUntil, last covered month, last discounted day, or the rate (bp).
    var last: Int32 = Fact.none
    /// Grants: the programme; loans: the benchmark rate (bp).
    var extra: Int32 = Fact.none
    /// Amount or principal, fen, in two halves: with nothing wider than
    /// four bytes a fact takes 44 bytes, not 48 (40 MB at ten million
    /// events, on the way to the audit's peak).
    private var amountLow: UInt32 = 0
    private var amountHigh: Int32 = 0

    var amount: Int64 {
        get { Int64(amountHigh) << 32 | Int64(amountLow) }
        set {
            amountLow = UInt32(truncatingIfNeeded: newValue)
            amountHigh = Int32(truncatingIfNeeded: newValue >> 32)
        }
    }

    static let none: Int32 = -1
    /// An absent date (graduation, validUntil).
    static let noDate = Int32.min

    init(day: Int32, type: EventType) {
        self.day = day
        self.type = type
    }

    var date: CalendarDate { CalendarDate(dayNumber: day) }
    var money: Money { Money(fen: amount) }

    // person.registered
    var birth: CalendarDate { CalendarDate(dayNumber: first) }

    // person.certified
    var graduation: CalendarDate? { first == Fact.noDate ? nil : CalendarDate(dayNumber: first) }
    var validUntil: CalendarDate? { last == Fact.noDate ? nil : CalendarDate(dayNumber: last) }

    // subsidy.granted
    var programme: Int32 { extra }
    var months: MonthSpan? { code == 1 ? MonthSpan(first: first, last: last) : nil }

    // loan.issued
    var maturity: CalendarDate { CalendarDate(dayNumber: first) }
    var rateBp: Int64 { Int64(last) }
    var benchmarkBp: Int64 { Int64(extra) }
    /// `person:P` or `enterprise:E` as a borrower key: persons even, enterprises odd.
    var borrowerKey: Int64 { person != Fact.none ? Int64(person) * 2 : Int64(enterprise) * 2 + 1 }

    // loan.interestDiscounted
    var periodStart: CalendarDate { CalendarDate(dayNumber: first) }
    var periodEnd: CalendarDate { CalendarDate(dayNumber: last) }

    // fund.transferred
    var toLine: Int32 { first }
}

/// A budget line: one fund, in one region, for one fiscal year.
struct BudgetLine: Hashable, Sendable {
    var fund: String
    var region: String
    var fiscalYear: Int64

    /// `fund:F/R/Y`.
    var subject: String { Streams.budgetLine(fund: fund, region: region, fiscalYear: fiscalYear) }
    /// `F/R/Y`.
    var name: String { "\(fund)/\(region)/\(fiscalYear)" }
}

/// Names interned as dense integers, in order of first appearance, held as
/// bytes in one arena (no `String` per name until one is asked for).
struct Names: Sendable {
    private var interner = ByteInterner()

    mutating func intern(_ name: String) -> Int32 { interner.intern(name) }
    mutating func intern(_ bytes: UnsafeRawBufferPointer) -> Int32 { interner.intern(bytes) }

    func id(of name: String) -> Int32? {
        var copy = name
        return copy.withUTF8 { interner.find(UnsafeRawBufferPointer($0)) }
    }

    /// Every name, in order of first appearance.
    var names: [String] { (0..<interner.count).map { interner.string(Int32($0)) } }

    subscript(id: Int32) -> String { interner.string(id) }

    var count: Int { interner.count }
}

/// Strings kept end to end in one byte array, each found by where it ends:
/// a ten-byte id takes 14 bytes (its bytes and a 4-byte end), where a
/// `String` takes 16, and one over 15 bytes a heap object besides. The
/// audit holds one per event (ids) and one per grant (names): at ten
/// million events, tens of megabytes on the way to its peak. Read as a
/// collection of `String`s.
struct TextArena: RandomAccessCollection, Sendable {
    private var bytes: [UInt8] = []
    private var ends: [UInt32] = []

    var startIndex: Int { 0 }
    var endIndex: Int { ends.count }

    subscript(position: Int) -> String {
        withUTF8(position) { String(decoding: $0, as: UTF8.self) }
    }

    mutating func append(_ text: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: text.assumingMemoryBound(to: UInt8.self))
        precondition(bytes.count <= Int(UInt32.max), "more than 4 GiB of text")
        ends.append(UInt32(bytes.count))
    }

    mutating func reserveCapacity(_ count: Int) { ends.reserveCapacity(count) }

    /// Calls `body` with the bytes of string `position`, where they lie.
    func withUTF8<R>(_ position: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = position == 0 ? 0 : Int(ends[position - 1]), end = Int(ends[position])
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }
}
