import ArgumentParser
import EventStore
import LedgerCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the hash chain and print the head sequence number and hash.",
        discussion: """
            Exit 0 when every record is intact; exit 1 naming the first bad sequence number, or when \
            --expect does not match. Write down the printed SEQ:HASH: a later `verify --expect SEQ:HASH` \
            proves that nothing up to SEQ has changed since.
            """)

    @OptionGroup var location: LedgerLocation

    @Option(help: ArgumentHelp("A digest written down earlier, SEQ:HASH (64 hex digits).", valueName: "seq:hash"))
    var expect: String?

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
        if view.effectiveOn != nil {
            throw ValidationError("--effective-on: verify checks a prefix of the log; choose it with --as-of-seq or --known-at")
        }
    }

    func run() throws {
        let ledger = try location.open(readOnly: true)
        let last = try ledger.lastSeq(of: view.ledgerView)
        // A long chain shows its progress on a terminal.
        let showProgress = isTerminal(2) && last >= 1_000_000
        let report = try ledger.verify(expect: expected, upTo: last) { seq in
            if showProgress { printError("verified through seq \(seq) of \(last)") }
        }
        var out = Output()
        let hash = HashChain.hex(report.headHash)
        switch view.outputFormat {
        case .json:
            var object = "{\"head\":\(report.headSeq),\"hash\":\"\(hash)\",\"ok\":\(report.ok)"
            if let bad = report.firstBadSeq {
                object += ",\"firstBadSeq\":\(bad),\"problem\":\(jsonString(report.problem ?? ""))"
            }
            if let expectation = report.expectation {
                object += ",\"expect\":{\"seq\":\(expectation.seq),\"matches\":\(expectation.matches)"
                    + (expectation.actual.map { ",\"actual\":\"\(HashChain.hex($0))\"" } ?? "") + "}"
            }
            out.line(object + "}")
        case .csv:
            out.line("head,hash,ok,firstBadSeq,problem")
            out.line("\(report.headSeq),\(hash),\(report.ok),\(report.firstBadSeq.map(String.init) ?? ""),\(csvField(report.problem ?? ""))")
        case .table:
            if let bad = report.firstBadSeq {
                out.line("FAILED at seq \(bad): \(report.problem ?? "")")
                out.line("intact up to seq \(report.headSeq) \(hash)")
            } else {
                out.line("ok: \(report.headSeq) events, chain intact")
                out.line("head \(report.headSeq):\(hash)")
            }
            if let expectation = report.expectation {
                if expectation.matches {
                    out.line("expected digest at seq \(expectation.seq) matches")
                } else if let actual = expectation.actual {
                    out.line("MISMATCH: expected digest at seq \(expectation.seq) differs; the ledger has \(HashChain.hex(actual))")
                } else {
                    out.line("MISMATCH: the ledger has no event \(expectation.seq)")
                }
            }
        }
        out.flush()
        if !report.ok { throw ExitCode(1) }
    }
}
