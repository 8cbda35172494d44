import LedgerCore
import Policy

/// DISCOUNT-OVERLAP (十一): an interest discount covering a day an earlier
/// discount of the same loan already covered: interest is discounted once.
///
/// Amount: pro rata over the shared days, the discount × shared days ÷ the
/// days of its period, rounded half up to the fen. A day covered by two
/// earlier discounts is one shared day.
enum DiscountOverlapRule: AuditRule {
    static let code = RuleCode.discountOverlap
    static let clause = "十一"

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for loan in 0..<Int32(context.loanNames.count) {
            evaluate(loan, in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        var findings: [Finding] = []
        evaluate(context.fact(trigger).key, in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    static func evaluate(_ loan: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) {
        let discounts = context.loanEvents[loan].filter { context.fact($0).type == .loanInterestDiscounted }
        guard discounts.count > 1 || trace != nil else { return }
        let loanName = context.loanNames[Int(loan)]
        var covered = Coverage()
        for (position, index) in discounts.enumerated() {
            let discount = context.fact(index)
            let first = discount.first, last = discount.last
            let shared = covered.shared(first, last)
            let tracing = trace?.at(index)
            defer { covered.insert(first, last) }
            guard shared > 0 || tracing != nil else { continue }

            // The earlier discounts this one shares days with.
            let earlier = discounts[..<position].filter { other in
                let fact = context.fact(other)
                return fact.first <= last && fact.last >= first
            }
            let days = Int(last - first) + 1
            let share = Fen.proRata(discount.money, shared, of: days)
            let period = Say.period(discount.periodStart, discount.periodEnd)
            if let tracing {
                tracing.say(en: "\(context.id(index)) covers \(period) of \(loanName): \(Say.count(days, "day")), \(discount.money.yuan).",
                            zh: "\(context.id(index)) 覆盖贷款 \(loanName) 的 \(Zh.period(discount.periodStart, discount.periodEnd))：\(Zh.count(days, "天"))，\(Zh.yuan(discount.money))。")
                if earlier.isEmpty {
                    tracing.say(en: "No earlier discount of \(loanName) covers any of these days.",
                                zh: "贷款 \(loanName) 此前的贴息没有覆盖其中任何一天。")
                }
                for other in earlier {
                    let fact = context.fact(other)
                    let from = max(first, fact.first), through = min(last, fact.last)
                    let start = CalendarDate(dayNumber: from), end = CalendarDate(dayNumber: through)
                    tracing.say(en: "  \(context.id(other)) (paid \(fact.date)) covered \(Say.period(fact.periodStart, fact.periodEnd)): "
                                    + "shares \(Say.period(start, end)), \(Say.count(Int(through - from) + 1, "day")).",
                                zh: "  \(context.id(other))（\(fact.date) 支付）覆盖 \(Zh.period(fact.periodStart, fact.periodEnd))："
                                    + "重叠 \(Zh.period(start, end))，\(Zh.count(Int(through - from) + 1, "天"))。")
                }
                if shared > 0 {
                    tracing.say(en: "Days already covered, each counted once: \(shared). Pro rata \(discount.money.yuan) × \(shared) ÷ \(days) = \(share.yuan).",
                                zh: "已被覆盖的天数（每天只计一次）：\(shared)。按比例 \(Zh.yuan(discount.money)) × \(shared) ÷ \(days) = \(Zh.yuan(share))。")
                }
            }
            guard shared > 0 else { continue }
            let message = context.words(
                en: "The discount for \(period) on \(loanName) (\(Say.count(days, "day")), \(discount.money.yuan)) covers "
                    + "\(Say.count(shared, "day")) already covered by \(Say.list(earlier.map(context.id))): "
                    + "\(discount.money.yuan) × \(shared) ÷ \(days) = \(share.yuan).",
                zh: "贷款 \(loanName) \(Zh.period(discount.periodStart, discount.periodEnd)) 的贴息（\(Zh.count(days, "天"))，\(Zh.yuan(discount.money))）"
                    + "中有 \(Zh.count(shared, "天"))已由 \(Zh.list(earlier.map(context.id))) 贴息，重复贴息："
                    + "\(Zh.yuan(discount.money)) × \(shared) ÷ \(days) = \(Zh.yuan(share))。")
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: earlier, amount: share, message: message))
        }
    }
}
