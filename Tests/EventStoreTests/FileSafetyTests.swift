import EventStore
import Foundation
import Glibc
import LMDBKit
import LedgerCore
import Testing

/// Reading a ledger's files before LMDB maps them, creating a ledger in one
/// step, and the permissions of what is created.
@Suite("Ledger files: damage found before mapping, atomic creation, permissions")
struct FileSafetyTests {
    func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    func mode(_ path: String) -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return status.st_mode & 0o7777
    }

    func people(_ dir: TemporaryDirectory, _ name: String, from: Int, count: Int) -> String {
        let lines = (from..<(from + count)).map { n in
            #"{"id":"r-\#(n)","type":"person.registered","effective":"2016-01-04","data":{"person":"p-\#(n)","birthDate":"1990-05-01","sex":"F"}}"#
        }
        return dir.file(name, lines.joined(separator: "\n"))
    }

    // MARK: a sound ledger is never called damaged

    @Test("a sound ledger passes the data-file check after creation, many imports, map growth and a rebuild, from either meta page")
    func soundLedgerPasses() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        let options = Ledger.OpenOptions(initialMapSizeBytes: 64 << 10, anticipateGrowth: false, snapshotIntervalEvents: 500)
        var metasSeen = Set<Int>()
        var last: UInt64 = 0
        _ = try Ledger.create(at: path, options: options)
        func check(_ when: String) throws {
            let summary = try DataFile.inspect(directory: path)
            metasSeen.insert(summary.newestMeta)
            #expect(summary.pageSizeBytes == Int(sysconf(Int32(_SC_PAGESIZE))), "\(when)")
            #expect(summary.lastTransaction > last, "\(when): the transaction id did not advance")
            last = summary.lastTransaction
        }
        try check("after creation")
        var growths = 0
        for batch in 0..<12 {
            let ledger = try Ledger.open(at: path, options: options)
            _ = try ledger.importFiles([people(dir, "batch-\(batch).jsonl", from: batch * 300, count: 300)]).get()
            growths += ledger.mapSize.growths
            try check("after import \(batch)")
        }
        #expect(growths > 0, "the map never grew: the test does not cover growth")
        _ = try Ledger.open(at: path, options: options).rebuildProjections()
        try check("after a rebuild")
        _ = try Ledger.open(at: path, options: options).rebuildMerkleTree()
        _ = try DataFile.inspect(directory: path)
        #expect(metasSeen == [0, 1], "both meta pages should have been the newest at some point")
        #expect(try Ledger.open(at: path, options: options).verify().ok)
    }

    @Test("a file that ends before pages freed in its last transaction is sound: the free list accounts for them")
    func unwrittenFreePagesAreSound() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/env"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        var options = Environment.Options()
        options.create = true
        var found: DataFileSummary?
        do {
            let env = try Environment(path: path, options: options)
            let table = try env.openDatabase(named: "t", create: true)
            try env.write { txn in try txn.put(table, key: [0], value: [0]) }
            // Pages taken and freed in one transaction are never written:
            // append fresh pages, then delete the later half of what was
            // appended (the highest pages) before committing.
            for round in 0..<6 {
                try env.write { txn in
                    func key(_ index: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(1 + round * 100_000 + index).bigEndian, Array.init) }
                    for index in 0..<3_000 {
                        try txn.put(table, key: key(index), value: [UInt8](repeating: UInt8(index & 0xFF), count: 300))
                    }
                    for index in 1_500..<3_000 { _ = try txn.delete(table, key: key(index)) }
                }
                let summary = try DataFile.inspect(directory: path)
                if summary.unwrittenFreePages > 0 { found = summary }
            }
            #expect(try env.read { txn in try txn.get(table, key: [0]) } == [0])
        }
        let summary = try #require(found, "LMDB wrote every page: this test no longer covers a short file")
        #expect(summary.fileSizeBytes < Int(summary.lastPage + 1) * summary.pageSizeBytes)
        // And LMDB itself opens it and reads it.
        let env = try Environment(path: path)
        let table = try env.openDatabase(named: "t", create: false)
        #expect(try env.read { txn in try txn.get(table, key: [0]) } == [0])
    }

    // MARK: damaged files are reported, not crashed on, and not written

    /// A ledger with some events, closed, and its data.mdb's bytes.
    func importedLedger(_ dir: TemporaryDirectory) throws -> (path: String, original: [UInt8]) {
        let path = dir.path + "/ledger"
        let ledger = try Ledger.create(at: path)
        _ = try ledger.importFiles([people(dir, "people.jsonl", from: 0, count: 2_000)]).get()
        return (path, try #require(bytes(path + "/data.mdb")))
    }

    /// The check finds the damage; with `opening`, so does `Ledger.open`,
    /// for either kind of open. (A truncated file is only ever opened in a
    /// child process, in the CLI tests: if the check were bypassed, LMDB
    /// would map it and a bus error would end the whole test run.)
    func expectDamaged(_ path: String, saying expected: String, opening: Bool = true,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let before = bytes(path + "/data.mdb")
        do {
            _ = try DataFile.inspect(directory: path)
            Issue.record("the data-file check passed a damaged file", sourceLocation: sourceLocation)
            return
        } catch {
            #expect(error.finding.contains(expected), "\(error.finding)", sourceLocation: sourceLocation)
        }
        for readOnly in [true, false] where opening {
            do {
                _ = try Ledger.open(at: path, options: Ledger.OpenOptions(readOnly: readOnly))
                Issue.record("a damaged ledger opened (readOnly \(readOnly))", sourceLocation: sourceLocation)
            } catch LedgerError.damaged(let finding) {
                #expect(finding.contains(expected), "\(finding)", sourceLocation: sourceLocation)
                #expect("\(LedgerError.damaged(finding))".hasPrefix("damaged ledger: "), sourceLocation: sourceLocation)
            } catch {
                Issue.record("expected a damaged ledger, got \(error)", sourceLocation: sourceLocation)
            }
        }
        #expect(bytes(path + "/data.mdb") == before, "data.mdb changed", sourceLocation: sourceLocation)
    }

    @Test("a truncated data.mdb is damaged, wherever it was cut")
    func truncated() throws {
        let dir = TemporaryDirectory()
        let (path, original) = try importedLedger(dir)
        let pageSize = try DataFile.inspect(directory: path).pageSizeBytes
        #expect(original.count > 8 * pageSize)
        let cuts: [(Int, String)] = [
            (original.count - pageSize, "is truncated"), (original.count / 2, "is truncated"), (original.count - 1, "is truncated"),
            (2 * pageSize, "is truncated"), (pageSize + 20, "second meta page"), (100, "first meta page"),
        ]
        for (size, expected) in cuts {
            #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data(original.prefix(size))))
            expectDamaged(path, saying: expected, opening: size < 2 * pageSize)
        }
    }

    @Test("an empty data.mdb is damaged and stays empty; so is a foreign file, and a meta page with another magic")
    func emptyAndForeign() throws {
        let dir = TemporaryDirectory()
        let (path, original) = try importedLedger(dir)
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data()))
        expectDamaged(path, saying: "is empty (0 bytes)")
        #expect(bytes(path + "/data.mdb") == [])
        let foreign = Array(String(repeating: "date,voucher,fund,region,amount\n", count: 400).utf8)
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data(foreign)))
        expectDamaged(path, saying: "is not an LMDB file")
        var otherMagic = original
        otherMagic[16] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data(otherMagic)))
        expectDamaged(path, saying: "not 0xBEEFC0DE")
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data(original)))
        let pageSize = try DataFile.inspect(directory: path).pageSizeBytes
        var secondMeta = original
        secondMeta[pageSize + 16] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data(secondMeta)))
        expectDamaged(path, saying: "second meta page")
    }

    // MARK: creation

    @Test("a new ledger is private: directory 0700, files 0600; group-readable gives 0750, 0640 and a 0660 lock file")
    func permissions() throws {
        let dir = TemporaryDirectory()
        let saved = umask(0o022)
        defer { umask(saved) }
        _ = try Ledger.create(at: dir.path + "/private")
        #expect(mode(dir.path + "/private") == 0o700)
        #expect(mode(dir.path + "/private/data.mdb") == 0o600)
        #expect(mode(dir.path + "/private/lock.mdb") == 0o600)
        _ = try Ledger.create(at: dir.path + "/shared", sharing: .groupReadable)
        #expect(mode(dir.path + "/shared") == 0o750)
        #expect(mode(dir.path + "/shared/data.mdb") == 0o640)
        #expect(mode(dir.path + "/shared/lock.mdb") == 0o660)
        // An existing directory keeps its mode; the files are still private.
        try FileManager.default.createDirectory(atPath: dir.path + "/existing", withIntermediateDirectories: false)
        #expect(chmod(dir.path + "/existing", 0o755) == 0)
        _ = try Ledger.create(at: dir.path + "/existing/")
        #expect(mode(dir.path + "/existing") == 0o755)
        #expect(mode(dir.path + "/existing/data.mdb") == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/existing").sorted() == ["data.mdb", "lock.mdb"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["existing", "private", "shared"])
    }

    @Test("the remains of an interrupted creation are removed by the next one, which says so; a creation under way is not touched")
    func leftoverStaging() throws {
        let dir = TemporaryDirectory()
        // What a crash just before the rename leaves: a complete staged ledger beside the target.
        _ = try Ledger.create(at: dir.path + "/model")
        let staging = dir.path + "/.ledger.init"
        try FileManager.default.moveItem(atPath: dir.path + "/model", toPath: staging)
        #expect(throws: LedgerError.self) { try Ledger.open(at: dir.path + "/ledger") }
        var notes: [String] = []
        _ = try Ledger.create(at: dir.path + "/ledger", notice: { notes.append($0) })
        #expect(notes.count == 1)
        #expect(notes.first?.contains("removed the remains of an interrupted `init` at \(staging) (data.mdb of ") == true, "\(notes)")
        #expect(!FileManager.default.fileExists(atPath: staging))
        #expect(try Ledger.open(at: dir.path + "/ledger").head().seq == 0)

        // A staging directory holding something else is left alone.
        try FileManager.default.createDirectory(atPath: dir.path + "/.other.init", withIntermediateDirectories: false)
        _ = dir.file(".other.init/notes.txt", "mine")
        #expect { try Ledger.create(at: dir.path + "/other") } throws: { "\($0)".contains("holds files it did not write (notes.txt)") }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.other.init/notes.txt"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/other"))

        // A staging directory locked by a creation under way is refused.
        try FileManager.default.createDirectory(atPath: dir.path + "/.busy.init", withIntermediateDirectories: false)
        let held = open(dir.path + "/.busy.init", O_RDONLY | O_DIRECTORY)
        #expect(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
        defer { close(held) }
        #expect { try Ledger.create(at: dir.path + "/busy") } throws: { "\($0)".contains("another `init` is creating a ledger") }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.busy.init"))
    }

    @Test("a failed creation leaves nothing, and the next one succeeds")
    func failedCreationLeavesNothing() throws {
        let dir = TemporaryDirectory()
        // The fault hook fails a creation once its staged ledger is complete,
        // just before it would be moved into place.
        struct Refused: Error {}
        for (name, existing) in [("fresh", false), ("existing", true)] {
            let path = dir.path + "/" + name
            if existing { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }
            var failing = Ledger.OpenOptions()
            failing.creationFaultForTesting = { throw Refused() }
            #expect(throws: Refused.self) { try Ledger.create(at: path, options: failing) }
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            #expect(left == (existing ? ["existing"] : []), "\(left)")
            if existing { #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty) }
            _ = try Ledger.create(at: path)
            #expect(try Ledger.open(at: path).verify().ok)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("creation refuses a directory whose data.mdb is a ledger, a damaged file, or an LMDB environment without a format marker")
    func refusesOccupied() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/ledger"
        _ = try Ledger.create(at: path)
        let original = try #require(bytes(path + "/data.mdb"))
        #expect { try Ledger.create(at: path) } throws: { error in
            guard case LedgerError.alreadyExists = error else { return false }
            return true
        }
        #expect(FileManager.default.createFile(atPath: path + "/data.mdb", contents: Data()))
        #expect { try Ledger.create(at: path) } throws: { error in
            guard case LedgerError.occupied(_, let finding) = error else { return false }
            return finding.contains("is empty (0 bytes)")
        }
        #expect(bytes(path + "/data.mdb") == [])
        // What an init interrupted before creation was atomic left: an environment, no format.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        do {
            var options = Environment.Options()
            options.create = true
            let env = try Environment(path: path, options: options)
            _ = try env.openDatabase(named: "events", create: true)
        }
        let halfMade = try #require(bytes(path + "/data.mdb"))
        #expect { try Ledger.create(at: path) } throws: { error in
            guard case LedgerError.occupied(_, let finding) = error else { return false }
            return finding.contains("without a ledger's format marker")
        }
        #expect(bytes(path + "/data.mdb") == halfMade)
        #expect(original.count > 0)
    }
}
