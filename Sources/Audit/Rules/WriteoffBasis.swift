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
                trace.say("\(context.id(index)) writes off \(writeOff.money.yuan) of \(loanName) on \(writeOff.date); write-offs to date, this one included: \(Money(fen: cumulative).yuan).")
                trace.say(defaulted.isEmpty ? "\(loanName) had not defaulted by \(writeOff.date)."
                    : "\(loanName) defaulted on \(context.date(defaulted[0])) (\(context.id(defaulted[0]))).")
                trace.say("Compensated by \(writeOff.date): \(Money(fen: compensated).yuan)"
                    + (compensatedBy.isEmpty ? "" : " (\(Say.list(compensatedBy.map(context.id))))")
                    + "; recovered by \(writeOff.date): \(Money(fen: recovered).yuan)"
                    + (recoveredBy.isEmpty ? "" : " (\(Say.list(recoveredBy.map(context.id))))") + ".")
                trace.say("Basis: " + (hasBasis ? "\(Money(fen: compensated).yuan) − \(Money(fen: recovered).yuan) = \(Money(fen: basis).yuan)."
                    : "none, as the loan had not defaulted and been compensated."))
                trace.say(excess > 0 ? "Cumulative excess \(Money(fen: cumulative).yuan) − \(Money(fen: basis).yuan) = \(Money(fen: excess).yuan); the smaller of it and the write-off is \(share.yuan)."
                                     : "Write-offs are within the basis.")
            }
            guard excess > 0 else { continue }
            let message: String
            if hasBasis {
                message = "The write-off of \(writeOff.money.yuan) on \(writeOff.date) brings \(loanName)'s write-offs to "
                    + "\(Money(fen: cumulative).yuan), above what the guarantee fund had paid and not got back by then, "
                    + "\(Money(fen: basis).yuan) (compensated \(Money(fen: compensated).yuan) − recovered \(Money(fen: recovered).yuan)): "
                    + "\(share.yuan) without basis."
            } else {
                let state = defaulted.isEmpty ? "had not defaulted" : "had defaulted but had not been compensated"
                message = "\(loanName) \(state) by \(writeOff.date), so the write-off of \(writeOff.money.yuan) on that date has no basis: \(share.yuan)."
            }
            let cited = defaulted + compensatedBy + recoveredBy + Array(writeOffs[..<position])
            findings.append(context.finding(code, clause: clause, subject: Streams.loan(loanName), trigger: index,
                                            citing: cited, amount: share, message: message))
        }
    }
}
