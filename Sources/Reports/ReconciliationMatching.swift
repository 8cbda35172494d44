import LedgerCore
import Projections

/// A money event that pays out of a budget line: `subsidy.granted`,
/// `loan.interestDiscounted` or `guarantee.compensated`. Recoveries bring
/// money back and are not payments.
public struct LedgerPayment: Hashable, Sendable {
    /// The event id.
    public var event: String
    public var type: EventType
    /// The grant's programme, or `interest-discount` / `guarantee-compensation`.
    public var programme: String
    /// The effective date.
    public var date: CalendarDate
    public var voucher: String?
    public var amount: Money
    public var line: BudgetLineKey

    /// The payment an event makes, or nil when it is not a payout.
    public init?(_ event: Event) {
        let data = event.data
        switch event.type {
        case .subsidyGranted: programme = data.string(.program)!
        case .loanInterestDiscounted: programme = PayoutKind.interestDiscount
        case .guaranteeCompensated: programme = PayoutKind.guaranteeCompensation
        default: return nil
        }
        self.event = event.id
        type = event.type
        date = event.effective
        voucher = data.string(.voucher)
        amount = data.money(.amount)!
        line = BudgetLineKey(fund: data.string(.fund)!, region: data.string(.region)!, fiscalYear: data.integer(.fiscalYear)!)
    }
}

/// What matching a treasury statement against the ledger's payments found
/// (`reconcile --fiscal-year Y --statement FILE`).
///
/// The ledger side is the live payments (grants, interest discounts,
/// compensations) on budget lines of fiscal year Y, within the region scope,
/// that carry a voucher. They are matched to statement lines by voucher, and
/// each voucher lands in exactly one of these outcomes:
/// - **duplicates**: the voucher is on more than one ledger payment or more
///   than one statement line. It is *not* also reported as matched, mismatched
///   or missing: money paid twice under one voucher does not reconcile. When
///   both sides repeat it, it is listed once per side. Each entry carries the
///   lines, the events and each side's total (null for a side without it).
/// - **missingInStatement**: one ledger payment, no statement line.
/// - **missingInLedger**: one statement line, no ledger payment in scope. When
///   the ledger has a payment with that voucher outside the scope (another
///   fiscal year or region), it is named under `elsewhere`.
/// - one on each side: **matched** when amount, fund and region agree; else a
///   **mismatch** when the amounts differ (`difference` = statement − ledger,
///   so positive means the treasury paid more than the ledger records) and/or
///   **misattributed** when the fund or the region differ.
///
/// A statement line counts when its region is in the scope, or its voucher is
/// one of the ledger's payments in scope (so a payment booked to the wrong
/// region is caught). Payments in scope without a voucher cannot be matched;
/// they are listed under `withoutVoucher`, which is not a difference.
///
/// Every list is in voucher order (UTF-8 byte order); duplicates put the
/// `ledger` side before the `statement` side; `withoutVoucher` is in log order.
public struct StatementReconciliation: Sendable {
    public enum Side: String, Sendable { case ledger, statement }

    public struct Match: Hashable, Sendable {
        public var payment: LedgerPayment
        public var line: StatementLine
        public var voucher: String { line.voucher }
        /// statement − ledger.
        public var difference: Money { Money(fen: line.amount.fen - payment.amount.fen) }
        public var amountsAgree: Bool { payment.amount == line.amount }
        public var attributionAgrees: Bool { payment.line.fund == line.fund && payment.line.region == line.region }
    }

    public struct MissingInLedger: Hashable, Sendable {
        public var line: StatementLine
        /// A ledger payment with this voucher outside the scope, if any.
        public var elsewhere: LedgerPayment?
    }

    public struct Duplicate: Hashable, Sendable {
        public var voucher: String
        public var side: Side
        /// Statement lines with this voucher.
        public var lines: [Int]
        /// Ledger events in scope with this voucher.
        public var events: [String]
        /// Each side's total, nil where the side has none.
        public var ledger: Money?
        public var statement: Money?
    }

    public var fiscalYear: Int64
    public var scope: RegionScope
    /// The statement's name, as given.
    public var statement: String
    /// The last sequence number of the view the payments come from.
    public var asOfSeq: UInt64
    /// Payments in scope with a voucher, and statement lines taking part.
    public var ledgerPayments = 0
    public var statementLines = 0

    public var matches: [Match] = []
    public var mismatches: [Match] = []
    public var misattributed: [Match] = []
    public var missingInLedger: [MissingInLedger] = []
    public var missingInStatement: [LedgerPayment] = []
    public var duplicates: [Duplicate] = []
    public var withoutVoucher: [LedgerPayment] = []

    /// The vouchers matched exactly.
    public var matched: [String] { matches.map(\.voucher) }

    /// Whether everything in scope reconciles (the command's exit 0).
    public var reconciles: Bool { differenceCount == 0 }

    /// How many vouchers differ (a voucher both mismatched and misattributed, or
    /// duplicated on both sides, counts once).
    public private(set) var differenceCount = 0

    init(fiscalYear: Int64, scope: RegionScope, statement: String, asOfSeq: UInt64) {
        self.fiscalYear = fiscalYear
        self.scope = scope
        self.statement = statement
        self.asOfSeq = asOfSeq
    }

    /// Matches `statement` against the live events of a view, given in log
    /// order (see ``StatementMatcher`` to feed them one at a time). Throws
    /// ``OverflowError`` when a side's total for one voucher passes Int64 fen.
    public init(statement: TreasuryStatement, liveEvents events: some Sequence<Event>, fiscalYear: Int64, scope: RegionScope,
                asOfSeq: UInt64) throws {
        var matcher = StatementMatcher(statement: statement, fiscalYear: fiscalYear, scope: scope)
        for event in events { matcher.add(event) }
        self = try matcher.finish(asOfSeq: asOfSeq)
    }

    mutating func countDifferences() {
        var vouchers = Set(mismatches.map(\.voucher))
        vouchers.formUnion(misattributed.map(\.voucher))
        vouchers.formUnion(missingInLedger.map(\.line.voucher))
        vouchers.formUnion(missingInStatement.map { $0.voucher! })
        vouchers.formUnion(duplicates.map(\.voucher))
        differenceCount = vouchers.count
    }

    static func total(_ amounts: [Money], _ voucher: String) throws -> Money? {
        guard !amounts.isEmpty else { return nil }
        var total = Money.zero
        for amount in amounts { try total.add(amount, "the amounts under voucher \(voucher)") }
        return total
    }
}

/// Matches a statement against live events fed one at a time, so a caller
/// can stream a long log: it keeps only the payments in scope and, of the
/// others, those whose voucher the statement names.
public struct StatementMatcher: Sendable {
    let statement: TreasuryStatement
    let fiscalYear: Int64
    let scope: RegionScope
    var statementByVoucher: [String: [StatementLine]] = [:]
    var ledgerByVoucher: [String: [LedgerPayment]] = [:]
    var elsewhere: [String: LedgerPayment] = [:]
    var withoutVoucher: [LedgerPayment] = []

    public init(statement: TreasuryStatement, fiscalYear: Int64, scope: RegionScope) {
        self.statement = statement
        self.fiscalYear = fiscalYear
        self.scope = scope
        for line in statement.lines { statementByVoucher[line.voucher, default: []].append(line) }
    }

    /// Takes the next live event of the view, in log order; anything but a payment is ignored.
    public mutating func add(_ event: Event) {
        guard let payment = LedgerPayment(event) else { return }
        let inScope = payment.line.fiscalYear == fiscalYear && scope.contains(payment.line.region)
        guard let voucher = payment.voucher else {
            if inScope { withoutVoucher.append(payment) }
            return
        }
        if inScope {
            ledgerByVoucher[voucher, default: []].append(payment)
        } else if elsewhere[voucher] == nil && statementByVoucher[voucher] != nil {
            // Only vouchers the statement names: memory stays bounded by the statement.
            elsewhere[voucher] = payment
        }
    }

    /// The outcome, each voucher in one place (see ``StatementReconciliation``).
    public func finish(asOfSeq: UInt64) throws -> StatementReconciliation {
        var result = StatementReconciliation(fiscalYear: fiscalYear, scope: scope, statement: statement.file, asOfSeq: asOfSeq)
        result.withoutVoucher = withoutVoucher
        var vouchers = Array(ledgerByVoucher.keys)
        for (voucher, lines) in statementByVoucher where ledgerByVoucher[voucher] == nil && lines.contains(where: { scope.contains($0.region) }) {
            vouchers.append(voucher)
        }
        for voucher in vouchers.sorted(by: byteOrder) {
            let payments = ledgerByVoucher[voucher] ?? [], lines = statementByVoucher[voucher] ?? []
            result.ledgerPayments += payments.count
            result.statementLines += lines.count
            if payments.count > 1 || lines.count > 1 {
                let ledgerTotal = try StatementReconciliation.total(payments.map(\.amount), voucher)
                let statementTotal = try StatementReconciliation.total(lines.map(\.amount), voucher)
                for side in [StatementReconciliation.Side.ledger, .statement] where (side == .ledger ? payments.count : lines.count) > 1 {
                    result.duplicates.append(.init(voucher: voucher, side: side, lines: lines.map(\.line), events: payments.map(\.event),
                                                   ledger: ledgerTotal, statement: statementTotal))
                }
                continue
            }
            switch (payments.first, lines.first) {
            case (let payment?, let line?):
                let match = StatementReconciliation.Match(payment: payment, line: line)
                if match.amountsAgree && match.attributionAgrees { result.matches.append(match) }
                if !match.amountsAgree { result.mismatches.append(match) }
                if !match.attributionAgrees { result.misattributed.append(match) }
            case (let payment?, nil):
                result.missingInStatement.append(payment)
            case (nil, let line?):
                result.missingInLedger.append(.init(line: line, elsewhere: elsewhere[voucher]))
            case (nil, nil):
                preconditionFailure("voucher \(voucher) on neither side")
            }
        }
        result.countDifferences()
        return result
    }
}
