import Testing
@testable import Proofs

/// Signed notes against the published example of golang.org/x/mod/sumdb/note
/// (the PeterNeumann key), and each way a key or a note can be malformed.
@Suite struct SignedNoteTests {
    static let signerText = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let verifierText = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let signatureLine = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let note = text + "\n" + signatureLine

    static func signer() throws -> NoteSignerKey { try NoteSignerKey(parsing: signerText) }
    static func verifier() throws -> NoteVerifierKey { try NoteVerifierKey(parsing: verifierText) }

    /// The error `body` throws, or nil.
    static func error(_ body: () throws(NoteError) -> Void) -> NoteError? {
        do throws(NoteError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: The known answer

    @Test func keysMatchTheKnownAnswer() throws {
        let signer = try Self.signer()
        #expect(signer.name == "PeterNeumann")
        #expect(signer.keyHash == 0xc74f_20a3)
        #expect(signer.seed.count == 32)
        #expect(signer.text == Self.signerText)
        #expect(signer.verifierKey.text == Self.verifierText)
        let verifier = try Self.verifier()
        #expect(verifier == signer.verifierKey)
        #expect(verifier.text == Self.verifierText)
        #expect(try NoteVerifierKey(parsing: Self.verifierText + "\n") == verifier)
        #expect(try NoteSignerKey(parsing: Self.signerText + "\n").text == Self.signerText)
        #expect(!"\(signer)".contains("AYEKFALV"), "a signer key's description leaves the seed out")
    }

    @Test func signingGivesTheKnownNote() throws {
        let note = try SignedNote.sign(text: Self.text, with: [Self.signer()])
        #expect(note.serialized == Self.note)
        #expect(note.signatures.count == 1)
        #expect(note.signatures.first?.signature.count == 64)
        #expect(try SignedNote(parsing: Self.note) == note)
        try note.verify(with: Self.verifier())
        try SignedNote(parsing: Self.note).verify(with: Self.verifier())
    }

    // MARK: Verification fails when anything is altered

    @Test func alteredTextFails() throws {
        var bytes = Array(Self.note.utf8)
        bytes[3] ^= 0x01 // "you" → "xou"
        let note = try SignedNote(parsing: String(decoding: bytes, as: UTF8.self))
        let verifier = try Self.verifier()
        let error = Self.error { () throws(NoteError) in try note.verify(with: verifier) }
        #expect(error?.message.contains("PeterNeumann+c74f20a3 does not verify") == true, "\(String(describing: error))")
    }

    @Test func alteredSignatureFails() throws {
        let good = try SignedNote(parsing: Self.note)
        let verifier = try Self.verifier()
        for index in [0, 31, 63] {
            var signature = good.signatures[0]
            var bytes = signature.signature
            bytes[index] ^= 0x80
            signature = try NoteSignature(name: signature.name, keyHash: signature.keyHash, signature: bytes)
            let bad = try SignedNote(text: good.text, signatures: [signature])
            let error = Self.error { () throws(NoteError) in try bad.verify(with: verifier) }
            #expect(error?.message.contains("does not verify") == true, "byte \(index)")
            // Read back from its text, it fails the same way.
            let reread = try SignedNote(parsing: bad.serialized)
            #expect(Self.error { () throws(NoteError) in try reread.verify(with: verifier) } != nil)
        }
    }

    @Test func anotherKeyFails() throws {
        let other = try NoteSignerKey.generate(name: "PeterNeumann")
        let note = try SignedNote(parsing: Self.note)
        let error = Self.error { () throws(NoteError) in try note.verify(with: other.verifierKey) }
        #expect(error?.message == "not signed by PeterNeumann+\(hex8(other.verifierKey.keyHash))")
        // A key with the same name and key ID but another public key is not
        // ignored: its signature line is checked, and fails.
        let impostor = NoteVerifierKey(checkedName: "PeterNeumann", keyHash: 0xc74f_20a3,
                                       publicKey: other.verifierKey.publicKey)
        let impostorError = Self.error { () throws(NoteError) in try note.verify(with: impostor) }
        #expect(impostorError?.message.contains("does not verify") == true)
        // The same key ID under another name is another key.
        let renamed = NoteVerifierKey(checkedName: "PaulNeumann", keyHash: 0xc74f_20a3, publicKey: try Self.verifier().publicKey)
        #expect(Self.error { () throws(NoteError) in try note.verify(with: renamed) }?.message == "not signed by PaulNeumann+c74f20a3")
    }

    @Test func generatedKeysRoundTripAndCosign() throws {
        let ledger = try NoteSignerKey.generate(name: "ledger.example/subsidies")
        let witness = try NoteSignerKey.generate(name: "witness.example/1")
        #expect(ledger.seed != witness.seed)
        #expect(try NoteSignerKey(parsing: ledger.text).seed == ledger.seed)
        #expect(try NoteVerifierKey(parsing: ledger.verifierKey.text) == ledger.verifierKey)
        let note = try SignedNote.sign(text: "one\n\nempty line above\n", with: [ledger, witness])
        let reread = try SignedNote(parsing: note.serialized)
        #expect(reread == note)
        #expect(reread.text == "one\n\nempty line above\n")
        try reread.verify(with: ledger.verifierKey)
        try reread.verify(with: witness.verifierKey)
        let peter = try Self.verifier()
        #expect(Self.error { () throws(NoteError) in try reread.verify(with: peter) } != nil)
    }

    // MARK: Names

    @Test func keyNames() {
        for good in ["PeterNeumann", "example.com/abc123", "ünïcödé", "a"] {
            #expect(SignedNote.isValidKeyName(good), "\(good)")
        }
        for bad in ["", "a b", "a+b", "+", "a\tb", "a\u{00A0}b", "a\u{2003}b", "a\u{3000}b", "a\u{0085}b"] {
            #expect(!SignedNote.isValidKeyName(bad), "\(bad.unicodeScalars.map(\.value))")
        }
        #expect(throws: NoteError.self) { try NoteSignerKey.generate(name: "two words") }
    }

    // MARK: Malformed keys

    /// The PeterNeumann verifier key with its decoded key bytes changed.
    static func editedVerifierText(editingKey edit: (inout [UInt8]) -> Void) -> String {
        var key = Base64.decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ?? []
        edit(&key)
        return "PeterNeumann+c74f20a3+" + Base64.encode(key)
    }

    @Test func malformedVerifierKeysAreRefused() {
        let cases: [(String, String)] = [
            ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
            ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hexadecimal"),
            ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hexadecimal"),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "Base64"),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!", "Base64"),
            ("Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hexadecimal"),
            ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
            ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
            ("PeterNeumann+c74f20a3", "NAME+HASH+KEY"),
            (Self.editedVerifierText { $0[0] = 2 }, "not 1 (Ed25519)"),
            (Self.editedVerifierText { $0.removeLast() }, "not 33"),
            (Self.editedVerifierText { $0.append(0) }, "not 33"),
            (Self.editedVerifierText { $0[5] ^= 1 }, "does not match"),
            (Self.verifierTextWithNewlines, "Base64"),
        ]
        for (text, reason) in cases {
            let error = Self.error { () throws(NoteError) in _ = try NoteVerifierKey(parsing: text) }
            #expect(error?.message.contains(reason) == true, "\(text): \(String(describing: error))")
        }
    }

    static let verifierTextWithNewlines = SignedNoteTests.verifierText + "\n\n"

    @Test func malformedSignerKeysAreRefused() {
        var seed = Base64.decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz") ?? []
        seed[0] = 2
        let cases: [(String, String)] = [
            ("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "does not match"),
            ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF", "Base64"),
            ("PRIVATE+KEY+PeterNeumann+c74f20a3+" + Base64.encode(seed), "not 1 (Ed25519)"),
            ("PRIVATE+KEY+PeterNeumann+c74f20a3+" + Base64.encode(seed.dropLast()), "not 33"),
            ("PRIVATE+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "PRIVATE+KEY+"),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PRIVATE+KEY+"),
            ("PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "hexadecimal"),
        ]
        for (text, reason) in cases {
            let error = Self.error { () throws(NoteError) in _ = try NoteSignerKey(parsing: text) }
            #expect(error?.message.contains(reason) == true, "\(text): \(String(describing: error))")
        }
    }

    // MARK: Malformed notes

    @Test func malformedNotesAreRefused() throws {
        let line = Self.signatureLine
        let cases: [(String, String)] = [
            (String(Self.note.dropLast()), "does not end with a newline"),
            (Self.text + "\n", "no signatures"),
            (Self.text, "no blank line"),
            (Self.text + line, "no blank line"),
            (Self.text + "\n" + line.replacingEmDash(with: "-"), "em dash"),
            (Self.text + "\n" + line.replacingEmDash(with: "\u{2014}\u{2014}"), "em dash"),
            (Self.text + "\n" + "\u{2014}PeterNeumann x08go/ZJ\n", "em dash"),
            (Self.text + "\n" + "\u{2014} PeterNeumann\n", "no space"),
            (Self.text + "\n" + "\u{2014} PeterNeumann x08go/ZJ!\n", "Base64"),
            (Self.text + "\n" + "\u{2014} PeterNeumann  x08go/ZJ\n", "Base64"),
            (Self.text + "\n" + "\u{2014} PeterNeumann \n", "too short"),
            (Self.text + "\n" + "\u{2014} PeterNeumann x08gow==\n", "too short"),
            (Self.text + "\n" + "\u{2014} Peter+Neumann x08go/ZJ\n", "key name"),
            (Self.text + "\n" + line + "\n", "no signatures"),
            (Self.text + "\n" + line + "not a signature\n", "em dash"),
            ("If you think\r\n" + "\n" + line, "control character U+000D"),
            ("tab\there\n\n" + line, "control character U+0009"),
            (Self.text + "\n" + String(repeating: line, count: 101), "more than the 100"),
        ]
        for (text, reason) in cases {
            let error = Self.error { () throws(NoteError) in _ = try SignedNote(parsing: text) }
            #expect(error?.message.contains(reason) == true, "\(text.debugDescription): \(String(describing: error))")
        }
        // A hundred signatures are still read.
        #expect(try SignedNote(parsing: Self.text + "\n" + String(repeating: line, count: 100)).signatures.count == 100)
    }

    @Test func unsignableTextIsRefused() throws {
        let key = try Self.signer()
        let cases: [(String, [NoteSignerKey], String)] = [
            ("", [key], "empty"),
            ("no newline", [key], "does not end with a newline"),
            ("bell\u{07}\n", [key], "control character"),
            ("fine\n", [], "at least one key"),
        ]
        for (text, keys, reason) in cases {
            let error = Self.error { () throws(NoteError) in _ = try SignedNote.sign(text: text, with: keys) }
            #expect(error?.message.contains(reason) == true, "\(text.debugDescription): \(String(describing: error))")
        }
        #expect(NoteError("plain words").description == "plain words")
    }
}

extension String {
    /// This signature line with its em dash replaced.
    func replacingEmDash(with replacement: String) -> String {
        replacement + String(unicodeScalars.dropFirst())
    }
}
