/// A checkpoint (c2sp.org/tlog-checkpoint): the ledger's statement that its
/// Merkle tree of `size` events has root `rootHash`. Signed as a note, it is
/// what an auditor checks inclusion and consistency proofs against.
///
/// Its body is the origin, the size in decimal, the root in Base64 and any
/// extension lines, one per line, each ending in a newline.
public struct Checkpoint: Sendable, Equatable {
    /// The log's name, first line of every checkpoint it signs.
    public let origin: String
    public let size: UInt64
    public let rootHash: MerkleHash
    /// Further lines after the root, each non-empty, without newline.
    public let extensions: [String]

    /// A checkpoint, its lines checked so that `body` reads back the same.
    public init(origin: String, size: UInt64, rootHash: MerkleHash, extensions: [String] = []) throws(NoteError) {
        try Self.checkLine(origin, "the checkpoint's origin")
        for line in extensions { try Self.checkLine(line, "a checkpoint extension line") }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Whether `origin` is a good name for a new log: 1 to 256 bytes of
    /// printable ASCII without spaces (0x21–0x7E). Reading is laxer: any
    /// non-empty line without control characters is accepted.
    public static func isValidOrigin(_ origin: String) -> Bool {
        !origin.isEmpty && origin.utf8.count <= 256 && origin.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The note text to sign.
    public var body: String {
        ([origin, String(size), Base64.encode(rootHash.bytes)] + extensions).map { $0 + "\n" }.joined()
    }

    /// Reads a checkpoint body (the text of its note).
    public init(parsingBody body: String) throws(NoteError) {
        guard body.utf8.last == UInt8(ascii: "\n") else { throw NoteError("the checkpoint does not end with a newline") }
        let lines = body.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else {
            throw NoteError("the checkpoint has \(lines.count) lines, not at least 3 (origin, size, root hash)")
        }
        guard let size = Self.parseSize(lines[1]) else {
            throw NoteError("the checkpoint's size \"\(lines[1])\" is not a decimal number without leading zeros that fits in 64 bits")
        }
        guard let rootBytes = Base64.decode(lines[2]), let root = MerkleHash(exactly: rootBytes) else {
            throw NoteError("the checkpoint's root hash \"\(lines[2])\" is not the Base64 of 32 bytes")
        }
        try self.init(origin: lines[0], size: size, rootHash: root, extensions: Array(lines.dropFirst(3)))
    }

    /// Refuses an empty line, or one with a newline or control character.
    static func checkLine(_ line: String, _ what: String) throws(NoteError) {
        guard !line.isEmpty else { throw NoteError("\(what) is empty") }
        if line.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw NoteError("\(what) \"\(line)\" contains a control character")
        }
    }

    /// ASCII decimal digits, no leading zero unless the number is 0, at most
    /// UInt64.max.
    static func parseSize(_ text: String) -> UInt64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count == 1 || digits[0] != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}

/// A checkpoint with the note that carries it, as an auditor receives it:
/// either a signed note or, for a ledger without a signing key, the bare
/// body (then `note.signatures` is empty and no key verifies it).
public struct SignedCheckpoint: Sendable, Equatable {
    public let note: SignedNote
    public let checkpoint: Checkpoint

    /// Reads a signed checkpoint note, or a checkpoint body alone.
    public init(parsing text: String) throws(NoteError) {
        // A body has no blank line; a signed note has one before its signatures.
        if text.utf8.contains("\n\n".utf8) {
            note = try SignedNote(parsing: text)
        } else {
            note = try SignedNote(text: text, signatures: [])
        }
        checkpoint = try Checkpoint(parsingBody: note.text)
    }

    /// Signs `checkpoint` with each of `keys`.
    public static func sign(_ checkpoint: Checkpoint, with keys: [NoteSignerKey]) throws(NoteError) -> SignedCheckpoint {
        SignedCheckpoint(note: try SignedNote.sign(text: checkpoint.body, with: keys), checkpoint: checkpoint)
    }

    init(note: SignedNote, checkpoint: Checkpoint) {
        self.note = note
        self.checkpoint = checkpoint
    }

    /// Checks that `key` signed the checkpoint (see `SignedNote.verify(with:)`).
    public func verify(with key: NoteVerifierKey) throws(NoteError) {
        try note.verify(with: key)
    }
}
