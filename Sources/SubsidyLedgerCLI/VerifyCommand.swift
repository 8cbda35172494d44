import ArgumentParser
import EventStore
import LedgerCore
import LedgerQueries
import Proofs

struct VerifyCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the hash chain, the Merkle tree and every derived database; print the head sequence number and hash.",
        discussion: """
            Exit 0 when every record is intact; exit 1 naming the first bad sequence number, when the \
            stored Merkle tree differs from the one the events give, when a derived database (the \
            indexes, the stored balances, their snapshots, the date index) holds anything the log does \
            not imply (each difference named; `rebuild` rewrites them from the log), or when --expect \
            or --against does not hold. The derived databases are compared for the whole log only, and not \
            with --chain-only. Write down the printed SEQ:HASH: a later `verify --expect SEQ:HASH` proves that \
            nothing up to SEQ has changed since. A signed checkpoint (`checkpoint --sign`) does the same \
            for someone who does not trust this program: `verify --against FILE --key NAME.pub` proves \
            the ledger only grew since it was taken.
            """)

    @OptionGroup var location: LedgerLocation
    /// What differs in derived data may name a person.
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("A digest written down earlier, SEQ:HASH (64 hex digits).", valueName: "seq:hash"))
    var expect: String?

    @Option(help: ArgumentHelp(
        "A checkpoint kept earlier (from `checkpoint`): prove the ledger only grew since.", valueName: "file"))
    var against: String?

    @Option(help: ArgumentHelp("The verifier key (NAME.pub) that signed the --against checkpoint.", valueName: "pubkey"))
    var key: String?

    @Flag(name: .customLong("chain-only"), help: ArgumentHelp(
        "Check the events' chain and the Merkle tree only, not the derived databases (several times faster on a large ledger)."))
    var chainOnly = false

    /// --as-of-seq and --known-at choose the prefix to verify (its head is
    /// printed); --effective-on selects no prefix and is refused.
    @OptionGroup var view: ViewOptions

    var expected: (seq: UInt64, hash: [UInt8])? {
        guard let expect else { return nil }
        let parts = expect.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = UInt64(parts[0]), let hash = HashChain.parseHex(String(parts[1])) else { return nil }
        return (seq, hash)
    }

    func validate() throws {
        if expect != nil && expected == nil {
            throw ValidationError("--expect: \"\(expect!)\" is not SEQ:HASH with a 64-digit hexadecimal hash")
        }
        if key != nil && against == nil {
            throw ValidationError("--key checks the signature of an --against checkpoint; give --against FILE")
        }
        if against != nil && (view.asOfSeq != nil || view.knownAt != nil) {
            throw ValidationError("--against proves the whole ledger extends the checkpoint; it takes no --as-of-seq or --known-at")
        }
        if view.effectiveOn != nil {
            throw ValidationError("--effective-on: verify checks a prefix of the log; choose it with --as-of-seq or --known-at")
        }
    }

    /// The columns of `--format csv`: added to, never renamed.
    static let csvColumns = ["head", "hash", "ok", "firstBadSeq", "problem", "expectSeq", "expectMatches", "expectActual",
                             "treeProblem", "againstOrigin", "againstSize", "againstConsistent", "againstSignature", "againstProblem",
                             "derivedOk", "derivedProblemCount", "derivedProblems", "expectBrokenAt"]

    func run() throws {
        let held = try against.map { try parseCheckpoint(readSmallFile($0, what: "checkpoint"), what: $0) }
        let trusted = try key.map(loadVerifierKey)
        let ledger = try held == nil ? location.open(readOnly: true) : openWithTree(location)
        try view.checkAsOfSeq(in: ledger)
        let last = try ledger.lastSeq(of: view.ledgerView)
        // A long chain shows its progress on a terminal.
        let showProgress = isTerminal(2) && last >= 1_000_000
        let wholeLog = view.asOfSeq == nil && view.knownAt == nil
        let report = try VerifyQuery.run(ledger, expect: expected, upTo: last, wholeLog: wholeLog, chainOnly: chainOnly) { message in
            if showProgress { printError(message) }
        }
        let extends = try held.map { try HeldCheckpointCheck(held: $0, key: trusted, ledger: ledger, report: report) }
        // What could not be compared is said on standard error.
        for note in report.derived?.notes ?? [] { printError("note: \(note)", masking: privacy.masking) }
        if report.derived != nil && report.storedTreeSize == nil {
            printError("note: no stored Merkle tree (the ledger predates it; the next import builds it)")
        }
        var out = Output(masking: privacy.masking)
        let hash = HashChain.hex(report.headHash)
        switch view.outputFormat {
        case .json:
            var object = VerifyQuery.jsonFields(report)
            if let extends {
                object += ",\"against\":{\"origin\":\(jsonString(extends.held.checkpoint.origin)),\"size\":\(extends.held.checkpoint.size),"
                    + "\"consistent\":\(extends.failure == nil),\"signature\":\"\(extends.signature)\""
                    + (extends.failure.map { ",\"problem\":\(jsonString($0))" } ?? "") + "}"
            }
            out.line(object + "}")
        case .csv:
            // One record with every member of the JSON object; a member the
            // JSON leaves out is an empty field.
            out.line(Self.csvColumns.joined(separator: ","))
            let expectation = report.expectation
            let fields: [String] = [
                String(report.headSeq), hash, String(report.ok), report.firstBadSeq.map(String.init) ?? "", report.problem ?? "",
                expectation.map { String($0.seq) } ?? "", expectation.map { String($0.matches) } ?? "",
                expectation?.actual.map(HashChain.hex) ?? "", report.treeProblem ?? "",
                extends?.held.checkpoint.origin ?? "", extends.map { String($0.held.checkpoint.size) } ?? "",
                extends.map { String($0.failure == nil) } ?? "", extends?.signature ?? "", extends?.failure ?? "",
                report.derived.map { String($0.ok) } ?? "", report.derived.map { String($0.problemCount) } ?? "",
                report.derived?.problems.map(\.description).joined(separator: "; ") ?? "",
                report.expectationBrokenAt.map(String.init) ?? "",
            ]
            out.line(fields.map(csvField).joined(separator: ","))
        case .table:
            if let bad = report.firstBadSeq {
                out.line("FAILED at seq \(bad): \(TerminalText.escaped(report.problem ?? ""))")
                out.line("intact up to seq \(report.headSeq) \(hash)")
            } else if let problem = report.treeProblem {
                out.line("FAILED: \(TerminalText.escaped(problem))")
                out.line("the chain is intact up to seq \(report.headSeq) \(hash)")
            } else if let derived = report.derived, !derived.ok {
                out.line("FAILED: the derived data differs from what the log implies "
                    + "(\(derived.problemCount) difference\(derived.problemCount == 1 ? "" : "s")\(derived.problemCount > derived.problems.count ? ", the first of each database shown" : "")):")
                for problem in derived.problems { out.line("  \(problem)") }
                out.line("the chain is intact up to seq \(report.headSeq) \(hash); `rebuild` rewrites the derived data from it")
            } else {
                out.line("ok: \(report.headSeq) events, chain intact")
                out.line("head \(report.headSeq):\(hash)")
            }
            if let extends {
                out.line(TerminalText.escaped(extends.summary))
            }
            if let expectation = report.expectation {
                if expectation.matches {
                    out.line("expected digest at seq \(expectation.seq) matches")
                } else if let broken = report.expectationBrokenAt {
                    out.line("MISMATCH: the digest at seq \(expectation.seq) cannot be confirmed: the chain breaks at seq \(broken), the first bad record")
                } else if let actual = expectation.actual {
                    out.line("MISMATCH: expected digest at seq \(expectation.seq) differs; the ledger has \(HashChain.hex(actual))")
                } else {
                    out.line("MISMATCH: the ledger has no event \(expectation.seq)")
                }
            }
        }
        out.flush()
        if !report.ok || extends?.failure != nil { throw ExitCode(1) }
    }
}

/// `verify --against`: the held checkpoint's signature, origin and size,
/// and the consistency proof from it to the tree that `verify` has just
/// recomputed from the events themselves.
struct HeldCheckpointCheck {
    let held: SignedCheckpoint
    /// `checked`, `not checked` (no --key) or `invalid`.
    var signature = "not checked"
    var failure: String?

    init(held: SignedCheckpoint, key: NoteVerifierKey?, ledger: Ledger, report: VerifyReport) throws {
        self.held = held
        let checkpoint = held.checkpoint
        if let key {
            do {
                try held.note.verify(with: key)
                signature = "checked"
            } catch {
                signature = "invalid"
                failure = "signature: \(error)"
                return
            }
        }
        let origin = try ledger.origin().name
        guard checkpoint.origin == origin else {
            failure = "origin: the checkpoint is of \(checkpoint.origin), this ledger is \(origin)"
            return
        }
        // Only a ledger whose chain and tree verified can be held to it.
        guard report.ok else {
            failure = "the ledger did not verify, so it cannot be shown to extend the checkpoint"
            return
        }
        guard checkpoint.size <= report.tree.size else {
            failure = "size: the checkpoint has \(checkpoint.size) events, the ledger only \(report.tree.size): events were lost"
            return
        }
        let proof = try ledger.consistencyProof(from: checkpoint.size, size: report.tree.size)
        do {
            try Merkle.verifyConsistency(from: checkpoint.size, to: report.tree.size, oldRoot: checkpoint.rootHash,
                                         root: report.tree.root, path: proof.path)
        } catch {
            failure = "consistency: the ledger's first \(checkpoint.size) events are not the ones the checkpoint signed (\(error))"
        }
    }

    var summary: String {
        let checkpoint = held.checkpoint
        if let failure { return "NOT EXTENDING the checkpoint of \(checkpoint.origin) at size \(checkpoint.size): \(failure)" }
        return "extends the checkpoint of \(checkpoint.origin) at size \(checkpoint.size) (consistency proof checked; signature \(signature))"
    }
}
