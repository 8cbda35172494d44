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

        /// The counterpart of the raw value, for Chinese steps.
        var chinese: String {
            switch self {
            case .appropriation: "拨款"
            case .transferIn: "调入"
            case .transferOut: "调出"
            case .payout: "支出"
            case .recovery: "收回"
            }
        }
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
                tracing.say(en: "Movements on \(budgetLine.subject) up to and including \(context.id(index)), in business-date order:",
                            zh: "预算科目 \(budgetLine.subject) 截至 \(context.id(index))（含）按业务日期顺序的资金变动：")
                for kind in Movement.allCases {
                    guard let total = totals[kind] else { continue }
                    tracing.say(en: "  \(kind.rawValue): \(Say.count(total.count, "event")), \(Money(fen: total.fen).yuan)",
                                zh: "  \(kind.chinese)：\(Zh.count(total.count, "笔"))，\(Zh.yuan(Money(fen: total.fen)))")
                }
                tracing.say(en: "Received = appropriations + transfers in − transfers out = \(Money(fen: received).yuan); "
                                + "paid out = payouts − recoveries = \(Money(fen: paid).yuan).",
                            zh: "收到 = 拨款 + 调入 − 调出 = \(Zh.yuan(Money(fen: received)))；"
                                + "净支出 = 支出 − 收回 = \(Zh.yuan(Money(fen: paid)))。")
            }
            guard movement == .payout || movement == .transferOut, paid > received else { continue }
            let deficit = paid - received
            let share = Money(fen: min(fact.amount, deficit))
            tracing?.say(en: "Deficit \(Money(fen: deficit).yuan); the smaller of it and the event's \(fact.money.yuan) is \(share.yuan).",
                         zh: "超支 \(Zh.yuan(Money(fen: deficit)))；它与本事件金额 \(Zh.yuan(fact.money))中较小者为 \(Zh.yuan(share))。")
            let message = context.words(
                en: "After the \(movement == .transferOut ? "transfer out of \(fact.money.yuan)" : describe(fact, in: context)) on \(fact.date), "
                    + "budget line \(budgetLine.name) has paid out \(Money(fen: paid).yuan) "
                    + "against \(Money(fen: received).yuan) received: \(Money(fen: deficit).yuan) overdrawn, \(share.yuan) of it by this event.",
                zh: "\(fact.date) \(movement == .transferOut ? "调出 \(Zh.yuan(fact.money))" : describeInChinese(fact, in: context))后，"
                    + "预算科目 \(budgetLine.name) 累计净支出 \(Zh.yuan(Money(fen: paid)))，而收到 \(Zh.yuan(Money(fen: received)))："
                    + "超支 \(Zh.yuan(Money(fen: deficit)))，其中 \(Zh.yuan(share))由本事件造成。")
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

    /// The counterpart of ``describe(_:in:)``: `发放 training 补贴 gr-0067 100,000.00 元`.
    static func describeInChinese(_ payout: Fact, in context: AuditContext) -> String {
        switch payout.type {
        case .subsidyGranted:
            return "发放 \(context.programmes[Int(payout.programme)].code) 补贴 \(context.grantNames[Int(payout.key)]) \(Zh.yuan(payout.money))"
        case .loanInterestDiscounted: return "对贷款 \(context.loanNames[Int(payout.key)]) 贴息 \(Zh.yuan(payout.money))"
        case .guaranteeCompensated: return "对贷款 \(context.loanNames[Int(payout.key)]) 担保代偿 \(Zh.yuan(payout.money))"
        default: return "\(payout.type.name) \(Zh.yuan(payout.money))"
        }
    }
}
