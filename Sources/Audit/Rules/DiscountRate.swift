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
                trace?.at(discount)?.say(en: "\(loanName) is lent to an enterprise: the rate limit applies to loans to persons only.",
                                         zh: "贷款 \(loanName) 的借款人是企业：利率上限只适用于个人贷款。")
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
                trace.say(en: "\(loanName) is lent to person \(person) on \(loan.date) at \(rate) bp; the benchmark is \(benchmark) bp.",
                          zh: "贷款 \(loanName) 于 \(loan.date) 发放给个人 \(person)，年利率 \(Zh.bp(rate))；基准利率 \(Zh.bp(benchmark))。")
                trace.say(en: "Margin on the issue date: \(margin.valueText) (\(margin.provenance)); a discount needs a rate of at most \(benchmark) + \(margin.integer) = \(limit) bp.",
                          zh: "发放日允许的上浮幅度：\(Zh.value(margin))（\(Zh.provenance(margin))）；享受贴息的利率最高为 \(benchmark) + \(margin.integer) = \(Zh.bp(limit))。")
                trace.say(en: rate > limit ? "\(rate) bp > \(limit) bp: no discount may be paid, so all \(discount.money.yuan) of this one is against the rule."
                                           : "\(rate) bp ≤ \(limit) bp: the rate allows a discount.",
                          zh: rate > limit ? "\(rate) > \(limit) 个基点：不得贴息，本笔贴息 \(Zh.yuan(discount.money))全部违规。"
                                           : "\(rate) ≤ \(limit) 个基点：该利率可以享受贴息。")
            }
            guard rate > limit else { continue }
            let message = context.words(
                en: "\(loanName) is lent to person \(person) at \(Say.percent(rate)) (\(rate) bp), more than "
                    + "\(margin.integer) bp above the \(Say.percent(benchmark)) benchmark (at most \(limit) bp), so no interest "
                    + "discount may be paid on it; this discount for \(Say.period(discount.periodStart, discount.periodEnd)) pays \(discount.money.yuan).",
                zh: "贷款 \(loanName) 发放给个人 \(person)，年利率 \(Say.percent(rate))（\(Zh.bp(rate))），比基准利率 \(Say.percent(benchmark)) "
                    + "上浮超过 \(Zh.bp(margin.integer))（最高 \(Zh.bp(limit))），不得享受财政贴息；"
                    + "本笔 \(Zh.period(discount.periodStart, discount.periodEnd)) 的贴息支付了 \(Zh.yuan(discount.money))。")
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: [issue], amount: discount.money, message: message))
        }
    }
}
