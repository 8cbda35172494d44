/// One money movement remembered on a loan, so a reversal can be judged exactly.
public struct LoanMovement: Hashable, Sendable {
    public var seq: UInt64
    public var day: CalendarDate
    public var amount: Money
}

/// What kind of thing a stream is about.
public enum EntityKind: UInt8, Sendable {
    case budgetLine = 0
    case person = 1
    case enterprise = 2
    case grant = 3
    case loan = 4
}

/// What append-time validation needs to know of one stream: its version and
/// the running facts of the entity it is about. Derived from the log alone;
/// stored beside it so an append never needs a replay.
public struct StreamState: Hashable, Sendable {
    /// Events already in the stream.
    public var version: UInt64 = 0
    public var kind: EntityKind
    /// The event that created the entity (0 for a budget line, which has none).
    public var creatorSeq: UInt64 = 0
    public var createdOn = CalendarDate(dayNumber: 0)
    /// The creating event has been reversed: the entity no longer exists.
    public var creatorReversed = false
    /// Live events that rely on the creating event (a reversal of it waits for them).
    public var dependents: UInt32 = 0

    // Grants.
    public var granted = Money.zero
    public var recovered = Money.zero

    // Loans.
    public var principal = Money.zero
    public var repaid = Money.zero
    public var writtenOff = Money.zero
    /// The live default, if any.
    public var defaultSeq: UInt64 = 0
    public var defaultedOn = CalendarDate(dayNumber: 0)
    public var compensations: [LoanMovement] = []
    public var guaranteeRecoveries: [LoanMovement] = []

    public init(kind: EntityKind) { self.kind = kind }

    public var exists: Bool { kind == .budgetLine || (creatorSeq != 0 && !creatorReversed) }
    public var outstanding: Money { Money(fen: principal.fen - repaid.fen) }
    public var compensated: Money { Money(fen: compensations.reduce(0) { $0 + $1.amount.fen }) }
    public var recoveredByGuarantee: Money { Money(fen: guaranteeRecoveries.reduce(0) { $0 + $1.amount.fen }) }

    // MARK: Encoding (the `streams` database; see docs/FORMAT.md)

    static let encodingVersion: UInt8 = 1

    /// The length of ``encoded()``: 10 bytes for a budget line, 27 for a
    /// person or an enterprise, 43 for a grant, and for a loan 71 and 20 for
    /// each movement.
    public var encodedCount: Int {
        switch kind {
        case .budgetLine: 10
        case .person, .enterprise: 27
        case .grant: 43
        case .loan: 71 + 20 * (compensations.count + guaranteeRecoveries.count)
        }
    }

    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCount) { buffer, count in
            encode(into: UnsafeMutableRawBufferPointer(buffer))
            count = buffer.count
        }
    }

    /// Writes ``encoded()`` into the first ``encodedCount`` bytes of
    /// `buffer`: an import writes out hundreds of thousands of states, each
    /// put together in a buffer on the stack rather than a new array.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = ByteCursor(base: buffer.baseAddress!, count: min(buffer.count, encodedCount))
        w.put(Self.encodingVersion)
        w.u64(version)
        w.put(kind.rawValue)
        guard kind != .budgetLine else { return }
        w.u64(creatorSeq)
        w.i32(createdOn.dayNumber)
        w.put(UInt8(creatorReversed ? 1 : 0))
        w.u32(dependents)
        switch kind {
        case .grant:
            w.i64(granted.fen)
            w.i64(recovered.fen)
        case .loan:
            w.i64(principal.fen)
            w.i64(repaid.fen)
            w.i64(writtenOff.fen)
            w.u64(defaultSeq)
            w.i32(defaultedOn.dayNumber)
            for list in [compensations, guaranteeRecoveries] {
                w.u32(UInt32(list.count))
                for item in list {
                    w.u64(item.seq)
                    w.i32(item.day.dayNumber)
                    w.i64(item.amount.fen)
                }
            }
        default:
            break
        }
        precondition(w.offset == encodedCount, "a stream state's encoding is \(encodedCount) bytes")
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> StreamState {
        var r = ByteReader(bytes)
        let encoding = try r.u8()
        guard encoding == encodingVersion else { throw r.fail("stream state encoding \(encoding) is unknown") }
        let version = try r.u64()
        let kindCode = try r.u8()
        guard let kind = EntityKind(rawValue: kindCode) else { throw r.fail("unknown entity kind \(kindCode)") }
        var state = StreamState(kind: kind)
        state.version = version
        if kind != .budgetLine {
            state.creatorSeq = try r.u64()
            state.createdOn = CalendarDate(dayNumber: try r.i32())
            state.creatorReversed = try r.u8() != 0
            state.dependents = try r.u32()
        }
        switch kind {
        case .grant:
            state.granted = Money(fen: try r.i64())
            state.recovered = Money(fen: try r.i64())
        case .loan:
            state.principal = Money(fen: try r.i64())
            state.repaid = Money(fen: try r.i64())
            state.writtenOff = Money(fen: try r.i64())
            state.defaultSeq = try r.u64()
            state.defaultedOn = CalendarDate(dayNumber: try r.i32())
            for index in 0..<2 {
                let count = Int(try r.u32())
                guard count <= r.remaining / 20 else { throw r.fail("movement count \(count) exceeds the record") }
                var list: [LoanMovement] = []
                list.reserveCapacity(count)
                for _ in 0..<count {
                    list.append(LoanMovement(seq: try r.u64(), day: CalendarDate(dayNumber: try r.i32()), amount: Money(fen: try r.i64())))
                }
                if index == 0 { state.compensations = list } else { state.guaranteeRecoveries = list }
            }
        default:
            break
        }
        guard r.remaining == 0 else { throw r.fail("\(r.remaining) unexpected bytes") }
        return state
    }
}
