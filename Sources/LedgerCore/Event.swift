/// An optimistic-concurrency precondition: the event is accepted only if its
/// stream holds exactly `version` events when it is appended.
public struct Expectation: Hashable, Sendable {
    public var stream: String
    public var version: UInt64

    public init(stream: String, version: UInt64) {
        self.stream = stream
        self.version = version
    }
}

/// One domain event as the source system submitted it (docs/EVENTS.md).
public struct Event: Hashable, Sendable {
    public var id: String
    public var type: EventType
    /// Business date (valid time).
    public var effective: CalendarDate
    public var expect: Expectation?
    public var data: FieldSet

    public init(id: String, type: EventType, effective: CalendarDate, expect: Expectation? = nil, data: FieldSet) {
        self.id = id
        self.type = type
        self.effective = effective
        self.expect = expect
        self.data = data
    }

    /// The stream this event belongs to, for every type but `entry.reversed`
    /// (which belongs to its target's stream and needs the log to tell).
    public var ownStream: String? {
        switch type {
        case .personRegistered, .personCertified: return "person:" + (data.string(.person) ?? "")
        case .enterpriseRegistered: return "enterprise:" + (data.string(.enterprise) ?? "")
        case .fundAppropriated:
            return Streams.budgetLine(fund: data.string(.fund) ?? "", region: data.string(.region) ?? "",
                                      fiscalYear: data.integer(.fiscalYear) ?? 0)
        case .fundTransferred:
            return Streams.budgetLine(fund: data.string(.fund) ?? "", region: data.string(.fromRegion) ?? "",
                                      fiscalYear: data.integer(.fiscalYear) ?? 0)
        case .subsidyGranted, .subsidyRecovered: return "grant:" + (data.string(.grant) ?? "")
        case .loanIssued, .loanInterestDiscounted, .loanRepaid, .loanDefaulted,
             .guaranteeCompensated, .guaranteeRecovered, .guaranteeWrittenOff:
            return "loan:" + (data.string(.loan) ?? "")
        case .entryReversed: return nil
        }
    }
}

/// Stream names (docs/EVENTS.md).
public enum Streams {
    public static func person(_ id: String) -> String { "person:" + id }
    public static func enterprise(_ id: String) -> String { "enterprise:" + id }
    public static func grant(_ id: String) -> String { "grant:" + id }
    public static func loan(_ id: String) -> String { "loan:" + id }
    public static func budgetLine(fund: String, region: String, fiscalYear: Int64) -> String {
        "fund:" + fund + "/" + region + "/" + String(fiscalYear)
    }

    /// The stream of the person, enterprise, grant or loan with this id.
    public static func name(_ kind: EntityKind, _ id: String) -> String {
        switch kind {
        case .person: person(id)
        case .enterprise: enterprise(id)
        case .grant: grant(id)
        case .loan: loan(id)
        case .budgetLine: preconditionFailure("a budget line's stream is named by its fund, region and year")
        }
    }

    /// Calls `body` with the bytes of ``name(_:_:)``, put together on the
    /// stack: the append rules look up the person or enterprise of every
    /// grant and loan, and a `String` made for each would be allocated.
    @inlinable
    public static func withName<R>(_ kind: EntityKind, _ id: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let prefix: StaticString = switch kind {
        case .person: "person:"
        case .enterprise: "enterprise:"
        case .grant: "grant:"
        case .loan: "loan:"
        case .budgetLine: preconditionFailure("a budget line's stream is named by its fund, region and year")
        }
        var id = id
        return try id.withUTF8 { idBytes in
            let count = prefix.utf8CodeUnitCount + idBytes.count
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
                let base = buffer.baseAddress!
                base.initialize(from: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
                if let idBase = idBytes.baseAddress {
                    (base + prefix.utf8CodeUnitCount).initialize(from: idBase, count: idBytes.count)
                }
                return try body(UnsafeRawBufferPointer(start: base, count: count))
            }
        }
    }
}

/// Character rules shared by parsing and validation.
public enum Identifier {
    public static let maxLength = 64
    public static let maxTextBytes = 256

    /// 1–64 characters of `A–Z a–z 0–9 . _ : -`.
    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy(isIdentifierByte)
    }

    @inline(__always)
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x3A, 0x2D: true
        default: false
        }
    }

    static func isValid(_ text: JSONText) -> Bool {
        text.withBytes { bytes in
            bytes.count > 0 && bytes.count <= maxLength && bytes.allSatisfy(isIdentifierByte)
        }
    }

    /// Non-empty, at most 256 bytes, no control characters.
    public static func isValidText(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxTextBytes else { return false }
        return text.unicodeScalars.allSatisfy { !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) }
    }

    /// Six ASCII digits.
    public static func isValidRegion(_ text: String) -> Bool {
        let utf8 = text.utf8
        return utf8.count == 6 && utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
