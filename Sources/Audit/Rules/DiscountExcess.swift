import LedgerCore
import Policy

/// DISCOUNT-EXCESS (十一): an interest discount above the interest due over
/// its period.
///
/// Due = Σ over the period's days d of outstanding(d) × rateBp ÷ 10,000 ÷ 360,
/// where outstanding(d) is the principal minus repayments effective on or
/// before d, and only days with issue ≤ d < maturity, d < the default date
/// and outstanding(d) > 0 count. The sum is taken exactly, in fen × basis
/// points, and rounded half up to the fen once; a discount equal to it is
/// lawful. Repayments and the default count by their dates, whatever their
/// place in the log.
///
/// Amount: discount − due.
enum DiscountExcessRule: LoanIssueRule {
    static let code = RuleCode.discountExcess
    static let clause = "十一"

    /// 10,000 basis points × a 360-day year: the divisor of fen × bp × days.
    static let divisor: Int64 = 3_600_000

    /// A loan's principal over time: the days its outstanding changes, and
    /// the balance from each of them on.
    struct Balance {
        var principal: Int64
        /// Repayment dates, ascending, one entry per date.
        var days: [Int32] = []
        /// Outstanding from `days[i]` on.
        var outstanding: [Int64] = []

        init(principal: Int64, repayments: [Fact]) {
            self.principal = principal
            var balance = principal
            for repayment in repayments {
                // Repayments never exceed the principal (append-time check).
                balance -= repayment.amount
                if days.last == repayment.day {
                    outstanding[outstanding.count - 1] = balance
                } else {
                    days.append(repayment.day)
                    outstanding.append(balance)
                }
            }
        }

        /// The balance on `day` and the next day it changes, if any.
        func at(_ day: Int32) -> (fen: Int64, changesOn: Int32?) {
            // The first change after `day`.
            var low = 0, high = days.count
            while low < high {
                let middle = (low + high) / 2
                if days[middle] <= day { low = middle + 1 } else { high = middle }
            }
            return (low == 0 ? principal : outstanding[low - 1], low < days.count ? days[low] : nil)
        }
    }

    /// The interest due over a discount's period, as an exact sum of
    /// fen × bp × days (÷ 3,600,000 for fen), with the runs of days of one
    /// balance when explaining.
    struct Due {
        var sum: Int64 = 0
        var days = 0
        var runs: [(from: CalendarDate, through: CalendarDate, outstanding: Int64)] = []

        var fen: Int64 { Fen.divideHalfUp(sum, by: DiscountExcessRule.divisor) }
    }

    static func due(from start: Int32, through end: Int32, loan: Fact, loanName: String, defaultedOn: Int32?,
                    balance: Balance, recordingRuns: Bool = false) throws -> Due {
        var first = max(start, loan.day)
        var last = min(end, loan.maturity.dayNumber - 1)
        if let defaultedOn { last = min(last, defaultedOn - 1) }
        var due = Due()
        while first <= last {
            let (outstanding, change) = balance.at(first)
            let runEnd = change.map { min(last, $0 - 1) } ?? last
            let days = Int64(runEnd - first) + 1
            if outstanding > 0 {
                let what = "interest due on loan \(loanName)"
                let term = try Fen.multiply(try Fen.multiply(outstanding, loan.rateBp, what), days, what)
                due.sum = try Fen.add(due.sum, term, what)
                due.days += Int(days)
                if recordingRuns {
                    due.runs.append((CalendarDate(dayNumber: first), CalendarDate(dayNumber: runEnd), outstanding))
                }
            }
            first = runEnd + 1
        }
        return due
    }

    static func evaluate(_ issue: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws {
        let events = context.loanEvents[context.fact(issue).key]
        guard events.contains(where: { context.fact($0).type == .loanInterestDiscounted }) else { return }
        let loan = context.fact(issue)
        let loanName = context.loanNames[Int(loan.key)]
        let repayments = events.filter { context.fact($0).type == .loanRepaid }
        let defaults = events.filter { context.fact($0).type == .loanDefaulted }
        let balance = Balance(principal: loan.amount, repayments: repayments.map(context.fact))
        let defaultedOn = defaults.map { context.fact($0).day }.min()
        for index in events where context.fact(index).type == .loanInterestDiscounted {
            let discount = context.fact(index)
            let tracing = trace?.at(index)
            let due = try self.due(from: discount.first, through: discount.last, loan: loan, loanName: loanName,
                                   defaultedOn: defaultedOn, balance: balance, recordingRuns: tracing != nil)
            if let tracing {
                explain(loanName, loan: loan, discount: discount, due: due, defaultedOn: defaultedOn, trace: tracing)
            }
            guard discount.amount > due.fen else { continue }
            let over = Money(fen: discount.amount - due.fen)
            let message = context.words(
                en: "The discount of \(discount.money.yuan) on \(loanName) for \(Say.period(discount.periodStart, discount.periodEnd)) "
                    + "is more than the interest due over those days, \(Money(fen: due.fen).yuan) (\(Say.count(due.days, "day")) "
                    + "counted, at \(Say.percent(loan.rateBp))): \(over.yuan) too much.",
                zh: "贷款 \(loanName) \(Zh.period(discount.periodStart, discount.periodEnd)) 的贴息 \(Zh.yuan(discount.money))"
                    + "超过该期间的应付利息 \(Zh.yuan(Money(fen: due.fen)))（按年利率 \(Say.percent(loan.rateBp)) 计 \(Zh.count(due.days, "天"))），"
                    + "多贴 \(Zh.yuan(over))。")
            // The loan, and the repayments and default that shaped the days counted.
            let shaping = (repayments + defaults).filter { context.fact($0).day <= discount.last }
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: [issue] + shaping, amount: over, message: message))
        }
    }

    static func explain(_ loanName: String, loan: Fact, discount: Fact, due: Due, defaultedOn: Int32?, trace: Trace) {
        trace.say(en: "\(loanName): issued \(loan.date), matures \(loan.maturity), \(loan.rateBp) bp"
                      + (defaultedOn.map { ", defaulted \(CalendarDate(dayNumber: $0))" } ?? "")
                      + ". The discount covers \(Say.period(discount.periodStart, discount.periodEnd)).",
                  zh: "贷款 \(loanName)：\(loan.date) 发放，\(loan.maturity) 到期，年利率 \(Zh.bp(loan.rateBp))"
                      + (defaultedOn.map { "，\(CalendarDate(dayNumber: $0)) 逾期" } ?? "")
                      + "。本笔贴息覆盖 \(Zh.period(discount.periodStart, discount.periodEnd))。")
        trace.say(en: "Days counted: issue ≤ d < maturity" + (defaultedOn == nil ? "" : ", d < the default date")
                      + ", outstanding(d) > 0, outstanding(d) = principal − repayments effective on or before d.",
                  zh: "计息天数：发放日 ≤ d < 到期日" + (defaultedOn == nil ? "" : "，d < 逾期日")
                      + "，且未偿本金(d) > 0；未偿本金(d) = 本金 − d 日及之前生效的还款。")
        if due.runs.isEmpty { trace.say(en: "No day of the period counts.", zh: "该期间没有一天计息。") }
        for run in due.runs {
            let days = Int(run.through.dayNumber - run.from.dayNumber) + 1
            trace.say(en: "  \(Say.period(run.from, run.through)): \(Say.count(days, "day")) × \(Money(fen: run.outstanding).yuan) outstanding",
                      zh: "  \(Zh.period(run.from, run.through))：\(Zh.count(days, "天")) × 未偿本金 \(Zh.yuan(Money(fen: run.outstanding)))")
        }
        trace.say(en: "Due = Σ outstanding × days × \(Say.percent(loan.rateBp)) ÷ 360 = \(Say.exactYuan(due.sum, over: divisor)) "
                      + "→ \(Money(fen: due.fen).yuan), rounded half up to the fen once.",
                  zh: "应付利息 = Σ 未偿本金 × 天数 × \(Say.percent(loan.rateBp)) ÷ 360 = \(Zh.exactYuan(due.sum, over: divisor)) "
                      + "→ \(Zh.yuan(Money(fen: due.fen)))（只在最后四舍五入到分一次）。")
        trace.say(en: "Discount \(discount.money.yuan) " + (discount.amount > due.fen
                      ? "− due \(Money(fen: due.fen).yuan) = \(Money(fen: discount.amount - due.fen).yuan) above the interest due."
                      : "is within the interest due."),
                  zh: "贴息 \(Zh.yuan(discount.money))" + (discount.amount > due.fen
                      ? " − 应付利息 \(Zh.yuan(Money(fen: due.fen))) = \(Zh.yuan(Money(fen: discount.amount - due.fen)))，超过应付利息。"
                      : "未超过应付利息。"))
    }
}
