import Audit
import Foundation
import LedgerCore
import Policy
import Testing

/// The package root, found from this file's path.
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/AuditTests/AuditSupport.swift
    return parts.joined(separator: "/")
}()

func fixtureBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: packageRoot + "/" + path) else {
        throw TestFailure("cannot read \(path)")
    }
    return Array(data)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An in-memory ``AppendState``: every test history goes through the
/// append-time checks first, so the audit is only ever shown histories a
/// ledger would have taken.
final class MemoryState: AppendState {
    var streams = NumberedStreams()
    var events: [String: (UInt64, Event)] = [:]
    var reversals: [UInt64: UInt64] = [:]

    func streamNumber(_ name: String) throws -> Int32 { streams.number(name) }
    func stream(_ number: Int32) throws -> StreamState? { streams.state(number) }
    func setStream(_ number: Int32, _ state: StreamState) throws { streams.set(number, state) }
    func event(withID id: String) throws -> (seq: UInt64, event: Event)? { events[id].map { ($0.0, $0.1) } }
    func reversal(of seq: UInt64) throws -> UInt64? { reversals[seq] }
}

/// The live events of a history given as JSON lines in log order (seq = the
/// line's position from 1), as `Ledger.liveEvents(view:)` gives them: the
/// reversals and the events they reverse left out. `asOfSeq` keeps a prefix.
func liveEvents(_ lines: [String], asOfSeq: Int? = nil) throws -> [AuditedEvent] {
    let state = MemoryState()
    var accepted: [AuditedEvent] = []
    var reversed = Set<UInt64>()
    for (index, line) in lines.enumerated() {
        let seq = UInt64(index + 1)
        if let asOfSeq, seq > UInt64(asOfSeq) { break }
        let event: Event
        do {
            event = try EventParser().parse(line)
            let placement = try AppendRules().apply(event, seq: seq, to: state)
            if let target = placement.reversedSeq {
                state.reversals[target] = seq
                reversed.insert(target)
            }
        } catch {
            throw TestFailure("line \(seq) of the test history is refused at append time: \(error)\n\(line)")
        }
        state.events[event.id] = (seq, event)
        if event.type != .entryReversed { accepted.append(AuditedEvent(seq: seq, event: event)) }
    }
    return accepted.filter { !reversed.contains($0.seq) }
}

/// The findings of a history. Every history a test audits is also audited
/// in Chinese (``expectSameInChinese(_:_:)``), so that each finding every
/// test reaches has its Chinese message and steps.
func audit(_ lines: [String], policy: Policy = .seed, rules: [RuleCode] = RuleCode.allCases,
           asOfSeq: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Finding] {
    let events = try liveEvents(lines, asOfSeq: asOfSeq)
    let english = try Auditor(policy: policy, rules: rules).audit(events)
    let chinese = try Auditor(policy: policy, rules: rules, language: .chinese).audit(events)
    try expectSameInChinese(english, chinese, sourceLocation: sourceLocation)
    return english.findings
}

/// The Chinese audit finds what the English one finds, in the same order,
/// and says each message and each step of its explanation in Chinese: not
/// empty, not the English, holding Chinese and no English sentence.
func expectSameInChinese(_ english: AuditResult, _ chinese: AuditResult,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(english.language == .english && chinese.language == .chinese, sourceLocation: sourceLocation)
    #expect(seen(english.findings) == seen(chinese.findings), sourceLocation: sourceLocation)
    #expect(english.findings.map(\.clause) == chinese.findings.map(\.clause), sourceLocation: sourceLocation)
    for (en, zh) in zip(english.findings, chinese.findings) {
        expectChinese(zh.message, insteadOf: en.message, sourceLocation: sourceLocation)
        let enSteps = try english.explain(en), zhSteps = try chinese.explain(zh)
        #expect(enSteps.count == zhSteps.count, "\(en.rule.rawValue) at \(en.trigger): \(zhSteps)", sourceLocation: sourceLocation)
        #expect(zhSteps.last == "审计发现：" + zh.message, sourceLocation: sourceLocation)
        for (enStep, zhStep) in zip(enSteps, zhSteps) {
            expectChinese(zhStep, insteadOf: enStep, sourceLocation: sourceLocation)
            // A sub-step (a loan of a sum, a month of a term) stays a sub-step.
            #expect(zhStep.hasPrefix("  ") == enStep.hasPrefix("  "), "\(zhStep)", sourceLocation: sourceLocation)
        }
    }
}

/// `text` is a Chinese sentence standing for `english`.
func expectChinese(_ text: String, insteadOf english: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!text.isEmpty && text != english, "\(text)", sourceLocation: sourceLocation)
    #expect(text.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }, "no Chinese in \(text)", sourceLocation: sourceLocation)
    #expect(englishPhrase(in: text) == nil, "English \(englishPhrase(in: text) ?? "") in \(text)", sourceLocation: sourceLocation)
}

/// The first two words in a row made of Latin letters only (`the discount`,
/// `is more`): English prose, which a Chinese sentence never holds; ids and
/// codes hold digits or hyphens, or stand alone between Chinese words.
func englishPhrase(in text: String) -> String? {
    let words = text.split(whereSeparator: { $0 == " " }).map(String.init)
    for (first, second) in zip(words, words.dropFirst()) {
        func isWord(_ word: String) -> Bool {
            word.count >= 2 && word.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") }
        }
        if isWord(first) && isWord(second) { return first + " " + second }
    }
    return nil
}

/// A finding as the facts a test asserts: rule, subject, trigger, events, amount.
struct Seen: Equatable, CustomStringConvertible {
    var rule: RuleCode
    var subject: String
    var trigger: String
    var events: [String]
    var amount: String?

    init(_ rule: RuleCode, _ subject: String, _ trigger: String, _ events: [String], _ amount: String?) {
        self.rule = rule
        self.subject = subject
        self.trigger = trigger
        self.events = events
        self.amount = amount
    }

    init(_ finding: Finding) {
        self.init(finding.rule, finding.subject, finding.trigger, finding.events, finding.amount?.yuan)
    }

    var description: String {
        "\(rule.rawValue) \(subject) at \(trigger) [\(events.joined(separator: " "))] \(amount ?? "null")"
    }
}

func seen(_ findings: [Finding]) -> [Seen] { findings.map(Seen.init) }

/// JSON lines of every event type with the fields a test varies; ids are
/// explicit so the tests can name triggers.
enum H {
    static let fund = "employment-special"
    static let region = "220102"

    /// Ample money on employment-special/220102 for fiscal years 2015–2025,
    /// appropriated before any test's grant, so FUND-OVERDRAFT stays quiet.
    static let funds: [String] = (2015...2025).map { year in
        appropriate("fund-\(year)", "100000000", on: "2014-12-01", year: year)
    }

    static func line(_ id: String, _ type: String, _ day: String, _ data: String) -> String {
        #"{"id":"\#(id)","type":"\#(type)","effective":"\#(day)","data":{\#(data)}}"#
    }

    static func person(_ id: String, _ person: String, born: String, sex: String = "M", group: String? = nil,
                       on day: String = "2015-01-05") -> String {
        line(id, "person.registered", day, #""person":"\#(person)","birthDate":"\#(born)","sex":"\#(sex)""#
            + (group.map { #","retirementGroup":"\#($0)""# } ?? ""))
    }

    static func certify(_ id: String, _ person: String, _ kind: String, on day: String, graduated: String? = nil,
                        until: String? = nil) -> String {
        line(id, "person.certified", day, #""person":"\#(person)","kind":"\#(kind)""#
            + (graduated.map { #","graduationDate":"\#($0)""# } ?? "") + (until.map { #","validUntil":"\#($0)""# } ?? ""))
    }

    static func enterprise(_ id: String, _ enterprise: String, size: String = "small", on day: String = "2015-01-05") -> String {
        line(id, "enterprise.registered", day, #""enterprise":"\#(enterprise)","size":"\#(size)","region":"\#(region)""#)
    }

    static func appropriate(_ id: String, _ amount: String, on day: String, fund: String = fund, region: String = region,
                            year: Int = 2016) -> String {
        line(id, "fund.appropriated", day, #""fund":"\#(fund)","region":"\#(region)","fiscalYear":\#(year),"amount":"\#(amount)""#)
    }

    static func transfer(_ id: String, _ amount: String, from: String, to: String, on day: String, year: Int = 2016) -> String {
        line(id, "fund.transferred", day,
             #""fund":"\#(fund)","fromRegion":"\#(from)","toRegion":"\#(to)","fiscalYear":\#(year),"amount":"\#(amount)""#)
    }

    static func grant(_ id: String, _ grant: String, _ program: String, person: String? = nil, enterprise: String? = nil,
                      months: (String, String)? = nil, amount: String, on day: String, region: String = region,
                      year: Int = 2016) -> String {
        var data = #""grant":"\#(grant)","program":"\#(program)""#
        if let person { data += #","person":"\#(person)""# }
        if let enterprise { data += #","enterprise":"\#(enterprise)""# }
        if let months { data += #","periodStart":"\#(months.0)","periodEnd":"\#(months.1)""# }
        data += #","amount":"\#(amount)","fund":"\#(fund)","region":"\#(region)","fiscalYear":\#(year)"#
        return line(id, "subsidy.granted", day, data)
    }

    static func recover(_ id: String, _ grant: String, _ amount: String, on day: String) -> String {
        line(id, "subsidy.recovered", day, #""grant":"\#(grant)","amount":"\#(amount)""#)
    }

    static func loan(_ id: String, _ loan: String, person: String? = nil, enterprise: String? = nil,
                     category: String = "individual", principal: String, rateBp: Int = 435, benchmarkBp: Int = 435,
                     maturity: String, on day: String) -> String {
        // Neither borrower gives a line the append rules refuse, loudly.
        let borrower = person.map { #""person":"\#($0)""# } ?? #""enterprise":"\#(enterprise ?? "")""#
        return line(id, "loan.issued", day, #""loan":"\#(loan)",\#(borrower),"category":"\#(category)","principal":"\#(principal)","rateBp":\#(rateBp),"benchmarkBp":\#(benchmarkBp),"maturity":"\#(maturity)","bank":"B","region":"\#(region)""#)
    }

    static func discount(_ id: String, _ loan: String, _ from: String, _ through: String, amount: String, on day: String,
                         year: Int = 2016) -> String {
        line(id, "loan.interestDiscounted", day, #""loan":"\#(loan)","periodStart":"\#(from)","periodEnd":"\#(through)","amount":"\#(amount)","fund":"\#(fund)","region":"\#(region)","fiscalYear":\#(year)"#)
    }

    static func repay(_ id: String, _ loan: String, _ principal: String, on day: String) -> String {
        line(id, "loan.repaid", day, #""loan":"\#(loan)","principal":"\#(principal)""#)
    }

    static func defaulted(_ id: String, _ loan: String, on day: String) -> String {
        line(id, "loan.defaulted", day, #""loan":"\#(loan)""#)
    }

    static func compensate(_ id: String, _ loan: String, _ amount: String, on day: String) -> String {
        line(id, "guarantee.compensated", day, #""loan":"\#(loan)","amount":"\#(amount)","fund":"guarantee","region":"\#(region)","fiscalYear":2017"#)
    }

    static func recoverGuarantee(_ id: String, _ loan: String, _ amount: String, on day: String) -> String {
        line(id, "guarantee.recovered", day, #""loan":"\#(loan)","amount":"\#(amount)","fund":"guarantee","region":"\#(region)","fiscalYear":2017"#)
    }

    static func writeOff(_ id: String, _ loan: String, _ amount: String, on day: String) -> String {
        line(id, "guarantee.writtenOff", day, #""loan":"\#(loan)","amount":"\#(amount)","approval":"W-1""#)
    }

    static func reverse(_ id: String, _ target: String, on day: String) -> String {
        line(id, "entry.reversed", day, #""target":"\#(target)","reason":"error""#)
    }
}
