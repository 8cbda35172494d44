import Audit
import Crypto
import EventStore
import Foundation
import Hummingbird
import LedgerCore
import LedgerQueries
import Policy
import Projections
import Reports

/// The endpoints' answers. Each read is the JSON the command-line tool's
/// `--format json` prints for the same view, made by the same library code
/// (LedgerQueries, Reports, Audit), masked as the caller's role says.
struct Endpoints {
    let state: ServerState
    let exchange: Exchange

    var access: LedgerAccess { state.access }
    var query: Query { exchange.query }
    var masking: PersonalIDMasking { exchange.masking }

    static let viewParameters: Set<String> = ["asOfSeq", "knownAt", "effectiveOn"]

    // MARK: Reads

    /// `GET /v1/head`: the head and the Merkle tree head, one snapshot.
    func head() async throws -> Response {
        try query.onlyKnown([])
        let summary = try await access.read { try $0.headSummary() }
        return LedgerResponder.json(Self.headJSON(summary), masking: nil)
    }

    static func headJSON(_ summary: HeadSummary) -> String {
        var text = "{\"seq\":\(summary.seq),\"hash\":\"\(HashChain.hex(summary.hash))\""
        if let tree = summary.tree { text += ",\"treeSize\":\(tree.size),\"root\":\"\(tree.root)\"" }
        return text + "}\n"
    }

    /// `GET /v1/events`: a page of the log's selection, each event as
    /// `log --format json` prints it; `next` is the seq of the next selected
    /// event (the `from` of the next page), null when there is none.
    func events() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["from", "to", "type", "stream", "limit"]))
        let view = try self.view()
        let from = try query.unsigned("from") ?? 1
        let to = try query.unsigned("to")
        if let to, to < from { throw APIError.badRequest("to: \(to) is before from \(from)") }
        guard from >= 1 else { throw APIError.badRequest("from: sequence numbers start at 1") }
        let limit = try query.unsigned("limit") ?? 100
        guard limit >= 1 && limit <= 10_000 else { throw APIError.badRequest("limit: \(limit) is not between 1 and 10000") }
        let types = try eventTypes()
        let stream = try query.single("stream")
        let selection = EventQuery(from: from, to: to, types: types, stream: stream, view: view)
        let masking = self.masking
        let text = try await access.read { ledger -> String in
            let head = try Self.checkedHead(ledger, view: view)
            let last = selection.lastSeq(head: head)
            let reversedBy = selection.reversedBy(try ledger.reversalMap(), head: head)
            var objects: [String] = []
            var next: UInt64?
            try selection.forEach(in: ledger, through: last) { stored in
                if objects.count == Int(limit) {
                    next = stored.seq
                    return false
                }
                objects.append(EventJSON.object(stored, reversedBy: reversedBy[stored.seq], masking: masking))
                return true
            }
            return "{\"events\":[" + (objects.isEmpty ? "" : "\n" + objects.joined(separator: ",\n") + "\n")
                + "],\"next\":" + (next.map(String.init) ?? "null") + "}\n"
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/events/{id}`: one event as `log --format json` prints it.
    func event() async throws -> Response {
        try query.onlyKnown(Self.viewParameters)
        let view = try self.view()
        let id = exchange.parameters["id"] ?? ""
        let masking = self.masking
        let text = try await access.read { ledger -> String? in
            let head = try Self.checkedHead(ledger, view: view)
            guard let (stored, reversal) = try ledger.storedEvent(withID: id) else { return nil }
            let selection = EventQuery(view: view)
            guard stored.seq <= head, selection.accepts(stored) else { return nil }
            let reversedBy = reversal.flatMap { selection.reversedBy([stored.seq: $0], head: head)[stored.seq] }
            return EventJSON.object(stored, reversedBy: reversedBy, masking: masking) + "\n"
        }
        guard let text else { throw APIError.notFound("the ledger has no event with id \(id)" + (view == .all ? "" : " in this view")) }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/balances?by=…`: as `balances --format json`.
    func balances() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["by"]))
        let view = try self.view()
        let by = try query.single("by") ?? "fund"
        guard let grouping = BalanceReports.Grouping(rawValue: by) else {
            throw APIError.badRequest("by: \"\(by)\" is not one of " + BalanceReports.Grouping.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let masking = self.masking
        let answers = state.balanceAnswers
        let question = BalanceAnswers.Question(grouping: by, masking: masking)
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            if view == .all {
                // The whole log: carried from head to head (``BalanceAnswers``).
                return try answers.wholeLog(ledger, question) { balances in
                    try BalanceReports.table(balances, by: grouping, masking: masking).renderJSON()
                }
            }
            return try answers.view(ledger, view, question) {
                let (balances, _) = try ledger.balances(view: view, tables: grouping.tables)
                return try BalanceReports.table(balances, by: grouping, masking: masking).renderJSON()
            }
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/audit?rule=…`: as `audit --format json` (the seed's policy).
    func audit() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["rule"]))
        let view = try self.view()
        let rules = try self.rules()
        let masking = self.masking
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            let result = try Self.audited(ledger, view: view, rules: rules)
            return AuditQuery.findingsJSON(result, masking: masking)
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/audit/explain/{eventId}`: as `audit --explain EVENT --format json`.
    func explain() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["rule"]))
        let view = try self.view()
        let rules = try self.rules()
        let id = exchange.parameters["eventId"] ?? ""
        let masking = self.masking
        let chosen = !query.all("rule").isEmpty
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            let result = try Self.audited(ledger, view: view, rules: rules)
            do {
                return try AuditExplanation(of: id, in: result, masking: masking, rulesChosen: chosen).json()
            } catch let nothing as AuditExplanation.NothingToExplain {
                throw APIError.notFound("\(nothing)")
            }
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/warnings?horizon=…`: as `warnings --format json` (the seed's
    /// policy), as of the view's date.
    func warnings() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["horizon"]))
        let view = try self.view()
        let horizonText = try query.single("horizon") ?? "\(EarlyWarnings.defaultHorizonDays)d"
        guard let horizon = WarningsQuery.horizonDays(horizonText) else {
            throw APIError.badRequest("horizon: \"\(horizonText)\" is not a number of days from 0 to \(WarningsQuery.longestHorizonDays), such as 90d")
        }
        let masking = self.masking
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            do {
                let result = try WarningsQuery.warnings(ledger, view: view, policy: .seed, horizonDays: horizon)
                return WarningsQuery.json(result, masking: masking)
            } catch let error as AuditError {
                // A date the client chose that the policy does not reach is
                // the request's fault, not the server's.
                if case .policy = error, let date = view.effectiveOn {
                    throw APIError.badRequest("effectiveOn: the seed policy has no warning thresholds on \(date): \(error)")
                }
                throw Self.auditFailure(error, doing: "the early warnings")
            }
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/reports/performance?fiscalYear=&level=&region=`: as
    /// `report performance --format json` (the seed's policy).
    func performance() async throws -> Response {
        try query.onlyKnown(Self.viewParameters.union(["fiscalYear", "level", "region"]))
        let view = try self.view()
        guard let yearText = try query.single("fiscalYear") else { throw APIError.badRequest("fiscalYear: required, such as 2016") }
        guard let year = Int64(yearText), PerformanceQuery.fiscalYears.contains(year) else {
            throw APIError.badRequest("fiscalYear: \"\(yearText)\" is not a year between \(PerformanceQuery.fiscalYears.lowerBound) and \(PerformanceQuery.fiscalYears.upperBound)")
        }
        let levelText = try query.single("level")
        let level = levelText.flatMap(RegionLevel.init(rawValue:))
        if let levelText, level == nil {
            throw APIError.badRequest("level: \"\(levelText)\" is not one of province, prefecture, county")
        }
        let region = try query.single("region")
        if let region, !Identifier.isValidRegion(region) {
            throw APIError.badRequest("region: \"\(region)\" is not a six-digit GB/T 2260 region code such as 220100")
        }
        let masking = self.masking
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            do {
                return try PerformanceQuery.report(ledger, view: view, policy: .seed, fiscalYear: year, level: level, region: region).renderJSON()
            } catch let failure as PerformanceQuery.AuditFailed {
                throw APIError.internalError("\(failure)")
            } catch let error as AuditError {
                throw APIError.ledgerDamaged("the ledger's figures cannot be computed: \(error)")
            }
        }
        return LedgerResponder.json(text, masking: masking)
    }

    /// `GET /v1/verify`: as `verify --format json` — the chain, the Merkle
    /// tree and (for the whole log) every derived database. 200 with the
    /// result whenever the check ran: `ok` says whether it passed.
    func verify() async throws -> Response {
        try query.onlyKnown(["asOfSeq", "knownAt"])
        let view = try self.view()
        let masking = self.masking
        let text = try await access.read { ledger -> String in
            _ = try Self.checkedHead(ledger, view: view)
            let last = try ledger.lastSeq(of: view)
            let wholeLog = view.asOfSeq == nil && view.knownAtMicros == nil
            let report = try VerifyQuery.run(ledger, expect: nil, upTo: last, wholeLog: wholeLog, chainOnly: false)
            return VerifyQuery.jsonFields(report) + "}\n"
        }
        return LedgerResponder.json(text, masking: masking)
    }

    // MARK: Parameters

    /// `asOfSeq`, `knownAt`, `effectiveOn`: the view, as the commands'
    /// `--as-of-seq`, `--known-at` and `--effective-on`.
    func view() throws(APIError) -> LedgerView {
        var view = LedgerView()
        view.asOfSeq = try query.unsigned("asOfSeq")
        if let text = try query.single("knownAt") {
            guard let micros = Clock.parse(text) else {
                throw .badRequest("knownAt: \"\(text)\" is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.ffffff]Z")
            }
            view.knownAtMicros = micros
        }
        if let text = try query.single("effectiveOn") {
            guard let date = CalendarDate.parse(text) else {
                throw .badRequest("effectiveOn: \"\(text)\" is not a calendar date YYYY-MM-DD")
            }
            view.effectiveOn = date
        }
        return view
    }

    /// The head, refusing an `asOfSeq` past it (as the commands refuse
    /// `--as-of-seq` past the head): a view of events the ledger does not
    /// have would silently be the whole ledger.
    static func checkedHead(_ ledger: Ledger, view: LedgerView) throws -> UInt64 {
        let head = try ledger.head()
        if let size = view.asOfSeq, size > head.seq {
            throw APIError.badRequest("asOfSeq: \(size) is past the head: the ledger has \(head.seq) event\(head.seq == 1 ? "" : "s"), "
                + "head \(head.seq):\(HashChain.hex(head.hash))")
        }
        return head.seq
    }

    /// `type`, repeated or comma-separated.
    func eventTypes() throws(APIError) -> Set<EventType> {
        var types: Set<EventType> = []
        for value in query.all("type") {
            for name in value.split(separator: ",") {
                guard let type = EventType(name: String(name)) else {
                    throw .badRequest("type: \"\(name)\" is not an event type; known: " + EventType.allCases.map(\.name).joined(separator: ", "))
                }
                types.insert(type)
            }
        }
        return types
    }

    /// `rule`, repeated or comma-separated, any case.
    func rules() throws(APIError) -> [RuleCode] {
        var chosen: [RuleCode] = []
        for value in query.all("rule") {
            for name in value.split(separator: ",") {
                guard let rule = RuleCode(rawValue: name.uppercased()) else {
                    throw .badRequest("rule: \"\(name)\" is not one of " + RuleCode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                if !chosen.contains(rule) { chosen.append(rule) }
            }
        }
        return chosen.isEmpty ? RuleCode.allCases : chosen
    }

    /// The audit of `view` against the seed's policy.
    static func audited(_ ledger: Ledger, view: LedgerView, rules: [RuleCode]) throws -> AuditResult {
        let input = try AuditQuery.read(ledger, view: view)
        do {
            return try Auditor(policy: .seed, rules: rules).audit(input)
        } catch let error as AuditError {
            throw auditFailure(error, doing: "the audit")
        }
    }

    /// An audit's failure as the API says it: an overflow is the ledger's
    /// damage, anything else the server's fault (the seed policy is built in).
    static func auditFailure(_ error: AuditError, doing what: String) -> APIError {
        if case .overflow(let figure) = error {
            return .ledgerDamaged("the ledger's figures cannot be computed: \(figure) is beyond 64 bits; run `subsidy-ledger verify` and report this ledger")
        }
        return .internalError("\(what) failed: \(error)")
    }
}
