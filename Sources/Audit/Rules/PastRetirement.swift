import LedgerCore
import Policy

/// PAST-RETIREMENT (十七): a grant covering a month whose first day is on
/// or after the person's retirement date. Subsidies run at most until
/// retirement (可延长至退休).
///
/// The retirement date is the birth date plus the retirement age of the
/// person's group in force on the grant's date (men 60, female workers 50,
/// female cadres 55 before the 2025 reform; a person registered without a
/// group is `male` for `M`, `female-worker` for `F`); 29 February plus whole
/// years is 28 February in a common year. A retirement date on or after a
/// reform the policy does not carry yet is said so in the message.
///
/// Amount: pro rata over those months (grant × months ÷ all its months, half up).
enum PastRetirementRule: AuditRule {
    static let code = RuleCode.pastRetirement
    static let clause = "十七"

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for index in context.grants {
            if let finding = try evaluate(index, in: context, trace: nil) { findings.append(finding) }
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        try evaluate(trigger, in: context, trace: trace).map { [$0] } ?? []
    }

    /// The first month whose first day is on or after `date`.
    static func firstMonth(onOrAfter date: CalendarDate) -> Int32 {
        let month = date.yearMonth.index
        return date.components.day == 1 ? month : month + 1
    }

    static func evaluate(_ index: Int32, in context: AuditContext, trace: Trace?) throws -> Finding? {
        let grant = context.fact(index)
        guard grant.person != Fact.none, let span = grant.months,
              let retirementDay = try context.retirementDay(of: grant.person, on: grant.date)
        else { return nil }
        let from = max(span.first, firstMonth(onOrAfter: retirementDay))
        let months = from <= span.last ? Int(span.last - from) + 1 : 0
        let tracing = trace?.at(index)
        guard months > 0 || tracing != nil, let retirement = try context.retirement(of: grant.person, on: grant.date) else {
            return nil
        }
        let person = context.people[Int(grant.person)]
        let share = Fen.proRata(grant.money, months, of: span.count)
        if let trace = tracing {
            trace.say(en: "\(person): retirement \(retirement.description), from the birth date and the retirement age on \(grant.date) (\(retirement.entry.provenance)).",
                      zh: "\(person)：退休日期 \(Zh.retirement(retirement))，由出生日期和 \(grant.date) 适用的退休年龄得出（\(Zh.provenance(retirement.entry))）。")
            let after = MonthSpan(first: from, last: span.last)
            trace.say(en: "\(context.id(index)) covers \(span.text) (\(Say.count(span.count, "month"))). "
                          + (months == 0 ? "Every month begins before the retirement date."
                              : "Months beginning on or after \(retirement.date): \(after.text) (\(months)). Pro rata \(grant.money.yuan) × \(months) ÷ \(span.count) = \(share.yuan)."),
                      zh: "\(context.id(index)) 覆盖 \(Zh.months(span))（\(Zh.count(span.count, "个月"))）。"
                          + (months == 0 ? "每个月都在退休日期之前开始。"
                              : "在 \(retirement.date) 当日或之后开始的月份：\(Zh.months(after))（\(months) 个月）。按比例 \(Zh.yuan(grant.money)) × \(months) ÷ \(span.count) = \(Zh.yuan(share))。"))
        }
        guard months > 0 else { return nil }
        let programme = context.programme(ofGrant: index)
        let message = context.words(
            en: "\(context.grantNames[Int(grant.key)]) (\(programme.code), \(span.text)) covers \(Say.count(months, "month")) "
                + "beginning on or after \(person)'s retirement on \(retirement.date) (\(retirement.group.words), age \(retirement.ageYears)): "
                + "\(grant.money.yuan) × \(months) ÷ \(span.count) = \(share.yuan)." + retirement.reformNote,
            zh: "补贴 \(context.grantNames[Int(grant.key)])（\(programme.code)，\(Zh.months(span))）覆盖了 \(person) 于 \(retirement.date) 退休"
                + "（\(Zh.group(retirement.group))，\(retirement.ageYears) 岁）当日或之后开始的 \(Zh.count(months, "个月"))："
                + "\(Zh.yuan(grant.money)) × \(months) ÷ \(span.count) = \(Zh.yuan(share))。" + Zh.reformNote(retirement))
        return context.finding(code, clause: clause, subject: context.personSubject(grant.person), trigger: index,
                               citing: [context.registrations[Int(grant.person)]], amount: share, message: message)
    }
}
