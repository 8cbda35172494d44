import Audit
import Foundation
import LedgerCore
import LedgerTestSupport
import Policy
import Testing

/// The hand-designed sample history (Fixtures/sample-history.jsonl, its
/// planted breaches listed in Fixtures/sample-history.md) against the
/// reviewed golden findings (Fixtures/audit/sample-findings.json).
@Suite("Sample history")
struct SampleHistoryTests {
    static func sampleLines() throws -> [String] {
        let text = String(decoding: try fixtureBytes("Fixtures/sample-history.jsonl"), as: UTF8.self)
        return text.split(separator: "\n").map(String.init)
    }

    @Test("the golden findings, byte for byte: every planted breach and nothing else")
    func golden() throws {
        let findings = try audit(Self.sampleLines())
        let rendered = FindingsJSON.render(findings)
        let golden = String(decoding: try fixtureBytes("Fixtures/audit/sample-findings.json"), as: UTF8.self)
        #expect(rendered == golden)
    }

    @Test("the thirteen planted breaches of sample-history.md, with their amounts")
    func plantedBreaches() throws {
        let found = try audit(Self.sampleLines()).map { [$0.rule.rawValue, $0.trigger, $0.subject, $0.amount?.yuan ?? "null"] }
        #expect(found == [
            ["DISCOUNT-EXCESS", "e-0089", "loan:ln-03", "168.89"],
            ["DISCOUNT-OVERLAP", "e-0161", "loan:ln-03", "248.89"],
            ["DISCOUNT-RATE", "e-0239", "loan:ln-08", "922.22"],
            ["DUPLICATE-PERIOD", "e-0129", "person:p-009", "520.00"],
            ["ELIGIBILITY", "e-0232", "enterprise:ent-04", "7200.00"],
            ["ELIGIBILITY", "e-0104", "person:p-010", "1200.00"],
            ["FUND-OVERDRAFT", "e-0170", "fund:employment-special/220204/2016", "41000.00"],
            ["LOAN-CAP", "e-0102", "person:p-006", "10000.00"],
            ["LOAN-CATEGORY", "e-0130", "person:p-013", "null"],
            ["ONCE-ONLY", "e-0063", "person:p-004", "1000.00"],
            ["PAST-RETIREMENT", "e-0168", "person:p-002", "2400.00"],
            ["TERM-LIMIT", "e-0242", "person:p-001", "1040.00"],
            ["WRITEOFF-BASIS", "e-0233", "loan:ln-04", "100000.00"],
        ])
    }

    @Test("the back-dated certification: before it was keyed in (seq 51), e-0042 is the only finding")
    func backDatedCertification() throws {
        let findings = try audit(Self.sampleLines(), asOfSeq: 51)
        #expect(seen(findings) == [Seen(.eligibility, "person:p-005", "e-0042", ["e-0042"], "1440.00")])
    }

    @Test("the reversal of the keyed-twice allowance: before it (seq 54) the copy is a DUPLICATE-PERIOD")
    func reversal() throws {
        let before = try audit(Self.sampleLines(), asOfSeq: 54)
        #expect(seen(before) == [Seen(.duplicatePeriod, "person:p-002", "e-0054", ["e-0054", "e-0053"], "1200.00")])
        let after = try audit(Self.sampleLines(), asOfSeq: 55)
        #expect(after.isEmpty)
    }

    @Test("reversals handed to the input leave their targets out, as the ledger's view does")
    func reversalsInInput() throws {
        var input = AuditInput()
        for (index, line) in try Self.sampleLines().enumerated() {
            input.add(seq: UInt64(index + 1), event: try EventParser().parse(line))
        }
        let golden = String(decoding: try fixtureBytes("Fixtures/audit/sample-findings.json"), as: UTF8.self)
        #expect(FindingsJSON.render(try Auditor().audit(input).findings) == golden)
    }

    @Test("p-003 is lawful only as a female cadre")
    func femaleCadre() throws {
        let lines = try Self.sampleLines().map { $0.replacingOccurrences(of: #","retirementGroup":"female-cadre""#, with: "") }
        let pastRetirement = try audit(lines, rules: [.pastRetirement]).filter { $0.subject == "person:p-003" }
        // Born 1961-11-30, a female worker retires at 50 on 2011-11-30: every
        // month p-003 is paid for is past it.
        #expect(pastRetirement.map(\.trigger) == ["e-0044", "e-0062", "e-0094", "e-0116", "e-0143", "e-0167", "e-0172"])
        // Every month of every grant is past retirement: each finding is the whole grant.
        #expect(pastRetirement.map { $0.amount?.yuan } == ["1440.00", "1440.00", "1440.00", "1440.00", "1440.00", "1440.00", "960.00"])
    }

    @Test("every finding explains itself, ending with its message")
    func explanations() throws {
        let result = try Auditor().audit(try liveEvents(Self.sampleLines()))
        for finding in result.findings {
            let steps = try result.explain(finding)
            #expect(steps.count >= 2)
            #expect(steps.last == "Finding: " + finding.message)
        }
        let excess = try #require(result.findings.first { $0.rule == .discountExcess })
        #expect(try result.explain(excess).contains("  2015-10-01 … 2015-12-31: 92 days × 100000.00 outstanding"))
    }

    @Test("the same events handed over in any order give the same findings, byte for byte")
    func deterministic() throws {
        let events = try liveEvents(Self.sampleLines())
        let expected = FindingsJSON.render(try Auditor().audit(events).findings)
        var generator = SplitMix(seed: 42)
        for _ in 0..<5 {
            let shuffled = events.shuffled(using: &generator)
            #expect(FindingsJSON.render(try Auditor().audit(shuffled).findings) == expected)
        }
    }

    @Test("one context for the audit and the warnings (report html) gives what the two give apart, in both languages")
    func auditAndWarningsTogether() throws {
        let events = try liveEvents(Self.sampleLines())
        let asOf = CalendarDate.parse("2016-09-30")
        for language in [TextLanguage.english, .chinese] {
            let auditor = Auditor(language: language)
            let (audit, warned) = try auditor.auditAndWarnings(AuditInput(events), asOf: asOf)
            let apart = try auditor.audit(events)
            let apartWarnings = try EarlyWarnings(language: language).warnings(events, asOf: asOf)
            #expect(!audit.findings.isEmpty && !warned.warnings.isEmpty, "the sample should give findings and warnings")
            #expect(audit.findings == apart.findings)
            #expect(warned.warnings == apartWarnings.warnings)
            #expect(warned.asOf == apartWarnings.asOf && warned.peopleToMask == apartWarnings.peopleToMask)
            for finding in audit.findings.prefix(5) { #expect(try audit.explain(finding) == (try apart.explain(finding))) }
        }
    }
}

/// A small deterministic generator, so a failing shuffle can be replayed.
