import LedgerCore

/// A what-if change of one parameter, `NAME=VALUE@YYYY-MM-DD` (`audit --set`):
/// the value applies from the date on, until the parameter's next entry.
public struct ParameterOverride: Hashable, Sendable {
    public let parameter: ParameterName
    /// The value as written: a yuan amount for money parameters, an integer otherwise.
    public let value: String
    public let from: CalendarDate

    /// The override as written, `loan-cap-individual=150000.00@2016-01-01`.
    public var text: String { "\(parameter)=\(value)@\(from)" }

    public init(parameter: ParameterName, value: String, from: CalendarDate) {
        self.parameter = parameter
        self.value = value
        self.from = from
    }

    /// Reads `NAME=VALUE@YYYY-MM-DD`; the value is checked against the
    /// parameter's unit when applied (``Policy/overriding(_:)``).
    public static func parse(_ text: String) throws -> ParameterOverride {
        func fail(_ message: String) -> PolicyError { PolicyError(file: "--set \(text)", path: "", message: message) }
        guard let equals = text.firstIndex(of: "=") else {
            throw fail("write NAME=VALUE@YYYY-MM-DD, such as loan-cap-individual=150000.00@2016-01-01")
        }
        let name = String(text[..<equals])
        let rest = text[text.index(after: equals)...]
        guard let at = rest.lastIndex(of: "@") else {
            throw fail("the value needs the date it applies from: NAME=VALUE@YYYY-MM-DD")
        }
        let value = String(rest[..<at]), dateText = String(rest[rest.index(after: at)...])
        guard !name.isEmpty else { throw fail("no parameter name before \"=\"") }
        guard !value.isEmpty else { throw fail("no value between \"=\" and \"@\"") }
        guard let from = CalendarDate.parse(dateText) else { throw fail("\"\(dateText)\" is not a calendar date YYYY-MM-DD") }
        return ParameterOverride(parameter: ParameterName(name), value: value, from: from)
    }
}

extension Policy {
    /// This policy with each override entered as a dated entry of its
    /// parameter (an entry of the same date is replaced). Its source says
    /// so, and the entries cite the override instead of a clause, so a
    /// finding under an overridden number says where the number came from.
    ///
    /// Throws a ``PolicyError`` for a parameter the policy does not have
    /// (with the nearest name), or a value that does not fit its unit.
    public func overriding(_ overrides: [ParameterOverride]) throws -> Policy {
        guard !overrides.isEmpty else { return self }
        var parameters = self.parameters
        for override in overrides {
            func fail(_ message: String) -> PolicyError { PolicyError(file: "--set \(override.text)", path: "", message: message) }
            guard var entries = parameters[override.parameter], let first = entries.first else {
                let names = parameters.keys.map(\.rawValue).sorted()
                let suggestion = PolicyLoader.suggestion(for: override.parameter.rawValue, among: names)
                throw fail("\(source) has no parameter \"\(override.parameter)\""
                    + (suggestion.isEmpty ? "; it has " + names.joined(separator: ", ") : suggestion))
            }
            let value: ParameterValue
            if first.unit.isMoney {
                switch Money.parsePositive(override.value) {
                case .success(let money): value = .money(money)
                case .failure(let error): throw fail("\"\(override.value)\" \(error) (\(override.parameter) is in \(first.unit.rawValue))")
                }
            } else {
                let range: ClosedRange<Int64> = first.unit == .basisPoints ? 0...EventParser.maxBasisPoints : 1...1200
                guard let number = Int64(override.value), range.contains(number) else {
                    throw fail("\"\(override.value)\" is not a whole number of \(first.unit.rawValue) between "
                        + "\(range.lowerBound) and \(range.upperBound)")
                }
                value = .integer(number)
            }
            let before = entries.last { $0.from <= override.from } ?? first
            entries.removeAll { $0.from == override.from }
            let position = entries.firstIndex { $0.from > override.from } ?? entries.count
            entries.insert(ParameterEntry(parameter: override.parameter, index: position, from: override.from, value: value,
                                          unit: first.unit, clause: nil, basis: before.basis, source: "what-if --set \(override.text)",
                                          text: nil, note: nil), at: position)
            parameters[override.parameter] = entries.enumerated().map { index, entry in
                ParameterEntry(parameter: entry.parameter, index: index, from: entry.from, value: entry.value, unit: entry.unit,
                               clause: entry.clause, basis: entry.basis, source: entry.source, text: entry.text, note: entry.note)
            }
        }
        return Policy(source: source + " with --set " + overrides.map(\.text).joined(separator: " --set "), name: name, title: title,
                      clauses: clauses, parameters: parameters, programmes: programmes, retirement: retirement)
    }
}
