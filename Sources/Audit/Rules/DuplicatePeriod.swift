import LedgerCore
import Policy

/// DUPLICATE-PERIOD: a grant covering a month already covered for the same
/// person by an earlier grant of the same programme. A month is paid once.
///
/// Amount: pro rata over the repeated months (grant × repeated months ÷ all
/// its months, half up). The clause is the programme's.
enum DuplicatePeriodRule: AuditRule {
    static let code = RuleCode.duplicatePeriod

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        var scratch = Coverage()
        for pair in 0..<Int32(context.pairs.count) where context.personGrants[pair].count > 1 {
            evaluate(pair, in: context, trace: nil, covered: &scratch, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        guard let pair = context.pair(ofGrant: trigger) else { return [] }
        var findings: [Finding] = []
        var scratch = Coverage()
        evaluate(pair, in: context, trace: trace, covered: &scratch, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    /// One person's grants under one programme; `covered` is scratch space
    /// reused from pair to pair.
    static func evaluate(_ pair: Int32, in context: AuditContext, trace: Trace?, covered: inout Coverage,
                         into findings: inout [Finding]) {
        let (personID, programmeID) = context.pairs[Int(pair)]
        let programme = context.programmes[Int(programmeID)]
        let person = context.people[Int(personID)]
        let grants = context.personGrants[pair]
        covered.reset()
        for position in grants.indices {
            let index = grants[position]
            let grant = context.fact(index)
            guard let span = grant.months else { continue }
            let repeatedCount = covered.shared(span.first, span.last)
            let tracing = trace?.at(index)
            defer { covered.insert(span.first, span.last) }
            guard repeatedCount > 0 || tracing != nil else { continue }
            let repeated = span.indices.filter { covered.contains($0) }
            // The earlier grants covering the repeated months.
            let earlier = grants[grants.startIndex..<position].filter { other in
                guard let months = context.fact(other).months else { return false }
                return repeated.contains { months.indices.contains($0) }
            }
            let share = Fen.proRata(grant.money, repeated.count, of: span.count)
            if let tracing {
                tracing.say(en: "\(context.id(index)) pays \(person) under \(programme.code) for \(span.text) (\(Say.count(span.count, "month"))).",
                            zh: "\(context.id(index)) 按 \(programme.code) 向 \(person) 发放 \(Zh.months(span)) 的补贴（\(Zh.count(span.count, "个月"))）。")
                for month in repeated {
                    let by = earlier.filter { context.fact($0).months!.indices.contains(month) }
                    tracing.say(en: "  \(YearMonth(index: month)) was already covered by \(Say.list(by.map(context.id))).",
                                zh: "  \(YearMonth(index: month)) 已由 \(Zh.list(by.map(context.id))) 补贴。")
                }
                tracing.say(en: repeated.isEmpty ? "No month was covered before."
                                : "Pro rata \(grant.money.yuan) × \(repeated.count) ÷ \(span.count) = \(share.yuan).",
                            zh: repeated.isEmpty ? "此前没有补贴过其中任何月份。"
                                : "按比例 \(Zh.yuan(grant.money)) × \(repeated.count) ÷ \(span.count) = \(Zh.yuan(share))。")
            }
            guard !repeated.isEmpty else { continue }
            let months = repeated.map { YearMonth(index: $0).description }
            let cited = earlier
            let message = context.words(
                en: "\(context.grantNames[Int(grant.key)]) (\(programme.code), \(span.text)) pays \(person) again for "
                    + "\(Say.count(repeated.count, "month")) already covered under \(programme.code) (\(months.joined(separator: ", ")), by "
                    + "\(Say.list(cited.map(context.id)))): \(grant.money.yuan) × \(repeated.count) ÷ \(span.count) = \(share.yuan).",
                zh: "补贴 \(context.grantNames[Int(grant.key)])（\(programme.code)，\(Zh.months(span))）向 \(person) 重复发放 "
                    + "\(Zh.count(repeated.count, "个月"))：\(Zh.list(months)) 此前已由 \(Zh.list(cited.map(context.id))) 按 \(programme.code) 补贴；"
                    + "\(Zh.yuan(grant.money)) × \(repeated.count) ÷ \(span.count) = \(Zh.yuan(share))。")
            findings.append(context.finding(code, clause: programme.clause, subject: context.personSubject(personID), trigger: index,
                                            citing: cited, amount: share, message: message))
        }
    }
}
