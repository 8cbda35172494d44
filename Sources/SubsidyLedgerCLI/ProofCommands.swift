import ArgumentParser
import EventStore
import Glibc
import LedgerCore
import Proofs

// Commands that let an auditor hold the ledger to account without trusting
// this program: signing keys, signed checkpoints, inclusion and consistency
// proofs (docs/PROOFS.md).

struct OriginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "origin",
        abstract: "Print the ledger's origin, the name its checkpoints start with, or set it once.",
        discussion: """
            A ledger created without `init --origin NAME` is named subsidy-ledger.local/ followed by its \
            creation time in microseconds. `origin NAME` sets the name once, before checkpoints are \
            handed out; a name already set is never changed (exit 2).
            """)

    @OptionGroup var location: LedgerLocation

    @Argument(help: ArgumentHelp("The name to set, e.g. jilin.example/subsidy-ledger/220000.", valueName: "name"))
    var name: String?

    func run() throws {
        let ledger = try location.open(readOnly: name == nil)
        if let name {
            do {
                try ledger.setOrigin(name)
            } catch let error as LedgerError {
                throw CLIFailure.input("error: \(error)")
            }
            print(TerminalText.escaped("origin \(name)"))
            return
        }
        let origin = try ledger.origin()
        print(TerminalText.escaped(origin.name))
        if origin.isDefault {
            printError("note: this is the default origin; name the ledger once with `subsidy-ledger origin NAME`")
        }
    }
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make keys that sign checkpoints.",
        subcommands: [KeyGenerateCommand.self])
}

struct KeyGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate an Ed25519 signing key in the signed-note formats.",
        discussion: """
            Writes DIR/NAME.key (the private key, mode 0600) and DIR/NAME.pub (the verifier key to hand \
            to auditors); a / in NAME becomes _ in the file names. Refuses to overwrite either file.
            """)

    @Argument(help: ArgumentHelp("The key's name: no spaces and no +, e.g. jilin.example/finance.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("The directory to write the two files to.", valueName: "dir"))
    var out: String = "."

    func validate() throws {
        guard SignedNote.isValidKeyName(name) else {
            throw ValidationError("\"\(name)\" is not a key name: it must be non-empty, without spaces or +")
        }
    }

    func run() throws {
        let base = out + "/" + String(name.map { $0 == "/" ? "_" : $0 })
        let privatePath = base + ".key"
        let publicPath = base + ".pub"
        for path in [privatePath, publicPath] where access(path, F_OK) == 0 {
            throw CLIFailure.input("error: \(path) already exists; nothing was written")
        }
        let key: NoteSignerKey
        do {
            key = try NoteSignerKey.generate(name: name)
        } catch {
            throw CLIFailure.input("error: \(error)")
        }
        try writeNewFile(privatePath, key.text + "\n", mode: 0o600)
        try writeNewFile(publicPath, key.verifierKey.text + "\n", mode: 0o644)
        print(TerminalText.escaped("wrote \(privatePath) (private, mode 0600: keep it secret) and \(publicPath)"))
        print(TerminalText.escaped("verifier key: \(key.verifierKey.text)"))
    }
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print a checkpoint of the ledger: its origin, tree size and Merkle root, signed if asked.",
        discussion: """
            The C2SP tlog-checkpoint text: the origin, the number of events, the base64 root of the \
            Merkle tree over them, then, with --sign, a blank line and the signature line. An auditor \
            keeps it; a later `verify --against FILE` or `check-proof --checkpoint FILE` proves the \
            ledger has only grown since. Before signing, the events up to the checkpoint are verified \
            (the chain and the tree recomputed, about 2 s per million events): a damaged ledger is \
            never signed for (exit 1).
            """)

    @OptionGroup var location: LedgerLocation

    @Option(name: .customLong("as-of-seq"), help: ArgumentHelp("The checkpoint of the first N events (default: all).", valueName: "n"))
    var asOfSeq: UInt64?

    @Option(help: ArgumentHelp("Sign with this private key file (from `key generate`).", valueName: "keyfile"))
    var sign: String?

    @Option(help: ArgumentHelp("Write the checkpoint to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let signer = try sign.map(loadSignerKey)
        let ledger = try openWithTree(location)
        if let asOfSeq { try checkNotPastHead(asOfSeq, option: "--as-of-seq", in: ledger) }
        let size = try asOfSeq ?? ledger.head().seq
        let text: String
        do {
            text = try checkpointText(try treeHead(ledger, size: size, verified: signer != nil), signer: signer)
        } catch let error as LedgerError {
            if case .corrupt = error { throw CLIFailure(message: "error: \(error); nothing was \(signer == nil ? "printed" : "signed")", code: 1) }
            throw error
        }
        if let output {
            try writeFile(output, text, mode: 0o644)
        } else {
            var out = Output()
            out.write(text)
            out.flush()
        }
    }
}

struct ProveCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Prove that an event is in the ledger, or that an earlier ledger is a prefix of this one.",
        discussion: """
            `prove EVENT-ID` prints the event's leaf index, its canonical bytes and decoded form, the \
            audit path from its leaf to the root, and the checkpoint the path leads to. \
            `prove --from-size M` prints the consistency proof that the tree of the first M events is \
            a prefix of the tree of --size N (default: all events); both together prove both. \
            --bundle FILE writes one JSON file with everything `check-proof` (or any independent \
            checker) needs offline, the public key included; it needs --sign, and, like \
            `checkpoint --sign`, verifies the events up to the checkpoint before signing.

            A proof carries the event's exact canonical bytes, which anyone can decode, so it cannot \
            mask a personal identity number: the proof of an event that holds one (in a personal field \
            such as person, or anywhere as an 18-digit resident identity number) is refused unless \
            --show-personal-ids is given (exit 2). Consistency proofs hold no event and need no flag.
            """)

    @OptionGroup var location: LedgerLocation
    @OptionGroup var privacy: PrivacyOptions

    @Argument(help: ArgumentHelp("The id of the event to prove.", valueName: "event-id"))
    var eventID: String?

    @Option(help: ArgumentHelp("Prove against the tree of the first N events (default: all).", valueName: "n"))
    var size: UInt64?

    @Option(name: .customLong("from-size"), help: ArgumentHelp("Prove that the tree of the first M events is a prefix.", valueName: "m"))
    var fromSize: UInt64?

    @Option(name: .long, help: ArgumentHelp("Output format: table or json.", valueName: "format"))
    var format: String = "table"

    @Option(help: ArgumentHelp("Sign the checkpoint with this private key file.", valueName: "keyfile"))
    var sign: String?

    @Option(help: ArgumentHelp("Write an offline bundle (JSON) to this file; needs --sign.", valueName: "file"))
    var bundle: String?

    func validate() throws {
        guard eventID != nil || fromSize != nil else {
            throw ValidationError("name an event id to prove, or --from-size M for a consistency proof")
        }
        guard format == "table" || format == "json" else {
            throw ValidationError("--format: \"\(format)\" is not one of table, json")
        }
        if bundle != nil && sign == nil {
            throw ValidationError("--bundle needs --sign KEYFILE: a bundle carries a signed checkpoint and its public key")
        }
    }

    func run() throws {
        let signer = try sign.map(loadSignerKey)
        let ledger = try openWithTree(location)
        if let size { try checkNotPastHead(size, option: "--size", in: ledger) }
        let size = try self.size ?? ledger.head().seq
        let inclusion: Ledger.InclusionProof?
        let consistency: Ledger.ConsistencyProof?
        let checkpoint: String
        do {
            inclusion = try eventID.map { try ledger.inclusionProof(eventID: $0, size: size) }
            consistency = try fromSize.map { try ledger.consistencyProof(from: $0, size: size) }
            checkpoint = try checkpointText(try treeHead(ledger, size: size, verified: signer != nil), signer: signer)
        } catch let error as LedgerError {
            switch error {
            case .invalidRequest: throw CLIFailure.input("error: \(error)")
            case .corrupt: throw CLIFailure(message: "error: \(error); nothing was proved", code: 1)
            default: throw error
            }
        }
        // The leaf is the exact bytes (they are hashed): an event holding a
        // personal id is proved only when the caller asks to show it.
        if let event = inclusion?.event.event, let part = privacy.masking.firstMaskedPart(of: event) {
            throw CLIFailure.input("error: event \(privacy.masking.text(event.id)) holds a personal identity number "
                + "(\(part.place) \(part.shown)); a proof carries the event's exact bytes, which anyone can decode, so it "
                + "cannot be masked. Give --show-personal-ids to prove it, and hand the proof only to those who may see it")
        }
        let json = proofJSON(inclusion: inclusion, consistency: consistency, checkpoint: checkpoint,
                             publicKey: bundle == nil ? nil : signer?.verifierKey.text)
        if let bundle {
            try writeFile(bundle, json + "\n", mode: 0o600)
            printError("wrote \(bundle)")
        }
        var out = Output()
        if format == "json" {
            out.line(json)
        } else {
            if let inclusion {
                out.line("event \(inclusion.event.event.id) is leaf \(inclusion.leafIndex) (seq \(inclusion.seq)) of the tree of \(inclusion.treeSize) events")
                out.line("leaf hash    \(Base64.encode(inclusion.leafHash.bytes))")
                out.line("root hash    \(Base64.encode(inclusion.rootHash.bytes))")
                out.line("audit path   \(inclusion.path.count) hash(es), leaf to root")
                for hash in inclusion.path { out.line("  \(Base64.encode(hash.bytes))") }
            }
            if let consistency {
                out.line("the tree of \(consistency.fromSize) events is a prefix of the tree of \(consistency.treeSize)")
                out.line("old root     \(Base64.encode(consistency.fromRootHash.bytes))")
                out.line("new root     \(Base64.encode(consistency.rootHash.bytes))")
                out.line("proof        \(consistency.path.count) hash(es)")
                for hash in consistency.path { out.line("  \(Base64.encode(hash.bytes))") }
            }
            out.line("checkpoint:")
            out.write(checkpoint)
        }
        out.flush()
    }
}

/// Opens the ledger for proofs: read-only, unless its Merkle tree must first
/// be extended over events appended before the tree was kept.
func openWithTree(_ location: LedgerLocation) throws -> Ledger {
    let coverage = try location.open(readOnly: true).merkleCoverage()
    guard coverage.treeSize < coverage.head else { return try location.open(readOnly: true) }
    printError("note: extending the Merkle tree over \(coverage.head - coverage.treeSize) event(s) appended before it was kept")
    let ledger = try location.open(readOnly: false)
    try ledger.catchUpMerkleTree { seq, head in printError("hashed through seq \(seq) of \(head)") }
    return ledger
}

/// The tree head of the first `size` events. With `verified` (before a
/// signature), the events are verified first and the root recomputed from
/// them must be the stored tree's: a damaged ledger is never signed for.
func treeHead(_ ledger: Ledger, size: UInt64, verified: Bool) throws -> TreeHead {
    let head = try ledger.treeHead(size: size)
    guard verified else { return head }
    let showProgress = isTerminal(2) && size >= 1_000_000
    let report = try ledger.verify(upTo: size) { seq in
        if showProgress { printError("verified through seq \(seq) of \(size) before signing") }
    }
    guard report.ok else {
        let problem = report.firstBadSeq.map { "seq \($0): \(report.problem ?? "")" } ?? report.treeProblem ?? "it does not verify"
        throw CLIFailure(message: "error: the ledger fails verify (\(problem)); nothing was signed", code: 1)
    }
    guard report.tree.size == size, report.tree.root == head.rootHash else {
        throw CLIFailure(message: "error: the stored Merkle tree's root differs from the one the events give; nothing was signed", code: 1)
    }
    return head
}

/// The checkpoint note of a tree head, signed when a key is given.
func checkpointText(_ head: TreeHead, signer: NoteSignerKey?) throws -> String {
    do {
        let checkpoint = try Checkpoint(origin: head.origin, size: head.size, rootHash: head.rootHash)
        guard let signer else { return checkpoint.body }
        return try SignedCheckpoint.sign(checkpoint, with: [signer]).note.serialized
    } catch {
        throw CLIFailure.input("error: cannot make the checkpoint: \(error)")
    }
}

/// The JSON of `prove --format json` and of a bundle (docs/PROOFS.md).
func proofJSON(inclusion: Ledger.InclusionProof?, consistency: Ledger.ConsistencyProof?,
               checkpoint: String, publicKey: String?) -> String {
    func hashes(_ list: [MerkleHash]) -> String {
        "[" + list.map { "\"\(Base64.encode($0.bytes))\"" }.joined(separator: ",") + "]"
    }
    func consistencyMembers(_ proof: Ledger.ConsistencyProof) -> String {
        "\"fromSize\":\(proof.fromSize),\"treeSize\":\(proof.treeSize),"
            + "\"fromRootHash\":\"\(Base64.encode(proof.fromRootHash.bytes))\",\"rootHash\":\"\(Base64.encode(proof.rootHash.bytes))\","
            + "\"path\":\(hashes(proof.path))"
    }
    var members: [String] = []
    if publicKey != nil { members.append("\"bundle\":1") }
    if let inclusion {
        let event = eventJSONFields(seq: inclusion.seq, recordedMicros: inclusion.event.recordedMicros, event: inclusion.event.event, hash: nil,
                                   masking: .shown) + "}"
        members.append("\"leafIndex\":\(inclusion.leafIndex),\"treeSize\":\(inclusion.treeSize),"
            + "\"leaf\":\"\(Base64.encode(inclusion.leaf))\",\"leafHash\":\"\(Base64.encode(inclusion.leafHash.bytes))\","
            + "\"event\":\(event),\"path\":\(hashes(inclusion.path)),\"rootHash\":\"\(Base64.encode(inclusion.rootHash.bytes))\"")
        if let consistency { members.append("\"consistency\":{\(consistencyMembers(consistency))}") }
    } else if let consistency {
        members.append(consistencyMembers(consistency))
    }
    members.append("\"checkpoint\":\(jsonString(checkpoint))")
    if let publicKey { members.append("\"publicKey\":\(jsonString(publicKey))") }
    return "{" + members.joined(separator: ",") + "}"
}

/// A private key file from `key generate`.
func loadSignerKey(_ path: String) throws -> NoteSignerKey {
    let text = try readSmallFile(path, what: "key file")
    do {
        return try NoteSignerKey(parsing: text)
    } catch {
        throw CLIFailure.input("error: \(path) is not a private key of `key generate`: \(error)")
    }
}

/// A verifier key file (`NAME.pub`).
func loadVerifierKey(_ path: String) throws -> NoteVerifierKey {
    let text = try readSmallFile(path, what: "public key file")
    do {
        return try NoteVerifierKey(parsing: text)
    } catch {
        throw CLIFailure.input("error: \(path) is not a verifier key (NAME+KEYHASH+BASE64): \(error)")
    }
}

/// The whole of a file of at most `limit` bytes, as UTF-8 text.
func readSmallFile(_ path: String, what: String, limit: Int = 16 << 20) throws -> String {
    guard let file = fopen(path, "rb") else {
        throw CLIFailure.input("error: cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[0..<count]
        if bytes.count > limit { throw CLIFailure.input("error: the \(what) \(path) is larger than \(limit) bytes") }
    }
    guard ferror(file) == 0 else { throw CLIFailure.input("error: cannot read the \(what) \(path)") }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw CLIFailure.input("error: the \(what) \(path) is not UTF-8 text")
    }
    return text
}

/// Writes a file that must not exist yet, with `mode`.
func writeNewFile(_ path: String, _ text: String, mode: mode_t) throws {
    try write(path, text, flags: O_WRONLY | O_CREAT | O_EXCL, mode: mode)
}

/// Writes (or replaces) a file, created with `mode`.
func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
    try write(path, text, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
}

private func write(_ path: String, _ text: String, flags: Int32, mode: mode_t) throws {
    let fd = open(path, flags | O_CLOEXEC, mode)
    guard fd >= 0 else { throw CLIFailure.input("error: cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw CLIFailure.input("error: cannot write \(path): \(String(cString: strerror(errno)))") }
        offset += written
    }
    guard fsync(fd) == 0 else { throw CLIFailure.input("error: cannot write \(path): \(String(cString: strerror(errno)))") }
}
