import LedgerCore

/// The stored form of balances: every entry as (table, key, value) bytes.
///
/// Keys sort, byte by byte, in the canonical order of the entries (a string
/// followed by another part of the key ends in 0x00, which no identifier
/// contains; the last part has no terminator), so a scan of a stored table
/// and a sort of an in-memory one give the same sequence. The canonical
/// bytes of a whole state — the tables in order, each entry as
/// `u8 table, u16 key length, key, u32 value length, value`, the key
/// without its table byte — are what snapshots hold and what the
/// projection digest hashes.
public enum StateCodec {
    public enum Table: UInt8, CaseIterable, Sendable {
        case lines = 1, people = 2, enterprises = 3, loans = 4
    }

    // MARK: Keys

    public static func key(_ line: BudgetLineKey) -> [UInt8] {
        var w = ByteWriter(capacity: 48)
        w.raw(line.fund.utf8); w.u8(0)
        w.raw(line.region.utf8); w.u8(0)
        w.u32(UInt32(line.fiscalYear))
        return w.bytes
    }

    public static func key(_ person: Balances.PersonProgrammeKey) -> [UInt8] {
        Array(person.person.utf8) + [0] + Array(person.programme.utf8)
    }

    public static func key(_ enterprise: Balances.EnterpriseProgrammeKey) -> [UInt8] {
        Array(enterprise.enterprise.utf8) + [0] + Array(enterprise.programme.utf8)
    }

    public static func key(loan: String) -> [UInt8] { Array(loan.utf8) }

    static func splitKey(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> (String, UnsafeRawBufferPointer) {
        guard let zero = bytes.firstIndex(of: 0) else { throw DecodingError(offset: 0, reason: "key without separator") }
        let head = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<zero]), as: UTF8.self)
        return (head, UnsafeRawBufferPointer(rebasing: bytes[(zero + 1)...]))
    }

    public static func lineKey(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> BudgetLineKey {
        let (fund, rest) = try splitKey(bytes)
        let (region, year) = try splitKey(rest)
        guard year.count == 4 else { throw DecodingError(offset: 0, reason: "budget line key without a year") }
        return BudgetLineKey(fund: fund, region: region, fiscalYear: Int64(UInt32(bigEndian: year.loadUnaligned(as: UInt32.self))))
    }

    public static func personKey(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> Balances.PersonProgrammeKey {
        let (person, programme) = try splitKey(bytes)
        return .init(person: person, programme: String(decoding: programme, as: UTF8.self))
    }

    public static func enterpriseKey(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> Balances.EnterpriseProgrammeKey {
        let (enterprise, programme) = try splitKey(bytes)
        return .init(enterprise: enterprise, programme: String(decoding: programme, as: UTF8.self))
    }

    // MARK: Values

    static func moneyMap(_ map: [String: Money], _ w: inout ByteWriter) {
        w.u16(UInt16(map.count))
        for key in map.keys.sorted() {
            w.string8(key)
            w.i64(map[key]!.fen)
        }
    }

    static func moneyMap(_ r: inout ByteReader) throws(DecodingError) -> [String: Money] {
        var map: [String: Money] = [:]
        for _ in 0..<Int(try r.u16()) {
            let key = try r.string8()
            map[key] = Money(fen: try r.i64())
        }
        return map
    }

    public static func value(_ line: BudgetLine) -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.i64(line.appropriated.fen); w.i64(line.transferredIn.fen); w.i64(line.transferredOut.fen); w.i64(line.recovered.fen)
        moneyMap(line.paidByProgramme, &w)
        moneyMap(line.recoveredByProgramme, &w)
        return w.bytes
    }

    public static func line(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> BudgetLine {
        var r = ByteReader(bytes)
        var line = BudgetLine()
        line.appropriated = Money(fen: try r.i64()); line.transferredIn = Money(fen: try r.i64())
        line.transferredOut = Money(fen: try r.i64()); line.recovered = Money(fen: try r.i64())
        line.paidByProgramme = try moneyMap(&r)
        line.recoveredByProgramme = try moneyMap(&r)
        return line
    }

    public static func value(_ entry: PersonProgramme) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.i64(entry.granted.fen); w.i64(entry.recovered.fen); w.u32(UInt32(entry.grants))
        w.u32(UInt32(entry.monthCoverage.count))
        for month in entry.monthCoverage.held { w.i32(month.value.index); w.u32(month.count) }
        w.u32(UInt32(entry.approvals.count))
        for day in entry.approvals.held { w.i32(day.value.dayNumber); w.u32(day.count) }
        return w.bytes
    }

    public static func person(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> PersonProgramme {
        var r = ByteReader(bytes)
        var entry = PersonProgramme()
        entry.granted = Money(fen: try r.i64()); entry.recovered = Money(fen: try r.i64()); entry.grants = Int(try r.u32())
        // Each pair takes 8 bytes: a count beyond what is left is refused by
        // the reads, never reserved.
        let monthCount = Int(try r.u32())
        var months: [CountedSet<YearMonth>.Held] = []
        months.reserveCapacity(min(monthCount, r.remaining / 8))
        for _ in 0..<monthCount { months.append(.init(value: YearMonth(index: try r.i32()), count: try r.u32())) }
        entry.monthCoverage = CountedSet(sorted: months)
        let dayCount = Int(try r.u32())
        var days: [CountedSet<CalendarDate>.Held] = []
        days.reserveCapacity(min(dayCount, r.remaining / 8))
        for _ in 0..<dayCount { days.append(.init(value: CalendarDate(dayNumber: try r.i32()), count: try r.u32())) }
        entry.approvals = CountedSet(sorted: days)
        return entry
    }

    public static func value(_ entry: EnterpriseProgramme) -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.i64(entry.granted.fen); w.i64(entry.recovered.fen); w.u32(UInt32(entry.grants))
        return w.bytes
    }

    public static func enterprise(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> EnterpriseProgramme {
        var r = ByteReader(bytes)
        var entry = EnterpriseProgramme()
        entry.granted = Money(fen: try r.i64()); entry.recovered = Money(fen: try r.i64()); entry.grants = Int(try r.u32())
        return entry
    }

    public static func value(_ loan: LoanBalance) -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.string8(loan.borrower); w.string8(loan.category); w.string8(loan.region); w.i32(loan.issued.dayNumber)
        for amount in [loan.principal, loan.repaid, loan.discounted, loan.compensated, loan.recovered, loan.writtenOff] { w.i64(amount.fen) }
        w.u32(UInt32(loan.defaults))
        return w.bytes
    }

    public static func loan(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> LoanBalance {
        var r = ByteReader(bytes)
        var loan = LoanBalance(borrower: try r.string8(), category: try r.string8(), region: try r.string8(),
                               issued: CalendarDate(dayNumber: try r.i32()))
        loan.principal = Money(fen: try r.i64()); loan.repaid = Money(fen: try r.i64()); loan.discounted = Money(fen: try r.i64())
        loan.compensated = Money(fen: try r.i64()); loan.recovered = Money(fen: try r.i64()); loan.writtenOff = Money(fen: try r.i64())
        loan.defaults = Int(try r.u32())
        return loan
    }

    // MARK: Whole states

    /// Every entry of `balances` as (table, key, value), in canonical order.
    public static func entries(_ balances: Balances) -> [(table: Table, key: [UInt8], value: [UInt8])] {
        var out: [(Table, [UInt8], [UInt8])] = []
        out.reserveCapacity(balances.lines.count + balances.people.count + balances.enterprises.count + balances.loans.count)
        func add(_ table: Table, _ pairs: [([UInt8], [UInt8])]) {
            for pair in pairs.sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) { out.append((table, pair.0, pair.1)) }
        }
        add(.lines, balances.lines.map { (key($0.key), value($0.value)) })
        add(.people, balances.people.map { (key($0.key), value($0.value)) })
        add(.enterprises, balances.enterprises.map { (key($0.key), value($0.value)) })
        add(.loans, balances.loans.map { (key(loan: $0.key), value($0.value)) })
        return out
    }

    /// Appends one entry's canonical bytes.
    public static func append(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to w: inout ByteWriter) {
        w.u8(table.rawValue)
        w.u16(UInt16(key.count))
        w.raw(key)
        w.u32(UInt32(value.count))
        w.raw(value)
    }

    /// The canonical bytes of a whole state.
    public static func canonicalBytes(_ balances: Balances) -> [UInt8] {
        canonicalBytes(entries: entries(balances))
    }

    /// The canonical bytes of entries already in canonical order.
    public static func canonicalBytes(entries: [(table: Table, key: [UInt8], value: [UInt8])]) -> [UInt8] {
        var w = ByteWriter(capacity: entries.reduce(0) { $0 + 7 + $1.key.count + $1.value.count })
        for entry in entries {
            entry.key.withUnsafeBytes { k in entry.value.withUnsafeBytes { v in append(entry.table, key: k, value: v, to: &w) } }
        }
        return w.bytes
    }

    /// Adds one stored entry to `balances`.
    /// A person value is read in its packed form when `packed`.
    public static func insert(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, packed: Bool = false,
                              into balances: inout Balances) throws(DecodingError) {
        switch table {
        case .lines: balances.lines[try lineKey(key)] = try line(value)
        case .people:
            guard balances.tables.contains(.people) else { return }
            balances.people[try personKey(key)] = packed ? try packedPerson(value) : try person(value)
        case .enterprises:
            guard balances.tables.contains(.enterprises) else { return }
            balances.enterprises[try enterpriseKey(key)] = try enterprise(value)
        case .loans: balances.loans[String(decoding: key, as: UTF8.self)] = try loan(value)
        }
    }

    /// Takes one stored entry out of `balances`.
    public static func remove(_ table: Table, key: UnsafeRawBufferPointer, from balances: inout Balances) throws(DecodingError) {
        switch table {
        case .lines: balances.lines[try lineKey(key)] = nil
        case .people:
            guard balances.tables.contains(.people) else { return }
            balances.people[try personKey(key)] = nil
        case .enterprises:
            guard balances.tables.contains(.enterprises) else { return }
            balances.enterprises[try enterpriseKey(key)] = nil
        case .loans: balances.loans[String(decoding: key, as: UTF8.self)] = nil
        }
    }

    // MARK: Snapshots

    /// The first byte of a stored snapshot: the whole state, or the entries
    /// that changed since the snapshot before it.
    ///
    /// Kinds 2 and 3 are 0 and 1 with every person × programme value in its
    /// packed form (``appendPackedPerson(_:to:)``); this version writes
    /// only those, and reads all four.
    public enum SnapshotKind: UInt8, Sendable {
        case full = 0
        case delta = 1
        case packedFull = 2
        case packedDelta = 3

        /// A whole state (else the changes since the snapshot before).
        public var isWhole: Bool { self == .full || self == .packedFull }
        /// Person values in their packed form.
        public var isPacked: Bool { self == .packedFull || self == .packedDelta }
    }

    /// The packed whole snapshot (kind 2) of `balances`.
    public static func packedSnapshot(_ balances: Balances) -> [UInt8] {
        do {
            return try ([SnapshotKind.full.rawValue] + canonicalBytes(balances)).withUnsafeBytes { try transcoded(snapshot: $0, packed: true) }
        } catch {
            preconditionFailure("canonical bytes this codec wrote do not read back: \(error)")
        }
    }

    /// The same snapshot with person values packed (kinds 2 and 3) or
    /// canonical (kinds 0 and 1); every other byte as it was.
    public static func transcoded(snapshot bytes: UnsafeRawBufferPointer, packed: Bool) throws(DecodingError) -> [UInt8] {
        let kind = try snapshotKind(bytes)
        guard kind.isPacked != packed else { return Array(bytes) }
        let to: SnapshotKind = kind.isWhole ? (packed ? .packedFull : .full) : (packed ? .packedDelta : .delta)
        var w = ByteWriter(capacity: packed ? bytes.count / 2 : bytes.count * 2)
        w.u8(to.rawValue)
        var r = ByteReader(bytes, offset: 1)
        var value = ByteWriter(capacity: 1024)
        while r.remaining > 0 {
            let code = try r.u8()
            guard let table = Table(rawValue: code) else { throw r.fail("unknown table \(code)") }
            let key = try r.slice(Int(try r.u16()))
            if !kind.isWhole {
                switch try r.u8() {
                case 0:
                    appendDeltaItem(table, key: key, value: nil, to: &w)
                    continue
                case 1: break
                case let flag: throw r.fail("presence flag \(flag) is neither 0 nor 1")
                }
            }
            let stored = try r.slice(Int(try r.u32()))
            value.bytes.removeAll(keepingCapacity: true)
            if table != .people {
                value.raw(stored)
            } else if packed {
                appendPackedPerson(try person(stored), to: &value)
            } else {
                value.raw(Self.value(try packedPerson(stored)))
            }
            value.bytes.withUnsafeBytes { v in
                if kind.isWhole { append(table, key: key, value: v, to: &w) } else { appendDeltaItem(table, key: key, value: v, to: &w) }
            }
        }
        return w.bytes
    }

    /// One item of a delta snapshot, which is the kind byte and then, for
    /// each changed entry in canonical order, `u8 table, u16 key length,
    /// key, u8 present` and, when present, `u32 value length, value` (an
    /// absent entry was removed).
    public static func appendDeltaItem(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, to w: inout ByteWriter) {
        w.u8(table.rawValue)
        w.u16(UInt16(key.count))
        w.raw(key)
        if let value {
            w.u8(1)
            w.u32(UInt32(value.count))
            w.raw(value)
        } else {
            w.u8(0)
        }
    }

    /// The kind of a stored snapshot.
    public static func snapshotKind(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> SnapshotKind {
        guard let first = bytes.first else { throw DecodingError(offset: 0, reason: "empty snapshot") }
        guard let kind = SnapshotKind(rawValue: first) else { throw DecodingError(offset: 0, reason: "unknown snapshot kind \(first)") }
        return kind
    }

    /// Applies a stored snapshot to `balances`: a full one replaces it, a
    /// delta changes the entries it names.
    public static func apply(snapshot bytes: UnsafeRawBufferPointer, to balances: inout Balances) throws(DecodingError) {
        let kind = try snapshotKind(bytes)
        if kind.isWhole {
            balances = try decode(UnsafeRawBufferPointer(rebasing: bytes[1...]), packed: kind.isPacked, tables: balances.tables)
            return
        }
        var r = ByteReader(bytes, offset: 1)
        while r.remaining > 0 {
            let code = try r.u8()
            guard let table = Table(rawValue: code) else { throw r.fail("unknown table \(code)") }
            let key = try r.slice(Int(try r.u16()))
            switch try r.u8() {
            case 0: try remove(table, key: key, from: &balances)
            case 1: try insert(table, key: key, value: try r.slice(Int(try r.u32())), packed: kind.isPacked, into: &balances)
            case let flag: throw r.fail("presence flag \(flag) is neither 0 nor 1")
            }
        }
    }

    /// Reads a whole state back from its canonical bytes, or from a packed
    /// snapshot's (person values packed): the entries of `tables` only.
    public static func decode(_ bytes: UnsafeRawBufferPointer, packed: Bool = false,
                              tables: Balances.Tables = .all) throws(DecodingError) -> Balances {
        var balances = Balances(tables: tables)
        // Count the entries of each table first (lengths only), so that no
        // dictionary grows by rehashing while a large state is read.
        var counts = [Int](repeating: 0, count: 5)
        var scan = ByteReader(bytes)
        while scan.remaining > 0 {
            let code = Int(try scan.u8())
            if code < counts.count { counts[code] += 1 }
            try scan.skip(Int(try scan.u16()))
            try scan.skip(Int(try scan.u32()))
        }
        balances.lines.reserveCapacity(counts[Int(Table.lines.rawValue)])
        if tables.contains(.people) { balances.people.reserveCapacity(counts[Int(Table.people.rawValue)]) }
        if tables.contains(.enterprises) { balances.enterprises.reserveCapacity(counts[Int(Table.enterprises.rawValue)]) }
        balances.loans.reserveCapacity(counts[Int(Table.loans.rawValue)])
        var r = ByteReader(bytes)
        while r.remaining > 0 {
            let code = try r.u8()
            guard let table = Table(rawValue: code) else { throw r.fail("unknown table \(code)") }
            let key = try r.slice(Int(try r.u16()))
            let value = try r.slice(Int(try r.u32()))
            try insert(table, key: key, value: value, packed: packed, into: &balances)
        }
        return balances
    }
}
