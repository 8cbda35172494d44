import Audit
import EventStore
import Foundation
import LedgerCore
import Policy
import Projections
import Testing

/// The audit command reads stored records in place and reduces them to
/// facts without building events. On a generated history with planted
/// breaches, reversals and back-dated events, its findings must equal the
/// audit of the fully decoded live events (`Ledger.liveEvents(view:)`),
/// for the whole log and for as-of and business-date views.
@Suite("The audit read in place against the decoded events")
struct AuditPathTests {
    @Test("audit findings from stored records == findings from decoded live events", .tags(.slow), .notInFastRuns,
          arguments: [11, 29])
    func sameFindings(seed: Int) throws {
        let dir = WorkDirectory()
        let history = dir.path + "/history.jsonl"
        try generateHistory(["--events", "8000", "--seed", String(seed), "--breach-rate", "40", "--years", "4"], to: history)
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", history], in: dir.path)

        let ledger = try Ledger.open(at: dir.path + "/ledger", options: .init(readOnly: true))
        let head = try ledger.head().seq
        var random = SplitMix(seed: UInt64(seed))
        var views: [(arguments: [String], view: LedgerView)] = [([], .all)]
        for _ in 0..<2 {
            let prefix = UInt64(1 + random.below(Int(head)))
            views.append((["--as-of-seq", String(prefix)], LedgerView(asOfSeq: prefix)))
        }
        let date = try #require(CalendarDate.parse("2017-06-30"))
        let endOf2016 = try #require(CalendarDate.parse("2016-12-31"))
        views.append((["--effective-on", "2017-06-30"], LedgerView(effectiveOn: date)))
        views.append((["--as-of-seq", String(head / 2), "--effective-on", "2016-12-31"],
                      LedgerView(asOfSeq: head / 2, effectiveOn: endOf2016)))
        var total = 0
        for (arguments, view) in views {
            let cli = try run(["audit", "--format", "json"] + arguments, in: dir.path)
            #expect(cli.status == 0, "\(cli.stderr)")
            let events = try ledger.liveEvents(view: view).map { AuditedEvent(seq: $0.seq, event: $0.event) }
            let findings = try Auditor(policy: .seed).audit(events).findings
            total += findings.count
            let expected = FindingsJSON.render(findings)
            #expect(cli.stdout == expected || cli.stdout == expected + "\n", "audit \(arguments.joined(separator: " "))")
        }
        #expect(total > 0, "the generated history must plant findings")
    }
}
