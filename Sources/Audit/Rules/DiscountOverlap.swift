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
                tracing.say("\(context.id(index)) covers \(period) of \(loanName): \(Say.count(days, "day")), \(discount.money.yuan).")
                if earlier.isEmpty { tracing.say("No earlier discount of \(loanName) covers any of these days.") }
                for other in earlier {
                    let fact = context.fact(other)
                    let from = max(first, fact.first), through = min(last, fact.last)
                    tracing.say("  \(context.id(other)) (paid \(fact.date)) covered \(Say.period(fact.periodStart, fact.periodEnd)): "
                        + "shares \(Say.period(CalendarDate(dayNumber: from), CalendarDate(dayNumber: through))), "
                        + "\(Say.count(Int(through - from) + 1, "day")).")
                }
                if shared > 0 {
                    tracing.say("Days already covered, each counted once: \(shared). Pro rata \(discount.money.yuan) × \(shared) ÷ \(days) = \(share.yuan).")
                }
            }
            guard shared > 0 else { continue }
            let message = "The discount for \(period) on \(loanName) (\(Say.count(days, "day")), \(discount.money.yuan)) covers "
                + "\(Say.count(shared, "day")) already covered by \(Say.list(earlier.map(context.id))): "
                + "\(discount.money.yuan) × \(shared) ÷ \(days) = \(share.yuan)."
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: earlier, amount: share, message: message))
        }
    }
}
