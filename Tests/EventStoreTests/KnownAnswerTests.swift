import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Testing

/// Known answers for the stored format (docs/FORMAT.md, ledger format 1):
/// the canonical bytes of three fixed events and their chain hashes.
///
/// The expected bytes below were written field by field from the tables of
/// docs/FORMAT.md ("Event records", "Type codes", "Field tags", kinds), not
/// by calling `EventCodec`: integers big-endian (packed with Python's
/// `struct.pack('>…')`), dates as days since 1970-01-01 and months as
/// `year × 12 + (month − 1)` (Python's `datetime.date`), strings as their
/// UTF-8 bytes behind a u8 (id, expect stream) or u16 (field values) length.
///
/// The expected hashes were computed independently with Python's hashlib:
///
///     prev = bytes(32)
///     for canonical in (event1, event2, event3):
///         prev = hashlib.sha256(prev + canonical).digest()
///         print(prev.hex())
///
/// If one of these tests fails, today's stored ledgers can no longer be read
/// or verified by the new code: the change broke format 1.
@Suite("Known answers: canonical bytes and chain hashes of format 1")
struct KnownAnswerTests {
    struct Case {
        var line: String
        var seq: UInt64
        var recordedMicros: Int64
        /// Canonical bytes as hex, one piece per field of FORMAT.md.
        var canonicalHex: [String]
        /// hash(seq) = SHA-256(hash(seq − 1) ‖ canonical), from Python's hashlib.
        var hashHex: String

        var canonical: [UInt8] { bytes(fromHex: canonicalHex.joined()) }
    }

    static let cases: [Case] = [
        Case(
            line: #"{"id":"k-1","type":"person.registered","effective":"2016-01-04","data":{"person":"P1","birthDate":"1960-02-29","sex":"M"}}"#,
            seq: 1, recordedMicros: 1_451_606_400_000_000, // 2016-01-01T00:00:00Z
            canonicalHex: [
                "01", // recordFormat 1
                "0000000000000001", // seq 1
                "0005283a73d36000", // recorded 1451606400000000 µs
                "0001", // schemaVersion 1
                "01", // type code 1 person.registered
                "000041a4", // effective 2016-01-04 = day 16804
                "03" + "6b2d31", // id "k-1" (u8 length 3)
                "00", // hasExpect 0
                "03", // fieldCount 3
                "01", "0002" + "5031", // tag 1 person: u16 length 2, "P1"
                "02", "fffff1f6", // tag 2 birthDate: 1960-02-29 = day −3594
                "03", "00", // tag 3 sex: M = 0
            ],
            hashHex: "1bf2c5bd7e5dd712f66a8cdb7e0f965eba3a229f9f06b40c252ad301389efe92"),
        Case(
            line: #"{"id":"k-2","type":"fund.appropriated","effective":"2016-01-05","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"1500.5","reference":"长财社〔2016〕3号"}}"#,
            seq: 2, recordedMicros: 1_451_606_400_000_000,
            canonicalHex: [
                "01", // recordFormat 1
                "0000000000000002", // seq 2
                "0005283a73d36000", // recorded 1451606400000000 µs
                "0001", // schemaVersion 1
                "04", // type code 4 fund.appropriated
                "000041a5", // effective 2016-01-05 = day 16805
                "03" + "6b2d32", // id "k-2"
                "00", // hasExpect 0
                "05", // fieldCount 5
                "0a", "0006" + "323230313032", // tag 10 region "220102"
                "0b", "0012" + "656d706c6f796d656e742d7370656369616c", // tag 11 fund "employment-special" (18 bytes)
                "0c", "00000000000007e0", // tag 12 fiscalYear 2016 (i64)
                "0d", "0000000000024a22", // tag 13 amount 1500.5 yuan = 150050 fen (i64)
                // tag 14 reference "长财社〔2016〕3号": 23 UTF-8 bytes
                "0e", "0017" + "e995bf" + "e8b4a2" + "e7a4be" + "e38094" + "32303136" + "e38095" + "33" + "e58fb7",
            ],
            hashHex: "dd6da38b277df022529f1586a58d1a73b9c1aea57e45fcff5107ecdd928eda43"),
        Case(
            line: #"{"id":"k-3","type":"subsidy.granted","effective":"2016-02-01","expect":{"stream":"grant:G1","version":0},"data":{"grant":"G1","program":"si-difficulty","person":"P1","periodStart":"2016-01","periodEnd":"2016-03","amount":"1500.5","fund":"employment-special","region":"220102","fiscalYear":2016,"approval":"A-1"}}"#,
            seq: 3, recordedMicros: 1_454_284_800_123_456, // 2016-02-01T00:00:00.123456Z
            canonicalHex: [
                "01", // recordFormat 1
                "0000000000000003", // seq 3
                "00052aaa10e9e240", // recorded 1454284800123456 µs
                "0001", // schemaVersion 1
                "06", // type code 6 subsidy.granted
                "000041c0", // effective 2016-02-01 = day 16832
                "03" + "6b2d33", // id "k-3"
                "01", "08" + "6772616e743a4731", "0000000000000000", // hasExpect 1: stream "grant:G1" (u8 length), version 0 (u64)
                "0a", // fieldCount 10
                "01", "0002" + "5031", // tag 1 person "P1"
                "0a", "0006" + "323230313032", // tag 10 region "220102"
                "0b", "0012" + "656d706c6f796d656e742d7370656369616c", // tag 11 fund "employment-special"
                "0c", "00000000000007e0", // tag 12 fiscalYear 2016
                "0d", "0000000000024a22", // tag 13 amount 150050 fen
                "11", "0002" + "4731", // tag 17 grant "G1"
                "12", "000d" + "73692d646966666963756c7479", // tag 18 program "si-difficulty" (13 bytes)
                "13", "00005e80" + "00", // tag 19 periodStart 2016-01 = month 24192, form 0 (month)
                "14", "00005e82" + "00", // tag 20 periodEnd 2016-03 = month 24194, form 0
                "15", "0003" + "412d31", // tag 21 approval "A-1"
            ],
            hashHex: "de003a19244e7976760b7395f1dc550994b25883afbb006f0e1ecdc78736004d"),
    ]

    @Test("EventParser + EventCodec give exactly the canonical bytes of FORMAT.md", arguments: 0..<3)
    func canonicalBytes(index: Int) throws {
        let known = Self.cases[index]
        let event = try EventParser().parse(known.line)
        let content = EventCodec.encodeContent(event)
        let canonical = EventCodec.canonicalBytes(seq: known.seq, recordedMicros: known.recordedMicros, content: content)
        #expect(HashChain.hex(canonical) == HashChain.hex(known.canonical), "event \(known.seq)")
        #expect(Array(canonical[EventCodec.contentOffset...]) == content)
    }

    @Test("HashChain links the known canonical bytes to the hashes hashlib computed")
    func chainHashes() throws {
        var previous = HashChain.genesis
        #expect(previous == [UInt8](repeating: 0, count: 32))
        for known in Self.cases {
            previous = HashChain.link(previous: previous, canonical: known.canonical)
            #expect(HashChain.hex(previous) == known.hashHex, "hash(\(known.seq))")
        }
    }

    @Test("a known record decodes back to the parsed event, hash and all")
    func decodeKnownRecord() throws {
        var previous = HashChain.genesis
        for known in Self.cases {
            let hash = bytes(fromHex: known.hashHex)
            let record = hash + known.canonical
            let stored = try record.withUnsafeBytes { try EventCodec.decode(record: $0) }
            #expect(stored.seq == known.seq)
            #expect(stored.recordedMicros == known.recordedMicros)
            #expect(stored.schemaVersion == 1)
            #expect(stored.hash == hash)
            #expect(stored.event == (try EventParser().parse(known.line)))
            #expect(HashChain.link(previous: previous, canonical: known.canonical) == hash)
            previous = hash
        }
    }

    /// The import path writes the same bytes: each stored record is its
    /// chain hash followed by the known canonical bytes, except for the
    /// recorded time, which is the import's wall clock.
    @Test("an import stores records of exactly the known layout")
    func importedRecords() throws {
        let dir = TemporaryDirectory()
        let file = dir.file("known.jsonl", Self.cases.map(\.line).joined(separator: "\n") + "\n")
        // The ledger is closed at the end of this block, before the raw read.
        let report = try {
            let ledger = try makeLedger(dir)
            return try ledger.importFiles([file]).get()
        }()
        #expect(report.headSeq == 3)
        let env = try Environment(path: dir.path + "/ledger", options: { var o = Environment.Options(); o.readOnly = true; return o }())
        let events = try env.openDatabase(named: "events", create: false)
        var previous = HashChain.genesis
        try env.read { txn in
            for known in Self.cases {
                let record = try #require(try txn.get(events, key: sequenceKey(known.seq)))
                var expected = known.canonical
                // recorded (offset 9, 8 bytes) is the import's clock: take the stored one.
                expected.replaceSubrange(9..<17, with: record[(32 + 9)..<(32 + 17)])
                #expect(HashChain.hex(record[32...]) == HashChain.hex(expected), "record \(known.seq)")
                let hash = HashChain.link(previous: previous, canonical: Array(record[32...]))
                #expect(Array(record[0..<32]) == hash, "stored hash of \(known.seq)")
                previous = hash
            }
        }
        #expect(report.headHash == previous)
    }
}

/// Bytes from an even number of lower-case hexadecimal digits; anything
/// else fails the test (not the whole runner) and gives no bytes.
func bytes(fromHex hex: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0, digits.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
        Issue.record("not an even number of lower-case hexadecimal digits: \(hex.prefix(80))", sourceLocation: sourceLocation)
        return []
    }
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}
