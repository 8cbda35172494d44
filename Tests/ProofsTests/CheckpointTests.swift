import Testing
@testable import Proofs

/// Checkpoint bodies: they read back as written, signed or not, and each
/// malformed line is refused.
@Suite struct CheckpointTests {
    /// The root of the eight-leaf Certificate Transparency test tree.
    static let root = MerkleTests.hex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    static let rootBase64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    static let body = "ledger.example/subsidies\n8\n\(rootBase64)\n"

    static func error(_ body: () throws(NoteError) -> Void) -> NoteError? {
        SignedNoteTests.error(body)
    }

    @Test func bodyRoundTrips() throws {
        let checkpoint = try Checkpoint(origin: "ledger.example/subsidies", size: 8, rootHash: Self.root)
        #expect(checkpoint.body == Self.body)
        #expect(try Checkpoint(parsingBody: Self.body) == checkpoint)

        let extended = try Checkpoint(origin: "ledger.example/subsidies", size: 8, rootHash: Self.root,
                                      extensions: ["timestamp 1700000000", "— not a signature"])
        #expect(extended.body == Self.body + "timestamp 1700000000\n— not a signature\n")
        #expect(try Checkpoint(parsingBody: extended.body) == extended)

        let empty = try Checkpoint(origin: "o", size: 0, rootHash: Merkle.emptyRoot)
        #expect(empty.body == "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        #expect(try Checkpoint(parsingBody: empty.body) == empty)

        let largest = "o\n18446744073709551615\n\(Self.rootBase64)\n"
        #expect(try Checkpoint(parsingBody: largest).size == UInt64.max)
    }

    @Test func signedAndUnsignedCheckpointsAreRead() throws {
        let key = try SignedNoteTests.signer()
        let checkpoint = try Checkpoint(parsingBody: Self.body)
        let signed = try SignedCheckpoint.sign(checkpoint, with: [key])
        #expect(signed.note.serialized.hasPrefix(Self.body + "\n\u{2014} PeterNeumann "))

        let reread = try SignedCheckpoint(parsing: signed.note.serialized)
        #expect(reread == signed)
        #expect(reread.checkpoint == checkpoint)
        try reread.verify(with: key.verifierKey)

        let unsigned = try SignedCheckpoint(parsing: Self.body)
        #expect(unsigned.checkpoint == checkpoint)
        #expect(unsigned.note.signatures.isEmpty)
        #expect(unsigned.note.serialized == Self.body)
        let error = Self.error { () throws(NoteError) in try unsigned.verify(with: key.verifierKey) }
        #expect(error?.message == "not signed by PeterNeumann+c74f20a3")

        // A signed note whose text is not a checkpoint is refused.
        let notCheckpoint = try SignedNote.sign(text: "hello\n", with: [key]).serialized
        #expect(Self.error { () throws(NoteError) in _ = try SignedCheckpoint(parsing: notCheckpoint) } != nil)
        // A checkpoint with a blank line but no signatures is refused.
        #expect(Self.error { () throws(NoteError) in _ = try SignedCheckpoint(parsing: Self.body + "\n") }?
            .message.contains("no signatures") == true)
    }

    @Test(arguments: [
        ("ledger\n8\n\(rootBase64)", "does not end with a newline"),
        ("ledger\n8\n", "not at least 3"),
        ("", "does not end with a newline"),
        ("\n8\n\(rootBase64)\n", "origin is empty"),
        ("led\tger\n8\n\(rootBase64)\n", "control character"),
        ("ledger\n08\n\(rootBase64)\n", "size \"08\""),
        ("ledger\n00\n\(rootBase64)\n", "size"),
        ("ledger\n+8\n\(rootBase64)\n", "size"),
        ("ledger\n-8\n\(rootBase64)\n", "size"),
        ("ledger\n 8\n\(rootBase64)\n", "size"),
        ("ledger\n8 \n\(rootBase64)\n", "size"),
        ("ledger\n\n\(rootBase64)\n", "size"),
        ("ledger\n0x8\n\(rootBase64)\n", "size"),
        ("ledger\n١\n\(rootBase64)\n", "size"),
        ("ledger\n18446744073709551616\n\(rootBase64)\n", "size"),
        ("ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", "32 bytes"),
        ("ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyhh\n", "32 bytes"),
        ("ledger\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqtl0lgz+Nw7/RgQyg\n", "32 bytes"),
        ("ledger\n8\n\(rootBase64)\n\n", "extension line is empty"),
        ("ledger\n8\n\(rootBase64)\nfine\n\nafter\n", "extension line is empty"),
    ])
    func malformedBodiesAreRefused(_ body: String, _ reason: String) {
        let error = Self.error { () throws(NoteError) in _ = try Checkpoint(parsingBody: body) }
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func checkpointsCannotBeBuiltWithBadLines() {
        for (origin, extensions) in [("", []), ("two\nlines", []), ("o", [""]), ("o", ["a\nb"])] as [(String, [String])] {
            #expect(throws: NoteError.self) { try Checkpoint(origin: origin, size: 1, rootHash: Self.root, extensions: extensions) }
        }
    }

    @Test func origins() {
        for good in ["ledger.example/subsidies", "o", "~!", String(repeating: "a", count: 256)] {
            #expect(Checkpoint.isValidOrigin(good))
        }
        for bad in ["", "has space", "tab\there", "é", "del\u{7F}", String(repeating: "a", count: 257)] {
            #expect(!Checkpoint.isValidOrigin(bad), "\(bad)")
        }
    }
}
