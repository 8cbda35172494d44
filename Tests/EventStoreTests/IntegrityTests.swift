import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Testing

@Suite("Integrity: the chain, growth and format checks")
struct IntegrityTests {
    /// Rewrites event `seq` of a closed ledger with one byte changed, as a
    /// tamperer with write access to the file would.
    func flipByte(ledgerPath: String, seq: UInt64, offset: Int) throws {
        let env = try Environment(path: ledgerPath)
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var record = try #require(try txn.get(events, key: sequenceKey(seq)))
            record[offset] ^= 0x01
            try txn.put(events, key: sequenceKey(seq), value: record)
        }
    }

    func importedLedger(_ dir: TemporaryDirectory) throws -> (seq: UInt64, hash: [UInt8]) {
        let ledger = try makeLedger(dir)
        let report = try ledger.importFiles([fixture("tests/every-type.jsonl")]).get()
        return (report.headSeq, report.headHash)
    }

    /// A ledger of 10,000 person registrations: more than two batches of
    /// the verifier's 4,096 records.
    func peopleLedger(_ dir: TemporaryDirectory) throws -> Ledger {
        let ledger = try makeLedger(dir)
        let lines = (1...10_000).map { n in
            #"{"id":"r-\#(n)","type":"person.registered","effective":"2016-01-04","data":{"person":"p-\#(n)","birthDate":"1990-05-01","sex":"F"}}"#
        }
        _ = try ledger.importFiles([dir.file("people.jsonl", lines.joined(separator: "\n"))]).get()
        return ledger
    }

    @Test("a flipped byte anywhere in a stored event makes verify fail at that seq",
          arguments: [(UInt64(1), 40), (UInt64(7), 5), (UInt64(12), 60), (UInt64(19), -1)])
    func tamper(seq: UInt64, offset: Int) throws {
        let dir = TemporaryDirectory()
        let head = try importedLedger(dir)
        let path = dir.path + "/ledger"
        // -1: the last byte of the record.
        let length = try Ledger.open(at: path).recordLength(seq: seq)
        try flipByte(ledgerPath: path, seq: seq, offset: offset < 0 ? length - 1 : offset)
        let report = try Ledger.open(at: path).verify()
        #expect(!report.ok)
        #expect(report.firstBadSeq == seq)
        #expect(report.headSeq == seq - 1)
        #expect(head.seq == 19)
    }

    @Test("a forged record whose chain was recomputed is caught by the decoding thread, past the first batch, with the head before it")
    func forgedAndRechained() throws {
        let dir = TemporaryDirectory()
        let ledger = try peopleLedger(dir)
        let before = try ledger.verify(upTo: 8_999)
        #expect(before.ok && before.headSeq == 8_999)
        // A tamperer who knows the chain rule: event 9000 gets a person id no
        // valid event can have, and every later hash is recomputed.
        let env = try Environment(path: dir.path + "/ledger")
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var previous = before.headHash
            for seq in UInt64(9_000)...10_000 {
                var record = try #require(try txn.get(events, key: sequenceKey(seq)))
                if seq == 9_000 {
                    let id = Array("p-9000".utf8)
                    let at = try #require((0...(record.count - id.count)).first { Array(record[$0..<$0 + id.count]) == id })
                    record[at + 1] = UInt8(ascii: "!")
                }
                let hash = HashChain.link(previous: previous, canonical: Array(record[32...]))
                record.replaceSubrange(0..<32, with: hash)
                try txn.put(events, key: sequenceKey(seq), value: record)
                previous = hash
            }
        }
        let report = try Ledger.open(at: dir.path + "/ledger").verify()
        #expect(!report.ok)
        #expect(report.firstBadSeq == 9_000)
        #expect(report.problem?.contains("breaks a rule") == true, "\(report.problem ?? "")")
        #expect(report.headSeq == 8_999)
        #expect(report.headHash == before.headHash)
    }

    @Test("a broken link is named at its record whichever batch of links it falls in, first, last or alone, with the head before it")
    func brokenLinkAcrossBatches() throws {
        let dir = TemporaryDirectory()
        let ledger = try peopleLedger(dir)
        let path = dir.path + "/ledger"
        let sound = try Ledger.open(at: path).verify()
        #expect(sound.ok && sound.headSeq == 10_000)
        // Links are checked 4,096 records at a time: the first and last of a
        // batch, the first of the next, and the last, partial batch.
        for seq in [UInt64(1), 4_096, 4_097, 8_192, 9_999, 10_000] {
            let before = try Ledger.open(at: path).verify(upTo: seq - 1)
            for (offset, check) in [(5, "stored hash"), (60, "")] {
                try flipByte(ledgerPath: path, seq: seq, offset: offset)
                let report = try Ledger.open(at: path).verify(expect: (10_000, sound.headHash))
                #expect(report.firstBadSeq == seq, "seq \(seq), byte \(offset)")
                #expect(report.headSeq == seq - 1 && report.headHash == (seq == 1 ? HashChain.genesis : before.headHash), "seq \(seq)")
                if !check.isEmpty { #expect(report.problem?.contains(check) == true, "\(report.problem ?? "")") }
                #expect(report.expectation?.matches == false && report.expectationBrokenAt == seq, "seq \(seq)")
                try flipByte(ledgerPath: path, seq: seq, offset: offset)
            }
        }
        // Two broken records: the first in log order is named.
        try flipByte(ledgerPath: path, seq: 6_000, offset: 60)
        try flipByte(ledgerPath: path, seq: 5_000, offset: 3)
        #expect(try Ledger.open(at: path).verify().firstBadSeq == 5_000)
    }

    @Test("--expect proves an earlier digest, and refuses a wrong one")
    func expectedDigest() throws {
        let dir = TemporaryDirectory()
        let head = try importedLedger(dir)
        let ledger = try Ledger.open(at: dir.path + "/ledger")
        let atFive = try ledger.verify(upTo: 5)
        #expect(atFive.headSeq == 5)
        let later = try ledger.verify(expect: (5, atFive.headHash))
        #expect(later.ok)
        #expect(later.headHash == head.hash)
        var wrong = atFive.headHash
        wrong[0] ^= 0xFF
        let refused = try ledger.verify(expect: (5, wrong))
        #expect(!refused.ok)
        #expect(refused.firstBadSeq == nil)
        #expect(try !ledger.verify(expect: (99, atFive.headHash)).ok)
    }

    @Test("a tiny map grows by itself while a large batch is written, and nothing is lost")
    func mapGrowth() throws {
        let dir = TemporaryDirectory()
        let ledger = try makeLedger(dir, options: .init(initialMapSizeBytes: 64 * 1024, anticipateGrowth: false))
        var lines: [String] = []
        for index in 0..<3000 {
            lines.append(Line.person("p-\(index)", "P\(index)"))
            lines.append(Line.certify("c-\(index)", "P\(index)", on: "2016-02-01"))
        }
        let report = try ledger.importFiles([dir.file("big.jsonl", lines.joined(separator: "\n"))]).get()
        #expect(report.appended == 6000)
        #expect(ledger.mapSize.growths >= 5)
        #expect(ledger.mapSize.bytes > 64 * 1024)
        #expect(try ledger.verify().headSeq == 6000)
        #expect(try ledger.verify().ok)
        // And again through several batches.
        for batch in 0..<3 {
            let more = (0..<500).map { Line.person("q-\(batch)-\($0)", "Q\(batch)-\($0)") }
            _ = try ledger.importFiles([dir.file("more\(batch).jsonl", more.joined(separator: "\n"))]).get()
        }
        #expect(try ledger.verify().headSeq == 7500)
    }

    @Test("a ledger of a newer format is refused, not guessed at; a directory without a ledger is named")
    func formats() throws {
        let dir = TemporaryDirectory()
        _ = try importedLedger(dir)
        let path = dir.path + "/ledger"
        do {
            let env = try Environment(path: path)
            let meta = try env.openDatabase(named: "meta", create: false)
            try env.write { txn in try txn.put(meta, key: Array("format".utf8), value: [0, 0, 0, 2]) }
        }
        #expect {
            _ = try Ledger.open(at: path)
        } throws: { error in
            guard case LedgerError.newerFormat(found: 2, supported: 1) = error else { return false }
            return true
        }
        #expect {
            _ = try Ledger.open(at: dir.path + "/nothing-here")
        } throws: { error in
            guard case LedgerError.notALedger = error else { return false }
            return true
        }
        #expect {
            _ = try Ledger.create(at: path)
        } throws: { error in
            guard case LedgerError.alreadyExists = error else { return false }
            return true
        }
    }

    @Test("the stored bytes hash as docs/FORMAT.md says: SHA-256 of the previous hash and record[32...]")
    func chainDefinition() throws {
        let dir = TemporaryDirectory()
        _ = try importedLedger(dir)
        let env = try Environment(path: dir.path + "/ledger")
        let events = try env.openDatabase(named: "events", create: false)
        try env.read { txn in
            var previous = [UInt8](repeating: 0, count: 32)
            for seq in UInt64(1)...19 {
                let record = try #require(try txn.get(events, key: sequenceKey(seq)))
                let canonical = Array(record[32...])
                #expect(Array(record[0..<32]) == HashChain.link(previous: previous, canonical: canonical))
                // Header: format 1, then the seq itself.
                #expect(canonical[0] == 1)
                #expect(Array(canonical[1..<9]) == sequenceKey(seq))
                previous = Array(record[0..<32])
            }
        }
    }
}
