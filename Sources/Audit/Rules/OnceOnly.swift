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
                trace.say("\(programme.code) (\(programme.name)) is paid once per person (onceOnly in \(context.policy.source)).")
                for other in earlier {
                    let fact = context.fact(other)
                    trace.say("  \(person) already had \(context.grantNames[Int(fact.key)]) (\(context.id(other)), \(fact.date), \(fact.money.yuan)).")
                }
                trace.say("\(context.id(index)) pays it again: all \(grant.money.yuan) is against the rule.")
            }
            let message = "\(person) already had a \(programme.code) grant (\(context.id(first)), \(context.date(first))), "
                + "which is paid once per person; \(context.grantNames[Int(grant.key)]) pays it again: \(grant.money.yuan)."
            findings.append(context.finding(code, clause: programme.clause, subject: context.personSubject(personID), trigger: index,
                                            citing: earlier, amount: grant.money, message: message))
        }
    }
}
