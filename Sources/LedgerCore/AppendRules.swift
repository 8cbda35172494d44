/// What append-time validation reads and writes: the stream states and the
/// events already accepted (stored, or earlier in the same batch).
public protocol AppendState: AnyObject {
    func stream(_ name: String) throws -> StreamState?
    func setStream(_ name: String, _ state: StreamState) throws
    /// The accepted event with this id and its sequence number.
    func event(withID id: String) throws -> (seq: UInt64, event: Event)?
    /// The sequence number of the reversal of `seq`, if it was reversed.
    func reversal(of seq: UInt64) throws -> UInt64?
}

/// Where an accepted event goes.
public struct Placement: Equatable, Sendable {
    /// The stream the event belongs to.
    public var stream: String
    /// Its position in that stream (the stream's version before it).
    public var streamVersion: UInt64
    /// For `entry.reversed`: the sequence number of the reversed event.
    public var reversedSeq: UInt64?
}

/// The append-time checks that need the log (docs/EVENTS.md): references to known
/// people, enterprises, grants and loans, effective no earlier than their
/// creation; cumulative limits; the order of default, compensation and
/// recovery; reversals; optimistic concurrency.
///
/// Only what cannot be true is rejected. Policy breaches are the audit's
/// business and pass here.
public struct AppendRules {
    public init() {}

    /// Checks `event` against `state` and, if it may be appended as `seq`,
    /// updates `state` and says where it goes. On error `state` is unchanged.
    public func apply(_ event: Event, seq: UInt64, to state: AppendState) throws -> Placement {
        var changes = Changes()
        let stream: String
        var reversedSeq: UInt64?
        let data = event.data
        let day = event.effective

        switch event.type {
        case .personRegistered, .enterpriseRegistered:
            let isPerson = event.type == .personRegistered
            let field: Field = isPerson ? .person : .enterprise
            let id = data.string(field)!
            stream = isPerson ? Streams.person(id) : Streams.enterprise(id)
            if let existing = try state.stream(stream), existing.creatorSeq != 0 {
                throw FieldError("data.\(field.name)", "\(field.name) \(quoted(id)) is already registered (seq \(existing.creatorSeq))"
                    + (existing.creatorReversed ? ", and that registration was reversed; register under a new id" : ""))
            }
            var created = StreamState(kind: isPerson ? .person : .enterprise)
            created.creatorSeq = seq
            created.createdOn = day
            changes.set(stream, created)

        case .personCertified:
            stream = Streams.person(data.string(.person)!)
            var person = try known(stream, field: .person, id: data.string(.person)!, on: day, in: state)
            person.dependents += 1
            changes.set(stream, person)

        case .fundAppropriated, .fundTransferred:
            stream = event.ownStream!
            changes.set(stream, try state.stream(stream) ?? StreamState(kind: .budgetLine))

        case .subsidyGranted:
            stream = Streams.grant(data.string(.grant)!)
            var grant = try created(.grant, stream: stream, field: .grant, seq: seq, event: event, state: state, changes: &changes)
            grant.granted = data.money(.amount)!
            changes.set(stream, grant)

        case .subsidyRecovered:
            stream = Streams.grant(data.string(.grant)!)
            var grant = try known(stream, field: .grant, id: data.string(.grant)!, on: day, in: state)
            let amount = data.money(.amount)!
            guard let total = grant.recovered.adding(amount), total <= grant.granted else {
                throw FieldError("data.amount", "recovering \(amount) would bring the grant's recoveries to more than the \(grant.granted) granted (already recovered \(grant.recovered))")
            }
            grant.recovered = total
            grant.dependents += 1
            changes.set(stream, grant)

        case .loanIssued:
            stream = Streams.loan(data.string(.loan)!)
            var loan = try created(.loan, stream: stream, field: .loan, seq: seq, event: event, state: state, changes: &changes)
            loan.principal = data.money(.principal)!
            changes.set(stream, loan)

        case .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated,
             .guaranteeRecovered, .guaranteeWrittenOff:
            let loanID = data.string(.loan)!
            stream = Streams.loan(loanID)
            var loan = try known(stream, field: .loan, id: loanID, on: day, in: state)
            try applyLoanEvent(event, seq: seq, to: &loan)
            loan.dependents += 1
            changes.set(stream, loan)

        case .entryReversed:
            let targetID = data.string(.target)!
            guard let (targetSeq, target) = try state.event(withID: targetID) else {
                throw FieldError("data.target", "no event with id \(quoted(targetID)) in the ledger or earlier in this file")
            }
            guard target.type != .entryReversed else {
                throw FieldError("data.target", "\(quoted(targetID)) is itself a reversal; a reversal cannot be reversed")
            }
            if let by = try state.reversal(of: targetSeq) {
                throw FieldError("data.target", "\(quoted(targetID)) (seq \(targetSeq)) was already reversed at seq \(by)")
            }
            stream = try undo(target, seq: targetSeq, state: state, changes: &changes)
            reversedSeq = targetSeq
        }

        // The event's own stream gains one event.
        var own = try changes.state(stream, from: state) ?? StreamState(kind: .budgetLine)
        let version = own.version
        if let expect = event.expect {
            guard expect.stream == stream else {
                throw FieldError("expect.stream", "\(quoted(expect.stream)) is not this event's stream \(quoted(stream))")
            }
            guard expect.version == version else {
                throw FieldError("expect.version", "stream \(stream) is at version \(version), not \(expect.version)")
            }
        }
        own.version += 1
        changes.set(stream, own)
        try changes.forEach { name, newState in try state.setStream(name, newState) }
        return Placement(stream: stream, streamVersion: version, reversedSeq: reversedSeq)
    }

    // MARK: Helpers

    /// Stream states changed by one event, written only once every check passed.
    ///
    /// An event changes at most three streams (its own, and the person's and
    /// enterprise's a grant or loan names), so they are held in place: the
    /// rules allocate no list for them per event.
    struct Changes {
        typealias Change = (name: String, state: StreamState)
        private var first: Change?
        private var second: Change?
        private var third: Change?

        mutating func set(_ name: String, _ state: StreamState) {
            if first == nil || first?.name == name { first = (name, state)
            } else if second == nil || second?.name == name { second = (name, state)
            } else if third == nil || third?.name == name { third = (name, state)
            } else { preconditionFailure("an event changes more than three streams") }
        }

        func state(_ name: String, from store: AppendState) throws -> StreamState? {
            // Compared through the optionals, so that only the state found is copied.
            if first?.name == name { return first!.state }
            if second?.name == name { return second!.state }
            if third?.name == name { return third!.state }
            return try store.stream(name)
        }

        /// Calls `body` with each changed stream, in the order first set.
        func forEach(_ body: (String, StreamState) throws -> Void) rethrows {
            if let first { try body(first.name, first.state) }
            if let second { try body(second.name, second.state) }
            if let third { try body(third.name, third.state) }
        }
    }

    /// The new state of a grant or loan created by `event`: its id must be
    /// unused, and the person or enterprise it names gains a dependent.
    func created(_ kind: EntityKind, stream: String, field: Field, seq: UInt64, event: Event,
                 state: AppendState, changes: inout Changes) throws -> StreamState {
        let id = event.data.string(field)!
        if let existing = try state.stream(stream), existing.creatorSeq != 0 {
            throw FieldError("data.\(field.name)", "\(field.name) \(quoted(id)) already exists (seq \(existing.creatorSeq)); a \(field.name) id is used once")
        }
        try addDependent(event.data, on: event.effective, state: state, changes: &changes)
        var entity = StreamState(kind: kind)
        entity.creatorSeq = seq
        entity.createdOn = event.effective
        return entity
    }

    /// The entity behind `stream`, which must exist and have been created on
    /// or before `day`.
    func known(_ stream: String, field: Field, id: String, on day: CalendarDate, in state: AppendState) throws -> StreamState {
        let noun = field.name
        guard let found = try state.stream(stream), found.creatorSeq != 0 else {
            let creator = field == .person ? "person.registered" : field == .enterprise ? "enterprise.registered"
                : field == .grant ? "subsidy.granted" : "loan.issued"
            throw FieldError("data.\(noun)", "unknown \(noun) \(quoted(id)): no \(creator) for it in the ledger or earlier in this file")
        }
        guard !found.creatorReversed else {
            throw FieldError("data.\(noun)", "\(noun) \(quoted(id)) no longer exists: its creating event (seq \(found.creatorSeq)) was reversed")
        }
        guard day >= found.createdOn else {
            throw FieldError("effective", "\(day) is before \(noun) \(quoted(id)) came into the ledger (effective \(found.createdOn))")
        }
        return found
    }

    /// A grant or loan names a person and/or an enterprise: each must exist
    /// by the event's date, and now has one more event relying on it.
    func addDependent(_ data: FieldSet, on day: CalendarDate, state: AppendState, changes: inout Changes) throws {
        for field in [Field.person, .enterprise] {
            guard let id = data.string(field) else { continue }
            let name = field == .person ? Streams.person(id) : Streams.enterprise(id)
            var subject = try known(name, field: field, id: id, on: day, in: state)
            if let pending = try changes.state(name, from: state) { subject = pending }
            subject.dependents += 1
            changes.set(name, subject)
        }
    }

    func applyLoanEvent(_ event: Event, seq: UInt64, to loan: inout StreamState) throws {
        let data = event.data
        let day = event.effective
        switch event.type {
        case .loanInterestDiscounted:
            break
        case .loanRepaid:
            let principal = data.money(.principal)!
            guard principal <= loan.outstanding else {
                throw FieldError("data.principal", "repaying \(principal) is more than the \(loan.outstanding) outstanding")
            }
            loan.repaid = loan.repaid.adding(principal)!
        case .loanDefaulted:
            guard loan.defaultSeq == 0 else {
                throw FieldError("type", "loan \(quoted(data.string(.loan)!)) already defaulted (seq \(loan.defaultSeq)); a loan defaults once")
            }
            guard loan.outstanding.fen > 0 else {
                throw FieldError("type", "loan \(quoted(data.string(.loan)!)) has nothing outstanding to default on")
            }
            loan.defaultSeq = seq
            loan.defaultedOn = day
        case .guaranteeCompensated:
            guard loan.defaultSeq != 0 else {
                throw FieldError("data.loan", "loan \(quoted(data.string(.loan)!)) has not defaulted; the guarantee fund compensates only after a default")
            }
            guard day >= loan.defaultedOn else {
                throw FieldError("effective", "\(day) is before the loan's default (\(loan.defaultedOn))")
            }
            let amount = data.money(.amount)!
            guard loan.compensated.adding(amount) != nil else { throw FieldError("data.amount", "total compensation overflows") }
            loan.compensations.append(LoanMovement(seq: seq, day: day, amount: amount))
        case .guaranteeRecovered:
            guard let first = loan.compensations.map(\.day).min() else {
                throw FieldError("data.loan", "loan \(quoted(data.string(.loan)!)) has no compensation to recover")
            }
            guard day >= first else {
                throw FieldError("effective", "\(day) is before the loan's first compensation (\(first))")
            }
            let amount = data.money(.amount)!
            guard let total = loan.recoveredByGuarantee.adding(amount), total <= loan.compensated else {
                throw FieldError("data.amount", "recovering \(amount) would bring recoveries above the \(loan.compensated) compensated (already recovered \(loan.recoveredByGuarantee))")
            }
            loan.guaranteeRecoveries.append(LoanMovement(seq: seq, day: day, amount: amount))
        case .guaranteeWrittenOff:
            guard let total = loan.writtenOff.adding(data.money(.amount)!) else {
                throw FieldError("data.amount", "total written off overflows")
            }
            loan.writtenOff = total
        default:
            preconditionFailure("not a loan event: \(event.type.name)")
        }
    }

    /// Takes back what `target` did, if nothing live depends on it. Returns
    /// the target's stream, which the reversal joins.
    func undo(_ target: Event, seq targetSeq: UInt64, state: AppendState, changes: inout Changes) throws -> String {
        let data = target.data
        func dependents(_ entity: StreamState, _ what: String) throws {
            guard entity.dependents == 0 else {
                throw FieldError("data.target", "\(quoted(target.id)) created \(what), and \(entity.dependents) live event(s) still depend on it; reverse those first")
            }
        }
        func load(_ name: String) throws -> StreamState {
            guard let found = try changes.state(name, from: state) else {
                preconditionFailure("stream \(name) of an accepted event is missing")
            }
            return found
        }
        switch target.type {
        case .personRegistered, .enterpriseRegistered:
            let name = target.ownStream!
            var entity = try load(name)
            try dependents(entity, name)
            entity.creatorReversed = true
            changes.set(name, entity)
            return name
        case .personCertified:
            let name = target.ownStream!
            var person = try load(name)
            person.dependents -= 1
            changes.set(name, person)
            return name
        case .fundAppropriated, .fundTransferred:
            return target.ownStream!
        case .subsidyGranted, .loanIssued:
            let name = target.ownStream!
            var entity = try load(name)
            try dependents(entity, name)
            entity.creatorReversed = true
            changes.set(name, entity)
            for field in [Field.person, .enterprise] {
                guard let id = data.string(field) else { continue }
                let subjectName = field == .person ? Streams.person(id) : Streams.enterprise(id)
                var subject = try load(subjectName)
                subject.dependents -= 1
                changes.set(subjectName, subject)
            }
            return name
        case .subsidyRecovered:
            let name = target.ownStream!
            var grant = try load(name)
            grant.recovered = grant.recovered.subtracting(data.money(.amount)!)!
            grant.dependents -= 1
            changes.set(name, grant)
            return name
        case .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated,
             .guaranteeRecovered, .guaranteeWrittenOff:
            let name = target.ownStream!
            var loan = try load(name)
            switch target.type {
            case .loanRepaid:
                loan.repaid = loan.repaid.subtracting(data.money(.principal)!)!
            case .loanDefaulted:
                guard loan.compensations.isEmpty else {
                    throw FieldError("data.target", "\(quoted(target.id)) is the default that \(loan.compensations.count) live compensation(s) rely on; reverse those first")
                }
                loan.defaultSeq = 0
                loan.defaultedOn = CalendarDate(dayNumber: 0)
            case .guaranteeCompensated:
                loan.compensations.removeAll { $0.seq == targetSeq }
                let firstCompensation = loan.compensations.map(\.day).min()
                let firstRecovery = loan.guaranteeRecoveries.map(\.day).min()
                if loan.recoveredByGuarantee > loan.compensated
                    || (firstRecovery != nil && (firstCompensation == nil || firstRecovery! < firstCompensation!)) {
                    throw FieldError("data.target", "\(quoted(target.id)) is a compensation that live guarantee recoveries rely on; reverse those first")
                }
            case .guaranteeRecovered:
                loan.guaranteeRecoveries.removeAll { $0.seq == targetSeq }
            case .guaranteeWrittenOff:
                loan.writtenOff = loan.writtenOff.subtracting(data.money(.amount)!)!
            default:
                break
            }
            loan.dependents -= 1
            changes.set(name, loan)
            return name
        case .entryReversed:
            preconditionFailure("reversals are refused before undo")
        }
    }
}
