import Crypto

// Signed notes (c2sp.org/signed-note) with Ed25519 keys: the envelope in which
// a ledger publishes its checkpoints, so that an auditor holding only the
// ledger's verifier key can tell, offline, that a checkpoint is the ledger's.

/// Why a key, a note or a checkpoint is refused, in plain words.
public struct NoteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The Ed25519 signature type of signed notes.
let ed25519Algorithm: UInt8 = 0x01

/// The most signature lines a note may carry; more are refused rather than read.
let maxNoteSignatures = 100

/// Whether `name` can name a note key: non-empty, no Unicode white space and
/// no `+` (which separates the parts of a key's text).
func isValidNoteKeyName(_ name: String) -> Bool {
    !name.isEmpty && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "+" }
}

/// The key ID of an Ed25519 key: the first four bytes, big-endian, of
/// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
func noteKeyHash(name: String, publicKey: [UInt8]) -> UInt32 {
    var hasher = SHA256()
    hasher.update(data: Array(name.utf8) + [0x0A, ed25519Algorithm] + publicKey)
    return hasher.finalize().withUnsafeBytes { raw in
        raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}

/// Eight lower-case hexadecimal digits.
func hex8(_ value: UInt32) -> String {
    let digits = Array("0123456789abcdef".utf8)
    let out = stride(from: 28, through: 0, by: -4).map { digits[Int(value >> UInt32($0) & 0x0F)] }
    return String(decoding: out, as: UTF8.self)
}

/// The value of exactly eight lower-case hexadecimal digits, the one way a
/// key ID is written.
func parseHex8(_ text: some StringProtocol) -> UInt32? {
    let symbols = Array(text.utf8)
    guard symbols.count == 8 else { return nil }
    var value: UInt32 = 0
    for symbol in symbols {
        switch symbol {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt32(symbol - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt32(symbol - UInt8(ascii: "a") + 10)
        default: return nil
        }
    }
    return value
}

/// `text` cut at each `+`, at most `limit` pieces (the last keeps its `+`s,
/// as Base64 may contain them).
func splitKeyText(_ text: String, pieces limit: Int) -> [Substring] {
    var body = Substring(text)
    if body.hasSuffix("\n") { body = body.dropLast() }
    return body.split(separator: "+", maxSplits: limit - 1, omittingEmptySubsequences: false)
}

/// A key that checks signatures: what an auditor is given, out of band, to
/// trust a ledger's checkpoints. Written `NAME+HASH+BASE64(0x01 ‖ key)`.
public struct NoteVerifierKey: Sendable, Equatable {
    public let name: String
    /// The key ID that signature lines carry.
    public let keyHash: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// The verifier key named `name` for a 32-byte Ed25519 public key.
    public init(name: String, publicKey: [UInt8]) throws(NoteError) {
        guard isValidNoteKeyName(name) else { throw NoteError("the key name \"\(name)\" is empty or contains white space or '+'") }
        guard publicKey.count == 32 else { throw NoteError("an Ed25519 public key is 32 bytes, not \(publicKey.count)") }
        self.name = name
        self.publicKey = publicKey
        keyHash = noteKeyHash(name: name, publicKey: publicKey)
    }

    /// Reads a verifier key's text; one trailing newline is allowed.
    public init(parsing text: String) throws(NoteError) {
        let parts = splitKeyText(text, pieces: 3)
        guard parts.count == 3 else { throw NoteError("a verifier key is written NAME+HASH+KEY") }
        guard let hash = parseHex8(parts[1]) else {
            throw NoteError("the verifier key's hash \"\(parts[1])\" is not eight lower-case hexadecimal digits")
        }
        guard let key = Base64.decode(parts[2]) else { throw NoteError("the verifier key is not valid Base64") }
        guard key.count == 33 else { throw NoteError("the verifier key is \(key.count) bytes, not 33 (type byte and Ed25519 key)") }
        guard key[0] == ed25519Algorithm else { throw NoteError("the verifier key's type is \(key[0]), not 1 (Ed25519)") }
        try self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()))
        guard keyHash == hash else {
            throw NoteError("the verifier key's hash \(hex8(hash)) does not match its name and key (\(hex8(keyHash)))")
        }
    }

    /// `NAME+HASH+BASE64`, without a newline.
    public var text: String {
        "\(name)+\(hex8(keyHash))+\(Base64.encode([ed25519Algorithm] + publicKey))"
    }

    /// `NAME+HASH`, how messages name the key.
    var label: String { "\(name)+\(hex8(keyHash))" }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// A key that signs notes: the ledger operator's secret. Written
/// `PRIVATE+KEY+NAME+HASH+BASE64(0x01 ‖ seed)`; its description leaves the
/// seed out.
public struct NoteSignerKey: Sendable, CustomStringConvertible {
    public let name: String
    public let keyHash: UInt32
    /// The 32-byte Ed25519 seed (RFC 8032's private key).
    public let seed: [UInt8]
    let privateKey: Curve25519.Signing.PrivateKey

    /// The signer key named `name` for a 32-byte Ed25519 seed.
    public init(name: String, seed: [UInt8]) throws(NoteError) {
        guard isValidNoteKeyName(name) else { throw NoteError("the key name \"\(name)\" is empty or contains white space or '+'") }
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw NoteError("an Ed25519 private key is a 32-byte seed, not \(seed.count) bytes")
        }
        self.name = name
        self.seed = seed
        privateKey = key
        keyHash = noteKeyHash(name: name, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// Reads a signer key's text; one trailing newline is allowed.
    public init(parsing text: String) throws(NoteError) {
        let parts = splitKeyText(text, pieces: 5)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw NoteError("a signer key is written PRIVATE+KEY+NAME+HASH+KEY")
        }
        guard let hash = parseHex8(parts[3]) else {
            throw NoteError("the signer key's hash \"\(parts[3])\" is not eight lower-case hexadecimal digits")
        }
        guard let key = Base64.decode(parts[4]) else { throw NoteError("the signer key is not valid Base64") }
        guard key.count == 33 else { throw NoteError("the signer key is \(key.count) bytes, not 33 (type byte and Ed25519 seed)") }
        guard key[0] == ed25519Algorithm else { throw NoteError("the signer key's type is \(key[0]), not 1 (Ed25519)") }
        try self.init(name: String(parts[2]), seed: Array(key.dropFirst()))
        guard keyHash == hash else {
            throw NoteError("the signer key's hash \(hex8(hash)) does not match its name and public key (\(hex8(keyHash)))")
        }
    }

    /// A new random key named `name`.
    public static func generate(name: String) throws(NoteError) -> NoteSignerKey {
        try NoteSignerKey(name: name, seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// `PRIVATE+KEY+NAME+HASH+BASE64`, without a newline. Keep it secret.
    public var text: String {
        "PRIVATE+KEY+\(name)+\(hex8(keyHash))+\(Base64.encode([ed25519Algorithm] + seed))"
    }

    /// The key that checks this key's signatures, to hand to auditors.
    public var verifierKey: NoteVerifierKey {
        NoteVerifierKey(checkedName: name, keyHash: keyHash, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// The 64-byte Ed25519 signature of `message` (deterministic, RFC 8032).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        do {
            return Array(try privateKey.signature(for: message))
        } catch {
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
    }

    public var description: String { "NoteSignerKey(\(name)+\(hex8(keyHash)))" }
}

extension NoteVerifierKey {
    /// A key whose name and hash are already known to be right.
    init(checkedName name: String, keyHash: UInt32, publicKey: [UInt8]) {
        self.name = name
        self.keyHash = keyHash
        self.publicKey = publicKey
    }
}

/// One signature line of a note: `— NAME BASE64(key ID ‖ signature)`.
public struct NoteSignature: Sendable, Equatable {
    public let name: String
    public let keyHash: UInt32
    /// The signature bytes after the key ID (64 for Ed25519; other key
    /// types are kept as they are, for keys this code does not know).
    public let signature: [UInt8]

    static let prefix = "\u{2014} "

    public init(name: String, keyHash: UInt32, signature: [UInt8]) throws(NoteError) {
        guard isValidNoteKeyName(name) else { throw NoteError("the signature's key name \"\(name)\" is empty or contains white space or '+'") }
        guard !signature.isEmpty else { throw NoteError("the signature by \(name) is empty") }
        self.name = name
        self.keyHash = keyHash
        self.signature = signature
    }

    /// Reads one signature line, without its newline.
    public init(parsingLine line: some StringProtocol) throws(NoteError) {
        guard line.hasPrefix(Self.prefix) else {
            throw NoteError("the signature line \"\(line)\" does not start with an em dash (U+2014) and a space")
        }
        let rest = line.dropFirst(Self.prefix.count)
        guard let space = rest.firstIndex(of: " ") else {
            throw NoteError("the signature line \"\(line)\" has no space between key name and signature")
        }
        let name = String(rest[..<space])
        guard let bytes = Base64.decode(rest[rest.index(after: space)...]) else {
            throw NoteError("the signature by \(name) is not valid Base64")
        }
        guard bytes.count > 4 else { throw NoteError("the signature by \(name) is too short to hold a key ID and a signature") }
        let hash = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        try self.init(name: name, keyHash: hash, signature: Array(bytes.dropFirst(4)))
    }

    /// The line with its newline.
    public var line: String {
        let id: [UInt8] = [UInt8(keyHash >> 24), UInt8(keyHash >> 16 & 0xFF), UInt8(keyHash >> 8 & 0xFF), UInt8(keyHash & 0xFF)]
        return "\(Self.prefix)\(name) \(Base64.encode(id + signature))\n"
    }
}

/// A text and the signatures over it (c2sp.org/signed-note). Written as the
/// text, a blank line, and one signature line each.
///
/// The text is non-empty, ends in a newline and has no control characters
/// other than newlines; it may contain empty lines (the last empty line of
/// a note separates the text from its signatures). A note read from text
/// carries 1 to 100 signatures; an unsigned checkpoint body read by
/// `SignedCheckpoint` carries none.
public struct SignedNote: Sendable, Equatable {
    /// The signed text, with its final newline.
    public let text: String
    public let signatures: [NoteSignature]

    /// A note of `text` and `signatures`, both checked for form (not for
    /// validity: that is `verify(with:)`).
    public init(text: String, signatures: [NoteSignature]) throws(NoteError) {
        try Self.checkText(text)
        guard signatures.count <= maxNoteSignatures else {
            throw NoteError("the note has \(signatures.count) signatures, more than the \(maxNoteSignatures) allowed")
        }
        self.text = text
        self.signatures = signatures
    }

    /// Whether `name` can name a key: non-empty, no Unicode white space, no `+`.
    public static func isValidKeyName(_ name: String) -> Bool { isValidNoteKeyName(name) }

    /// Refuses a text that cannot be signed: empty, without a final newline,
    /// or holding a control character other than newline.
    static func checkText(_ text: String) throws(NoteError) {
        guard !text.isEmpty else { throw NoteError("the note's text is empty") }
        guard text.utf8.last == UInt8(ascii: "\n") else { throw NoteError("the note's text does not end with a newline") }
        try checkControlCharacters(text, in: "the note's text")
    }

    static func checkControlCharacters(_ text: String, in place: String) throws(NoteError) {
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\n" }) {
            throw NoteError("\(place) contains the control character U+\(hex8(bad.value).dropFirst(4).uppercased())")
        }
    }

    /// Reads a signed note: text, blank line, signature lines.
    public init(parsing note: String) throws(NoteError) {
        try Self.checkControlCharacters(note, in: "the note")
        let bytes = Array(note.utf8)
        guard bytes.last == UInt8(ascii: "\n") else { throw NoteError("the note does not end with a newline") }
        let newline = UInt8(ascii: "\n")
        // The last blank line separates text and signatures.
        guard let split = bytes.indices.dropLast().last(where: { bytes[$0] == newline && bytes[$0 + 1] == newline }) else {
            throw NoteError("the note has no blank line before its signatures")
        }
        let text = String(decoding: bytes[...split], as: UTF8.self)
        let lines = bytes[(split + 2)...].split(separator: newline, omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw NoteError("the note has no signatures") }
        guard lines.count <= maxNoteSignatures else {
            throw NoteError("the note has \(lines.count) signatures, more than the \(maxNoteSignatures) allowed")
        }
        var signatures: [NoteSignature] = []
        for line in lines {
            signatures.append(try NoteSignature(parsingLine: String(decoding: line, as: UTF8.self)))
        }
        try self.init(text: text, signatures: signatures)
    }

    /// The note as text: the text, a blank line and the signature lines; an
    /// unsigned note is its text alone.
    public var serialized: String {
        signatures.isEmpty ? text : text + "\n" + signatures.map(\.line).joined()
    }

    /// Signs `text` with each of `keys` (at least one), in that order.
    public static func sign(text: String, with keys: [NoteSignerKey]) throws(NoteError) -> SignedNote {
        try checkText(text)
        guard !keys.isEmpty else { throw NoteError("a note needs at least one key to sign it") }
        let message = Array(text.utf8)
        var signatures: [NoteSignature] = []
        for key in keys {
            signatures.append(try NoteSignature(name: key.name, keyHash: key.keyHash, signature: key.sign(message)))
        }
        return try SignedNote(text: text, signatures: signatures)
    }

    /// Checks that `key` signed this note: some signature line carries the
    /// key's name and key ID, and every such line is a valid signature of
    /// the text. Lines of other keys are ignored, as the format requires.
    public func verify(with key: NoteVerifierKey) throws(NoteError) {
        let mine = signatures.filter { $0.name == key.name && $0.keyHash == key.keyHash }
        guard !mine.isEmpty else { throw NoteError("not signed by \(key.label)") }
        let message = Array(text.utf8)
        for signature in mine where !key.verify(signature.signature, of: message) {
            throw NoteError("the signature by \(key.label) does not verify: the text or the signature has been altered")
        }
    }
}
