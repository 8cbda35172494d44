import Audit
import EventStore
import LedgerCore
import Policy
import Projections
import Reports

/// `audit`: the findings of a view against a policy, their JSON, and the
/// explanation of the findings an event triggers — for the command and for
/// `GET /v1/audit` and `GET /v1/audit/explain/{eventId}`.
public enum AuditQuery {
    /// The view's live events as audit facts, read as a stream.
    ///
    /// This is the view `Ledger.liveEvents(view:)` gives (the prefix's
    /// events effective by the view's date, without reversals and the
    /// events they reverse, whatever the reversal's own date), built
    /// without decoding or holding the events: each record is read in place
    /// and reduced to the audit's fixed-size facts (about 75 bytes an event;
    /// a decoded event takes about 550). Reversals go to the input, which
    /// leaves their targets out.
    public static func read(_ ledger: Ledger, view: LedgerView) throws -> AuditInput {
        var input = AuditInput()
        // An upper bound on the events read: no array grows by copying.
        input.reserveCapacity(Int(min(try ledger.head().seq, view.asOfSeq ?? .max)))
        try ledger.forEachRecord(to: view.asOfSeq ?? .max, checkingAhead: true) { record in
            // Recorded times never decrease: the first event past the view ends it.
            guard view.inPrefix(seq: record.seq, recordedMicros: record.recordedMicros) else { return false }
            if record.type == .entryReversed || view.counts(effective: record.effective) {
                input.add(seq: record.seq, record: record)
            }
            return true
        }
        // Now, so that the audit and the warnings reading this input share
        // its facts instead of each copying them to do it.
        input.resolveRecoveries()
        return input
    }

    /// The person ids a message must mask by name (those that do not look
    /// like identity numbers); none when ids are shown.
    public static func people(_ result: AuditResult, masking: PersonalIDMasking) -> Set<String> {
        masking.showsPersonalIDs ? [] : result.peopleToMask
    }

    /// `audit --format json`: the findings, each masked as `masking` says.
    public static func findingsJSON(_ result: AuditResult, masking: PersonalIDMasking) -> String {
        let people = people(result, masking: masking)
        return FindingsJSON.render(result.findings.map { $0.masked(masking, people: people) })
    }
}

/// `warnings`: the early warnings of a view, as of the view's date
/// (`effectiveOn`, else the latest effective date in the view) — for the
/// command, the HTML report and `GET /v1/warnings`.
public enum WarningsQuery {
    /// The longest horizon the command and the server take: ten years.
    public static let longestHorizonDays = 3660

    /// `90d` or `90`: a horizon in days, 0 … ``longestHorizonDays``; nil for
    /// anything else.
    public static func horizonDays(_ text: String) -> Int? {
        let digits = text.hasSuffix("d") ? String(text.dropLast()) : text
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.utf8.count <= 4, let days = Int(digits), days <= longestHorizonDays else { return nil }
        return days
    }

    /// The warnings of `view` under `policy`, looking `horizonDays` ahead.
    /// Throws the library's `AuditError` (an overflow is the ledger's
    /// problem; anything else is the policy's).
    public static func warnings(_ ledger: Ledger, view: LedgerView, policy: Policy, horizonDays: Int) throws -> WarningsResult {
        let input = try AuditQuery.read(ledger, view: view)
        return try EarlyWarnings(policy: policy, horizonDays: horizonDays).warnings(input, asOf: view.effectiveOn)
    }

    /// The warnings as output shows them: masked as `masking` says.
    public static func shown(_ result: WarningsResult, masking: PersonalIDMasking) -> [Warning] {
        let people = masking.showsPersonalIDs ? [] : result.peopleToMask
        return result.warnings.map { $0.masked(masking, people: people) }
    }

    /// `warnings --format json`, masked as `masking` says.
    public static func json(_ result: WarningsResult, masking: PersonalIDMasking) -> String {
        WarningsJSON.render(result, warnings: shown(result, masking: masking))
    }
}

/// The findings one event triggers, with the computation behind each
/// (`audit --explain EVENT`).
public struct AuditExplanation {
    /// The findings, as computed (unmasked).
    public let findings: [Finding]
    let result: AuditResult
    let people: Set<String>
    let masking: PersonalIDMasking

    /// Why there is nothing to explain: the event triggers no finding, or is
    /// not a live event of the view.
    public struct NothingToExplain: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// Whether the event is a live event of the view (it triggers no finding).
        public var eventIsInView: Bool
    }

    /// `rulesChosen`: the audit ran only some rules (the message says so).
    public init(of id: String, in result: AuditResult, masking: PersonalIDMasking, rulesChosen: Bool) throws(NothingToExplain) {
        findings = result.findings(triggeredBy: id)
        self.result = result
        self.masking = masking
        people = AuditQuery.people(result, masking: masking)
        guard !findings.isEmpty else {
            let known = result.viewContains(eventID: id)
            throw NothingToExplain(
                description: known
                    ? "\(id) triggers no finding in this view" + (rulesChosen ? " among the rules chosen" : "")
                    : "no live event \(id) in this view",
                eventIsInView: known)
        }
    }

    /// The steps behind a finding, in sentences, masked.
    public func steps(_ finding: Finding) throws -> [String] {
        let person = finding.subject.hasPrefix("person:") ? String(finding.subject.dropFirst("person:".count)) : nil
        return try result.explain(finding).map { masking.text($0, people: people, alsoNaming: person) }
    }

    /// A finding as output shows it.
    public func shown(_ finding: Finding) -> Finding { finding.masked(masking, people: people) }

    /// `audit --explain EVENT --format json`: `{"findings":[…]}`, each finding
    /// with its `explanation` steps.
    public func json() throws -> String {
        var out = "{\"findings\":["
        for (index, finding) in findings.enumerated() {
            let explained = try steps(finding).map(FindingsJSON.quote).joined(separator: ",")
            out += (index == 0 ? "\n" : ",\n") + String(FindingsJSON.object(shown(finding)).dropLast()) + ",\"explanation\":[" + explained + "]}"
        }
        return out + "\n]}\n"
    }
}
