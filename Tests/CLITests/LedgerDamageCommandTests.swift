import Foundation
import LMDBKit
import Testing

/// What the command line does with a ledger someone changed behind its back
/// (a byte of data.mdb edited in place, as with a hex editor) and with a
/// ledger a newer version wrote.
@Suite("A tampered or newer ledger from the command line")
struct LedgerDamageCommandTests {
    static let sample = packageRoot + "/Fixtures/sample-history.jsonl"

    func sampleLedger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", Self.sample], in: dir.path)
        return dir
    }

    /// The only offset of `needle` in `bytes`; the test stops if it is absent or repeated.
    func onlyOffset(of needle: String, in bytes: [UInt8]) throws -> Int {
        let pattern = Array(needle.utf8)
        var offsets: [Int] = []
        var index = 0
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] && Array(bytes[index..<index + pattern.count]) == pattern { offsets.append(index) }
            index += 1
        }
        try #require(offsets.count == 1, "\"\(needle)\" occurs \(offsets.count) times in data.mdb")
        return offsets[0]
    }

    @Test("one byte of an event changed in data.mdb: verify exits 1 naming its seq, in every format; the head before it is intact")
    func flippedByteInTheFile() throws {
        let dir = try sampleLedger()
        let intact = try runOK(["verify", "--as-of-seq", "56", "--format", "json"], in: dir.path)
        let before = try #require(try JSONSerialization.jsonObject(with: Data(intact.stdout.utf8)) as? [String: Any])
        // e-0057 (seq 57) carries voucher V2015-000021, which the file holds
        // once (the test stops otherwise): inside that event's record.
        let file = dir.path + "/ledger/data.mdb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let at = try onlyOffset(of: "V2015-000021", in: bytes)
        bytes[at + 11] ^= 0x01  // …21 becomes …20
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let table = try run(["verify"], in: dir.path)
        #expect(table.status == 1, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.hasPrefix("FAILED at seq 57: "), "\(table.stdout)")
        #expect(table.stdout.contains("intact up to seq 56 \(before["hash"] as? String ?? "?")"), "\(table.stdout)")

        let json = try run(["verify", "--format", "json"], in: dir.path)
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect(object["firstBadSeq"] as? Int == 57)
        #expect(object["head"] as? Int == 56)
        #expect(object["hash"] as? String == before["hash"] as? String)
        #expect((object["problem"] as? String)?.isEmpty == false)

        let csv = try run(["verify", "--format", "csv"], in: dir.path)
        #expect(csv.status == 1)
        #expect(csv.stdout.hasPrefix("head,hash,ok,firstBadSeq,problem\n56,\(before["hash"] as? String ?? "?"),false,57,"), "\(csv.stdout)")

        // The prefix before the damage still verifies, and proves the digest written down earlier.
        let prefix = try run(["verify", "--as-of-seq", "56", "--format", "json"], in: dir.path)
        #expect(prefix.status == 0 && prefix.stdout == intact.stdout, "\(prefix.stdout)")
        let expected = try run(["verify", "--expect", "56:\(before["hash"] as? String ?? "")"], in: dir.path)
        #expect(expected.status == 1, "the whole ledger still fails: \(expected.stdout)")
        #expect(expected.stdout.contains("FAILED at seq 57"))
    }

    /// Sets the ledger's format version in `meta` (docs/FORMAT.md) to `version`.
    func setFormat(_ dir: WorkDirectory, _ version: UInt32) throws {
        let env = try Environment(path: dir.path + "/ledger")
        let meta = try env.openDatabase(named: "meta", create: false)
        try env.write { txn in try txn.put(meta, key: Array("format".utf8), value: withUnsafeBytes(of: version.bigEndian, Array.init)) }
    }

    @Test("a ledger of a newer format: every command exits 4 naming both versions, and nothing is written")
    func newerFormat() throws {
        let dir = try sampleLedger()
        try setFormat(dir, 2)
        let file = dir.path + "/ledger/data.mdb"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let more = dir.file("more.jsonl", Line.person("x-1", "X1") + "\n")
        let commands: [[String]] = [
            ["verify"], ["verify", "--format", "json"], ["log"], ["stats"], ["balances", "--by", "region"], ["audit"],
            ["import", more], ["rebuild"], ["export", "hledger"], ["checkpoint"], ["prove", "e-0057"],
            ["reconcile", "--fiscal-year", "2016"], ["report", "performance", "--fiscal-year", "2016"],
        ]
        for command in commands {
            let result = try run(command, in: dir.path)
            #expect(result.status == 4, "\(command.joined(separator: " ")): exit \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("format version 2, newer than this program's 1"),
                    "\(command.joined(separator: " ")): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command.joined(separator: " ")): \(result.stdout)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes, "a command wrote to a ledger it refused")
        // The independent reader refuses it too (exit 4, docs/FORMAT.md).
        if ExternalTool.runs(if: ExternalTool.pythonLMDB) {
            let reader = try readLedger([dir.path + "/ledger", "verify"])
            #expect(reader.status == 4, "read-ledger.py: \(reader.status) \(reader.stderr)")
        }
        // Back to format 1, the same ledger opens and verifies: nothing else was touched.
        try setFormat(dir, 1)
        let verify = try run(["verify"], in: dir.path)
        #expect(verify.status == 0 && verify.stdout.hasPrefix("ok: 242 events, chain intact"), "\(verify.stdout)\(verify.stderr)")
    }
}
