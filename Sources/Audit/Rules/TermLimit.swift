import LedgerCore
import Policy

/// TERM-LIMIT: a grant that covers new months for a person under a
/// programme with a term (months not covered before for the person under
/// that programme) once the count of distinct covered months has reached
/// the term, or that carries the count past it.
///
/// The term is the programme's (`term` in the policy): 36 months for
/// `si-difficulty` and `post-allowance` (十七: 社会保险补贴和岗位补贴期限最长不超过3年),
/// 12 for `si-graduate` (十六: 给予1年社会保险补贴), in force on the first
/// approval (the effective date of the person's first grant of that
/// programme). Where the programme has a retirement extension (十七: 对初次
/// 核定享受补贴政策时距退休年龄不足5年的人员，可延长至退休) and, at the first
/// approval, the person's retirement date was less than that many years
/// away, the term does not apply: only PAST-RETIREMENT limits the grants.
///
/// Amount: pro rata over the months beyond the term (grant × months beyond
/// ÷ all its months, half up). The clause is the programme's.
enum TermLimitRule: AuditRule {
    static let code = RuleCode.termLimit

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        var scratch = Coverage()
        let hasTerm = context.programmes.map { $0.term != nil }
        for pair in 0..<Int32(context.pairs.count) where hasTerm[Int(context.pairs[Int(pair)].programme)] {
            try evaluate(pair, in: context, trace: nil, covered: &scratch, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        guard let pair = context.pair(ofGrant: trigger) else { return [] }
        var findings: [Finding] = []
        var scratch = Coverage()
        try evaluate(pair, in: context, trace: trace, covered: &scratch, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    /// One person's grants under one programme; `covered` is scratch space
    /// reused from pair to pair.
    static func evaluate(_ pair: Int32, in context: AuditContext, trace: Trace?, covered: inout Coverage,
                         into findings: inout [Finding]) throws {
        let (personID, programmeID) = context.pairs[Int(pair)]
        let programme = context.programmes[Int(programmeID)]
        let grants = context.personGrants[pair]
        guard let firstGrant = grants.first, let termName = programme.term else { return }
        let person = context.people[Int(personID)]
        let firstApproval = context.date(firstGrant)
        let term = try context.value(of: termName, on: firstApproval)
        let termMonths = Int(term.integer)
        var notes = Notes(trace != nil)
        notes.add("First approval of \(programme.code) for \(person): \(firstApproval) (\(context.id(firstGrant))).")
        notes.add("Term: \(term.valueText) (\(term.provenance)).")

        var retirementWords = ""
        var retirementNote = ""
        if let extensionName = programme.retirementExtension,
           let retirement = try context.retirement(of: personID, on: firstApproval) {
            let window = try context.value(of: extensionName, on: firstApproval)
            let limit = firstApproval.addingYears(Int(window.integer))
            let exempt = retirement.date < limit
            notes.add("Retirement: \(retirement.description) (\(retirement.entry.provenance)).")
            notes.add("Extension window: \(window.valueText) (\(window.provenance)). First approval + \(window.valueText) = \(limit); "
                + (exempt ? "retirement is before it, less than \(window.valueText) away, so the term does not apply (only PAST-RETIREMENT limits the grants)."
                          : "retirement is on or after it, so the term applies.") + retirement.reformNote)
            if exempt {
                if let trace { notes.lines?.forEach(trace.say) }
                return
            }
            retirementWords = " The first approval was on \(firstApproval), \(window.valueText) or more before retirement on "
                + "\(retirement.date), so the term applies."
            retirementNote = retirement.reformNote
        }

        covered.reset()
        var count = 0
        var contributors: [Int32] = []
        for index in grants {
            let grant = context.fact(index)
            guard let span = grant.months else { continue }
            let tracing = trace?.at(index)
            // The months not covered before, listed only when explaining.
            let newMonths = tracing == nil ? [] : span.indices.filter { !covered.contains($0) }
            let added = span.count - covered.shared(span.first, span.last)
            let before = count
            count += added
            let after = count
            covered.insert(span.first, span.last)
            defer { if added > 0 { contributors.append(index) } }
            if let tracing {
                notes.lines?.forEach(tracing.say)
                explainCount(contributors, in: context, trace: tracing)
            }
            guard added > 0, before >= termMonths || after > termMonths else {
                tracing?.say("\(context.id(index)) covers \(span.text): \(Say.count(added, "new month")), \(after) in all, within the \(termMonths)-month term.")
                continue
            }
            let beyond = after - max(termMonths, before)
            let share = Fen.proRata(grant.money, beyond, of: span.count)
            if let tracing {
                let beyondMonths = newMonths.suffix(beyond).map { YearMonth(index: $0).description }
                tracing.say("\(context.id(index)) covers \(span.text) (\(Say.count(span.count, "month"))); new: "
                    + newMonths.map { YearMonth(index: $0).description }.joined(separator: ", ")
                    + ", months \(before + 1)…\(after). Beyond the \(termMonths)-month term: \(beyondMonths.joined(separator: ", ")).")
                tracing.say("Pro rata \(grant.money.yuan) × \(beyond) ÷ \(span.count) = \(share.yuan).")
            }
            let message = "\(context.grantNames[Int(grant.key)]) (\(programme.code), \(span.text)) brings \(person)'s distinct "
                + "months covered under \(programme.code) from \(before) to \(after), past the \(termMonths)-month term: \(beyond) "
                + "of its \(Say.count(span.count, "month")) are beyond it, \(grant.money.yuan) × \(beyond) ÷ \(span.count) = \(share.yuan)."
                + retirementWords + retirementNote
            findings.append(context.finding(code, clause: programme.clause, subject: context.personSubject(personID), trigger: index,
                                            citing: contributors, amount: share, message: message))
        }
    }

    /// The months each earlier grant added, for an explanation.
    static func explainCount(_ contributors: [Int32], in context: AuditContext, trace: Trace) {
        trace.say("Distinct months covered before this grant, by the earlier grants that added months:")
        var covered = Set<Int32>()
        for index in contributors {
            let span = context.fact(index).months!
            let added = span.indices.filter { covered.insert($0).inserted }.count
            trace.say("  \(context.id(index)) (\(context.date(index))): \(span.text), \(Say.count(added, "new month")), \(covered.count) in all")
        }
    }
}
