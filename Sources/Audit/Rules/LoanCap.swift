import LedgerCore
import Policy

/// LOAN-CAP (十一): a guarantee loan whose issue takes the borrower's
/// outstanding guaranteed principal above the cap that applies to it on its
/// issue date.
///
/// Outstanding = principal minus repayments effective on or before the
/// issue date, over the borrower's loans up to this one in business-date
/// order (this one included); matured, unpaid and defaulted loans count.
/// The cap is that of the category LOAN-CATEGORY judges the loan under:
/// 个体创业者 10万元, 毕业两年内的高校毕业生 15万元, 企业 400万元 in the seed.
///
/// A graduate is also an individual borrower, so a graduate loan's cap is
/// the larger of the graduate and the individual caps in force. The seed's
/// graduate cap is the larger; the difference shows only under a policy
/// whose individual cap has overtaken it (the national amendments from
/// 2020-04-15).
///
/// Amount: outstanding − cap.
enum LoanCapRule: AuditRule {
    static let code = RuleCode.loanCap
    static let clause = "十一"

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for group in 0..<Int32(context.borrowerLoans.count) where !context.borrowerLoans[group].isEmpty {
            try evaluate(Array(context.borrowerLoans[group]), in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        let loan = context.fact(trigger)
        guard loan.type == .loanIssued else { return [] }
        var findings: [Finding] = []
        try evaluate(Array(context.borrowerLoans[context.borrower(of: loan).group]), in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    /// The repayments of a loan, in business-date order (so by date).
    static func repayments(of loan: Fact, in context: AuditContext) -> [Int32] {
        context.loanEvents[loan.key].filter { context.fact($0).type == .loanRepaid }
    }

    /// One borrower's loans in business-date order, with one sweep over
    /// their repayments in date order: each loan's check costs a few steps,
    /// however many loans the borrower has.
    static func evaluate(_ issues: [Int32], in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws {
        let subject = context.borrower(of: context.fact(issues[0])).subject
        // (repayment, index of its loan in `issues`), in business-date order.
        var repayments: [(fact: Int32, loan: Int)] = []
        for (position, issue) in issues.enumerated() {
            repayments += self.repayments(of: context.fact(issue), in: context).map { ($0, position) }
        }
        repayments.sort { context.rank[Int($0.fact)] < context.rank[Int($1.fact)] }

        var principal: Int64 = 0
        var repaid: Int64 = 0
        // Repayments dated before a loan's turn but belonging to a loan
        // later in the order (issued the same day): counted when it comes.
        var deferred = [Int64](repeating: 0, count: issues.count)
        var next = 0
        for (position, issue) in issues.enumerated() {
            let loan = context.fact(issue)
            principal = try Fen.add(principal, loan.amount, "principal lent to \(subject)")
            while next < repayments.count, context.fact(repayments[next].fact).day <= loan.day {
                let amount = context.fact(repayments[next].fact).amount
                let owner = repayments[next].loan
                if owner <= position {
                    repaid = try Fen.add(repaid, amount, "principal repaid by \(subject)")
                } else {
                    deferred[owner] = try Fen.add(deferred[owner], amount, "principal repaid by \(subject)")
                }
                next += 1
            }
            repaid = try Fen.add(repaid, deferred[position], "principal repaid by \(subject)")
            deferred[position] = 0
            let outstanding = try Fen.subtract(principal, repaid, "outstanding principal of \(subject)")

            let tracing = trace?.at(issue)
            let judgement = try LoanCategoryRule.judge(issue, in: context, explaining: tracing != nil)
            let cap = try self.cap(for: judgement.judged, on: loan.date, in: context)
            if let tracing {
                judgement.notes.lines?.forEach(tracing.record)
                explain(issues[...position], total: outstanding, cap: cap, on: loan.date, in: context, trace: tracing)
            }
            guard outstanding > cap.amount.fen else { continue }
            let over = Money(fen: outstanding - cap.amount.fen)
            let borrower = loan.person != Fact.none ? context.people[Int(loan.person)] : context.enterprises[Int(loan.enterprise)]
            let judged = judgement.problem != nil
            let message = context.words(
                en: "Issuing \(context.loanNames[Int(loan.key)]) (\(loan.money.yuan)) on \(loan.date) brings \(borrower)'s "
                    + "outstanding guaranteed principal to \(Money(fen: outstanding).yuan), above the \(cap.amount.yuan) cap "
                    + "for \(judgement.judged.noun)\(judged ? " (as LOAN-CATEGORY judges it)" : "") then in force (\(cap.citation)): \(over.yuan) over.",
                zh: "\(loan.date) 发放贷款 \(context.loanNames[Int(loan.key)])（\(Zh.yuan(loan.money))）后，\(borrower) 未偿还的担保贷款本金"
                    + "达到 \(Zh.yuan(Money(fen: outstanding)))，超过当时适用于\(judgement.judged.chineseNoun)\(judged ? "（按 LOAN-CATEGORY 认定的类别）" : "")"
                    + "的额度上限 \(Zh.yuan(cap.amount))（\(Zh.citation(cap.entry))）：超出 \(Zh.yuan(over))。")
            findings.append(context.finding(code, clause: clause, subject: subject, trigger: issue,
                                            citing: cited(issues[...position], on: loan.date, in: context),
                                            amount: over, message: message))
        }
    }

    /// The cap of a judged category on a date, and where it comes from.
    struct Cap {
        var amount: Money
        var entry: ParameterEntry
        var note: String?

        /// `clause 十一` for the seed's numbers, the document otherwise.
        var citation: String {
            if let clause = entry.clause { return "clause " + clause }
            return entry.source ?? entry.parameter.rawValue
        }
    }

    static func cap(for category: LoanCategoryRule.Category, on day: CalendarDate, in context: AuditContext) throws -> Cap {
        switch category {
        case .individual:
            let entry = try context.value(of: .loanCapIndividual, on: day)
            return Cap(amount: entry.money, entry: entry)
        case .enterprise:
            let entry = try context.value(of: .loanCapEnterprise, on: day)
            return Cap(amount: entry.money, entry: entry)
        case .graduate:
            let graduate = try context.value(of: .loanCapGraduate, on: day)
            let individual = try context.value(of: .loanCapIndividual, on: day)
            if individual.money > graduate.money {
                return Cap(amount: individual.money, entry: individual,
                           note: context.words(
                               en: "The individual cap \(individual.money.yuan) is above the graduate cap \(graduate.money.yuan) on \(day); a graduate is also an individual borrower, so the larger applies.",
                               zh: "\(day) 个人贷款额度上限 \(Zh.yuan(individual.money))高于高校毕业生贷款额度上限 \(Zh.yuan(graduate.money))；高校毕业生也是个人借款人，适用较高者。"))
            }
            return Cap(amount: graduate.money, entry: graduate)
        }
    }

    /// A loan's principal outstanding at the end of `day`, and the repayments counted.
    static func outstanding(_ issue: Int32, on day: CalendarDate, in context: AuditContext) -> (Money, repayments: [Int32]) {
        let loan = context.fact(issue)
        var fen = loan.amount
        var counted: [Int32] = []
        for repayment in repayments(of: loan, in: context) where context.fact(repayment).day <= day.dayNumber {
            // Repayments never exceed the principal (append-time check), so no overflow.
            fen -= context.fact(repayment).amount
            counted.append(repayment)
        }
        return (Money(fen: fen), counted)
    }

    /// The loans still outstanding on the issue date, with the repayments
    /// that make up their balances.
    static func cited(_ issues: ArraySlice<Int32>, on day: CalendarDate, in context: AuditContext) -> [Int32] {
        var cited: [Int32] = []
        for issue in issues {
            let (balance, repayments) = outstanding(issue, on: day, in: context)
            guard balance.fen > 0 else { continue }
            cited.append(issue)
            cited += repayments
        }
        return cited
    }

    static func explain(_ issues: ArraySlice<Int32>, total: Int64, cap: Cap, on day: CalendarDate, in context: AuditContext,
                        trace: Trace) {
        trace.say(en: "Cap on \(day): \(cap.amount.yuan) (\(cap.entry.provenance)).",
                  zh: "\(day) 的额度上限：\(Zh.yuan(cap.amount))（\(Zh.provenance(cap.entry))）。")
        if let note = cap.note { trace.record(note) }
        trace.say(en: "Outstanding guaranteed principal on \(day), over the borrower's loans up to this one:",
                  zh: "\(day) 未偿还的担保贷款本金（借款人截至本笔的全部贷款）：")
        for issue in issues {
            let loan = context.fact(issue)
            let (balance, repayments) = outstanding(issue, on: day, in: context)
            let name = context.loanNames[Int(loan.key)]
            trace.say(en: "  \(name) (\(context.id(issue)), issued \(loan.date)): \(loan.money.yuan)"
                          + repayments.map { " − \(context.fact($0).money.yuan) repaid \(context.date($0)) (\(context.id($0)))" }.joined()
                          + " = \(balance.yuan)",
                      zh: "  \(name)（\(context.id(issue))，\(loan.date) 发放）：\(Zh.yuan(loan.money))"
                          + repayments.map { " − \(Zh.yuan(context.fact($0).money))（\(context.date($0)) 还款，\(context.id($0))）" }.joined()
                          + " = \(Zh.yuan(balance))")
        }
        let over = total - cap.amount.fen
        trace.say(en: "Total \(Money(fen: total).yuan) against the cap \(cap.amount.yuan): "
                      + (over > 0 ? "\(Money(fen: over).yuan) over." : "within it."),
                  zh: "合计 \(Zh.yuan(Money(fen: total)))，额度上限 \(Zh.yuan(cap.amount))："
                      + (over > 0 ? "超出 \(Zh.yuan(Money(fen: over)))。" : "未超出。"))
    }
}
