/// Which subjects a grant of a programme must name.
public struct SubjectRequirement: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let person = SubjectRequirement(rawValue: 1)
    public static let enterprise = SubjectRequirement(rawValue: 2)
}

/// The programmes the ledger accepts grants for, and the subjects each needs.
///
/// This is the part of the policy that append-time validation depends on:
/// a grant of an unknown programme, or one lacking a subject its programme
/// needs, cannot be true and is rejected. Everything else the policy says is
/// judged by the audit, not at append time.
public struct ProgrammeCatalogue: Sendable {
    public struct Programme: Sendable, Hashable {
        public let code: String
        public let subjects: SubjectRequirement
        public init(code: String, subjects: SubjectRequirement) {
            self.code = code
            self.subjects = subjects
        }
    }

    public let programmes: [String: Programme]

    public init(_ programmes: [Programme]) {
        self.programmes = Dictionary(uniqueKeysWithValues: programmes.map { ($0.code, $0) })
    }

    public func programme(_ code: String) -> Programme? { programmes[code] }

    public var codes: [String] { programmes.keys.sorted() }

    /// The programmes of the seed policy (docs/RULES.md, Fixtures/policy/).
    public static let seed = ProgrammeCatalogue([
        Programme(code: "si-difficulty", subjects: .person),
        Programme(code: "post-allowance", subjects: .person),
        Programme(code: "startup-once", subjects: .person),
        Programme(code: "job-seeking", subjects: .person),
        Programme(code: "si-graduate", subjects: [.person, .enterprise]),
        Programme(code: "internship", subjects: .enterprise),
        Programme(code: "stabilization", subjects: .enterprise),
        Programme(code: "incubator", subjects: .enterprise),
        Programme(code: "training", subjects: []),
        Programme(code: "service", subjects: []),
        Programme(code: "city-award", subjects: []),
    ])
}
