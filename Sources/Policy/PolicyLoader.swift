import Foundation
import LedgerCore

extension Policy {
    /// The seed's policy (Fixtures/policy/seed/policy.json), built into the
    /// program so the default audit needs no file at run time.
    public static let seed: Policy = {
        do {
            return try PolicyLoader.parse(Array(EmbeddedSeedPolicy.text.utf8), source: EmbeddedSeedPolicy.sourceName)
        } catch {
            preconditionFailure("the embedded seed policy does not load: \(error)")
        }
    }()

    /// Reads `directory/policy.json` (`--policy DIR`).
    public static func load(directory: String) throws -> Policy {
        let path = directory.hasSuffix("/") ? directory + PolicyLoader.fileName : directory + "/" + PolicyLoader.fileName
        return try load(file: path)
    }

    /// Reads one policy file.
    public static func load(file path: String) throws -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(file: path, path: "", message: "cannot be read (missing, or not a readable file)")
        }
        return try PolicyLoader.parse(Array(data), source: path)
    }
}

/// Reads a policy file strictly: an unknown or misspelt key, a missing
/// field, a value of the wrong JSON type, an unknown unit, entries out of
/// date order, a reference to a parameter or clause that is not there, or a
/// parameter no rule uses that is not marked as a local standard is an
/// error naming the file and the JSON path (`parameters.loan-cap-individual[0].unit`).
///
/// The format (`"format": 1`):
///
/// - `policy` (an identifier), `title`, optional `basedOn` and `note`;
/// - `clauses`: `{"十一": {"zh": …, "en": …}, …}`;
/// - `parameters`: `{name: [entry, …]}`, entries in ascending `from` order,
///   each `{"from": "YYYY-MM-DD", "value", "unit", "clause", "basis"}` with
///   optional `source`, `text`, `note`; `unit` is one of
///   ``ParameterUnit``; money units take a yuan string (`"100000"`), the
///   others a JSON integer; `clause` is a key of `clauses` or null (only
///   for `national` entries, which need a `source`); `basis` is `seed`,
///   `local-standard` or `national`;
/// - `programmes`: `[{"code", "name", "clause", "subjects", "certification",
///   "enterpriseSizes", "term", "retirementExtension", "onceOnly",
///   "perPersonCap"}]` with optional `nameEnglish` and `note` (see ``Programme``);
/// - `retirement`: `{"ages": {"male": param, "female-worker": param,
///   "female-cadre": param}, "pendingReform": null or {"from", "source", "note"?}}`.
public enum PolicyLoader {
    /// The file `--policy DIR` reads.
    public static let fileName = "policy.json"
    public static let formatVersion: Int64 = 1

    /// Parses and checks a policy file's bytes; `source` names it in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws -> Policy {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw PolicyError(file: source, path: "", message: "is not valid JSON (\(error.localizedDescription))")
        }
        // JSONSerialization keeps one of two equal keys without a word; a
        // policy must not change by a copy-and-paste slip.
        if let repeated = DuplicateKeyCheck.firstDuplicate(in: bytes) {
            throw PolicyError(file: source, path: repeated, message: "appears twice in the same object; keep one")
        }
        let top = try Node(file: source, path: "", value: root).object(
            required: ["format", "policy", "title", "clauses", "parameters", "programmes", "retirement"],
            optional: ["basedOn", "note"], what: "a policy file")
        let format = try top["format"]!.integer()
        guard format == formatVersion else {
            throw top["format"]!.fail("is \(format); this program reads policy format \(formatVersion)")
        }
        let name = try top["policy"]!.string()
        guard Identifier.isValid(name) else {
            throw top["policy"]!.fail("\"\(name)\" is not 1–64 characters of A–Z a–z 0–9 . _ : -")
        }
        let title = try top["title"]!.string()
        _ = try top["basedOn"]?.string()
        _ = try top["note"]?.string()

        let clauses = try readClauses(top["clauses"]!)
        let parameters = try readParameters(top["parameters"]!, clauses: clauses)
        let programmes = try readProgrammes(top["programmes"]!, clauses: clauses)
        let retirement = try readRetirement(top["retirement"]!)

        // Every reference names a parameter with the right unit.
        var used: [ParameterName: String] = [:]
        func require(_ name: ParameterName, _ unit: ParameterUnit, at node: Node, _ role: String, listed: Bool = false) throws {
            guard let entries = parameters.entries[name] else {
                let others = suggestion(for: name.rawValue, among: parameters.entries.keys.map(\.rawValue))
                if listed { throw node.fail("missing; \(role) need it, in \(unit.rawValue)" + others) }
                throw node.fail("names parameter \"\(name)\", which is not in parameters" + others)
            }
            guard entries[0].unit == unit else {
                throw node.fail("parameter \"\(name)\" is in \(entries[0].unit.rawValue); \(role) needs \(unit.rawValue)")
            }
            used[name] = role
        }
        let parametersNode = top["parameters"]!
        for (name, unit) in ParameterName.required {
            try require(name, unit, at: parametersNode.child(name.rawValue), "the audit rules", listed: true)
        }
        for (name, unit) in ParameterName.warningThresholds where parameters.entries[name] != nil {
            try require(name, unit, at: parametersNode.child(name.rawValue), "an early warning")
        }
        for (index, programme) in programmes.enumerated() {
            let node = top["programmes"]!.child(index)
            if let term = programme.term { try require(term, .months, at: node.child("term"), "a programme's term") }
            if let extensionName = programme.retirementExtension {
                try require(extensionName, .years, at: node.child("retirementExtension"), "a retirement extension")
            }
        }
        let agesNode = top["retirement"]!.child("ages")
        for group in RetirementGroup.allCases {
            try require(retirement.ageParameter(group), .years, at: agesNode.child(group.rawValue), "a retirement age")
        }
        // A parameter nothing uses is a misspelling unless it is marked as a
        // local standard (kept for the record; no rule reads it).
        for name in parameters.entries.keys.sorted() where used[name] == nil {
            for entry in parameters.entries[name]! where entry.basis != .localStandard {
                let known = ParameterName.required.map(\.0.rawValue)
                throw parametersNode.child(name.rawValue).fail(
                    "no rule or programme uses this parameter" + suggestion(for: name.rawValue, among: known)
                        + "; a value kept only for the record must have \"basis\": \"local-standard\"")
            }
        }
        return Policy(source: source, name: name, title: title, clauses: clauses, parameters: parameters.entries,
                      programmes: programmes, retirement: retirement)
    }

    // MARK: Sections

    static func readClauses(_ node: Node) throws -> [String: Clause] {
        let entries = try node.dictionary()
        var clauses: [String: Clause] = [:]
        for key in entries.keys.sorted() {
            let fields = try entries[key]!.object(required: ["zh", "en"], optional: [], what: "a clause")
            guard !key.isEmpty else { throw entries[key]!.fail("a clause number cannot be empty") }
            clauses[key] = Clause(zh: try fields["zh"]!.string(), en: try fields["en"]!.string())
        }
        return clauses
    }

    struct Parameters {
        var entries: [ParameterName: [ParameterEntry]] = [:]
    }

    static func readParameters(_ node: Node, clauses: [String: Clause]) throws -> Parameters {
        var result = Parameters()
        let named = try node.dictionary()
        for key in named.keys.sorted() {
            let name = ParameterName(key)
            guard Identifier.isValid(key) else {
                throw named[key]!.fail("a parameter name is 1–64 characters of A–Z a–z 0–9 . _ : -")
            }
            let list = try named[key]!.array()
            guard !list.isEmpty else { throw named[key]!.fail("has no entries; give at least one") }
            var entries: [ParameterEntry] = []
            for (index, item) in list.enumerated() {
                let entry = try readEntry(item, name: name, index: index, clauses: clauses)
                if let previous = entries.last {
                    guard entry.from > previous.from else {
                        throw item.child("from").fail("\(entry.from) is not after the previous entry's \(previous.from); entries go in ascending date order")
                    }
                    guard entry.unit == previous.unit else {
                        throw item.child("unit").fail("\"\(entry.unit.rawValue)\" differs from \"\(previous.unit.rawValue)\" in the entry before; a parameter keeps one unit")
                    }
                }
                entries.append(entry)
            }
            result.entries[name] = entries
        }
        return result
    }

    static func readEntry(_ node: Node, name: ParameterName, index: Int, clauses: [String: Clause]) throws -> ParameterEntry {
        let fields = try node.object(required: ["from", "value", "unit", "clause", "basis"],
                                     optional: ["source", "text", "note"], what: "a parameter entry")
        let from = try fields["from"]!.date()
        let unitText = try fields["unit"]!.string()
        guard let unit = ParameterUnit(rawValue: unitText) else {
            throw fields["unit"]!.fail("\"\(unitText)\" is not a unit; use one of " + ParameterUnit.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        let value: ParameterValue
        let valueNode = fields["value"]!
        if unit.isMoney {
            value = .money(try valueNode.money())
        } else {
            let number = try valueNode.integer()
            switch unit {
            case .basisPoints:
                guard (0...EventParser.maxBasisPoints).contains(number) else {
                    throw valueNode.fail("\(number) is not between 0 and \(EventParser.maxBasisPoints) basis points")
                }
            default:
                guard (1...1200).contains(number) else { throw valueNode.fail("\(number) is not between 1 and 1200 \(unit.rawValue)") }
            }
            value = .integer(number)
        }
        let basisText = try fields["basis"]!.string()
        guard let basis = ParameterBasis(rawValue: basisText) else {
            throw fields["basis"]!.fail("\"\(basisText)\" is not one of " + ParameterBasis.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        let clause = try fields["clause"]!.optionalString()
        if let clause {
            guard clauses[clause] != nil else {
                throw fields["clause"]!.fail("\"\(clause)\" is not in clauses" + suggestion(for: clause, among: Array(clauses.keys)))
            }
        } else if basis != .national {
            throw fields["clause"]!.fail("is null; only a national rule outside the seed may have no clause")
        }
        let source = try fields["source"]?.string()
        if basis == .national && source == nil {
            throw node.child("source").fail("missing; a national rule names its document")
        }
        return ParameterEntry(parameter: name, index: index, from: from, value: value, unit: unit, clause: clause, basis: basis,
                              source: source, text: try fields["text"]?.string(), note: try fields["note"]?.string())
    }

    static let programmeFields = ["code", "name", "clause", "subjects", "certification", "enterpriseSizes", "term",
                                  "retirementExtension", "onceOnly", "perPersonCap"]

    static func readProgrammes(_ node: Node, clauses: [String: Clause]) throws -> [Programme] {
        var programmes: [Programme] = []
        var seen: [String: Int] = [:]
        for (index, item) in try node.array().enumerated() {
            let fields = try item.object(required: programmeFields, optional: ["nameEnglish", "note"], what: "a programme")
            let code = try fields["code"]!.string()
            guard Identifier.isValid(code) else {
                throw fields["code"]!.fail("\"\(code)\" is not 1–64 characters of A–Z a–z 0–9 . _ : -")
            }
            if let first = seen[code] {
                throw fields["code"]!.fail("\"\(code)\" is already programmes[\(first)]; a code is used once")
            }
            seen[code] = index
            let clause = try fields["clause"]!.string()
            guard clauses[clause] != nil else {
                throw fields["clause"]!.fail("\"\(clause)\" is not in clauses" + suggestion(for: clause, among: Array(clauses.keys)))
            }
            var subjects: SubjectRequirement = []
            for subjectNode in try fields["subjects"]!.array() {
                let word = try subjectNode.string()
                let subject: SubjectRequirement
                switch word {
                case "person": subject = .person
                case "enterprise": subject = .enterprise
                default: throw subjectNode.fail("\"\(word)\" is not a subject; use \"person\" or \"enterprise\"")
                }
                guard !subjects.contains(subject) else { throw subjectNode.fail("\"\(word)\" is listed twice") }
                subjects.insert(subject)
            }
            let certification = try readCertification(fields["certification"]!)
            if certification != nil && !subjects.contains(.person) {
                throw fields["certification"]!.fail("a certification is held by a person; add \"person\" to subjects")
            }
            var sizes: [String]?
            if !fields["enterpriseSizes"]!.isNull {
                var list: [String] = []
                for sizeNode in try fields["enterpriseSizes"]!.array() {
                    let size = try sizeNode.word(in: .enterpriseSize)
                    guard !list.contains(size) else { throw sizeNode.fail("\"\(size)\" is listed twice") }
                    list.append(size)
                }
                guard !list.isEmpty else { throw fields["enterpriseSizes"]!.fail("is empty; use null when any size may be paid") }
                guard subjects.contains(.enterprise) else {
                    throw fields["enterpriseSizes"]!.fail("limits the enterprise paid; add \"enterprise\" to subjects")
                }
                sizes = list
            }
            let term = try fields["term"]!.optionalString().map { ParameterName($0) }
            let extensionName = try fields["retirementExtension"]!.optionalString().map { ParameterName($0) }
            if (term != nil || extensionName != nil) && !subjects.contains(.person) {
                throw fields[term != nil ? "term" : "retirementExtension"]!.fail("a term counts a person's months; add \"person\" to subjects")
            }
            if extensionName != nil && term == nil {
                throw fields["retirementExtension"]!.fail("extends a term, but term is null")
            }
            let onceOnly = try fields["onceOnly"]!.bool()
            if onceOnly && !subjects.contains(.person) {
                throw fields["onceOnly"]!.fail("is once per person; add \"person\" to subjects")
            }
            guard fields["perPersonCap"]!.isNull else {
                throw fields["perPersonCap"]!.fail("must be null: no audit rule of this version enforces a per-person cap")
            }
            programmes.append(Programme(
                code: code, name: try fields["name"]!.string(), nameEnglish: try fields["nameEnglish"]?.string(), clause: clause,
                subjects: subjects, certification: certification, enterpriseSizes: sizes, term: term,
                retirementExtension: extensionName, onceOnly: onceOnly))
            _ = try fields["note"]?.string()
        }
        return programmes
    }

    static func readCertification(_ node: Node) throws -> CertificationRequirement? {
        guard !node.isNull else { return nil }
        let fields = try node.object(required: ["kind"], optional: ["graduatedInYearOf"], what: "a certification requirement")
        let kind = try fields["kind"]!.word(in: .certification)
        var year: CertificationRequirement.GraduationYear?
        if let yearNode = fields["graduatedInYearOf"] {
            let text = try yearNode.string()
            guard let parsed = CertificationRequirement.GraduationYear(rawValue: text) else {
                throw yearNode.fail("\"\(text)\" is not one of " + CertificationRequirement.GraduationYear.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            guard kind == "college-graduate" else {
                throw yearNode.fail("only a college-graduate certification has a graduation date")
            }
            year = parsed
        }
        return CertificationRequirement(kind: kind, graduatedInYearOf: year)
    }

    static func readRetirement(_ node: Node) throws -> RetirementRules {
        let fields = try node.object(required: ["ages", "pendingReform"], optional: ["note"], what: "the retirement section")
        let ageFields = try fields["ages"]!.object(required: RetirementGroup.allCases.map(\.rawValue), optional: [],
                                                   what: "the retirement ages")
        var ages: [RetirementGroup: ParameterName] = [:]
        for group in RetirementGroup.allCases { ages[group] = ParameterName(try ageFields[group.rawValue]!.string()) }
        var reform: RetirementRules.PendingReform?
        if !fields["pendingReform"]!.isNull {
            let reformFields = try fields["pendingReform"]!.object(required: ["from", "source"], optional: ["note"], what: "a pending reform")
            reform = RetirementRules.PendingReform(from: try reformFields["from"]!.date(), source: try reformFields["source"]!.string())
            _ = try reformFields["note"]?.string()
        }
        _ = try fields["note"]?.string()
        return RetirementRules(ages: ages, pendingReform: reform)
    }

    /// `; did you mean "x"?` when a known word is one or two edits away.
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let close = candidates.filter { editDistance(word, $0) <= 2 }.sorted()
        return close.isEmpty ? "" : "; did you mean \"\(close[0])\"?"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A value inside the parsed JSON with its path, for typed reads that fail
/// with the file and the path.
struct Node {
    let file: String
    let path: String
    let value: Any

    func fail(_ message: String) -> PolicyError { PolicyError(file: file, path: path, message: message) }

    func child(_ key: String) -> Node {
        Node(file: file, path: path.isEmpty ? key : path + "." + key, value: (value as? [String: Any])?[key] ?? NSNull())
    }

    func child(_ index: Int) -> Node {
        let element: Any = (value as? [Any]).flatMap { index < $0.count ? $0[index] : nil } ?? NSNull()
        return Node(file: file, path: path + "[\(index)]", value: element)
    }

    var isNull: Bool { value is NSNull }

    /// What the JSON value is, for messages.
    var kindName: String {
        switch value {
        case is NSNull: return "null"
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let number as NSNumber:
            switch Node.numberKind(number) {
            case .boolean: return number.boolValue ? "true" : "false"
            case .integer: return "the integer \(number)"
            case .other: return "the number \(number)"
            }
        default: return "an unexpected value"
        }
    }

    enum NumberKind { case boolean, integer, other }

    /// JSONSerialization gives every number and boolean as NSNumber; the
    /// Objective-C type code tells them apart (`c` for booleans, `d` for
    /// anything written with a fraction or exponent).
    static func numberKind(_ number: NSNumber) -> NumberKind {
        switch String(cString: number.objCType) {
        case "c", "B": return .boolean
        case "s", "i", "l", "q", "S", "I", "L": return .integer
        default: return .other
        }
    }

    /// An object with exactly these keys (the optional ones may be absent).
    func object(required: [String], optional: [String], what: String) throws -> [String: Node] {
        guard let dictionary = value as? [String: Any] else { throw fail("must be an object, found \(kindName)") }
        let known = required + optional
        for key in dictionary.keys.sorted() where !known.contains(key) {
            throw child(key).fail("unknown key" + PolicyLoader.suggestion(for: key, among: known)
                + "; \(what) has " + known.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        for key in required where dictionary[key] == nil {
            throw child(key).fail("missing; \(what) needs " + required.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        var nodes: [String: Node] = [:]
        for key in dictionary.keys { nodes[key] = child(key) }
        return nodes
    }

    /// An object with free keys.
    func dictionary() throws -> [String: Node] {
        guard let dictionary = value as? [String: Any] else { throw fail("must be an object, found \(kindName)") }
        var nodes: [String: Node] = [:]
        for key in dictionary.keys { nodes[key] = child(key) }
        return nodes
    }

    func array() throws -> [Node] {
        guard let array = value as? [Any] else { throw fail("must be an array, found \(kindName)") }
        return array.indices.map { child($0) }
    }

    func string() throws -> String {
        guard let text = value as? String else { throw fail("must be a string, found \(kindName)") }
        guard !text.isEmpty else { throw fail("must not be empty") }
        return text
    }

    func optionalString() throws -> String? {
        isNull ? nil : try string()
    }

    func integer() throws -> Int64 {
        guard let number = value as? NSNumber, !(value is String), Node.numberKind(number) == .integer else {
            throw fail("must be a JSON integer, found \(kindName)")
        }
        return number.int64Value
    }

    func bool() throws -> Bool {
        guard let number = value as? NSNumber, !(value is String), Node.numberKind(number) == .boolean else {
            throw fail("must be true or false, found \(kindName)")
        }
        return number.boolValue
    }

    func date() throws -> CalendarDate {
        let text = try string()
        guard let date = CalendarDate.parse(text) else { throw fail("\"\(text)\" is not a calendar date YYYY-MM-DD") }
        return date
    }

    /// A yuan amount written as a string, greater than zero.
    func money() throws -> Money {
        guard let text = value as? String else {
            throw fail("must be an amount in yuan written as a string, such as \"100000\", found \(kindName)")
        }
        switch Money.parsePositive(text) {
        case .success(let money): return money
        case .failure(let error): throw fail("\"\(text)\" \(error)")
        }
    }

    /// One word of an input vocabulary.
    func word(in vocabulary: Vocabulary) throws -> String {
        let text = try string()
        guard vocabulary.code(of: text) != nil else {
            throw fail("\"\(text)\" is not one of " + vocabulary.values.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return text
    }
}
