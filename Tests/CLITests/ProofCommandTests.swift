import EventStore
import Foundation
import LMDBKit
import LedgerCore
import Proofs
import Testing

/// Keys, checkpoints, proofs and bundles from the command line, checked by
/// `check-proof`, by `verify --against` and by the independent checker
/// `Tools/check-proof.py`.
@Suite("Proofs from the command line")
struct ProofCommandTests {
    let sample = packageRoot + "/Fixtures/sample-history.jsonl"
    let origin = "jilin.example/subsidy-ledger/220000"

    /// A ledger of the sample history with a signing key beside it.
    func signedLedger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init", "--origin", origin], in: dir.path)
        try runOK(["import", sample], in: dir.path)
        try runOK(["key", "generate", "jilin.example/finance"], in: dir.path)
        return dir
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The independent checker's exit status, when python3 with
    /// `cryptography` is here; nil (the check left out) where it is not,
    /// unless tools are required (Tools/test, CI): then that is a failure.
    func pythonCheck(_ arguments: [String], in directory: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32? {
        guard let python3 = ExternalTool.pythonWithCryptography else {
            if ExternalTool.required { Issue.record(ExternalTool.checkerMissing, sourceLocation: sourceLocation) }
            return nil
        }
        return try runProcess(python3, [packageRoot + "/Tools/check-proof.py"] + arguments, in: directory).status
    }

    @Test("key generate writes a 0600 private key and its verifier key, and never overwrites")
    func keyGenerate() throws {
        let dir = WorkDirectory()
        let made = try run(["key", "generate", "finance.example/audit", "--out", dir.path], in: dir.path)
        #expect(made.status == 0, "\(made.stderr)")
        let privatePath = dir.path + "/finance.example_audit.key"
        let publicPath = dir.path + "/finance.example_audit.pub"
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: privatePath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let privateText = try String(contentsOfFile: privatePath, encoding: .utf8)
        let publicText = try String(contentsOfFile: publicPath, encoding: .utf8)
        #expect(privateText.hasPrefix("PRIVATE+KEY+finance.example/audit+"))
        let signer = try NoteSignerKey(parsing: privateText)
        #expect(try NoteVerifierKey(parsing: publicText) == signer.verifierKey)
        #expect(made.stdout.contains(signer.verifierKey.text))
        let again = try run(["key", "generate", "finance.example/audit", "--out", dir.path], in: dir.path)
        #expect(again.status == 2 && again.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: privatePath, encoding: .utf8) == privateText)
        #expect(try run(["key", "generate", "bad name"], in: dir.path).status == 2)
        #expect(try run(["key", "generate", "a+b"], in: dir.path).status == 2)
    }

    @Test("a ledger's origin: set by init, or a default that can be set once; the checkpoint carries it")
    func origins() throws {
        let dir = WorkDirectory()
        #expect(try run(["init"], in: dir.path).status == 0)
        let unnamed = try run(["origin"], in: dir.path)
        #expect(unnamed.stdout.hasPrefix("subsidy-ledger.local/") && unnamed.stderr.contains("default"))
        let empty = try run(["checkpoint"], in: dir.path)
        #expect(empty.stdout == unnamed.stdout + "0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        #expect(try run(["origin", "county.example/220102"], in: dir.path).status == 0)
        #expect(try run(["origin", "county.example/220102"], in: dir.path).status == 0)
        let again = try run(["origin", "other.example"], in: dir.path)
        #expect(again.status == 2 && again.stderr.contains("already"))
        #expect(try run(["origin"], in: dir.path).stdout == "county.example/220102\n")
        #expect(try run(["init", "--ledger", "x", "--origin", "has space"], in: dir.path).status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x/data.mdb"))
        #expect(try run(["checkpoint", "--as-of-seq", "1"], in: dir.path).status == 2)
    }

    @Test("a bundle checks offline, and every kind of alteration is named")
    func bundles() throws {
        let dir = try signedLedger()
        let key = "jilin.example_finance.key"
        let pub = "jilin.example_finance.pub"
        let old = try run(["checkpoint", "--as-of-seq", "100", "--sign", key, "--output", "old.txt"], in: dir.path)
        #expect(old.status == 0, "\(old.stderr)")
        let made = try run(["prove", "e-0057", "--from-size", "100", "--sign", key, "--bundle", "b.json"], in: dir.path)
        #expect(made.status == 0, "\(made.stderr)")
        let bundleText = try String(contentsOfFile: dir.path + "/b.json", encoding: .utf8)
        let bundle = try json(bundleText)
        #expect(bundle["leafIndex"] as? Int == 56 && bundle["treeSize"] as? Int == 242)
        #expect((bundle["event"] as? [String: Any])?["id"] as? String == "e-0057")
        #expect((bundle["checkpoint"] as? String)?.hasPrefix(origin + "\n242\n") == true)

        let ok = try run(["check-proof", "b.json", "--key", pub, "--checkpoint", "old.txt"], in: dir.path)
        #expect(ok.status == 0 && ok.stdout.hasPrefix("ok: event e-0057 is leaf 56"), "\(ok.stdout)\(ok.stderr)")
        let bundleKey = try run(["check-proof", "b.json"], in: dir.path)
        #expect(bundleKey.status == 0 && bundleKey.stderr.contains("key inside the bundle"))
        if let status = try pythonCheck(["b.json", "--key", pub, "--checkpoint", "old.txt"], in: dir.path) {
            #expect(status == 0)
        }

        func altered(_ name: String, _ change: (inout [String: Any]) throws -> Void) throws -> String {
            var object = bundle
            try change(&object)
            let data = try JSONSerialization.data(withJSONObject: object)
            try data.write(to: URL(fileURLWithPath: dir.path + "/" + name))
            return name
        }
        func flip(_ base64: Any?) throws -> String {
            let text = try #require(base64 as? String)
            var bytes = try #require(Base64.decode(text))
            bytes[bytes.count / 2] ^= 0x01
            return Base64.encode(bytes)
        }
        var other = try run(["key", "generate", "someone.else"], in: dir.path)
        #expect(other.status == 0)
        let cases: [(String, String, [String])] = [
            (try altered("leaf.json") { $0["leaf"] = try flip($0["leaf"]) }, "leaf bytes", []),
            (try altered("path.json") {
                var path = try #require($0["path"] as? [String])
                path[2] = try flip(path[2])
                $0["path"] = path
            }, "root", []),
            (try altered("short.json") { $0["path"] = Array(try #require($0["path"] as? [String]).dropLast()) }, "path length", []),
            (try altered("index.json") { $0["leafIndex"] = 55 }, "leaf bytes", []),
            (try altered("event.json") {
                var event = try #require($0["event"] as? [String: Any])
                var data = try #require(event["data"] as? [String: Any])
                data["amount"] = "12390.44"
                event["data"] = data
                $0["event"] = event
            }, "event", []),
            (try altered("size.json") { $0["treeSize"] = 241 }, "size", []),
            (try altered("huge-index.json") { $0["leafIndex"] = UInt64.max }, "size", []),
            (try altered("leaf-hash.json") { $0["leafHash"] = try flip($0["leafHash"]) }, "leaf bytes", []),
            (try altered("root.json") { $0["rootHash"] = try flip($0["rootHash"]) }, "root", []),
            (try altered("from-size.json") {
                var consistency = try #require($0["consistency"] as? [String: Any])
                consistency["fromSize"] = 99
                $0["consistency"] = consistency
            }, "consistency", ["--checkpoint", "old.txt"]),
            (try altered("from-root.json") {
                var consistency = try #require($0["consistency"] as? [String: Any])
                consistency["fromRootHash"] = try flip(consistency["fromRootHash"])
                $0["consistency"] = consistency
            }, "consistency", ["--checkpoint", "old.txt"]),
            (try altered("consistency-path.json") {
                var consistency = try #require($0["consistency"] as? [String: Any])
                var path = try #require(consistency["path"] as? [String])
                path[0] = try flip(path[0])
                consistency["path"] = path
                $0["consistency"] = consistency
            }, "root", []),
            ("b.json", "origin", ["--origin", "other.example/ledger"]),
            (try altered("signature.json") {
                let note = try #require($0["checkpoint"] as? String)
                let last = try #require(note.split(separator: " ").last)
                $0["checkpoint"] = note.replacingOccurrences(of: String(last), with: try flip(String(last.dropLast())) + "\n")
            }, "signature", []),
            ("b.json", "signature", ["--key", "someone.else.pub"]),
        ]
        for (file, what, extra) in cases {
            let options = extra.first == "--key" ? extra : ["--key", pub] + extra
            let result = try run(["check-proof", file] + options, in: dir.path)
            #expect(result.status == 1, "\(file): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.hasPrefix("invalid: \(what):"), "\(file): \(result.stderr)")
            if let status = try pythonCheck([file] + options, in: dir.path) {
                #expect(status == 1, "the independent checker accepted \(file)")
            }
        }
        // A repeated key could show a reader one event and the checker another.
        let twice = bundleText.replacingOccurrences(of: "\"event\":{", with: "\"event\":{\"seq\":1},\"event\":{")
        try Data(twice.utf8).write(to: URL(fileURLWithPath: dir.path + "/twice.json"))
        #expect(try run(["check-proof", "twice.json", "--key", pub], in: dir.path).status == 2)
        if let status = try pythonCheck(["twice.json", "--key", pub], in: dir.path) { #expect(status == 2) }
        // Held checkpoints: the same tree is fine; another origin, or a larger tree, is not.
        #expect(try run(["checkpoint", "--sign", key, "--output", "same.txt"], in: dir.path).status == 0)
        #expect(try run(["check-proof", "b.json", "--key", pub, "--checkpoint", "same.txt"], in: dir.path).status == 0)
        let signer = try NoteSignerKey(parsing: try String(contentsOfFile: dir.path + "/" + key, encoding: .utf8))
        let oldText = try String(contentsOfFile: dir.path + "/old.txt", encoding: .utf8)
        let oldRoot = oldText.split(separator: "\n")[2]
        for (name, body, what) in [("other-origin.txt", "other.example/ledger\n100\n\(oldRoot)\n", "origin"),
                                   ("larger.txt", "\(origin)\n300\n\(oldRoot)\n", "consistency")] {
            let note = try SignedNote.sign(text: body, with: [signer]).serialized
            try Data(note.utf8).write(to: URL(fileURLWithPath: dir.path + "/" + name))
            let result = try run(["check-proof", "b.json", "--key", pub, "--checkpoint", name], in: dir.path)
            #expect(result.status == 1 && result.stderr.hasPrefix("invalid: \(what):"), "\(name): \(result.stderr)")
            if let status = try pythonCheck(["b.json", "--key", pub, "--checkpoint", name], in: dir.path) { #expect(status == 1) }
        }
        // A checkpoint of another ledger under the same origin (a fork).
        let fork = WorkDirectory()
        try runOK(["init", "--origin", origin], in: fork.path)
        try runOK(["import", sample], in: fork.path)
        try FileManager.default.copyItem(atPath: dir.path + "/" + key, toPath: fork.path + "/" + key)
        try runOK(["checkpoint", "--as-of-seq", "100", "--sign", key, "--output", dir.path + "/fork.txt"], in: fork.path)
        let forked = try run(["check-proof", "b.json", "--key", pub, "--checkpoint", "fork.txt"], in: dir.path)
        #expect(forked.status == 1 && forked.stderr.hasPrefix("invalid: consistency:"), "\(forked.stderr)")
        if let status = try pythonCheck(["b.json", "--key", pub, "--checkpoint", "fork.txt"], in: dir.path) {
            #expect(status == 1)
        }
        // Malformed input is exit 2, not a verdict.
        try Data("{\"bundle\":1,".utf8).write(to: URL(fileURLWithPath: dir.path + "/junk.json"))
        #expect(try run(["check-proof", "junk.json", "--key", pub], in: dir.path).status == 2)
        #expect(try run(["check-proof", "missing.json", "--key", pub], in: dir.path).status == 2)
        #expect(try run(["prove", "e-0057", "--bundle", "x.json"], in: dir.path).status == 2)
        #expect(try run(["prove", "no-such-event"], in: dir.path).status == 2)
        other = try run(["prove", "e-0057", "--size", "50"], in: dir.path)
        #expect(other.status == 2 && other.stderr.contains("after the tree of size 50"))
    }

    @Test("prove --format json gives the documented shapes, and the proofs verify against the printed roots")
    func proofJSON() throws {
        let dir = try signedLedger()
        let inclusion = try json(try run(["prove", "e-0200", "--size", "230", "--format", "json"], in: dir.path).stdout)
        #expect(Set(inclusion.keys) == ["leafIndex", "treeSize", "leaf", "leafHash", "event", "path", "rootHash", "checkpoint"])
        let consistency = try json(try run(["prove", "--from-size", "77", "--format", "json"], in: dir.path).stdout)
        #expect(Set(consistency.keys) == ["fromSize", "treeSize", "fromRootHash", "rootHash", "path", "checkpoint"])
        func hash(_ value: Any?) throws -> MerkleHash {
            let text = try #require(value as? String)
            let bytes = try #require(Base64.decode(text))
            return try #require(MerkleHash(exactly: bytes))
        }
        let path = try #require(inclusion["path"] as? [String]).map { try hash($0) }
        try Merkle.verifyInclusion(leafIndex: 199, treeSize: 230, leafHash: try hash(inclusion["leafHash"]), path: path,
                                   root: try hash(inclusion["rootHash"]))
        let steps = try #require(consistency["path"] as? [String]).map { try hash($0) }
        try Merkle.verifyConsistency(from: 77, to: 242, oldRoot: try hash(consistency["fromRootHash"]),
                                     root: try hash(consistency["rootHash"]), path: steps)
        let checkpoint77 = try run(["checkpoint", "--as-of-seq", "77"], in: dir.path).stdout
        #expect(checkpoint77.hasSuffix("\n\(consistency["fromRootHash"] as? String ?? "?")\n"))
    }

    @Test("verify --against holds the ledger to a kept checkpoint: extended is fine, forked, shortened or misnamed is not")
    func verifyAgainst() throws {
        let dir = try signedLedger()
        let key = "jilin.example_finance.key"
        let pub = "jilin.example_finance.pub"
        try runOK(["checkpoint", "--as-of-seq", "120", "--sign", key, "--output", "kept.txt"], in: dir.path)
        let ok = try run(["verify", "--against", "kept.txt", "--key", pub], in: dir.path)
        #expect(ok.status == 0 && ok.stdout.contains("extends the checkpoint of \(origin) at size 120"), "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("signature checked"))
        let unsigned = try run(["verify", "--against", "kept.txt", "--format", "json"], in: dir.path)
        let object = try json(unsigned.stdout)
        #expect((object["against"] as? [String: Any])?["signature"] as? String == "not checked")
        #expect(unsigned.status == 0)

        // The same sample imported again elsewhere: other recording times, other leaves.
        let fork = WorkDirectory()
        try runOK(["init", "--origin", origin], in: fork.path)
        try runOK(["import", sample], in: fork.path)
        try FileManager.default.copyItem(atPath: dir.path + "/" + key, toPath: fork.path + "/" + key)
        try runOK(["checkpoint", "--as-of-seq", "120", "--sign", key, "--output", dir.path + "/fork.txt"], in: fork.path)
        let forked = try run(["verify", "--against", "fork.txt", "--key", pub], in: dir.path)
        #expect(forked.status == 1 && forked.stdout.contains("NOT EXTENDING") && forked.stdout.contains("consistency"), "\(forked.stdout)")

        // A checkpoint of more events than the ledger holds: events were lost.
        let longer = "\(origin)\n300\n" + Base64.encode([UInt8](repeating: 7, count: 32)) + "\n"
        try Data(longer.utf8).write(to: URL(fileURLWithPath: dir.path + "/longer.txt"))
        let lost = try run(["verify", "--against", "longer.txt"], in: dir.path)
        #expect(lost.status == 1 && lost.stdout.contains("events were lost"), "\(lost.stdout)")

        let elsewhere = try String(contentsOfFile: dir.path + "/kept.txt", encoding: .utf8)
            .split(separator: "\n", maxSplits: 1).last.map { "other.example/ledger\n" + $0 } ?? ""
        try Data(elsewhere.utf8).write(to: URL(fileURLWithPath: dir.path + "/elsewhere.txt"))
        let misnamed = try run(["verify", "--against", "elsewhere.txt"], in: dir.path)
        #expect(misnamed.status == 1 && misnamed.stdout.contains("origin"), "\(misnamed.stdout)\(misnamed.stderr)")
        let signedByOther = try run(["verify", "--against", "elsewhere.txt", "--key", pub], in: dir.path)
        #expect(signedByOther.status == 1 && signedByOther.stdout.contains("signature"), "\(signedByOther.stdout)")

        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: dir.path + "/junk.txt"))
        #expect(try run(["verify", "--against", "junk.txt"], in: dir.path).status == 2)
    }

    @Test("a changed byte of an event: verify, the recomputed tree, proofs through it, signing and verify --against all refuse")
    func changedEvent() throws {
        let dir = try signedLedger()
        let key = "jilin.example_finance.key"
        let pub = "jilin.example_finance.pub"
        try runOK(["checkpoint", "--sign", key, "--output", "kept.txt"], in: dir.path)
        // A voucher number changed in place, as someone with write access to the file could.
        let ledgerPath = dir.path + "/ledger"
        let env = try Environment(path: ledgerPath)
        let events = try env.openDatabase(named: "events", create: false)
        try env.write { txn in
            var record = try #require(try txn.get(events, key: sequenceKey(57)))
            let voucher = Array("V2015-000021".utf8)
            let at = try #require((0...(record.count - voucher.count)).first { Array(record[$0..<$0 + voucher.count]) == voucher })
            record[at + voucher.count - 1] = UInt8(ascii: "9")
            try txn.put(events, key: sequenceKey(57), value: record)
        }
        let verify = try run(["verify"], in: dir.path)
        #expect(verify.status == 1 && verify.stdout.contains("FAILED at seq 57"), "\(verify.stdout)")
        let proved = try run(["prove", "e-0057"], in: dir.path)
        #expect(proved.status == 1 && proved.stderr.contains("damaged") && proved.stderr.contains("nothing was proved"), "\(proved.stderr)")
        let signed = try run(["checkpoint", "--sign", key], in: dir.path)
        #expect(signed.status == 1 && signed.stderr.contains("nothing was signed") && signed.stdout.isEmpty, "\(signed.stderr)")
        let against = try run(["verify", "--against", "kept.txt", "--key", pub], in: dir.path)
        #expect(against.status == 1 && against.stdout.contains("NOT EXTENDING"), "\(against.stdout)")
        // The independent reader, where it is here: it must refuse for the
        // tree's sake, not because it could not run.
        if ExternalTool.runs(if: ExternalTool.pythonLMDB) {
            let reader = try readLedger([ledgerPath, "tree"])
            #expect(reader.status == 2 && reader.stderr.contains("merkle-frontier differs from the tree of the events"),
                    "the independent reader's tree still matched the stored one: \(reader.status) \(reader.stderr)")
        }
    }
}
