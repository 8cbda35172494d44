import LedgerCore

/// Where a partial state finds the stored entries it does not hold yet.
public protocol BalanceBacking: AnyObject {
    func line(_ key: BudgetLineKey) throws -> BudgetLine?
    func person(_ key: Balances.PersonProgrammeKey) throws -> PersonProgramme?
    func enterprise(_ key: Balances.EnterpriseProgrammeKey) throws -> EnterpriseProgramme?
    func loan(_ id: String) throws -> LoanBalance?
}

/// The entries a run of events touches, loaded from storage on first use and
/// folded in memory; afterwards each touched entry is written back, or
/// deleted when the fold removed it. This keeps stored balances current at
/// the cost of the entries an append touches, not of the whole state.
public struct WorkingSet {
    public private(set) var balances = Balances()
    public private(set) var touchedLines = Set<BudgetLineKey>()
    public private(set) var touchedPeople = Set<Balances.PersonProgrammeKey>()
    public private(set) var touchedEnterprises = Set<Balances.EnterpriseProgrammeKey>()
    public private(set) var touchedLoans = Set<String>()
    /// Unowned: the backing is the store that holds this working set.
    unowned let backing: BalanceBacking

    public init(backing: BalanceBacking) {
        self.backing = backing
    }

    /// Nothing loaded or folded yet.
    public var isEmpty: Bool { touchedLines.isEmpty && touchedPeople.isEmpty && touchedEnterprises.isEmpty && touchedLoans.isEmpty }

    /// Folds one event of the log (no date filter: stored balances are the whole log's).
    public mutating func apply(_ event: Event, lookup: EventLookup) throws {
        if event.type == .entryReversed {
            guard let target = try lookup.event(withID: event.data.string(.target)!) else {
                preconditionFailure("reversal target missing from the log")
            }
            try load(for: target, lookup: lookup)
        } else {
            try load(for: event, lookup: lookup)
        }
        try balances.apply(event, lookup: lookup)
    }

    /// Loads every entry folding `event` can change.
    mutating func load(for event: Event, lookup: EventLookup) throws {
        let data = event.data
        func line(_ data: FieldSet) -> BudgetLineKey {
            BudgetLineKey(fund: data.string(.fund)!, region: data.string(.region)!, fiscalYear: data.integer(.fiscalYear)!)
        }
        switch event.type {
        case .fundAppropriated:
            try loadLine(line(data))
        case .fundTransferred:
            let fund = data.string(.fund)!, year = data.integer(.fiscalYear)!
            try loadLine(BudgetLineKey(fund: fund, region: data.string(.fromRegion)!, fiscalYear: year))
            try loadLine(BudgetLineKey(fund: fund, region: data.string(.toRegion)!, fiscalYear: year))
        case .subsidyGranted:
            try loadGrant(data)
        case .subsidyRecovered:
            guard let grant = try lookup.grant(data.string(.grant)!) else { preconditionFailure("recovered grant missing") }
            try loadGrant(grant.data)
        case .loanIssued, .loanRepaid, .loanDefaulted, .guaranteeWrittenOff:
            try loadLoan(data.string(.loan)!)
        case .loanInterestDiscounted, .guaranteeCompensated, .guaranteeRecovered:
            try loadLine(line(data))
            try loadLoan(data.string(.loan)!)
        case .personRegistered, .personCertified, .enterpriseRegistered, .entryReversed:
            break
        }
    }

    private mutating func loadGrant(_ data: FieldSet) throws {
        try loadLine(BudgetLineKey(fund: data.string(.fund)!, region: data.string(.region)!, fiscalYear: data.integer(.fiscalYear)!))
        let programme = data.string(.program)!
        if let person = data.string(.person) {
            let key = Balances.PersonProgrammeKey(person: person, programme: programme)
            if touchedPeople.insert(key).inserted, let stored = try backing.person(key) { balances.people[key] = stored }
        }
        if let enterprise = data.string(.enterprise) {
            let key = Balances.EnterpriseProgrammeKey(enterprise: enterprise, programme: programme)
            if touchedEnterprises.insert(key).inserted, let stored = try backing.enterprise(key) { balances.enterprises[key] = stored }
        }
    }

    private mutating func loadLine(_ key: BudgetLineKey) throws {
        if touchedLines.insert(key).inserted, let stored = try backing.line(key) { balances.lines[key] = stored }
    }

    private mutating func loadLoan(_ id: String) throws {
        if touchedLoans.insert(id).inserted, let stored = try backing.loan(id) { balances.loans[id] = stored }
    }
}
