import ArgumentParser
import EventStore
import Proofs

struct RebuildCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop the stored projections and rebuild them from the log; print their digest; recompute the Merkle tree.",
        discussion: """
            The projections (balances and their snapshots) are derived from the log alone and are \
            normally kept current by every import. The digest is SHA-256 of the canonical bytes of the \
            whole state: the same log gives the same digest on every machine, and a rebuild gives the \
            digest the incremental projections had. A snapshot of the whole state is kept every 250,000 \
            events (SUBSIDY_LEDGER_SNAPSHOT_EVENTS changes it), so an as-of read folds at most that many \
            events after the nearest snapshot. The Merkle tree over the log is recomputed too, and \
            rewritten if what was stored differs (the output says so).

            The chain is verified first: a log that fails it is not rebuilt from (exit 1). Every derived \
            database is then compared with what the log implies, as `verify` does; what differed is \
            reported, rewritten from the log, and the command exits 1 so that the repair is never silent.
            """)

    @OptionGroup var location: LedgerLocation
    /// What differs in derived data may name a person.
    @OptionGroup var privacy: PrivacyOptions

    @Flag(inversion: .prefixedNo, help: "Show progress on standard error (default: on when it is a terminal).")
    var progress: Bool?

    @Option(name: .long, help: ArgumentHelp("Output format: table or json.", valueName: "format"))
    var format: String = "table"

    func validate() throws {
        guard format == "table" || format == "json" else { throw ValidationError("--format: \"\(format)\" is not table or json") }
    }

    func run() throws {
        let ledger = try location.open(readOnly: false)
        let show = progress ?? isTerminal(2)
        // Derived data is only ever rebuilt from a log that verifies.
        let chain = try ledger.verify { seq in
            if show { printError("verified through seq \(seq)") }
        }
        if let bad = chain.firstBadSeq {
            printError("rebuild: the log fails its check at seq \(bad): \(chain.problem ?? "")")
            printError("nothing was rebuilt: derived data is only rebuilt from an intact log; restore the ledger from a copy that verifies")
            throw ExitCode(1)
        }
        let found = try ledger.checkDerivedData { message in
            if show { printError(message) }
        }
        // A log that breaks an append rule cannot be rebuilt from.
        if let broken = found.problems.first(where: { $0.database == "events" }) {
            printError("rebuild: \(broken.message)", masking: privacy.masking)
            printError("nothing was rebuilt: derived data is only rebuilt from a log every event of which could have been appended")
            throw ExitCode(1)
        }
        let indexesDiffer = found.problems.contains { ["ids", "streams", "stream-events", "reversals"].contains($0.database) }
        let before: (checkpoint: UInt64, digest: String)?
        let result: (head: UInt64, digest: String)
        let status: Ledger.ProjectionStatus
        let tree: (size: UInt64, root: MerkleHash, differing: Int)
        do {
            if indexesDiffer {
                try ledger.rewriteIndexes { seq in
                    if show { printError("rewrote the indexes through seq \(seq)") }
                }
            }
            before = try ledger.storedProjectionDigest()
            result = try ledger.rebuildProjections { seq in
                if show { printError("rebuilt through seq \(seq)") }
            }
            status = try ledger.projectionStatus()
            if chain.treeProblem == nil, chain.storedTreeSize == chain.headSeq, chain.tree.size == chain.headSeq,
               result.head == chain.headSeq {
                // The check above recomputed the whole tree from the events
                // and found the stored frontier and every stored node equal
                // to it, and nothing was appended since: hashing every
                // event again would rewrite nothing.
                tree = (chain.tree.size, chain.tree.root, 0)
            } else {
                tree = try ledger.rebuildMerkleTree { seq in
                    if show { printError("hashed the tree through seq \(seq)") }
                }
            }
        } catch {
            throw storageFailure(error, "the log is unchanged and what the rebuild had stored is consistent with it; run rebuild again once the disk has room (or is repaired)")
        }
        var out = Output(masking: privacy.masking)
        if format == "json" {
            out.line("{\"head\":\(result.head),\"digest\":\"\(result.digest)\",\"snapshots\":[\(status.snapshots.map(String.init).joined(separator: ","))],"
                + "\"previousDigest\":\(before.map { "\"\($0.digest)\"" } ?? "null"),\"previousCheckpoint\":\(before.map { String($0.checkpoint) } ?? "null"),"
                + "\"tree\":{\"size\":\(tree.size),\"rootHash\":\"\(Base64.encode(tree.root.bytes))\",\"differing\":\(tree.differing)},"
                + "\"differences\":{\"count\":\(found.problemCount),\"repaired\":["
                + found.problems.map { "{\"database\":\(jsonString($0.database)),\"problem\":\(jsonString($0.message))}" }.joined(separator: ",")
                + "]}}")
        } else {
            if let problem = chain.treeProblem { out.line("FOUND the stored Merkle tree differing from the events: \(problem)") }
            if !found.ok {
                out.line("FOUND \(found.problemCount) difference\(found.problemCount == 1 ? "" : "s") between the stored derived data and the log, now rewritten from the log:")
                for problem in found.problems { out.line("  \(problem)") }
            }
            out.line("rebuilt projections through seq \(result.head)")
            out.line("digest \(result.digest)")
            if let before {
                out.line(before.checkpoint == result.head && before.digest == result.digest
                    ? "the stored projections had the same digest"
                    : "the stored projections (checkpoint \(before.checkpoint)) had digest \(before.digest)")
            }
            out.line("snapshots at seq \(status.snapshots.isEmpty ? "(none yet)" : status.snapshots.map(String.init).joined(separator: ", "))")
            out.line("merkle tree of \(tree.size) events, root \(Base64.encode(tree.root.bytes))")
            out.line(tree.differing == 0 ? "the stored tree was the same"
                : "the stored tree differed in \(tree.differing) place(s) and was rewritten from the events")
        }
        out.flush()
        // A tree that was never stored is built, not repaired: only a stored
        // one that verify found wrong is a finding.
        if !found.ok || chain.treeProblem != nil { throw ExitCode(1) }
    }
}
