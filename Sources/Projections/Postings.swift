import LedgerCore

/// One leg of a double-entry transaction.
public struct Posting: Hashable, Sendable {
    public var account: String
    public var amount: Money
}

/// The chart of accounts (docs/ACCOUNTS.md): every money event becomes
/// postings that sum to zero.
///
/// - `assets:budget:F:R:Y` — budget line F/R/Y; its balance is `available`.
/// - `income:appropriation:F:R:Y` — money appropriated to a line.
/// - `expenses:subsidy:PROGRAMME:R` — grants paid in region R, net of recoveries.
/// - `expenses:interest-discount:R` — interest discounts paid.
/// - `assets:guarantee-receivable:L` — what the guarantee fund paid for loan
///   L and may still recover from the borrower.
/// - `expenses:guarantee-loss:L` — receivables written off.
public enum ChartOfAccounts {
    public static func budget(_ key: BudgetLineKey) -> String {
        "assets:budget:\(key.fund):\(key.region):\(key.fiscalYear)"
    }

    static func line(_ data: FieldSet) -> BudgetLineKey {
        BudgetLineKey(fund: data.string(.fund)!, region: data.string(.region)!, fiscalYear: data.integer(.fiscalYear)!)
    }

    /// The postings of one event (empty for events that move no fund money).
    public static func postings(for event: Event, lookup: EventLookup) throws -> [Posting] {
        let data = event.data
        func pair(_ debit: String, _ credit: String, _ amount: Money) -> [Posting] {
            [Posting(account: debit, amount: amount), Posting(account: credit, amount: Money(fen: -amount.fen))]
        }
        switch event.type {
        case .fundAppropriated:
            let key = line(data)
            return pair(budget(key), "income:appropriation:\(key.fund):\(key.region):\(key.fiscalYear)", data.money(.amount)!)
        case .fundTransferred:
            let fund = data.string(.fund)!, year = data.integer(.fiscalYear)!
            return pair(budget(BudgetLineKey(fund: fund, region: data.string(.toRegion)!, fiscalYear: year)),
                        budget(BudgetLineKey(fund: fund, region: data.string(.fromRegion)!, fiscalYear: year)), data.money(.amount)!)
        case .subsidyGranted:
            return pair("expenses:subsidy:\(data.string(.program)!):\(data.string(.region)!)", budget(line(data)), data.money(.amount)!)
        case .subsidyRecovered:
            guard let grant = try lookup.grant(data.string(.grant)!) else { preconditionFailure("recovered grant missing") }
            return pair(budget(line(grant.data)), "expenses:subsidy:\(grant.data.string(.program)!):\(grant.data.string(.region)!)",
                        data.money(.amount)!)
        case .loanInterestDiscounted:
            return pair("expenses:interest-discount:\(data.string(.region)!)", budget(line(data)), data.money(.amount)!)
        case .guaranteeCompensated:
            return pair("assets:guarantee-receivable:\(data.string(.loan)!)", budget(line(data)), data.money(.amount)!)
        case .guaranteeRecovered:
            return pair(budget(line(data)), "assets:guarantee-receivable:\(data.string(.loan)!)", data.money(.amount)!)
        case .guaranteeWrittenOff:
            return pair("expenses:guarantee-loss:\(data.string(.loan)!)", "assets:guarantee-receivable:\(data.string(.loan)!)",
                        data.money(.amount)!)
        case .personRegistered, .personCertified, .enterpriseRegistered, .loanIssued, .loanRepaid, .loanDefaulted, .entryReversed:
            return []
        }
    }
}
