import LedgerCore
import LedgerTestSupport
import Projections
import Testing

/// Snapshots of kinds 2 and 3 hold person values packed: month runs and
/// approval-day gaps instead of eight bytes per month and per day. Reads
/// must give back exactly the figures the canonical value holds.
@Suite("Packed snapshots")
struct PackedSnapshotTests {
    /// A person value with random months (runs of random counts, some
    /// adjacent with different counts) and approval days (gaps from one day
    /// to millions, so every varint length occurs).
    static func randomPerson(_ random: inout SplitMix) -> PersonProgramme {
        var entry = PersonProgramme()
        entry.granted = Money(fen: Int64(random.below(1 << 40)) - (1 << 20))
        entry.recovered = Money(fen: Int64(random.below(1 << 30)))
        entry.grants = random.below(1000)
        var month = random.below(24_000)
        for _ in 0..<random.below(6) {
            month += random.below(3) == 0 ? 0 : 1 + random.below(30)
            let count = 1 + random.below(3)
            for offset in 0..<(1 + random.below(40)) where month + offset < 120_000 {
                entry.monthCoverage.add(YearMonth(index: Int32(month + offset)), count)
            }
            month += 40
        }
        var day = random.below(2_000_000) - 1_000_000
        for _ in 0..<random.below(40) {
            entry.approvals.add(CalendarDate(dayNumber: Int32(day)), 1 + random.below(4))
            day += 1 + [random.below(127), random.below(20_000), random.below(3_000_000)][random.below(3)]
        }
        return entry
    }

    static func packed(_ entry: PersonProgramme) -> [UInt8] {
        var w = ByteWriter()
        StateCodec.appendPackedPerson(entry, to: &w)
        return w.bytes
    }

    @Test("a packed person value reads back as the value it was written from, and as its canonical value does")
    func roundTrip() throws {
        var random = SplitMix(seed: 20261206)
        for _ in 0..<500 {
            let entry = Self.randomPerson(&random)
            let bytes = Self.packed(entry)
            #expect(bytes.count == StateCodec.packedPersonSize(months: entry.monthCoverage, approvals: entry.approvals))
            let back = try bytes.withUnsafeBytes { try StateCodec.packedPerson($0) }
            #expect(back == entry)
            let canonical = try StateCodec.value(entry).withUnsafeBytes { try StateCodec.person($0) }
            #expect(back == canonical)
        }
    }

    /// granted 0, recovered 0, grants 1, then what follows.
    static func value(_ tail: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + [0, 0, 0, 1] + tail
    }

    static func be32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: UInt32(bitPattern: value).bigEndian) { Array($0) }
    }

    static func runs(_ runs: [(Int32, Int32, Int32)], days: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
        value(be32(Int32(runs.count)) + runs.flatMap { be32($0.0) + be32($0.1) + be32($0.2) } + days)
    }

    @Test("a packed value a writer never writes is refused", arguments: [
        ("adjacent runs with the same count (not maximal)", runs([(100, 2, 1), (102, 1, 1)])),
        ("overlapping runs", runs([(100, 3, 1), (101, 1, 2)])),
        ("runs out of order", runs([(200, 1, 1), (100, 1, 1)])),
        ("an empty run", runs([(100, 0, 1)])),
        ("a run counted zero times", runs([(100, 1, 0)])),
        ("a run past year 9999", runs([(119_999, 2, 1)])),
        ("a day gap of zero", runs([], days: be32(2) + be32(17_000) + [1, 0, 1])),
        ("a day counted zero times", runs([], days: be32(1) + be32(17_000) + [0])),
        ("a number not in its shortest form", runs([], days: be32(1) + be32(17_000) + [0x81, 0x00])),
        ("a number past 32 bits", runs([], days: be32(1) + be32(17_000) + [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])),
        ("a byte after the value", runs([(100, 1, 1)]) + [0]),
        ("a value cut short", Array(runs([(100, 1, 1)]).dropLast())),
    ])
    func refusals(_ what: String, _ bytes: [UInt8]) {
        #expect(throws: DecodingError.self, "\(what)") { try bytes.withUnsafeBytes { try StateCodec.packedPerson($0) } }
    }

    @Test("the packed form of a valid value with adjacent runs of different counts and a one-byte gap reads back")
    func acceptedEdges() throws {
        let bytes = Self.runs([(100, 2, 1), (102, 1, 2)], days: Self.be32(2) + Self.be32(-5) + [1, 1, 3])
        let entry = try bytes.withUnsafeBytes { try StateCodec.packedPerson($0) }
        #expect(entry.monthCoverage.items.map(\.index) == [100, 101, 102])
        #expect(entry.monthCoverage.counts == [1, 1, 2])
        #expect(entry.approvals.items.map(\.dayNumber) == [-5, -4])
        #expect(entry.approvals.counts == [1, 3])
        #expect(Self.packed(entry) == bytes)
    }

    /// A person paid every month for three years, on top of the hand-worked history.
    static let monthlyHistory: [String] = history + (0..<36).map { index in
        let year = 2016 + index / 12, month = index % 12 + 1
        let period = "\(year)-" + (month < 10 ? "0" : "") + String(month)
        return #"{"id":"m\#(index)","type":"subsidy.granted","effective":"\#(period)-28","data":{"grant":"M\#(index)","program":"si-difficulty","person":"P9","periodStart":"\#(period)","periodEnd":"\#(period)","amount":"300","fund":"employment-special","region":"220102","fiscalYear":\#(year)}}"#
    }

    @Test("a packed whole snapshot gives the state the canonical one gives, in a quarter of the bytes for a person paid monthly; the compact fold writes the same bytes")
    func wholeSnapshot() throws {
        let balances = try fold(Self.monthlyHistory)
        let packed = StateCodec.packedSnapshot(balances)
        #expect(packed.first == StateCodec.SnapshotKind.packedFull.rawValue)
        var fromPacked = Balances()
        try packed.withUnsafeBytes { try StateCodec.apply(snapshot: $0, to: &fromPacked) }
        #expect(StateCodec.canonicalBytes(fromPacked) == StateCodec.canonicalBytes(balances))

        let canonical = StateCodec.canonicalBytes(balances)
        var fromCanonical = Balances()
        try ([StateCodec.SnapshotKind.full.rawValue] + canonical).withUnsafeBytes { try StateCodec.apply(snapshot: $0, to: &fromCanonical) }
        #expect(StateCodec.canonicalBytes(fromCanonical) == StateCodec.canonicalBytes(balances))
        #expect(packed.count < canonical.count, "packed \(packed.count) bytes, canonical \(canonical.count)")
        // The monthly person: one run of 36 months, 35 one-byte gaps.
        let monthly = try #require(balances.people[Balances.PersonProgrammeKey(person: "P9", programme: "si-difficulty")])
        #expect(Self.packed(monthly).count == 20 + 4 + 12 + 4 + (4 + 1) + 35 * 2)
        #expect(4 * Self.packed(monthly).count < StateCodec.value(monthly).count)

        // The rebuild's writer (from the flat arrays) and the import's (from
        // the canonical bytes) write one form.
        var compact = try CompactBalances(balances)
        var written = ByteWriter()
        compact.writePackedBytes(into: &written)
        #expect(written.bytes == Array(packed.dropFirst()))
        var canonicalWritten = ByteWriter()
        compact.writeCanonicalBytes(into: &canonicalWritten)
        #expect(canonicalWritten.bytes == canonical)
    }

    @Test("a packed delta changes, adds and removes the entries it names")
    func delta() throws {
        let before = try fold(Array(Self.monthlyHistory.prefix(history.count + 12)))
        let after = try fold(Self.monthlyHistory)
        let key = Balances.PersonProgrammeKey(person: "P9", programme: "si-difficulty")
        let removed = Balances.PersonProgrammeKey(person: "P2", programme: "si-graduate")
        var w = ByteWriter()
        w.u8(StateCodec.SnapshotKind.packedDelta.rawValue)
        var value = ByteWriter()
        StateCodec.appendPackedPerson(try #require(after.people[key]), to: &value)
        StateCodec.key(key).withUnsafeBytes { k in
            value.bytes.withUnsafeBytes { v in StateCodec.appendDeltaItem(.people, key: k, value: v, to: &w) }
        }
        StateCodec.key(removed).withUnsafeBytes { StateCodec.appendDeltaItem(.people, key: $0, value: nil, to: &w) }
        #expect(before.people[removed] != nil && before.people[key] != after.people[key])
        var state = before
        try w.bytes.withUnsafeBytes { try StateCodec.apply(snapshot: $0, to: &state) }
        #expect(state.people[key] == after.people[key])
        #expect(state.people[key]?.monthCoverage.count == 36)
        #expect(state.people[removed] == nil)
        #expect(state.lines == before.lines)
    }
}
