/// The event catalogue of the input format (docs/EVENTS.md).
///
/// The raw value is the one-byte type code in the stored record; codes are
/// never reused or renumbered.
public enum EventType: UInt8, CaseIterable, Sendable {
    case personRegistered = 1
    case personCertified = 2
    case enterpriseRegistered = 3
    case fundAppropriated = 4
    case fundTransferred = 5
    case subsidyGranted = 6
    case subsidyRecovered = 7
    case loanIssued = 8
    case loanInterestDiscounted = 9
    case loanRepaid = 10
    case loanDefaulted = 11
    case guaranteeCompensated = 12
    case guaranteeRecovered = 13
    case guaranteeWrittenOff = 14
    case entryReversed = 15

    /// The `type` string of the input format.
    public var name: String {
        switch self {
        case .personRegistered: "person.registered"
        case .personCertified: "person.certified"
        case .enterpriseRegistered: "enterprise.registered"
        case .fundAppropriated: "fund.appropriated"
        case .fundTransferred: "fund.transferred"
        case .subsidyGranted: "subsidy.granted"
        case .subsidyRecovered: "subsidy.recovered"
        case .loanIssued: "loan.issued"
        case .loanInterestDiscounted: "loan.interestDiscounted"
        case .loanRepaid: "loan.repaid"
        case .loanDefaulted: "loan.defaulted"
        case .guaranteeCompensated: "guarantee.compensated"
        case .guaranteeRecovered: "guarantee.recovered"
        case .guaranteeWrittenOff: "guarantee.writtenOff"
        case .entryReversed: "entry.reversed"
        }
    }

    private static let byName: [String: EventType] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    public init?(name: String) {
        guard let type = EventType.byName[name] else { return nil }
        self = type
    }

    private static let nameBytes: [([UInt8], EventType)] = allCases.map { (Array($0.name.utf8), $0) }

    init?(bytes text: JSONText) {
        let found = text.withBytes { bytes in EventType.nameBytes.first { $0.0.elementsEqual(bytes) }?.1 }
        guard let found else { return nil }
        self = found
    }

    /// One field of a type's schema.
    public struct FieldSpec: Sendable {
        public let field: Field
        public let kind: FieldKind
        public let required: Bool
    }

    /// The fields this type's `data` may hold, in tag order. Anything else is rejected.
    public var schema: [FieldSpec] { EventType.schemas[Int(rawValue)] }

    /// The kind of `field` in this type, or nil when the type has no such field.
    @inline(__always)
    public func kind(of field: Field) -> FieldKind? {
        EventType.kinds[Int(rawValue) * EventType.tagSlots + Int(field.rawValue)]
    }

    private static let tagSlots = 32
    /// Kinds indexed by type code × 32 + tag, for decoding without a search.
    private static let kinds: [FieldKind?] = {
        var table = [FieldKind?](repeating: nil, count: (allCases.count + 1) * tagSlots)
        for type in allCases {
            for spec in type.schema { table[Int(type.rawValue) * tagSlots + Int(spec.field.rawValue)] = spec.kind }
        }
        return table
    }()

    /// Schemas indexed by type code (index 0 unused).
    private static let schemas: [[FieldSpec]] = {
        func r(_ field: Field, _ kind: FieldKind) -> FieldSpec { FieldSpec(field: field, kind: kind, required: true) }
        func o(_ field: Field, _ kind: FieldKind) -> FieldSpec { FieldSpec(field: field, kind: kind, required: false) }
        var table = [[FieldSpec]](repeating: [], count: EventType.allCases.count + 1)
        table[Int(EventType.personRegistered.rawValue)] = [
            r(.person, .identifier), r(.birthDate, .date), r(.sex, .enumeration(.sex)),
            o(.retirementGroup, .enumeration(.retirementGroup))]
        table[Int(EventType.personCertified.rawValue)] = [
            r(.person, .identifier), r(.kind, .enumeration(.certification)), o(.graduationDate, .date), o(.validUntil, .date)]
        table[Int(EventType.enterpriseRegistered.rawValue)] = [
            r(.enterprise, .identifier), r(.size, .enumeration(.enterpriseSize)), r(.region, .region)]
        table[Int(EventType.fundAppropriated.rawValue)] = [
            r(.region, .region), r(.fund, .identifier), r(.fiscalYear, .fiscalYear), r(.amount, .money), o(.reference, .text)]
        table[Int(EventType.fundTransferred.rawValue)] = [
            r(.fund, .identifier), r(.fiscalYear, .fiscalYear), r(.amount, .money), o(.reference, .text),
            r(.fromRegion, .region), r(.toRegion, .region)]
        table[Int(EventType.subsidyGranted.rawValue)] = [
            o(.person, .identifier), o(.enterprise, .identifier), r(.region, .region), r(.fund, .identifier),
            r(.fiscalYear, .fiscalYear), r(.amount, .money), r(.grant, .identifier), r(.program, .identifier),
            o(.periodStart, .monthOrDate), o(.periodEnd, .monthOrDate), o(.approval, .text), o(.voucher, .text)]
        table[Int(EventType.subsidyRecovered.rawValue)] = [
            r(.amount, .money), r(.grant, .identifier), o(.voucher, .text), o(.reason, .text)]
        table[Int(EventType.loanIssued.rawValue)] = [
            o(.person, .identifier), o(.enterprise, .identifier), r(.region, .region), r(.loan, .identifier),
            r(.category, .enumeration(.loanCategory)), r(.principal, .money), r(.rateBp, .basisPoints),
            r(.benchmarkBp, .basisPoints), r(.maturity, .date), r(.bank, .text)]
        table[Int(EventType.loanInterestDiscounted.rawValue)] = [
            r(.region, .region), r(.fund, .identifier), r(.fiscalYear, .fiscalYear), r(.amount, .money),
            r(.periodStart, .date), r(.periodEnd, .date), o(.voucher, .text), r(.loan, .identifier)]
        table[Int(EventType.loanRepaid.rawValue)] = [r(.loan, .identifier), r(.principal, .money)]
        table[Int(EventType.loanDefaulted.rawValue)] = [r(.loan, .identifier)]
        table[Int(EventType.guaranteeCompensated.rawValue)] = [
            r(.region, .region), r(.fund, .identifier), r(.fiscalYear, .fiscalYear), r(.amount, .money),
            o(.voucher, .text), r(.loan, .identifier)]
        table[Int(EventType.guaranteeRecovered.rawValue)] = [
            r(.region, .region), r(.fund, .identifier), r(.fiscalYear, .fiscalYear), r(.amount, .money),
            r(.loan, .identifier)]
        table[Int(EventType.guaranteeWrittenOff.rawValue)] = [
            r(.amount, .money), r(.approval, .text), r(.loan, .identifier)]
        table[Int(EventType.entryReversed.rawValue)] = [r(.reason, .text), r(.target, .identifier)]
        for (index, specs) in table.enumerated() where index > 0 {
            precondition(specs.map(\.field.rawValue) == specs.map(\.field.rawValue).sorted(), "schema \(index) not in tag order")
        }
        return table
    }()

    /// Whether the type moves money on a budget line (carries fund, region, fiscalYear).
    public var isBudgetMovement: Bool {
        switch self {
        case .fundAppropriated, .fundTransferred, .subsidyGranted, .loanInterestDiscounted,
             .guaranteeCompensated, .guaranteeRecovered: true
        default: false
        }
    }
}
