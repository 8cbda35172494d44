import Dispatch
import LedgerCore
import Policy

/// The audited facts in business-date order with the indexes the rules
/// share, built in one pass.
///
/// Facts are referred to by their index in the input (`Int32`); `rank`
/// gives an index's place in business-date order (effective date, ties by
/// sequence) and `order` the reverse. Every index below lists fact indices
/// in business-date order, in flat arrays with offsets, so the whole costs
/// a few bytes an event and no per-subject allocation.
final class AuditContext: Sendable {
    let policy: Policy
    /// The language of the sentences of findings, explanations and warnings.
    let language: TextLanguage
    let facts: [Fact]
    let ids: TextArena
    /// `rank[fact]` is its position in business-date order; -1 when
    /// reversed.
    let rank: [Int32]
    /// The order itself, a fact index per position, builds the indexes
    /// below and is then let go (40 MB at ten million events, held through
    /// the rules otherwise); made again from `rank` only for the few uses
    /// that need it (``fact(atPosition:)``).
    private let positions = Positions()
    /// The last fact in business-date order (nil when there is none).
    let latest: Int32?

    let people: [String]
    let enterprises: [String]
    let grantNames: TextArena
    let loanNames: [String]
    /// The policy's programme for each interned programme code.
    let programmes: [Programme]
    /// What ELIGIBILITY checks for each programme, without copying the
    /// programme (its strings) for every grant.
    let eligibility: [EligibilityCheck]

    struct EligibilityCheck: Sendable {
        /// The certification kind's code, if one is needed.
        var certificationKind: UInt8?
        /// Which year a graduation must fall in, for graduate certifications.
        var graduationYear: CertificationRequirement.GraduationYear?
        /// One bit per enterprise size code allowed; nil when any size may be paid.
        var sizes: UInt8?

        var applies: Bool { certificationKind != nil || sizes != nil }
    }
    let lines: [BudgetLine]
    /// Loan id → the region its `loan.issued` names ("" when not issued in the view).
    let loanRegions: [String]

    /// Person id → fact index of its registration (-1 when not in the view).
    let registrations: [Int32]
    /// Enterprise id → fact index of its registration.
    let enterpriseRegistrations: [Int32]
    /// Loan id → fact index of its `loan.issued`.
    let loanIssues: [Int32]
    /// Every grant, in business-date order.
    let grants: [Int32]
    /// Person id → their certifications.
    let certifications: Groups
    /// (person, programme) pair → the grants naming that person under that programme.
    let personGrants: Groups
    let pairs: [(person: Int32, programme: Int32)]
    /// Person id → the range of their pairs (`personPairs[p]..<personPairs[p + 1]`).
    let personPairs: [Int32]
    /// Loan id → its events other than the issue.
    let loanEvents: Groups
    /// Borrower (persons first, then enterprises) → loan issues.
    let borrowerLoans: Groups
    /// Line id → the events moving money on it (a transfer on both of its lines).
    let lineEvents: Groups
    /// Retirement ages by group code (0 male, 1 female worker, 2 female
    /// cadre): (first day, years), ascending; for the quick test of a grant.
    let retirementAges: [[(from: Int32, years: Int)]]
    /// When each group has one retirement age: each person's retirement day
    /// (day number), valid on and after `retirementAgesFrom`.
    let retirementDays: [Int32]?
    let retirementAgesFrom: Int32

    init(_ input: consuming AuditInput, policy: Policy, language: TextLanguage = .english) throws {
        input.resolveRecoveries()
        self.policy = policy
        self.language = language
        facts = input.facts
        ids = input.ids
        people = input.people.names
        enterprises = input.enterprises.names
        grantNames = input.grantNames
        loanNames = input.loans.names
        lines = input.lines
        let regionNames = input.regions.names
        loanRegions = (0..<input.loans.count).map { loan in
            loan < input.loanRegions.count && input.loanRegions[loan] != Fact.none ? regionNames[Int(input.loanRegions[loan])] : ""
        }

        var programmes: [Programme] = []
        for (index, code) in input.programmes.names.enumerated() {
            guard let programme = policy.programme(code) else {
                throw AuditError.unknownProgramme(code: code, event: input.ids[Int(input.programmeFirstUse[index])],
                                                  policy: policy.source)
            }
            programmes.append(programme)
        }
        self.programmes = programmes
        eligibility = programmes.map { programme in
            EligibilityCheck(
                certificationKind: programme.certification.flatMap { Vocabulary.certification.code(of: $0.kind) },
                graduationYear: programme.certification?.graduatedInYearOf,
                sizes: programme.enterpriseSizes.map { sizes in
                    sizes.reduce(UInt8(0)) { $0 | 1 << Vocabulary.enterpriseSize.code(of: $1)! }
                })
        }
        retirementAges = [RetirementGroup.male, .femaleWorker, .femaleCadre].map { group in
            (policy.parameters[policy.retirement.ageParameter(group)] ?? []).map { ($0.from.dayNumber, Int($0.integer)) }
        }

        // Reversed events leave the view.
        let kept = input.reversedIDs.isEmpty ? nil : Self.unreversed(input.ids, input.reversedIDs)
        let order = Self.businessOrder(input, kept: kept)
        latest = order.last
        // The sequence numbers only ordered the facts: let them go before
        // the indexes below are built (80 MB at ten million events).
        input.seqs = []
        var rank = [Int32](repeating: -1, count: facts.count)
        for (position, index) in order.enumerated() { rank[Int(index)] = Int32(position) }
        self.rank = rank

        // Entities, from the facts in the view.
        var registrations = [Int32](repeating: Fact.none, count: people.count)
        var enterpriseRegistrations = [Int32](repeating: Fact.none, count: enterprises.count)
        var loanIssues = [Int32](repeating: Fact.none, count: loanNames.count)
        var grants: [Int32] = []
        // At most this many (reversed grants are counted too): no copy as it grows.
        grants.reserveCapacity(facts.count { $0.type == .subsidyGranted })
        for index in order {
            let fact = facts[Int(index)]
            switch fact.type {
            case .personRegistered: registrations[Int(fact.key)] = index
            case .enterpriseRegistered: enterpriseRegistrations[Int(fact.key)] = index
            case .loanIssued: loanIssues[Int(fact.key)] = index
            case .subsidyGranted: grants.append(index)
            default: break
            }
        }
        self.registrations = registrations
        self.enterpriseRegistrations = enterpriseRegistrations
        self.loanIssues = loanIssues
        self.grants = grants

        let facts = self.facts
        certifications = Groups(count: people.count, order: order) { index, emit in
            if facts[Int(index)].type == .personCertified { emit(facts[Int(index)].key) }
        }
        loanEvents = Groups(count: loanNames.count, order: order) { index, emit in
            switch facts[Int(index)].type {
            case .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated, .guaranteeRecovered,
                 .guaranteeWrittenOff:
                emit(facts[Int(index)].key)
            default: break
            }
        }
        let personCount = Int32(people.count)
        borrowerLoans = Groups(count: people.count + enterprises.count, order: order) { index, emit in
            let fact = facts[Int(index)]
            guard fact.type == .loanIssued else { return }
            emit(fact.person != Fact.none ? fact.person : personCount + fact.enterprise)
        }
        lineEvents = Groups(count: lines.count, order: order) { index, emit in
            let fact = facts[Int(index)]
            switch fact.type {
            case .fundTransferred:
                emit(fact.line)
                emit(fact.toLine)
            case .fundAppropriated, .subsidyGranted, .subsidyRecovered, .loanInterestDiscounted, .guaranteeCompensated,
                 .guaranteeRecovered:
                if fact.line != Fact.none { emit(fact.line) }
            default: break
            }
        }

        // Built last, when the order (used above, last) is no longer held.
        (pairs, personPairs, personGrants) = Self.pairGroups(grants, facts: facts, people: people.count)

        // With one retirement age per group (no date to choose by), each
        // person's retirement day is worked out once.
        let ages = retirementAges
        if ages.allSatisfy({ $0.count == 1 }) {
            retirementAgesFrom = ages.map { $0[0].from }.max()!
            retirementDays = registrations.map { registration in
                guard registration != Fact.none else { return Fact.none }
                let fact = facts[Int(registration)]
                return fact.birth.addingYears(ages[Int(min(fact.code, 2))][0].years).dayNumber
            }
        } else {
            retirementAgesFrom = .max
            retirementDays = nil
        }
    }

    /// The fact indices whose ids are not reversed. Reversals are few: a
    /// cheap fingerprint (length and last bytes), taken from the id's bytes
    /// where they lie, rules out almost every id before a `String` is made
    /// of it and hashed.
    static func unreversed(_ ids: TextArena, _ reversed: Set<String>) -> [Int32] {
        func fingerprint(_ id: some Collection<UInt8>) -> UInt64 {
            var value = UInt64(id.count) << 56
            for byte in id.suffix(7) { value = value << 8 | UInt64(byte) }
            return value
        }
        let fingerprints = Set(reversed.map { fingerprint($0.utf8) })
        var kept: [Int32] = []
        kept.reserveCapacity(ids.count)
        for index in ids.indices {
            let maybe = ids.withUTF8(index) { fingerprints.contains(fingerprint($0)) }
            if !(maybe && reversed.contains(ids[index])) { kept.append(Int32(index)) }
        }
        return kept
    }

    /// Grants naming a person, grouped by (person, programme), each group in
    /// business-date order: a counting sort on the dense person id, then the
    /// few programmes of each person in order of first appearance. No hashing.
    static func pairGroups(_ grants: [Int32], facts: [Fact], people: Int)
        -> (pairs: [(person: Int32, programme: Int32)], personPairs: [Int32], groups: Groups) {
        var start = [Int32](repeating: 0, count: people + 1)
        for grant in grants where facts[Int(grant)].person != Fact.none { start[Int(facts[Int(grant)].person) + 1] += 1 }
        for person in 0..<people { start[person + 1] += start[person] }
        var byPerson = [Int32](repeating: 0, count: Int(start[people]))
        var next = start
        for grant in grants where facts[Int(grant)].person != Fact.none {
            let person = Int(facts[Int(grant)].person)
            byPerson[Int(next[person])] = grant
            next[person] += 1
        }
        var pairs: [(person: Int32, programme: Int32)] = []
        var personPairs = [Int32](repeating: 0, count: people + 1)
        var offsets: [Int32] = [0]
        var members: [Int32] = []
        members.reserveCapacity(byPerson.count)
        var programmes: [Int32] = []
        for person in 0..<people {
            personPairs[person] = Int32(pairs.count)
            let slice = byPerson[Int(start[person])..<Int(start[person + 1])]
            programmes.removeAll(keepingCapacity: true)
            for grant in slice where !programmes.contains(facts[Int(grant)].programme) {
                programmes.append(facts[Int(grant)].programme)
            }
            for programme in programmes {
                for grant in slice where facts[Int(grant)].programme == programme { members.append(grant) }
                offsets.append(Int32(members.count))
                pairs.append((Int32(person), programme))
            }
        }
        personPairs[people] = Int32(pairs.count)
        return (pairs, personPairs, Groups(offsets: offsets, members: members))
    }

    /// Fact indices sorted by (effective, seq). When the facts came in
    /// sequence order (as the ledger gives them) they are counted by day
    /// (``byDay(_:kept:)``); otherwise compared.
    static func businessOrder(_ input: AuditInput, kept: [Int32]?) -> [Int32] {
        precondition(input.facts.count < Int(Int32.max), "more events than an Int32 index can address")
        if input.sequenceOrdered, let order = byDay(input.facts, kept: kept) { return order }
        let indices = kept ?? Array(0..<Int32(input.facts.count))
        return indices.sorted { a, b in
            let x = input.facts[Int(a)].day, y = input.facts[Int(b)].day
            return x != y ? x < y : input.seqs[Int(a)] < input.seqs[Int(b)]
        }
    }

    /// Facts that came in sequence order, in business-date order: counted
    /// by day, then placed day by day, each day's in the order they came
    /// (which is their sequence order). Nothing is compared and nothing but
    /// the result is as large as the input: sorting (day, index) keys took
    /// a second at ten million events and, with the keys and the indices
    /// they were made from, held 120 MB more at the audit's peak. Nil when
    /// the days span more than ``maxDaySpan`` (the counts would outgrow the
    /// facts).
    static func byDay(_ facts: [Fact], kept: [Int32]?) -> [Int32]? {
        facts.withUnsafeBufferPointer { facts in
            func forEachIndex(_ body: (Int32) -> Void) {
                if let kept {
                    for index in kept { body(index) }
                } else {
                    for index in 0..<Int32(facts.count) { body(index) }
                }
            }
            var low = Int32.max, high = Int32.min
            forEachIndex { index in
                low = min(low, facts[Int(index)].day)
                high = max(high, facts[Int(index)].day)
            }
            guard low <= high else { return [] }
            let span = Int(high) - Int(low) + 1
            guard span <= maxDaySpan else { return nil }
            // starts[d]: where day low + d begins, once the counts are summed.
            var starts = [Int32](repeating: 0, count: span + 1)
            forEachIndex { index in starts[Int(facts[Int(index)].day) - Int(low) + 1] += 1 }
            for day in 0..<span { starts[day + 1] += starts[day] }
            var order = [Int32](repeating: 0, count: Int(starts[span]))
            forEachIndex { index in
                let day = Int(facts[Int(index)].day) - Int(low)
                order[Int(starts[day])] = index
                starts[day] += 1
            }
            return order
        }
    }

    /// The widest span of days ``byDay(_:kept:)`` counts over: four million
    /// days (eleven thousand years), 16 MB of counts.
    static let maxDaySpan = 1 << 22

    // MARK: Reading

    @inline(__always)
    func fact(_ index: Int32) -> Fact { facts[Int(index)] }

    /// A sentence in the audit's language (``TextLanguage/words(en:zh:)``).
    @inline(__always)
    func words(en english: @autoclosure () -> String, zh chinese: @autoclosure () -> String) -> String {
        language.words(en: english(), zh: chinese())
    }

    func id(_ index: Int32) -> String { ids[Int(index)] }

    /// The fact at `position` in business-date order, nil when there is
    /// none (explanations and the places of findings, after the rules).
    func fact(atPosition position: Int) -> Int32? {
        let order = positions.order(inverting: rank)
        return position >= 0 && position < order.count ? order[position] : nil
    }

    /// The business-date order, made once from the ranks when first asked
    /// for (by any thread).
    final class Positions: @unchecked Sendable {
        private let lock = DispatchSemaphore(value: 1)
        private var order: [Int32]?

        func order(inverting rank: [Int32]) -> [Int32] {
            lock.wait()
            defer { lock.signal() }
            if let order { return order }
            var made = [Int32](repeating: 0, count: rank.count(where: { $0 >= 0 }))
            for (index, position) in rank.enumerated() where position >= 0 { made[Int(position)] = Int32(index) }
            order = made
            return made
        }
    }

    func date(_ index: Int32) -> CalendarDate { facts[Int(index)].date }

    /// The ids of fact indices, the trigger first, then the others in business-date order.
    func cite(_ trigger: Int32, _ others: [Int32]) -> [String] {
        [id(trigger)] + others.filter { $0 != trigger }.sorted { rank[Int($0)] < rank[Int($1)] }.map(id)
    }

    /// A finding at `trigger`.
    func finding(_ rule: RuleCode, clause: String, subject: String, trigger: Int32, citing others: [Int32],
                 amount: Money?, message: String) -> Finding {
        Finding(rule: rule, clause: clause, subject: subject, trigger: id(trigger), events: cite(trigger, others),
                amount: amount, message: message, triggerPosition: Int(rank[Int(trigger)]))
    }

    func programme(ofGrant index: Int32) -> Programme { programmes[Int(facts[Int(index)].programme)] }

    /// The (person, programme) pair of a grant naming a person.
    func pair(ofGrant index: Int32) -> Int32? {
        let fact = facts[Int(index)]
        guard fact.type == .subsidyGranted, fact.person != Fact.none else { return nil }
        let range = personPairs[Int(fact.person)]..<personPairs[Int(fact.person) + 1]
        return range.first { pairs[Int($0)].programme == fact.programme }
    }

    func personSubject(_ person: Int32) -> String { Streams.person(people[Int(person)]) }

    /// A parameter in force on a date, with policy errors as audit errors.
    func value(of parameter: ParameterName, on date: CalendarDate) throws -> ParameterEntry {
        do {
            return try policy.value(of: parameter, on: date)
        } catch let error as PolicyError {
            throw AuditError.policy(error)
        }
    }

    /// A registered person's retirement under the policy in force on `date`;
    /// nil when the person is not registered in the view.
    func retirement(of person: Int32, on date: CalendarDate) throws -> Retirement? {
        let registration = registrations[Int(person)]
        guard registration != Fact.none else { return nil }
        let fact = facts[Int(registration)]
        let group: RetirementGroup
        switch fact.code {
        case 1: group = .femaleWorker
        case 2: group = .femaleCadre
        default: group = .male
        }
        do {
            return try policy.retirementDate(born: fact.birth, group: group, on: date)
        } catch let error as PolicyError {
            throw AuditError.policy(error)
        }
    }

    /// A registered person's retirement date under the policy in force on
    /// `date`, without the details ``retirement(of:on:)`` gives; nil when
    /// the person is not registered in the view. Throws as it does.
    func retirementDay(of person: Int32, on date: CalendarDate) throws -> CalendarDate? {
        if let retirementDays, date.dayNumber >= retirementAgesFrom {
            let day = retirementDays[Int(person)]
            return day == Fact.none ? nil : CalendarDate(dayNumber: day)
        }
        let registration = registrations[Int(person)]
        guard registration != Fact.none else { return nil }
        let fact = facts[Int(registration)]
        for age in retirementAges[Int(min(fact.code, 2))].reversed() where age.from <= date.dayNumber {
            return fact.birth.addingYears(age.years)
        }
        return try retirement(of: person, on: date)?.date  // throws the policy's error
    }

    /// Whether the person held a certification of `kind` on `date` (with
    /// graduation in `graduationYear` when given).
    func holds(_ person: Int32, kind: UInt8, on date: CalendarDate, graduationYear: Int?) -> Bool {
        for index in certifications[person] {
            let certification = facts[Int(index)]
            guard certification.code == kind, certification.day <= date.dayNumber else { continue }
            if let until = certification.validUntil, date > until { continue }
            if let graduationYear, certification.graduation?.year != graduationYear { continue }
            return true
        }
        return false
    }

    /// The person's certifications of `kind` held on `date`: effective on or
    /// before it and not past their `validUntil` (docs/RULES.md). Every
    /// certification of the view counts by its date, whatever its sequence.
    func certifications(of person: Int32, kind: UInt8, heldOn date: CalendarDate) -> [Int32] {
        certifications[person].filter { index in
            let certification = facts[Int(index)]
            guard certification.code == kind, certification.day <= date.dayNumber else { return false }
            if let until = certification.validUntil, date > until { return false }
            return true
        }
    }

    /// Every certification of `kind` the person has in the view.
    func certifications(of person: Int32, kind: UInt8) -> [Int32] {
        certifications[person].filter { facts[Int($0)].code == kind }
    }

    /// The borrower group of a loan issue, and its subject.
    func borrower(of issue: Fact) -> (group: Int32, subject: String) {
        if issue.person != Fact.none { return (issue.person, Streams.person(people[Int(issue.person)])) }
        return (Int32(people.count) + issue.enterprise, Streams.enterprise(enterprises[Int(issue.enterprise)]))
    }
}

/// Members grouped by a dense key, each group in business-date order:
/// one offsets array and one members array (a counting sort).
struct Groups: Sendable {
    private let offsets: [Int32]
    private let members: [Int32]

    /// Calls `assign` for each fact index in business-date order; it emits
    /// the groups (zero or more) the fact belongs to.
    init(count: Int, order: [Int32], _ assign: (Int32, (Int32) -> Void) -> Void) {
        var counts = [Int32](repeating: 0, count: count + 1)
        for index in order { assign(index) { group in counts[Int(group) + 1] += 1 } }
        for group in 0..<count { counts[group + 1] += counts[group] }
        var next = counts
        var members = [Int32](repeating: 0, count: Int(counts[count]))
        for index in order {
            assign(index) { group in
                members[Int(next[Int(group)])] = index
                next[Int(group)] += 1
            }
        }
        self.offsets = counts
        self.members = members
    }

    init(offsets: [Int32], members: [Int32]) {
        self.offsets = offsets
        self.members = members
    }

    var count: Int { offsets.count - 1 }

    subscript(group: Int32) -> ArraySlice<Int32> {
        members[Int(offsets[Int(group)])..<Int(offsets[Int(group) + 1])]
    }
}

/// Set when a rule is asked to explain one finding: the rule writes down its
/// computation when it reaches the trigger.
final class Trace {
    /// The trigger's fact index.
    let target: Int32
    let language: TextLanguage
    var lines: [String] = []

    init(target: Int32, language: TextLanguage = .english) {
        self.target = target
        self.language = language
    }

    /// Self when `index` is the trigger being explained.
    func at(_ index: Int32) -> Trace? { index == target ? self : nil }

    /// A step already in the explanation's language (from ``Notes``).
    func record(_ line: String) { lines.append(line) }

    /// A step in the explanation's language, its two languages side by side.
    func say(en english: @autoclosure () -> String, zh chinese: @autoclosure () -> String) {
        lines.append(language.words(en: english(), zh: chinese()))
    }
}

/// Steps written down only while explaining: the sentences are not built
/// at all in a normal audit.
struct Notes {
    private(set) var lines: [String]?
    let language: TextLanguage

    init(_ enabled: Bool, language: TextLanguage = .english) {
        lines = enabled ? [] : nil
        self.language = language
    }

    var enabled: Bool { lines != nil }

    /// A step in the explanation's language, its two languages side by side.
    mutating func add(en english: @autoclosure () -> String, zh chinese: @autoclosure () -> String) {
        if lines != nil { lines!.append(language.words(en: english(), zh: chinese())) }
    }
}
