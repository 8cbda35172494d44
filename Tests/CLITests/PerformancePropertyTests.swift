import Foundation
import LedgerCore
import Projections
import Reports
import Testing

/// `report performance` reads the log as a stream and decodes only the
/// events its year can use (the year's grants and write-offs, recoveries of
/// those grants, the findings' triggers), and reads the balances' lines and
/// loans without the person entries. On a generated history of several
/// years, with reversals and planted breaches, every year's report equals
/// the one built in memory from all the live events and the audit's
/// findings, byte for byte.
@Suite("report performance on generated histories")
struct PerformancePropertyTests {
    @Test("each fiscal year's report == the report built in memory from every live event", .tags(.slow), .notInFastRuns)
    func everyYear() throws {
        let dir = WorkDirectory()
        let file = dir.path + "/history.jsonl"
        try generateHistory(["--events", "4000", "--seed", "23", "--breach-rate", "30", "--years", "3"], to: file)
        let events = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map { try EventParser().parse(String($0)) }
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", "history.jsonl"], in: dir.path)

        // The live events: reversals and what they reverse taken out.
        let reversed = Set(events.filter { $0.type == .entryReversed }.compactMap { $0.data.string(.target) })
        #expect(!reversed.isEmpty, "the history should hold reversals")
        let live = events.filter { $0.type != .entryReversed && !reversed.contains($0.id) }
        let balances = try Balances(liveEvents: live)

        let audit = try runOK(["audit", "--format", "json"], in: dir.path)
        let listed = (try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        let findings = listed.compactMap { finding -> PerformanceReport.FindingInput? in
            guard let rule = finding["rule"] as? String, let trigger = finding["trigger"] as? String else { return nil }
            return PerformanceReport.FindingInput(rule: rule, trigger: trigger)
        }
        #expect(findings.count > 10, "the planted breaches should give findings")

        let years = Set(events.compactMap { $0.data.integer(.fiscalYear) }).sorted()
        #expect(years.count >= 3)
        for year in years {
            let cli = try runOK(["report", "performance", "--fiscal-year", String(year), "--format", "json"], in: dir.path)
            let expected = try PerformanceReport(balances: balances, liveEvents: live, findings: findings, fiscalYear: year,
                                                 level: nil, scope: RegionScope(nil), asOfSeq: UInt64(events.count)).renderJSON()
            #expect(cli.stdout.utf8.elementsEqual(expected.utf8), "fiscal year \(year): \(firstDifference(cli.stdout, expected))")
        }
    }
}
