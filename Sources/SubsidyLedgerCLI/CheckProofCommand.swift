import ArgumentParser
import EventStore
import Foundation
import LedgerCore
import Proofs

struct CheckProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-proof",
        abstract: "Check a proof bundle offline, without any ledger.",
        discussion: """
            Checks the checkpoint's signature, that the leaf bytes are the event shown and hash to the \
            leaf hash, and that the audit path leads to the signed root; with --checkpoint OLD, also \
            OLD's signature and the consistency proof from OLD to the bundle's checkpoint. \
            Exit 0 valid, 1 invalid (naming what failed), 2 the bundle or a key is malformed.
            """)

    @Argument(help: ArgumentHelp("The bundle written by `prove --bundle`.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The verifier key you trust (NAME.pub); without it the bundle's own key is used.", valueName: "pubkey"))
    var key: String?

    @Option(help: ArgumentHelp("A checkpoint kept earlier: the bundle must prove the ledger extends it.", valueName: "file"))
    var checkpoint: String?

    func run() throws {
        let bundle = try ProofBundle(text: readSmallFile(file, what: "bundle"), file: file)
        let trusted: NoteVerifierKey
        if let key {
            trusted = try loadVerifierKey(key)
        } else {
            trusted = try bundle.publicKey()
            printError("warning: checked against the key inside the bundle (\(trusted.text)); pass --key with a key you trust")
        }
        let old = try checkpoint.map { path in
            try parseCheckpoint(readSmallFile(path, what: "checkpoint"), what: path)
        }
        do {
            let summary = try bundle.check(with: trusted, old: old)
            print("ok: " + summary)
        } catch let failure as ProofFailure {
            printError("invalid: \(failure.check): \(failure.message)")
            throw ExitCode(1)
        }
    }
}

/// A checkpoint file, or exit 2.
func parseCheckpoint(_ text: String, what: String) throws -> SignedCheckpoint {
    do {
        return try SignedCheckpoint(parsing: text)
    } catch {
        throw CLIFailure.input("error: \(what) is not a checkpoint: \(error)")
    }
}

/// A bundle of `prove --bundle` (docs/PROOFS.md), read with no ledger.
struct ProofBundle {
    let object: [String: Any]
    let file: String

    init(text: String, file: String) throws {
        self.file = file
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let object = parsed as? [String: Any] else {
            throw CLIFailure.input("error: \(file) is not a JSON object")
        }
        guard object["bundle"] as? Int == 1 else {
            throw CLIFailure.input("error: \(file) is not a proof bundle of version 1 (no \"bundle\": 1)")
        }
        self.object = object
    }

    func malformed(_ what: String) -> CLIFailure { CLIFailure.input("error: \(file): \(what)") }

    func string(_ key: String, in object: [String: Any]? = nil) throws -> String {
        guard let value = (object ?? self.object)[key] as? String else { throw malformed("\"\(key)\" is missing or not a string") }
        return value
    }

    func count(_ key: String, in object: [String: Any]? = nil) throws -> UInt64 {
        guard let number = (object ?? self.object)[key] as? NSNumber, let value = UInt64(number.stringValue) else { throw malformed("\"\(key)\" is missing or not a whole number ≥ 0") }
        return value
    }

    func bytes(_ key: String, in object: [String: Any]? = nil) throws -> [UInt8] {
        guard let bytes = Base64.decode(try string(key, in: object)) else { throw malformed("\"\(key)\" is not base64") }
        return bytes
    }

    func hash(_ key: String, in object: [String: Any]? = nil) throws -> MerkleHash {
        guard let hash = MerkleHash(exactly: try bytes(key, in: object)) else { throw malformed("\"\(key)\" is not a 32-byte hash") }
        return hash
    }

    func hashes(_ key: String, in object: [String: Any]? = nil) throws -> [MerkleHash] {
        guard let list = (object ?? self.object)[key] as? [Any] else { throw malformed("\"\(key)\" is missing or not a list") }
        return try list.map { item in
            guard let text = item as? String, let bytes = Base64.decode(text), let hash = MerkleHash(exactly: bytes) else {
                throw malformed("\"\(key)\" holds an item that is not a base64 32-byte hash")
            }
            return hash
        }
    }

    func publicKey() throws -> NoteVerifierKey {
        do {
            return try NoteVerifierKey(parsing: try string("publicKey"))
        } catch let error as NoteError {
            throw malformed("\"publicKey\" is not a verifier key: \(error)")
        }
    }

    /// Checks everything the bundle claims; returns what was proved.
    func check(with key: NoteVerifierKey, old: SignedCheckpoint?) throws -> String {
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: try string("checkpoint"))
        } catch let error as NoteError {
            throw malformed("\"checkpoint\" is not a checkpoint: \(error)")
        }
        do {
            try signed.note.verify(with: key)
        } catch {
            throw ProofFailure("signature", "the checkpoint: \(error)")
        }
        let head = signed.checkpoint
        var proved: [String] = []
        if object["leafIndex"] != nil {
            proved.append(try checkInclusion(head: head))
        }
        let consistency = object["leafIndex"] == nil ? object : object["consistency"] as? [String: Any]
        if let old {
            do {
                try old.note.verify(with: key)
            } catch {
                throw ProofFailure("signature", "the held checkpoint: \(error)")
            }
            guard old.checkpoint.origin == head.origin else {
                throw ProofFailure("origin", "the held checkpoint is of \(old.checkpoint.origin), the bundle's of \(head.origin)")
            }
            guard let consistency else {
                throw ProofFailure("consistency", "the bundle holds no consistency proof; make it with `prove ... --from-size \(old.checkpoint.size)`")
            }
            let fromSize = try count("fromSize", in: consistency)
            guard fromSize == old.checkpoint.size, try hash("fromRootHash", in: consistency) == old.checkpoint.rootHash else {
                throw ProofFailure("consistency", "the bundle proves from size \(fromSize), not from the held checkpoint (size \(old.checkpoint.size) and its root)")
            }
        }
        if let consistency {
            proved.append(try checkConsistency(consistency, head: head))
        }
        guard !proved.isEmpty else { throw malformed("the bundle holds neither an inclusion nor a consistency proof") }
        return proved.joined(separator: "; ") + "; checkpoint of \(head.origin) signed by \(key.name)"
    }

    private func checkInclusion(head: Checkpoint) throws -> String {
        let leafIndex = try count("leafIndex")
        let treeSize = try count("treeSize")
        let leaf = try bytes("leaf")
        let leafHash = try hash("leafHash")
        let path = try hashes("path")
        let root = try hash("rootHash")
        guard Merkle.leafHash(leaf) == leafHash else {
            throw ProofFailure("leaf bytes", "the leaf bytes hash to \(Merkle.leafHash(leaf)), not to the leaf hash given")
        }
        // The leaf is the event's canonical bytes; decoding it must give the
        // event the bundle shows, at the position it claims.
        let stored: StoredEvent
        do {
            stored = try (HashChain.genesis + leaf).withUnsafeBytes { bytes in try EventCodec.decode(record: bytes) }
        } catch {
            throw ProofFailure("leaf bytes", "the leaf is not an event's canonical bytes (\(error))")
        }
        guard stored.seq == leafIndex + 1 else {
            throw ProofFailure("leaf bytes", "the leaf is event seq \(stored.seq), not seq \(leafIndex + 1) as leaf index \(leafIndex) requires")
        }
        guard let shown = object["event"] as? [String: Any] else { throw malformed("\"event\" is missing or not an object") }
        let decoded = eventJSONFields(seq: stored.seq, recordedMicros: stored.recordedMicros, event: stored.event, hash: nil) + "}"
        guard let expected = try? JSONSerialization.jsonObject(with: Data(decoded.utf8)) as? NSDictionary,
              expected.isEqual(to: shown)
        else {
            throw ProofFailure("event", "the event shown is not the one the leaf bytes hold")
        }
        guard treeSize == head.size else {
            throw ProofFailure("size", "the proof is for a tree of \(treeSize) events, the checkpoint for \(head.size)")
        }
        guard root == head.rootHash else {
            throw ProofFailure("root", "the proof's root is not the checkpoint's")
        }
        try Merkle.verifyInclusion(leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, path: path, root: root)
        return "event \(stored.event.id) is leaf \(leafIndex) of the tree of \(treeSize) events"
    }

    private func checkConsistency(_ proof: [String: Any], head: Checkpoint) throws -> String {
        let fromSize = try count("fromSize", in: proof)
        let treeSize = try count("treeSize", in: proof)
        let fromRoot = try hash("fromRootHash", in: proof)
        let root = try hash("rootHash", in: proof)
        let path = try hashes("path", in: proof)
        guard treeSize == head.size else {
            throw ProofFailure("size", "the consistency proof ends at \(treeSize) events, the checkpoint has \(head.size)")
        }
        guard root == head.rootHash else {
            throw ProofFailure("root", "the consistency proof's new root is not the checkpoint's")
        }
        try Merkle.verifyConsistency(from: fromSize, to: treeSize, oldRoot: fromRoot, root: root, path: path)
        return "the tree of \(fromSize) events is a prefix of the tree of \(treeSize)"
    }
}
