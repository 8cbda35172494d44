import Audit
import LedgerCore
import Policy
import Projections
import Reports

/// What `report html` shows, computed from one view of the ledger: the use
/// of the year's funds per budget line and region, the month-by-month
/// payments, the performance figures of `report performance`, the audit's
/// findings placed by region, and where it all came from.
///
/// Built by ``HtmlReportBuilder`` as the view's live events stream past,
/// then rendered by ``HtmlPage``. Every amount is integer fen, totals in
/// 128 bits; rates are the performance report's integer ratios.
public struct HtmlReportDocument: Sendable {
    public var fiscalYear: Int64
    public var scope: RegionScope
    /// The year's budget lines inside the scope, in (fund, region) order.
    public var lines: [BudgetLineUsage]
    /// Every region with a budget line of the year inside the scope, and
    /// every region above it inside the scope, in code order.
    public var regions: [RegionUsage]
    /// Paid and recovered per programme over the lines of the scope.
    public var programmes: [ProgrammeUsage]
    public var monthly: MonthlyFlows
    public var performance: PerformanceReport
    public var findings: FindingsSummary
    /// The early warnings of the view inside the scope, or nil when none were computed.
    public var warnings: WarningsSection?
    public var provenance: Provenance
    /// Programme names of the policy, for labels: code → (zh, en).
    public var programmeNames: [String: (zh: String, en: String?)]
    /// Clause headings of the policy: number → (zh, en).
    public var clauseNames: [String: (zh: String, en: String)]
    /// The language the audit wrote the findings' messages, their steps and
    /// the warnings' messages in (the page marks them with it).
    public var textLanguage: TextLanguage = .english
}

public struct BudgetLineUsage: Sendable {
    public var key: BudgetLineKey
    public var figures: LineFigures
}

/// A region's funds, its own lines and those below it added up.
public struct RegionUsage: Sendable {
    public var code: String
    public var level: RegionLevel
    public var received = Total.zero
    public var paid = Total.zero
    public var recovered = Total.zero
    public var paidByProgramme: [String: Total] = [:]

    /// received − paid + recovered.
    public var available: Total {
        var total = received
        total.add(paid, sign: -1)
        total.add(recovered)
        return total
    }
}

public struct ProgrammeUsage: Sendable {
    public var code: String
    public var paid = Total.zero
    public var recovered = Total.zero
}

/// Payments and funds received on the year's lines of the scope, by the
/// month of their business date.
public struct MonthlyFlows: Sendable {
    public struct Month: Sendable {
        public var month: YearMonth
        public var paid = Total.zero
        public var received = Total.zero
    }
    /// Every month from the first with money to the last, January to
    /// December of the year at least, in order.
    public var months: [Month]
}

/// The findings of the audit that fall in the report's year and scope.
public struct FindingsSummary: Sendable {
    public struct Listed: Sendable {
        /// As shown: personal ids masked as the run asks.
        public var finding: Finding
        /// Where the finding counts; nil when it names no region.
        public var region: String?
        /// The steps of `audit --explain`, masked as the finding.
        public var explanation: [String]
    }

    public struct RegionCount: Sendable {
        public var region: String?
        public var count = 0
        public var amount = Total.zero
    }

    public struct RuleGroup: Sendable {
        public var rule: RuleCode
        /// The clauses its findings cite (a programme's rule cites the
        /// programme's clause), in order.
        public var clauses: [String]
        public var count = 0
        public var amount = Total.zero
        /// Whether any finding of the rule has an amount (LOAN-CATEGORY's have none).
        public var hasAmounts = false
        public var byRegion: [RegionCount]
        /// The largest findings, in (region, amount descending) order.
        public var listed: [Listed]
    }

    public var rules: [RuleGroup]
    /// Findings of the audit in other years or outside the scope.
    public var elsewhere: Int
}

/// The early warnings (docs/WARNINGS.md) of the view that fall in the scope.
public struct WarningsSection: Sendable {
    /// The date they look ahead from, and how far.
    public var asOf: CalendarDate?
    public var horizonDays: Int
    public var horizonEnd: CalendarDate?
    /// As shown (personal ids masked), in the warnings' own order.
    public var warnings: [Warning]
    /// Warnings of regions outside the scope.
    public var elsewhere: Int
}

/// Where the figures come from: the footer of the page.
public struct Provenance: Sendable {
    public var headSeq: UInt64
    /// The head's chain hash, hex.
    public var headHash: String
    /// The Merkle tree's size and root (base64), when the ledger has one.
    public var tree: (size: UInt64, root: String)?
    public var origin: String?
    public var policyName: String
    public var policyTitle: String
    public var policySource: String
    /// The last event of the view.
    public var lastSeq: UInt64
    /// The options of the view, as given.
    public var asOfSeq: UInt64?
    public var knownAt: String?
    public var effectiveOn: String?
    public var showsPersonalIDs: Bool

    public init(headSeq: UInt64, headHash: String, tree: (size: UInt64, root: String)?, origin: String?, policy: Policy,
                lastSeq: UInt64, asOfSeq: UInt64?, knownAt: String?, effectiveOn: String?, showsPersonalIDs: Bool) {
        self.headSeq = headSeq
        self.headHash = headHash
        self.tree = tree
        self.origin = origin
        self.policyName = policy.name
        self.policyTitle = policy.title
        self.policySource = policy.source
        self.lastSeq = lastSeq
        self.asOfSeq = asOfSeq
        self.knownAt = knownAt
        self.effectiveOn = effectiveOn
        self.showsPersonalIDs = showsPersonalIDs
    }
}

/// Builds an ``HtmlReportDocument`` from the balances, the audit and the
/// live events of one view, as `report performance` builds its figures:
/// the events stream past once (``needs(type:id:)`` says which ones to
/// decode, ``add(_:)`` takes them) and none is held, so that a province's
/// decade of events costs what the year's regions and months cost.
public struct HtmlReportBuilder {
    /// How many findings of each rule are listed with their explanation;
    /// the counts and amounts cover them all.
    public static let listedPerRule = 20

    let balances: Balances
    let fiscalYear: Int64
    let scope: RegionScope
    let triggers: Set<String>
    var monthly: [YearMonth: MonthlyFlows.Month] = [:]

    public init(balances: Balances, fiscalYear: Int64, scope: RegionScope, findings: [Finding]) {
        self.balances = balances
        self.fiscalYear = fiscalYear
        self.scope = scope
        triggers = Set(findings.map(\.trigger))
    }

    /// Whether ``add(_:)`` uses an event of this type: the year's money
    /// movements (for the months) only.
    public func needs(type: EventType) -> Bool {
        switch type {
        case .subsidyGranted, .loanInterestDiscounted, .guaranteeCompensated, .fundAppropriated, .fundTransferred: true
        default: false
        }
    }

    /// Whether ``add(_:)`` uses the event of this stored record, read in
    /// place: the year's money movements only.
    public func needs(_ record: EventRecordView) -> Bool {
        needs(type: record.type) && record.integer(.fiscalYear) == fiscalYear
    }

    /// Adds one live event of the view, in log order.
    public mutating func add(_ event: Event) throws {
        let data = event.data
        guard needs(type: event.type), data.integer(.fiscalYear) == fiscalYear else { return }
        let month = event.effective.yearMonth
        switch event.type {
        case .subsidyGranted, .loanInterestDiscounted, .guaranteeCompensated:
            guard let region = data.string(.region), scope.contains(region), let amount = data.money(.amount) else { return }
            monthly[month, default: .init(month: month)].paid.add(amount)
        case .fundAppropriated:
            guard let region = data.string(.region), scope.contains(region), let amount = data.money(.amount) else { return }
            monthly[month, default: .init(month: month)].received.add(amount)
        case .fundTransferred:
            guard let amount = data.money(.amount), let from = data.string(.fromRegion), let to = data.string(.toRegion) else { return }
            // A transfer inside the scope moves nothing into or out of it.
            if scope.contains(to) { monthly[month, default: .init(month: month)].received.add(amount) }
            if scope.contains(from) { monthly[month, default: .init(month: month)].received.add(amount, sign: -1) }
        default:
            return
        }
    }

    /// The document, given the performance report of the same view (and
    /// the accumulation that placed its findings), the audit's findings, and
    /// how to explain one. `masking` and `people` mask what is shown as
    /// `audit` masks it. `textLanguage` is the language the audit and the
    /// warnings were computed in (``Auditor/language``).
    public func document(performance: PerformanceReport, placing: PerformanceReport.Accumulation, findings: [Finding],
                         explain: (Finding) throws -> [String], policy: Policy, masking: PersonalIDMasking, people: Set<String>,
                         warnings: WarningsResult?, provenance: Provenance,
                         textLanguage: TextLanguage = .english) throws -> HtmlReportDocument {
        var lines: [BudgetLineUsage] = []
        var regions: [String: RegionUsage] = [:]
        var programmes: [String: ProgrammeUsage] = [:]
        for (key, line) in balances.lines where key.fiscalYear == fiscalYear && scope.contains(key.region) {
            let figures = try LineFigures(line, key)
            lines.append(BudgetLineUsage(key: key, figures: figures))
            for (code, level) in RegionLevel.rollUp(key.region) where scope.contains(code) {
                var usage = regions[code] ?? RegionUsage(code: code, level: level)
                usage.received.add(figures.received)
                usage.paid.add(figures.paid)
                usage.recovered.add(figures.recovered)
                for (programme, amount) in figures.paidByProgramme { usage.paidByProgramme[programme, default: .zero].add(amount) }
                regions[code] = usage
            }
            for (programme, amount) in figures.paidByProgramme {
                programmes[programme, default: ProgrammeUsage(code: programme)].paid.add(amount)
            }
            for (programme, amount) in figures.recoveredByProgramme {
                programmes[programme, default: ProgrammeUsage(code: programme)].recovered.add(amount)
            }
        }
        lines.sort { $0.key < $1.key }

        var names: [String: (zh: String, en: String?)] = [:]
        for programme in policy.programmes { names[programme.code] = (programme.name, programme.nameEnglish) }

        return HtmlReportDocument(
            fiscalYear: fiscalYear, scope: scope, lines: lines,
            regions: regions.keys.sorted(by: Self.byteOrder).map { regions[$0]! },
            programmes: programmes.keys.sorted(by: Self.byteOrder).map { programmes[$0]! },
            monthly: monthlyFlows(),
            performance: performance,
            findings: try summary(findings, placing: placing, explain: explain, masking: masking, people: people),
            warnings: warnings.map { section($0, masking: masking) }, provenance: provenance, programmeNames: names,
            clauseNames: policy.clauses.mapValues { ($0.zh, $0.en) }, textLanguage: textLanguage)
    }

    /// The warnings in the scope: a warning of a region inside it, and one
    /// that names no region only when the page covers every region.
    func section(_ result: WarningsResult, masking: PersonalIDMasking) -> WarningsSection {
        let people = masking.showsPersonalIDs ? [] : result.peopleToMask
        var shown: [Warning] = [], elsewhere = 0
        for warning in result.warnings {
            let inside = warning.region.map(scope.contains) ?? (scope.region == nil)
            if inside { shown.append(warning.masked(masking, people: people)) } else { elsewhere += 1 }
        }
        return WarningsSection(asOf: result.asOf, horizonDays: result.horizonDays, horizonEnd: result.horizonEnd, warnings: shown,
                               elsewhere: elsewhere)
    }

    /// The months of the year, widened to any month with money before or after.
    func monthlyFlows() -> MonthlyFlows {
        let year = Int(clamping: fiscalYear)
        var first = YearMonth(year: year, month: 1), last = YearMonth(year: year, month: 12)
        for month in monthly.keys {
            first = min(first, month)
            last = max(last, month)
        }
        var months: [MonthlyFlows.Month] = []
        var index = first.index
        while index <= last.index {
            let month = YearMonth(index: index)
            months.append(monthly[month] ?? .init(month: month))
            index += 1
        }
        return MonthlyFlows(months: months)
    }

    func summary(_ findings: [Finding], placing: PerformanceReport.Accumulation, explain: (Finding) throws -> [String],
                 masking: PersonalIDMasking, people: Set<String>) throws -> FindingsSummary {
        var elsewhere = 0
        var byRule: [RuleCode: [(finding: Finding, region: String?)]] = [:]
        for finding in findings {
            let region: String?
            switch placing.place(ofTrigger: finding.trigger) {
            case .region(let code):
                guard scope.contains(code) else { elsewhere += 1; continue }
                region = code
            case .elsewhere:
                elsewhere += 1
                continue
            case .nowhere:
                // Without a region a finding cannot be said to be outside a
                // region asked for: it is listed only for the whole ledger.
                guard scope.region == nil else { elsewhere += 1; continue }
                region = nil
            }
            byRule[finding.rule, default: []].append((finding, region))
        }
        var groups: [FindingsSummary.RuleGroup] = []
        for rule in byRule.keys.sorted() {
            let placed = byRule[rule]!
            var counts: [String: FindingsSummary.RegionCount] = [:]
            var group = FindingsSummary.RuleGroup(rule: rule, clauses: [], byRegion: [], listed: [])
            var clauses: Set<String> = []
            for (finding, region) in placed {
                group.count += 1
                clauses.insert(finding.clause)
                var count = counts[region ?? ""] ?? FindingsSummary.RegionCount(region: region)
                count.count += 1
                if let amount = finding.amount {
                    count.amount.add(amount)
                    group.amount.add(amount)
                    group.hasAmounts = true
                }
                counts[region ?? ""] = count
            }
            group.clauses = clauses.sorted(by: Self.byteOrder)
            group.byRegion = counts.keys.sorted(by: Self.byteOrder).map { counts[$0]! }
            // The largest first; among equals (and findings without an
            // amount) the audit's own order, which is stable.
            let chosen = placed.indices.sorted { a, b in
                let x = placed[a].finding.amount?.fen ?? -1, y = placed[b].finding.amount?.fen ?? -1
                return x != y ? x > y : a < b
            }.prefix(Self.listedPerRule)
            var listed: [(index: Int, item: FindingsSummary.Listed)] = []
            for index in chosen {
                let (finding, region) = placed[index]
                let person = finding.subject.hasPrefix("person:") ? String(finding.subject.dropFirst("person:".count)) : nil
                let steps = try explain(finding).map { masking.text($0, people: people, alsoNaming: person) }
                listed.append((index, .init(finding: finding.masked(masking, people: people), region: region, explanation: steps)))
            }
            listed.sort { a, b in
                let x = a.item.region ?? "", y = b.item.region ?? ""
                if x != y { return Self.byteOrder(x, y) }
                let p = a.item.finding.amount?.fen ?? -1, q = b.item.finding.amount?.fen ?? -1
                return p != q ? p > q : a.index < b.index
            }
            group.listed = listed.map(\.item)
            groups.append(group)
        }
        return FindingsSummary(rules: groups, elsewhere: elsewhere)
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
