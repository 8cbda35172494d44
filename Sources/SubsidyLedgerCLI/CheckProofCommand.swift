import ArgumentParser
import EventStore
import LedgerCore
import Proofs

struct CheckProofCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "check-proof",
        abstract: "Check a proof bundle offline, without any ledger.",
        discussion: """
            Checks the checkpoint's signature, that the leaf bytes are the event shown and hash to the \
            leaf hash, and that the audit path leads to the signed root; with --checkpoint OLD, also \
            OLD's signature and the consistency proof from OLD to the bundle's checkpoint. Give --key \
            (a key you trust) and --origin (the ledger you expect): without --key the bundle's own key \
            is used and the result says so. Exit 0 valid, 1 invalid (naming what failed), 2 the bundle \
            or a key is malformed.
            """)

    @Argument(help: ArgumentHelp("The bundle written by `prove --bundle`.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The verifier key you trust (NAME.pub); without it the bundle's own key is used.", valueName: "pubkey"))
    var key: String?

    @Option(help: ArgumentHelp("A checkpoint kept earlier: the bundle must prove the ledger extends it.", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The origin (ledger name) the checkpoint must carry.", valueName: "name"))
    var origin: String?

    @OptionGroup var privacy: PrivacyOptions

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
            let summary = try bundle.check(with: trusted, origin: origin, old: old)
            let signer = "\(trusted.name)+\(hex8(trusted.keyHash))"
            print(TerminalText.escaped(privacy.masking.text("ok: " + summary
                + (key == nil ? ", signed by \(signer), the bundle's own key (not one you gave)" : ", signed by \(signer)"))))
        } catch let failure as ProofFailure {
            printError("invalid: \(failure.check): \(failure.message)", masking: privacy.masking)
            throw ExitCode(1)
        }
    }
}

func hex8(_ value: UInt32) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 8 - text.count) + text
}

/// A checkpoint file, or exit 2.
func parseCheckpoint(_ text: String, what: String) throws -> SignedCheckpoint {
    do {
        return try SignedCheckpoint(parsing: text)
    } catch {
        throw CLIFailure.input("error: \(what) is not a checkpoint: \(error)")
    }
}

/// A bundle of `prove --bundle` (docs/PROOFS.md), read with no ledger. It
/// is read strictly (``StrictJSON``): a repeated key, a number where a
/// count belongs written as `1.0` or `true`, are refused, so that what a
/// person reads in the file is what was checked.
struct ProofBundle {
    let object: JSONValue
    let file: String

    init(text: String, file: String) throws {
        self.file = file
        let parsed: JSONValue
        do {
            parsed = try StrictJSON.parse(text)
        } catch {
            throw CLIFailure.input("error: \(file) is not a JSON object: \(error)")
        }
        guard case .object = parsed else { throw CLIFailure.input("error: \(file) is not a JSON object") }
        guard parsed["bundle"]?.count == 1 else {
            throw CLIFailure.input("error: \(file) is not a proof bundle of version 1 (no \"bundle\": 1)")
        }
        object = parsed
    }

    func malformed(_ what: String) -> CLIFailure { CLIFailure.input("error: \(file): \(what)") }

    func string(_ key: String, in object: JSONValue? = nil) throws -> String {
        guard let value = (object ?? self.object)[key]?.string else { throw malformed("\"\(key)\" is missing or not a string") }
        return value
    }

    func count(_ key: String, in object: JSONValue? = nil) throws -> UInt64 {
        guard let value = (object ?? self.object)[key]?.count else { throw malformed("\"\(key)\" is missing or not a whole number ≥ 0") }
        return value
    }

    func bytes(_ key: String, in object: JSONValue? = nil) throws -> [UInt8] {
        guard let bytes = Base64.decode(try string(key, in: object)) else { throw malformed("\"\(key)\" is not base64") }
        return bytes
    }

    func hash(_ key: String, in object: JSONValue? = nil) throws -> MerkleHash {
        guard let hash = MerkleHash(exactly: try bytes(key, in: object)) else { throw malformed("\"\(key)\" is not a 32-byte hash") }
        return hash
    }

    func hashes(_ key: String, in object: JSONValue? = nil) throws -> [MerkleHash] {
        guard let list = (object ?? self.object)[key]?.array else { throw malformed("\"\(key)\" is missing or not a list") }
        // No tree of 2^64 leaves needs more than 128 hashes in a proof.
        guard list.count <= 128 else { throw malformed("\"\(key)\" holds \(list.count) hashes; no proof needs more than 128") }
        return try list.map { item in
            guard let text = item.string, let bytes = Base64.decode(text), let hash = MerkleHash(exactly: bytes) else {
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
    func check(with key: NoteVerifierKey, origin: String?, old: SignedCheckpoint?) throws -> String {
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
        if let origin, head.origin != origin {
            throw ProofFailure("origin", "the checkpoint is of \(head.origin), not of \(origin)")
        }
        var proved: [String] = []
        let isInclusion = object["leafIndex"] != nil
        if isInclusion {
            proved.append(try checkInclusion(head: head))
        }
        let consistency = isInclusion ? object["consistency"] : object
        if let old {
            do {
                try old.note.verify(with: key)
            } catch {
                throw ProofFailure("signature", "the held checkpoint: \(error)")
            }
            guard old.checkpoint.origin == head.origin else {
                throw ProofFailure("origin", "the held checkpoint is of \(old.checkpoint.origin), the bundle's of \(head.origin)")
            }
            if old.checkpoint.size == head.size && old.checkpoint.rootHash == head.rootHash {
                proved.append("the held checkpoint is the same tree")
            } else {
                guard let consistency else {
                    throw ProofFailure("consistency", "the bundle holds no consistency proof; make it with `prove ... --from-size \(old.checkpoint.size)`")
                }
                let fromSize = try count("fromSize", in: consistency)
                guard fromSize == old.checkpoint.size, try hash("fromRootHash", in: consistency) == old.checkpoint.rootHash else {
                    throw ProofFailure("consistency", "the bundle proves from size \(fromSize), not from the held checkpoint (size \(old.checkpoint.size) and its root)")
                }
            }
        }
        if let consistency {
            proved.append(try checkConsistency(consistency, head: head))
        }
        guard !proved.isEmpty else { throw malformed("the bundle holds neither an inclusion nor a consistency proof") }
        return proved.joined(separator: "; ") + "; checkpoint of \(head.origin)"
    }

    private func checkInclusion(head: Checkpoint) throws -> String {
        let leafIndex = try count("leafIndex")
        let treeSize = try count("treeSize")
        let leaf = try bytes("leaf")
        let leafHash = try hash("leafHash")
        let path = try hashes("path")
        let root = try hash("rootHash")
        guard let shown = object["event"] else { throw malformed("\"event\" is missing") }
        guard leafIndex < treeSize else {
            throw ProofFailure("size", "leaf index \(leafIndex) is not below the tree size \(treeSize)")
        }
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
        guard stored.seq >= 1, stored.seq - 1 == leafIndex else {
            throw ProofFailure("leaf bytes", "the leaf is event seq \(stored.seq), not seq \(leafIndex + 1) as leaf index \(leafIndex) requires")
        }
        let decoded = eventJSONFields(seq: stored.seq, recordedMicros: stored.recordedMicros, event: stored.event, hash: nil,
                                     masking: .shown) + "}"
        guard let expected = try? StrictJSON.parse(decoded), expected.sameData(as: shown) else {
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

    private func checkConsistency(_ proof: JSONValue, head: Checkpoint) throws -> String {
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
