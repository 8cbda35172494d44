import LedgerCore
import Policy

/// WRITEOFF-BASIS (十一: 制定完善担保基金呆坏账核销办法): a guarantee write-off
/// on a loan that had not defaulted and been compensated by the write-off's
/// date, or that takes the loan's cumulative write-offs above what the
/// guarantee fund paid and did not get back (compensated − recovered).
///
/// The default, compensations and recoveries count by their dates (effective
/// on or before the write-off's), whatever their place in the log; the
/// cumulative write-offs are this one and those earlier in business-date
/// order.
///
/// Amount: the part without basis, the smaller of the write-off and the
/// cumulative excess.
enum WriteoffBasisRule: AuditRule {
    static let code = RuleCode.writeoffBasis
    static let clause = "十一"

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for loan in 0..<Int32(context.loanNames.count) {
            try evaluate(loan, in: context, trace: nil, into: &findings)
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        var findings: [Finding] = []
        try evaluate(context.fact(trigger).key, in: context, trace: trace, into: &findings)
        return findings.filter { $0.trigger == context.id(trigger) }
    }

    static func evaluate(_ loan: Int32, in context: AuditContext, trace: Trace?, into findings: inout [Finding]) throws {
        let events = context.loanEvents[loan]
        let writeOffs = events.filter { context.fact($0).type == .guaranteeWrittenOff }
        guard !writeOffs.isEmpty else { return }
        let loanName = context.loanNames[Int(loan)]
        let defaults = events.filter { context.fact($0).type == .loanDefaulted }
        let compensations = events.filter { context.fact($0).type == .guaranteeCompensated }
        let recoveries = events.filter { context.fact($0).type == .guaranteeRecovered }
        /// The events of a kind dated on or before `day`, and their total.
        func upTo(_ day: Int32, _ list: [Int32], _ what: String) throws -> (fen: Int64, counted: [Int32]) {
            var total: Int64 = 0
            var counted: [Int32] = []
            for index in list where context.fact(index).day <= day {
                total = try Fen.add(total, context.fact(index).amount, "\(what) of \(loanName)")
                counted.append(index)
            }
            return (total, counted)
        }
        var cumulative: Int64 = 0
        for (position, index) in writeOffs.enumerated() {
            let writeOff = context.fact(index)
            cumulative = try Fen.add(cumulative, writeOff.amount, "write-offs of \(loanName)")
            let defaulted = defaults.filter { context.fact($0).day <= writeOff.day }
            let (compensated, compensatedBy) = try upTo(writeOff.day, compensations, "compensations")
            let (recovered, recoveredBy) = try upTo(writeOff.day, recoveries, "recoveries")
            let hasBasis = !defaulted.isEmpty && compensated > 0
            let basis = hasBasis ? max(0, compensated - recovered) : 0
            let excess = cumulative - basis
            let share = Money(fen: min(writeOff.amount, max(0, excess)))
            if let trace = trace?.at(index) {
                trace.say(en: "\(context.id(index)) writes off \(writeOff.money.yuan) of \(loanName) on \(writeOff.date); write-offs to date, this one included: \(Money(fen: cumulative).yuan).",
                          zh: "\(context.id(index)) 于 \(writeOff.date) 核销贷款 \(loanName) \(Zh.yuan(writeOff.money))；截至本笔（含）累计核销 \(Zh.yuan(Money(fen: cumulative)))。")
                trace.say(en: defaulted.isEmpty ? "\(loanName) had not defaulted by \(writeOff.date)."
                                                : "\(loanName) defaulted on \(context.date(defaulted[0])) (\(context.id(defaulted[0]))).",
                          zh: defaulted.isEmpty ? "截至 \(writeOff.date)，贷款 \(loanName) 未逾期。"
                                                : "贷款 \(loanName) 于 \(context.date(defaulted[0])) 逾期（\(context.id(defaulted[0]))）。")
                trace.say(en: "Compensated by \(writeOff.date): \(Money(fen: compensated).yuan)"
                              + (compensatedBy.isEmpty ? "" : " (\(Say.list(compensatedBy.map(context.id))))")
                              + "; recovered by \(writeOff.date): \(Money(fen: recovered).yuan)"
                              + (recoveredBy.isEmpty ? "" : " (\(Say.list(recoveredBy.map(context.id))))") + ".",
                          zh: "截至 \(writeOff.date) 代偿 \(Zh.yuan(Money(fen: compensated)))"
                              + (compensatedBy.isEmpty ? "" : "（\(Zh.list(compensatedBy.map(context.id)))）")
                              + "；截至 \(writeOff.date) 追回 \(Zh.yuan(Money(fen: recovered)))"
                              + (recoveredBy.isEmpty ? "" : "（\(Zh.list(recoveredBy.map(context.id)))）") + "。")
                trace.say(en: "Basis: " + (hasBasis ? "\(Money(fen: compensated).yuan) − \(Money(fen: recovered).yuan) = \(Money(fen: basis).yuan)."
                                                    : "none, as the loan had not defaulted and been compensated."),
                          zh: "核销依据：" + (hasBasis ? "\(Zh.yuan(Money(fen: compensated))) − \(Zh.yuan(Money(fen: recovered))) = \(Zh.yuan(Money(fen: basis)))。"
                                                  : "无，贷款尚未逾期并获得代偿。"))
                trace.say(en: excess > 0 ? "Cumulative excess \(Money(fen: cumulative).yuan) − \(Money(fen: basis).yuan) = \(Money(fen: excess).yuan); the smaller of it and the write-off is \(share.yuan)."
                                         : "Write-offs are within the basis.",
                          zh: excess > 0 ? "累计超出 \(Zh.yuan(Money(fen: cumulative))) − \(Zh.yuan(Money(fen: basis))) = \(Zh.yuan(Money(fen: excess)))；它与本笔核销中较小者为 \(Zh.yuan(share))。"
                                         : "核销未超出依据。")
            }
            guard excess > 0 else { continue }
            let message: String
            if hasBasis {
                message = context.words(
                    en: "The write-off of \(writeOff.money.yuan) on \(writeOff.date) brings \(loanName)'s write-offs to "
                        + "\(Money(fen: cumulative).yuan), above what the guarantee fund had paid and not got back by then, "
                        + "\(Money(fen: basis).yuan) (compensated \(Money(fen: compensated).yuan) − recovered \(Money(fen: recovered).yuan)): "
                        + "\(share.yuan) without basis.",
                    zh: "\(writeOff.date) 核销 \(Zh.yuan(writeOff.money))后，贷款 \(loanName) 累计核销 \(Zh.yuan(Money(fen: cumulative)))，"
                        + "超过担保基金截至当日已代偿且未追回的 \(Zh.yuan(Money(fen: basis)))"
                        + "（代偿 \(Zh.yuan(Money(fen: compensated))) − 追回 \(Zh.yuan(Money(fen: recovered)))）："
                        + "\(Zh.yuan(share))缺乏核销依据。")
            } else {
                message = context.words(
                    en: "\(loanName) \(defaulted.isEmpty ? "had not defaulted" : "had defaulted but had not been compensated") by \(writeOff.date), "
                        + "so the write-off of \(writeOff.money.yuan) on that date has no basis: \(share.yuan).",
                    zh: "截至 \(writeOff.date)，贷款 \(loanName) \(defaulted.isEmpty ? "未逾期" : "已逾期但未获代偿")，"
                        + "当日核销 \(Zh.yuan(writeOff.money))缺乏依据：\(Zh.yuan(share))。")
            }
            let cited = defaulted + compensatedBy + recoveredBy + Array(writeOffs[..<position])
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: cited, amount: share, message: message))
        }
    }
}
