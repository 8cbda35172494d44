import LedgerCore
import Policy

/// DISCOUNT-RATE (十一): an interest discount on a loan to a person whose
/// rate is more than the margin (300 bp in the seed) above the benchmark.
/// 对个人发放的创业担保贷款，在贷款基准利率基础上上浮3个百分点以内的，由财政给予贴息.
///
/// The margin is the one in force on the loan's issue date (the loan's
/// terms are fixed then). Enterprise borrowers are not limited by it.
///
/// Amount: the discount.
enum DiscountRateRule: LoanIssueRule {
    static let code = RuleCode.discountRate
    static let clause = "十一"

    static func evaluate(_ issue: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws {
        let loan = context.fact(issue)
        let loanName = context.loanNames[Int(loan.key)]
        let discounts = context.loanEvents[loan.key].filter { context.fact($0).type == .loanInterestDiscounted }
        guard !discounts.isEmpty else { return }
        guard loan.person != Fact.none else {
            for discount in discounts {
                trace?.at(discount)?.say("\(loanName) is lent to an enterprise: the rate limit applies to loans to persons only.")
            }
            return
        }
        let person = context.people[Int(loan.person)]
        let rate = loan.rateBp, benchmark = loan.benchmarkBp
        let margin = try context.value(of: .discountRateMargin, on: loan.date)
        let limit = benchmark + margin.integer
        for index in discounts {
            let discount = context.fact(index)
            if let trace = trace?.at(index) {
                trace.say("\(loanName) is lent to person \(person) on \(loan.date) at \(rate) bp; the benchmark is \(benchmark) bp.")
                trace.say("Margin on the issue date: \(margin.valueText) (\(margin.provenance)); a discount needs a rate of at most \(benchmark) + \(margin.integer) = \(limit) bp.")
                trace.say(rate > limit ? "\(rate) bp > \(limit) bp: no discount may be paid, so all \(discount.money.yuan) of this one is against the rule."
                                       : "\(rate) bp ≤ \(limit) bp: the rate allows a discount.")
            }
            guard rate > limit else { continue }
            let message = "\(loanName) is lent to person \(person) at \(Say.percent(rate)) (\(rate) bp), more than "
                + "\(margin.integer) bp above the \(Say.percent(benchmark)) benchmark (at most \(limit) bp), so no interest "
                + "discount may be paid on it; this discount for \(Say.period(discount.periodStart, discount.periodEnd)) pays \(discount.money.yuan)."
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: [issue], amount: discount.money, message: message))
        }
    }
}
