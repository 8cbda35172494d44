import Audit
import EventStore
import LedgerCore
import Policy
import Projections
import Reports

/// `report performance` (docs/OUTPUT.md), for the command and for
/// `GET /v1/reports/performance`.
public enum PerformanceQuery {
    /// The fiscal years the event format allows.
    public static let fiscalYears: ClosedRange<Int64> = 1990...2100

    /// The audit behind the findings column failed for a reason of the
    /// policy (an overflow is thrown as it is: the ledger's problem).
    public struct AuditFailed: Error, Sendable, CustomStringConvertible {
        public var error: AuditError
        public var description: String { "the audit behind the findings column failed: \(error)" }
    }

    /// The report of `fiscalYear` over `view`: balances, the audit's
    /// findings and the live events, all pinned to the view's last event
    /// so that every pass reads the same log.
    public static func report(_ ledger: Ledger, view: LedgerView, policy: Policy, fiscalYear: Int64,
                              level: RegionLevel?, region: String?) throws -> PerformanceReport {
        // Pinned to the view's last event, so every read sees the same log.
        var pinned = view
        pinned.asOfSeq = try ledger.lastSeq(of: view)
        // Two passes over the log, neither holding its events: the audit's
        // compact facts, then the report's figures as the live events stream past.
        let findings = try auditFindings(try AuditQuery.read(ledger, view: pinned), policy: policy)
        // Budget lines and loans are all the report reads; read after the
        // audit, so that they are not held through its peak (tens of
        // megabytes of loans at ten million events).
        let (balances, last) = try ledger.balances(view: pinned, tables: .linesAndLoans)
        var accumulation = try PerformanceReport.Accumulation(
            balances: balances, findings: findings, fiscalYear: fiscalYear, level: level,
            scope: RegionScope(region), asOfSeq: last)
        try ledger.forEachLiveRecord(view: pinned) { record in
            // Only the year's grants and write-offs, recoveries of its grants
            // and the findings' triggers count; the other events are not
            // decoded at all.
            if accumulation.needs(record) { try accumulation.add(try Ledger.decoded(record).event) }
        }
        return accumulation.report()
    }

    /// The audit's findings of the same live events, as the report takes them.
    static func auditFindings(_ input: consuming AuditInput, policy: Policy) throws -> [PerformanceReport.FindingInput] {
        do {
            return performanceInputs(try Auditor(policy: policy).audit(input).findings)
        } catch let error as AuditError {
            // An overflow is the ledger's problem, not the input's.
            if case .overflow = error { throw error }
            throw AuditFailed(error: error)
        }
    }

    /// The adapter between the audit and the performance report: a finding
    /// counts by its rule, placed at its trigger event.
    public static func performanceInputs(_ findings: [Finding]) -> [PerformanceReport.FindingInput] {
        findings.map { PerformanceReport.FindingInput(rule: $0.rule.rawValue, trigger: $0.trigger) }
    }
}
