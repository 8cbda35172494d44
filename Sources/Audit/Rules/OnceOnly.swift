import LedgerCore
import Policy

/// ONCE-ONLY: a second (or later) grant of a once-per-person programme to
/// the same person: `startup-once` (十五: 一次性创业补贴) and `job-seeking`
/// (十六: 求职创业补贴) in the seed, `onceOnly` in the policy.
///
/// A recovery does not undo having had the grant; a reversal does (the
/// reversed grant is not in the view).
///
/// Amount: the grant.
enum OnceOnlyRule: AuditRule {
    static let code = RuleCode.onceOnly

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for pair in 0..<Int32(context.pairs.count)
        where context.personGrants[pair].count > 1 && context.programmes[Int(context.pairs[Int(pair)].programme)].onceOnly {
            evaluate(pair, in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        guard let pair = context.pair(ofGrant: trigger), context.programme(ofGrant: trigger).onceOnly else { return [] }
        var findings: [Finding] = []
        evaluate(pair, in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    static func evaluate(_ pair: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) {
        let (personID, programmeID) = context.pairs[Int(pair)]
        let programme = context.programmes[Int(programmeID)]
        let person = context.people[Int(personID)]
        let grants = Array(context.personGrants[pair])
        for (position, index) in grants.enumerated() where position > 0 {
            let earlier = Array(grants[..<position])
            let grant = context.fact(index)
            let first = earlier[0]
            if let trace = trace?.at(index) {
                trace.say(en: "\(programme.code) (\(programme.name)) is paid once per person (onceOnly in \(context.policy.source)).",
                          zh: "\(programme.code)（\(programme.name)）每人只发放一次（\(context.policy.source) 中的 onceOnly）。")
                for other in earlier {
                    let fact = context.fact(other)
                    trace.say(en: "  \(person) already had \(context.grantNames[Int(fact.key)]) (\(context.id(other)), \(fact.date), \(fact.money.yuan)).",
                              zh: "  \(person) 已领取补贴 \(context.grantNames[Int(fact.key)])（\(context.id(other))，\(fact.date)，\(Zh.yuan(fact.money))）。")
                }
                trace.say(en: "\(context.id(index)) pays it again: all \(grant.money.yuan) is against the rule.",
                          zh: "\(context.id(index)) 再次发放：全部 \(Zh.yuan(grant.money))违规。")
            }
            let message = context.words(
                en: "\(person) already had a \(programme.code) grant (\(context.id(first)), \(context.date(first))), "
                    + "which is paid once per person; \(context.grantNames[Int(grant.key)]) pays it again: \(grant.money.yuan).",
                zh: "\(person) 已领取过 \(programme.code) 补贴（\(context.id(first))，\(context.date(first))），该补贴每人只发放一次；"
                    + "补贴 \(context.grantNames[Int(grant.key)]) 再次发放：\(Zh.yuan(grant.money))。")
            findings.append(context.finding(code, clause: programme.clause, subject: context.personSubject(personID), trigger: index,
                                            citing: earlier, amount: grant.money, message: message))
        }
    }
}
