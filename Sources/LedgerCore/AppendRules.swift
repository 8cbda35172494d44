/// What append-time validation reads and writes: the stream states and the
/// events already accepted (stored, or earlier in the same batch).
///
/// The rules name each stream they need once per event and read and write
/// its state by the number they get back, so that a state kept in a table
/// finds a name once, not at every read and write.
public protocol AppendState: AnyObject {
    /// A number for the stream `name`: the same name gets the same number,
    /// and a number holds at least until the event being checked is placed
    /// or refused.
    func streamNumber(_ name: String) throws -> Int32
    /// ``streamNumber(_:)`` of the stream of the person, enterprise, grant or
    /// loan with this id (``Streams/name(_:_:)``).
    func streamNumber(_ kind: EntityKind, id: String) throws -> Int32
    /// The state of stream `number` (nil: the stream has no event yet).
    func stream(_ number: Int32) throws -> StreamState?
    func setStream(_ number: Int32, _ state: StreamState) throws
    /// The accepted event with this id and its sequence number.
    func event(withID id: String) throws -> (seq: UInt64, event: Event)?
    /// The sequence number of the reversal of `seq`, if it was reversed.
    func reversal(of seq: UInt64) throws -> UInt64?
}

extension AppendState {
    public func streamNumber(_ kind: EntityKind, id: String) throws -> Int32 {
        try streamNumber(Streams.name(kind, id))
    }

    /// ``streamNumber(_:)`` of `name`, put together only if the state needs the whole name.
    func streamNumber(_ name: StreamName) throws -> Int32 {
        if let kind = name.kind { return try streamNumber(kind, id: name.id) }
        return try streamNumber(name.id)
    }
}

/// A stream's name as the rules hold it: the kind and id of a person,
/// enterprise, grant or loan, put together into the name only when it is
/// asked for (most events never need it as a `String`, and one of 16 bytes
/// or more is allocated), or a whole name (a budget line's).
public struct StreamName: Equatable, Sendable {
    /// nil: `id` is the whole name.
    public let kind: EntityKind?
    public let id: String

    public init(_ kind: EntityKind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    public init(whole name: String) {
        kind = nil
        id = name
    }

    /// The name (``Streams/name(_:_:)``).
    public var string: String { kind.map { Streams.name($0, id) } ?? id }
}

/// Stream states held in memory by name and numbered as ``AppendState``
/// asks, for a state with no store behind it.
public struct NumberedStreams: Sendable {
    private var numbers: [String: Int32] = [:]
    private var states: [StreamState?] = []

    public init() {}

    public mutating func number(_ name: String) -> Int32 {
        if let found = numbers[name] { return found }
        let number = Int32(states.count)
        numbers[name] = number
        states.append(nil)
        return number
    }

    public func state(_ number: Int32) -> StreamState? { states[Int(number)] }

    public mutating func set(_ number: Int32, _ state: StreamState) { states[Int(number)] = state }

    /// The state of the stream `name`, if it has one.
    public subscript(name: String) -> StreamState? {
        numbers[name].flatMap { states[Int($0)] }
    }

    /// Every stream that has a state, by name (a stream only asked for is not one).
    public var stored: [String: StreamState] {
        numbers.compactMapValues { states[Int($0)] }
    }
}

extension NumberedStreams: Equatable {
    /// The same streams with the same states, however they were numbered.
    public static func == (lhs: NumberedStreams, rhs: NumberedStreams) -> Bool {
        lhs.stored == rhs.stored
    }
}

/// Where an accepted event goes.
public struct Placement: Equatable, Sendable {
    /// The stream the event belongs to.
    public var streamName: StreamName
    /// The number the rules' state gave that stream (``AppendState/streamNumber(_:)``),
    /// good while the state holds its numbers: until the next event is checked.
    public var streamNumber: Int32
    /// Its position in that stream (the stream's version before it).
    public var streamVersion: UInt64
    /// For `entry.reversed`: the sequence number of the reversed event.
    public var reversedSeq: UInt64?

    /// The stream's name.
    public var stream: String { streamName.string }
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
        // The event's own stream: its name (for the placement) and number.
        let stream: StreamName
        let own: Int32
        var reversedSeq: UInt64?
        let data = event.data
        let day = event.effective

        switch event.type {
        case .personRegistered, .enterpriseRegistered:
            let isPerson = event.type == .personRegistered
            let field: Field = isPerson ? .person : .enterprise
            let id = data.string(field)!
            stream = StreamName(isPerson ? .person : .enterprise, id)
            own = try state.streamNumber(stream)
            if let existing = try state.stream(own), existing.creatorSeq != 0 {
                throw FieldError("data.\(field.name)", "\(field.name) \(quoted(id)) is already registered (seq \(existing.creatorSeq))"
                    + (existing.creatorReversed ? ", and that registration was reversed; register under a new id" : ""))
            }
            var created = StreamState(kind: isPerson ? .person : .enterprise)
            created.creatorSeq = seq
            created.createdOn = day
            changes.set(own, created)

        case .personCertified:
            stream = StreamName(.person, data.string(.person)!)
            own = try state.streamNumber(stream)
            var person = try known(own, field: .person, id: data.string(.person)!, on: day, in: state)
            person.dependents += 1
            changes.set(own, person)

        case .fundAppropriated, .fundTransferred:
            stream = StreamName(whole: event.ownStream!)
            own = try state.streamNumber(stream)
            changes.set(own, try state.stream(own) ?? StreamState(kind: .budgetLine))

        case .subsidyGranted:
            stream = StreamName(.grant, data.string(.grant)!)
            own = try state.streamNumber(stream)
            var grant = try created(.grant, stream: own, field: .grant, seq: seq, event: event, state: state, changes: &changes)
            grant.granted = data.money(.amount)!
            changes.set(own, grant)

        case .subsidyRecovered:
            stream = StreamName(.grant, data.string(.grant)!)
            own = try state.streamNumber(stream)
            var grant = try known(own, field: .grant, id: data.string(.grant)!, on: day, in: state)
            let amount = data.money(.amount)!
            guard let total = grant.recovered.adding(amount), total <= grant.granted else {
                throw FieldError("data.amount", "recovering \(amount) would bring the grant's recoveries to more than the \(grant.granted) granted (already recovered \(grant.recovered))")
            }
            grant.recovered = total
            grant.dependents += 1
            changes.set(own, grant)

        case .loanIssued:
            stream = StreamName(.loan, data.string(.loan)!)
            own = try state.streamNumber(stream)
            var loan = try created(.loan, stream: own, field: .loan, seq: seq, event: event, state: state, changes: &changes)
            loan.principal = data.money(.principal)!
            changes.set(own, loan)

        case .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated,
             .guaranteeRecovered, .guaranteeWrittenOff:
            let loanID = data.string(.loan)!
            stream = StreamName(.loan, loanID)
            own = try state.streamNumber(stream)
            var loan = try known(own, field: .loan, id: loanID, on: day, in: state)
            try applyLoanEvent(event, seq: seq, to: &loan)
            loan.dependents += 1
            changes.set(own, loan)

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
            let undone = try undo(target, seq: targetSeq, state: state, changes: &changes)
            (stream, own) = (StreamName(whole: undone.0), undone.1)
            reversedSeq = targetSeq
        }

        // The event's own stream gains one event.
        var ownState = try changes.state(own, from: state) ?? StreamState(kind: .budgetLine)
        let version = ownState.version
        if let expect = event.expect {
            guard expect.stream == stream.string else {
                throw FieldError("expect.stream", "\(quoted(expect.stream)) is not this event's stream \(quoted(stream.string))")
            }
            guard expect.version == version else {
                throw FieldError("expect.version", "stream \(stream.string) is at version \(version), not \(expect.version)")
            }
        }
        ownState.version += 1
        changes.set(own, ownState)
        try changes.forEach { number, newState in try state.setStream(number, newState) }
        return Placement(streamName: stream, streamNumber: own, streamVersion: version, reversedSeq: reversedSeq)
    }

    // MARK: Helpers

    /// Stream states changed by one event, written only once every check passed.
    ///
    /// An event changes at most three streams (its own, and the person's and
    /// enterprise's a grant or loan names), so they are held in place: the
    /// rules allocate no list for them per event.
    struct Changes {
        /// The streams' numbers (−1: unused slot) and their new states.
        private var numbers: (Int32, Int32, Int32) = (-1, -1, -1)
        private var first: StreamState?
        private var second: StreamState?
        private var third: StreamState?

        mutating func set(_ number: Int32, _ state: StreamState) {
            if numbers.0 < 0 || numbers.0 == number { (numbers.0, first) = (number, state)
            } else if numbers.1 < 0 || numbers.1 == number { (numbers.1, second) = (number, state)
            } else if numbers.2 < 0 || numbers.2 == number { (numbers.2, third) = (number, state)
            } else { preconditionFailure("an event changes more than three streams") }
        }

        func state(_ number: Int32, from store: AppendState) throws -> StreamState? {
            if numbers.0 == number { return first }
            if numbers.1 == number { return second }
            if numbers.2 == number { return third }
            return try store.stream(number)
        }

        /// Calls `body` with each changed stream, in the order first set.
        func forEach(_ body: (Int32, StreamState) throws -> Void) rethrows {
            if let first { try body(numbers.0, first) }
            if let second { try body(numbers.1, second) }
            if let third { try body(numbers.2, third) }
        }
    }

    /// The new state of a grant or loan created by `event`: its id must be
    /// unused, and the person or enterprise it names gains a dependent.
    func created(_ kind: EntityKind, stream: Int32, field: Field, seq: UInt64, event: Event,
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
    func known(_ stream: Int32, field: Field, id: String, on day: CalendarDate, in state: AppendState) throws -> StreamState {
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
        func add(_ field: Field, _ kind: EntityKind) throws {
            guard let id = data.string(field) else { return }
            let number = try state.streamNumber(kind, id: id)
            var subject = try known(number, field: field, id: id, on: day, in: state)
            if let pending = try changes.state(number, from: state) { subject = pending }
            subject.dependents += 1
            changes.set(number, subject)
        }
        try add(.person, .person)
        try add(.enterprise, .enterprise)
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
    /// the target's stream (its name and number), which the reversal joins.
    func undo(_ target: Event, seq targetSeq: UInt64, state: AppendState, changes: inout Changes) throws -> (String, Int32) {
        let data = target.data
        func dependents(_ entity: StreamState, _ what: String) throws {
            guard entity.dependents == 0 else {
                throw FieldError("data.target", "\(quoted(target.id)) created \(what), and \(entity.dependents) live event(s) still depend on it; reverse those first")
            }
        }
        func load(_ number: Int32, _ name: @autoclosure () -> String) throws -> StreamState {
            guard let found = try changes.state(number, from: state) else {
                preconditionFailure("stream \(name()) of an accepted event is missing")
            }
            return found
        }
        let name = target.ownStream!
        let number = try state.streamNumber(name)
        switch target.type {
        case .personRegistered, .enterpriseRegistered:
            var entity = try load(number, name)
            try dependents(entity, name)
            entity.creatorReversed = true
            changes.set(number, entity)
            return (name, number)
        case .personCertified:
            var person = try load(number, name)
            person.dependents -= 1
            changes.set(number, person)
            return (name, number)
        case .fundAppropriated, .fundTransferred:
            return (name, number)
        case .subsidyGranted, .loanIssued:
            var entity = try load(number, name)
            try dependents(entity, name)
            entity.creatorReversed = true
            changes.set(number, entity)
            for (field, kind) in [(Field.person, EntityKind.person), (.enterprise, .enterprise)] {
                guard let id = data.string(field) else { continue }
                let subjectNumber = try state.streamNumber(kind, id: id)
                var subject = try load(subjectNumber, Streams.name(kind, id))
                subject.dependents -= 1
                changes.set(subjectNumber, subject)
            }
            return (name, number)
        case .subsidyRecovered:
            var grant = try load(number, name)
            grant.recovered = grant.recovered.subtracting(data.money(.amount)!)!
            grant.dependents -= 1
            changes.set(number, grant)
            return (name, number)
        case .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated,
             .guaranteeRecovered, .guaranteeWrittenOff:
            var loan = try load(number, name)
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
            changes.set(number, loan)
            return (name, number)
        case .entryReversed:
            preconditionFailure("reversals are refused before undo")
        }
    }
}
