import LedgerCore
import Policy

/// FUND-OVERDRAFT (三十一: 强化资金预算执行和监督): a payout or a transfer out
/// after which a budget line (fund, region, fiscal year) has paid out more
/// than it received. Money coming in never breaks it.
///
/// Received = appropriations + transfers in − transfers out; paid out =
/// grants + interest discounts + compensations − recoveries
/// (`subsidy.recovered` credits the recovered grant's line,
/// `guarantee.recovered` the line it names), each counted where it stands
/// in business-date order: money that arrives later does not cover an
/// earlier payout.
///
/// Amount: the smaller of the event's amount and the deficit after it.
enum FundOverdraftRule: AuditRule {
    static let code = RuleCode.fundOverdraft
    static let clause = "三十一"

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for line in 0..<Int32(context.lines.count) {
            try evaluate(line, in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        let fact = context.fact(trigger)
        guard fact.line != Fact.none else { return [] }
        var findings: [Finding] = []
        // A transfer breaks its sending line, which `line` holds.
        try evaluate(fact.line, in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    /// How one event moves one line.
    enum Movement: String, CaseIterable {
        case appropriation = "appropriations"
        case transferIn = "transfers in"
        case transferOut = "transfers out"
        case payout = "payouts"
        case recovery = "recoveries"
    }

    static func movement(of fact: Fact, on line: Int32) -> Movement {
        switch fact.type {
        case .fundAppropriated: return .appropriation
        case .fundTransferred: return fact.line == line ? .transferOut : .transferIn
        case .subsidyGranted, .loanInterestDiscounted, .guaranteeCompensated: return .payout
        case .subsidyRecovered, .guaranteeRecovered: return .recovery
        default: preconditionFailure("\(fact.type.name) does not move a budget line")
        }
    }

    static func evaluate(_ line: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws {
        let budgetLine = context.lines[Int(line)]
        var received: Int64 = 0
        var paid: Int64 = 0
        // Totals by kind of movement, for an explanation.
        var totals: [Movement: (count: Int, fen: Int64)] = [:]
        for index in context.lineEvents[line] {
            let fact = context.fact(index)
            let movement = self.movement(of: fact, on: line)
            switch movement {
            case .appropriation, .transferIn: received = try Fen.add(received, fact.amount, "received on \(budgetLine.subject)")
            case .transferOut: received = try Fen.subtract(received, fact.amount, "received on \(budgetLine.subject)")
            case .payout: paid = try Fen.add(paid, fact.amount, "paid out of \(budgetLine.subject)")
            case .recovery: paid = try Fen.subtract(paid, fact.amount, "paid out of \(budgetLine.subject)")
            }
            if trace != nil {
                let total = totals[movement] ?? (0, 0)
                totals[movement] = (total.count + 1, total.fen &+ fact.amount)
            }
            let tracing = trace?.at(index)
            if let tracing {
                tracing.say("Movements on \(budgetLine.subject) up to and including \(context.id(index)), in business-date order:")
                for kind in Movement.allCases {
                    guard let total = totals[kind] else { continue }
                    tracing.say("  \(kind.rawValue): \(Say.count(total.count, "event")), \(Money(fen: total.fen).yuan)")
                }
                tracing.say("Received = appropriations + transfers in − transfers out = \(Money(fen: received).yuan); "
                    + "paid out = payouts − recoveries = \(Money(fen: paid).yuan).")
            }
            guard movement == .payout || movement == .transferOut, paid > received else { continue }
            let deficit = paid - received
            let share = Money(fen: min(fact.amount, deficit))
            tracing?.say("Deficit \(Money(fen: deficit).yuan); the smaller of it and the event's \(fact.money.yuan) is \(share.yuan).")
            let what = movement == .transferOut ? "transfer out of \(fact.money.yuan)" : describe(fact, in: context)
            let message = "After the \(what) on \(fact.date), budget line \(budgetLine.name) has paid out \(Money(fen: paid).yuan) "
                + "against \(Money(fen: received).yuan) received: \(Money(fen: deficit).yuan) overdrawn, \(share.yuan) of it by this event."
            findings.append(context.finding(code, clause: clause, subject: budgetLine.subject, trigger: index, citing: [],
                                            amount: share, message: message))
        }
    }

    static func describe(_ payout: Fact, in context: AuditContext) -> String {
        switch payout.type {
        case .subsidyGranted:
            return "\(context.programmes[Int(payout.programme)].code) grant \(context.grantNames[Int(payout.key)]) of \(payout.money.yuan)"
        case .loanInterestDiscounted: return "interest discount of \(payout.money.yuan) on \(context.loanNames[Int(payout.key)])"
        case .guaranteeCompensated: return "guarantee compensation of \(payout.money.yuan) on \(context.loanNames[Int(payout.key)])"
        default: return "\(payout.type.name) of \(payout.money.yuan)"
        }
    }
}
