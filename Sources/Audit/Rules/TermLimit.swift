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
        var notes = Notes(trace != nil, language: context.language)
        notes.add(en: "First approval of \(programme.code) for \(person): \(firstApproval) (\(context.id(firstGrant))).",
                  zh: "\(person) 首次核定享受 \(programme.code)：\(firstApproval)（\(context.id(firstGrant))）。")
        notes.add(en: "Term: \(term.valueText) (\(term.provenance)).",
                  zh: "补贴期限：\(Zh.value(term))（\(Zh.provenance(term))）。")

        var retirementWords = ""
        var retirementNote = ""
        if let extensionName = programme.retirementExtension,
           let retirement = try context.retirement(of: personID, on: firstApproval) {
            let window = try context.value(of: extensionName, on: firstApproval)
            let limit = firstApproval.addingYears(Int(window.integer))
            let exempt = retirement.date < limit
            notes.add(en: "Retirement: \(retirement.description) (\(retirement.entry.provenance)).",
                      zh: "退休日期：\(Zh.retirement(retirement))，依据\(Zh.provenance(retirement.entry))。")
            notes.add(en: "Extension window: \(window.valueText) (\(window.provenance)). First approval + \(window.valueText) = \(limit); "
                          + (exempt ? "retirement is before it, less than \(window.valueText) away, so the term does not apply (only PAST-RETIREMENT limits the grants)."
                                    : "retirement is on or after it, so the term applies.") + retirement.reformNote,
                      zh: "可延长至退休的年限：\(Zh.value(window))（\(Zh.provenance(window))）。首次核定日 + \(Zh.value(window)) = \(limit)；"
                          + (exempt ? "退休日期在此之前，距首次核定不足 \(Zh.value(window))，不受期限限制（只受 PAST-RETIREMENT 限制）。"
                                    : "退休日期在此当日或之后，适用期限。") + Zh.reformNote(retirement))
            if exempt {
                if let trace { notes.lines?.forEach(trace.record) }
                return
            }
            retirementWords = context.words(
                en: " The first approval was on \(firstApproval), \(window.valueText) or more before retirement on "
                    + "\(retirement.date), so the term applies.",
                zh: "首次核定日为 \(firstApproval)，距 \(retirement.date) 退休不少于 \(Zh.value(window))，因此适用期限。")
            retirementNote = context.words(en: retirement.reformNote, zh: Zh.reformNote(retirement))
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
                notes.lines?.forEach(tracing.record)
                explainCount(contributors, in: context, trace: tracing)
            }
            guard added > 0, before >= termMonths || after > termMonths else {
                tracing?.say(en: "\(context.id(index)) covers \(span.text): \(Say.count(added, "new month")), \(after) in all, within the \(termMonths)-month term.",
                             zh: "\(context.id(index)) 覆盖 \(Zh.months(span))：新增 \(Zh.count(added, "个月"))，累计 \(after) 个月，未超过 \(termMonths) 个月的期限。")
                continue
            }
            let beyond = after - max(termMonths, before)
            let share = Fen.proRata(grant.money, beyond, of: span.count)
            if let tracing {
                let newList = newMonths.map { YearMonth(index: $0).description }
                let beyondMonths = Array(newList.suffix(beyond))
                tracing.say(en: "\(context.id(index)) covers \(span.text) (\(Say.count(span.count, "month"))); new: "
                                + newList.joined(separator: ", ")
                                + ", months \(before + 1)…\(after). Beyond the \(termMonths)-month term: \(beyondMonths.joined(separator: ", ")).",
                            zh: "\(context.id(index)) 覆盖 \(Zh.months(span))（\(Zh.count(span.count, "个月"))）；新增："
                                + Zh.list(newList)
                                + "，即第 \(before + 1) 至第 \(after) 个月。超过 \(termMonths) 个月期限的月份：\(Zh.list(beyondMonths))。")
                tracing.say(en: "Pro rata \(grant.money.yuan) × \(beyond) ÷ \(span.count) = \(share.yuan).",
                            zh: "按比例 \(Zh.yuan(grant.money)) × \(beyond) ÷ \(span.count) = \(Zh.yuan(share))。")
            }
            let message = context.words(
                en: "\(context.grantNames[Int(grant.key)]) (\(programme.code), \(span.text)) brings \(person)'s distinct "
                    + "months covered under \(programme.code) from \(before) to \(after), past the \(termMonths)-month term: \(beyond) "
                    + "of its \(Say.count(span.count, "month")) are beyond it, \(grant.money.yuan) × \(beyond) ÷ \(span.count) = \(share.yuan)."
                    + retirementWords + retirementNote,
                zh: "补贴 \(context.grantNames[Int(grant.key)])（\(programme.code)，\(Zh.months(span))）使 \(person) 按 \(programme.code) "
                    + "享受补贴的不同月份从 \(before) 个增至 \(after) 个，超过 \(termMonths) 个月的期限：其 \(Zh.count(span.count, "个月"))中有 \(beyond) 个月"
                    + "超期，\(Zh.yuan(grant.money)) × \(beyond) ÷ \(span.count) = \(Zh.yuan(share))。"
                    + retirementWords + retirementNote)
            findings.append(context.finding(code, clause: programme.clause, subject: context.personSubject(personID), trigger: index,
                                            citing: contributors, amount: share, message: message))
        }
    }

    /// The months each earlier grant added, for an explanation.
    static func explainCount(_ contributors: [Int32], in context: AuditContext, trace: Trace) {
        trace.say(en: "Distinct months covered before this grant, by the earlier grants that added months:",
                  zh: "本笔补贴之前已享受补贴的不同月份，按新增月份的此前各笔补贴列出：")
        var covered = Set<Int32>()
        for index in contributors {
            let span = context.fact(index).months!
            let added = span.indices.filter { covered.insert($0).inserted }.count
            trace.say(en: "  \(context.id(index)) (\(context.date(index))): \(span.text), \(Say.count(added, "new month")), \(covered.count) in all",
                      zh: "  \(context.id(index))（\(context.date(index))）：\(Zh.months(span))，新增 \(Zh.count(added, "个月"))，累计 \(covered.count) 个月")
        }
    }
}
