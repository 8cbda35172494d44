import EventStore
import LedgerCore

/// `verify`: the chain, the Merkle tree and, for the whole log, every
/// derived database; and its JSON (docs/OUTPUT.md), for the command and for
/// `GET /v1/verify`.
public enum VerifyQuery {
    /// Checks the chain up to `last` (and `expect`), then, when the chain is
    /// intact, the view is the whole log and not `chainOnly`, the derived
    /// databases (an import between the two reads is checked too: the
    /// derived check reads the ledger as it then is, every record it reads checked).
    public static func run(_ ledger: Ledger, expect: (seq: UInt64, hash: [UInt8])?, upTo last: UInt64, wholeLog: Bool,
                           chainOnly: Bool, progress: ((String) -> Void)? = nil) throws -> VerifyReport {
        var report = try ledger.verify(expect: expect, upTo: last) { seq in
            progress?("verified through seq \(seq) of \(last)")
        }
        if !chainOnly && report.firstBadSeq == nil && wholeLog {
            report.derived = try ledger.checkDerivedData { message in progress?(message) }
        }
        return report
    }

    /// The JSON object of `verify --format json`, without its closing brace
    /// (the command adds `against` for a held checkpoint).
    public static func jsonFields(_ report: VerifyReport) -> String {
        let hash = HashChain.hex(report.headHash)
        var object = "{\"head\":\(report.headSeq),\"hash\":\"\(hash)\",\"ok\":\(report.ok)"
        if let bad = report.firstBadSeq {
            object += ",\"firstBadSeq\":\(bad),\"problem\":\(JSONString.quote(report.problem ?? ""))"
        }
        if let expectation = report.expectation {
            object += ",\"expect\":{\"seq\":\(expectation.seq),\"matches\":\(expectation.matches)"
                + (expectation.actual.map { ",\"actual\":\"\(HashChain.hex($0))\"" } ?? "") + "}"
        }
        if let problem = report.treeProblem { object += ",\"treeProblem\":\(JSONString.quote(problem))" }
        // Derived data is named only when it differs: the output of a
        // sound ledger is what it always was.
        if let derived = report.derived, !derived.ok {
            object += ",\"derived\":{\"ok\":\(derived.ok),\"checked\":[\(derived.checked.map(JSONString.quote).joined(separator: ","))],"
                + "\"problemCount\":\(derived.problemCount),\"problems\":["
                + derived.problems.map { "{\"database\":\(JSONString.quote($0.database)),\"problem\":\(JSONString.quote($0.message))}" }.joined(separator: ",")
                + "],\"notes\":[\(derived.notes.map(JSONString.quote).joined(separator: ","))]}"
        }
        if let broken = report.expectationBrokenAt { object += ",\"expectBrokenAt\":\(broken)" }
        return object
    }
}
