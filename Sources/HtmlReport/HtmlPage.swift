import Audit
import LedgerCore
import Projections
import Reports

/// Renders an ``HtmlReportDocument`` as one self-contained HTML page.
///
/// The page loads nothing: its style sheet is inline, its charts are
/// inline SVG (``Chart``), it has no script at all, and a
/// Content-Security-Policy meta tag forbids every network load, so it can
/// be e-mailed and opened offline. Fonts are those the reader's machine
/// has (a stack naming the CJK fonts of Debian, Windows and macOS). The
/// same document gives the same bytes: nothing depends on the time, the
/// machine or the order of a dictionary.
public enum HtmlPage {
    /// No load of any kind from anywhere; inline styles; images only as data: URLs.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// How many rows a table lists before it says how many more there are
    /// (its totals row still counts them all), and how many bars a chart draws.
    public static let rowLimit = 200
    public static let chartLimit = 30
    /// How many warnings of each kind are listed (the counts cover them all).
    public static let warningsPerKind = 20

    public static func render(_ document: HtmlReportDocument, language: ReportLanguage) -> String {
        var page = Page(document: document, language: language)
        return page.render()
    }
}

private struct Page {
    let document: HtmlReportDocument
    let language: ReportLanguage
    let w: Words
    var out = ""

    init(document: HtmlReportDocument, language: ReportLanguage) {
        self.document = document
        self.language = language
        w = language.words
        out.reserveCapacity(1 << 18)
    }

    func e(_ text: String) -> String { HtmlText.escape(text) }

    var scopeLabel: String { document.scope.region.map { w.regionAndBelow(regionLabel($0)) } ?? w.allRegions }

    /// `220102 南关区`, or the code alone when it has no known name.
    func regionLabel(_ code: String?) -> String {
        guard let code else { return w.noRegion }
        return RegionNames.name(code, language: language).map { code + " " + $0 } ?? code
    }

    /// A region in a table cell: kept on one line.
    func regionCell(_ code: String?) -> String { "<span class=\"nowrap\">\(e(regionLabel(code)))</span>" }

    func programmeLabel(_ code: String) -> String {
        if code == PayoutKind.interestDiscount { return w.interestDiscount }
        if code == PayoutKind.guaranteeCompensation { return w.guaranteeCompensation }
        guard let names = document.programmeNames[code] else { return code }
        return w.prefersChinese ? names.zh : (names.en ?? names.zh)
    }

    mutating func render() -> String {
        out += "<!DOCTYPE html>\n<html lang=\"\(language.rawValue)\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(HtmlPage.contentSecurityPolicy)\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"subsidy-ledger report html\">\n"
        out += "<title>\(e(w.title)) · \(document.fiscalYear)</title>\n<style>\n\(Self.styleSheet)</style>\n</head>\n<body>\n"
        out += "<header>\n<h1>\(e(w.title))</h1>\n<p class=\"subtitle\">\(e(w.subtitle(document.fiscalYear, scopeLabel)))</p>\n"
        out += "<nav aria-label=\"\(e(w.contents))\"><a href=\"#funds\">\(e(w.fundUsage))</a> · <a href=\"#performance\">\(e(w.performance))</a> · "
            + "<a href=\"#findings\">\(e(w.findings))</a> · <a href=\"#warnings\">\(e(w.warnings))</a> · <a href=\"#source\">\(e(w.footer))</a></nav>\n"
        out += "</header>\n<main>\n"
        funds()
        performance()
        findings()
        warnings()
        out += "</main>\n"
        footer()
        out += "</body>\n</html>\n"
        return out
    }

    // MARK: Tables

    enum Align { case left, right }

    /// A table with a header row, body rows (already HTML), an optional
    /// totals row and a note on the rows left out.
    mutating func table(_ headers: [(String, Align)], rows: [[String]], totals: [String]? = nil, hidden: Int = 0, className: String = "") {
        out += "<div class=\"scroll\"><table\(className.isEmpty ? "" : " class=\"\(className)\"")>\n<thead><tr>"
        for (header, align) in headers { out += "<th\(align == .right ? " class=\"num\"" : "")>\(e(header))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        func row(_ cells: [String]) -> String {
            "<tr>" + zip(headers, cells).map { "<td\($0.0.1 == .right ? " class=\"num\"" : "")>\($0.1)</td>" }.joined() + "</tr>\n"
        }
        for cells in rows { out += row(cells) }
        out += "</tbody>\n"
        if let totals { out += "<tfoot>" + row(totals) + "</tfoot>\n" }
        out += "</table></div>\n"
        if hidden > 0 { out += "<p class=\"note\">\(e(w.moreRows(hidden)))</p>\n" }
    }

    func money(_ value: Money) -> String { "<span class=\"\(value.fen < 0 ? "neg" : "")\">\(Amount.grouped(value))</span>" }
    func money(_ value: Total) -> String { "<span class=\"\(value.fen < 0 ? "neg" : "")\">\(Amount.grouped(value))</span>" }

    // MARK: Funds

    mutating func funds() {
        out += "<section id=\"funds\">\n<h2>\(e(w.fundUsage))</h2>\n<p class=\"note\">\(e(w.fundUsageNote))</p>\n"
        let series = [w.received, w.paid, w.recovered, w.available]
        for level in RegionLevel.allCases {
            let regions = document.regions.filter { $0.level == level }
            guard !regions.isEmpty else { continue }
            out += "<h3>\(e(w.byLevel(level)))</h3>\n"
            // The largest by funds received when there are too many to draw.
            let drawn = regions.count <= HtmlPage.chartLimit ? regions
                : Array(regions.sorted { $0.received != $1.received ? $0.received > $1.received : $0.code < $1.code }.prefix(HtmlPage.chartLimit))
                    .sorted { $0.code < $1.code }
            out += "<figure>" + Chart.groupedBars(
                label: w.chartLabel(w.fundUsage + " · " + w.byLevel(level)), categories: drawn.map { regionLabel($0.code) }, series: series,
                values: drawn.map { [$0.received.fen, $0.paid.fen, $0.recovered.fen, $0.available.fen] }) + "</figure>\n"
            var totals = (Total.zero, Total.zero, Total.zero, Total.zero)
            for region in regions {
                totals.0.add(region.received)
                totals.1.add(region.paid)
                totals.2.add(region.recovered)
                totals.3.add(region.available)
            }
            let shown = regions.prefix(HtmlPage.rowLimit)
            table([(w.region, .left), (w.received, .right), (w.paid, .right), (w.recovered, .right), (w.available, .right),
                   (w.byProgramme, .left)],
                  rows: shown.map { r in
                      [regionCell(r.code), money(r.received), money(r.paid), money(r.recovered), money(r.available),
                       programmeBreakdown(r.paidByProgramme)]
                  },
                  totals: [e(w.total), money(totals.0), money(totals.1), money(totals.2), money(totals.3), ""],
                  hidden: regions.count - shown.count)
        }

        out += "<h3>\(e(w.byProgramme))</h3>\n"
        var paid = Total.zero, recovered = Total.zero
        for programme in document.programmes {
            paid.add(programme.paid)
            recovered.add(programme.recovered)
        }
        func net(_ p: Total, _ r: Total) -> Total {
            var value = p
            value.add(r, sign: -1)
            return value
        }
        table([(w.programme, .left), (w.name, .left), (w.paid, .right), (w.recovered, .right), (w.net, .right)],
              rows: document.programmes.map { p in
                  ["<code>\(e(p.code))</code>", e(programmeLabel(p.code)), money(p.paid), money(p.recovered), money(net(p.paid, p.recovered))]
              },
              totals: [e(w.total), "", money(paid), money(recovered), money(net(paid, recovered))])

        out += "<h3>\(e(w.monthly))</h3>\n<p class=\"note\">\(e(w.monthlyNote))</p>\n"
        var runningPaid = Total.zero, runningReceived = Total.zero
        var paidSeries: [Int128] = [], receivedSeries: [Int128] = []
        for month in document.monthly.months {
            runningPaid.add(month.paid)
            runningReceived.add(month.received)
            paidSeries.append(runningPaid.fen)
            receivedSeries.append(runningReceived.fen)
        }
        out += "<figure>" + Chart.cumulativeLines(
            label: w.chartLabel(w.monthly), months: document.monthly.months.map { $0.month.description },
            names: [w.cumulativeReceived, w.cumulativePaid], series: [receivedSeries, paidSeries]) + "</figure>\n"
        out += "<details><summary>\(e(w.monthly))</summary>\n"
        table([(w.month, .left), (w.received, .right), (w.paid, .right), (w.cumulativeReceived, .right), (w.cumulativePaid, .right)],
              rows: document.monthly.months.indices.map { index in
                  let month = document.monthly.months[index]
                  return [month.month.description, money(month.received), money(month.paid),
                          money(Total(fen: receivedSeries[index])), money(Total(fen: paidSeries[index]))]
              })
        out += "</details>\n"

        out += "<h3>\(e(w.budgetLines))</h3>\n<p class=\"note\">\(e(w.budgetLinesNote))</p>\n"
        var lineTotals = LineTotals()
        for line in document.lines { lineTotals.add(line.figures) }
        let shownLines = document.lines.prefix(HtmlPage.rowLimit)
        table([(w.fund, .left), (w.region, .left), (w.received, .right), (w.paid, .right), (w.recovered, .right), (w.available, .right),
               (w.byProgramme, .left)],
              rows: shownLines.map { line in
                  ["<code>\(e(line.key.fund))</code>", regionCell(line.key.region), money(line.figures.received), money(line.figures.paid),
                   money(line.figures.recovered), money(line.figures.available),
                   programmeBreakdown(line.figures.paidByProgramme.mapValues { Total($0) })]
              },
              totals: [e(w.total), "", money(lineTotals.received), money(lineTotals.paid), money(lineTotals.recovered),
                       money(lineTotals.available), ""],
              hidden: document.lines.count - shownLines.count)
        out += "</section>\n"
    }

    struct LineTotals {
        var received = Total.zero, paid = Total.zero, recovered = Total.zero, available = Total.zero
        mutating func add(_ figures: LineFigures) {
            received.add(figures.received)
            paid.add(figures.paid)
            recovered.add(figures.recovered)
            available.add(figures.available)
        }
    }

    /// `name amount` per programme, one a line, in code order.
    /// Behind a disclosure when there are more than two, so that a table
    /// stays one line a row on screen (print opens it).
    func programmeBreakdown(_ amounts: [String: Total]) -> String {
        let items = amounts.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { code in
            "<span class=\"programme\">\(e(programmeLabel(code))) <span class=\"amount\">\(Amount.grouped(amounts[code]!))</span></span>"
        }
        guard items.count > 2 else { return items.joined(separator: "<br>") }
        return "<details class=\"programmes\"><summary>\(e(w.programmeCount(items.count)))</summary>" + items.joined(separator: "<br>") + "</details>"
    }

    // MARK: Performance

    mutating func performance() {
        let report = document.performance
        out += "<section id=\"performance\">\n<h2>\(e(w.performance))</h2>\n<p class=\"note\">\(e(w.performanceNote))</p>\n"
        for level in RegionLevel.allCases.reversed() {
            let regions = report.regions.filter { $0.level == level }
            guard regions.count > 1 else { continue }
            // Highest rate first; regions without a rate (nothing received) last; ties by code.
            let ranked = regions.sorted { a, b in
                switch (Percent.value(a.executionRate), Percent.value(b.executionRate)) {
                case (let x?, let y?) where x != y: return x > y
                case (nil, _?): return false
                case (_?, nil): return true
                default: return a.code < b.code
                }
            }.prefix(HtmlPage.chartLimit)
            out += "<h3>\(e(w.executionRanking(level)))</h3>\n<figure>" + Chart.rankedBars(
                label: w.chartLabel(w.executionRanking(level)),
                items: ranked.map { Chart.RankedItem(label: regionLabel($0.code), value: Percent.value($0.executionRate),
                                                     text: Percent.text($0.executionRate)) }) + "</figure>\n"
        }
        out += "<h3>\(e(w.budgetExecution))</h3>\n"
        let shown = report.regions.prefix(HtmlPage.rowLimit)
        table([(w.region, .left), (w.level, .left), (w.received, .right), (w.paid, .right), (w.recovered, .right), (w.executionRate, .right),
               (w.discounted, .right), (w.compensated, .right), (w.writtenOff, .right), (w.people, .right), (w.enterprises, .right),
               (w.findingCount, .right)],
              rows: shown.map { r in
                  [regionCell(r.code), e(w.levelName(r.level)), money(r.received), money(r.paid), money(r.recovered),
                   Percent.text(r.executionRate), money(r.discounted), money(r.compensated), money(r.writtenOff), Amount.count(r.peopleTotal),
                   Amount.count(r.enterprisesTotal), Amount.count(r.findings.values.reduce(0, +))]
              },
              hidden: report.regions.count - shown.count, className: "wide")
        out += "<h3>\(e(w.loansAndSupport))</h3>\n"
        let withLoans = report.regions.filter { $0.loans.count > 0 }
        let shownLoans = withLoans.prefix(HtmlPage.rowLimit)
        table([(w.region, .left), (w.loans, .right), (w.principal, .right), (w.defaulted, .right), (w.defaultRate, .right),
               (w.compensated, .right), (w.compensationRate, .right), (w.writtenOff, .right), (w.writeOffRate, .right)],
              rows: shownLoans.map { r in
                  [regionCell(r.code), Amount.count(r.loans.count), money(r.loans.amount), Amount.count(r.loans.defaulted),
                   Percent.text(r.defaultRate), money(r.loans.compensated), Percent.text(r.compensationRate), money(r.loans.writtenOff),
                   Percent.text(r.writeOffRate)]
              },
              hidden: withLoans.count - shownLoans.count)
        out += "</section>\n"
    }

    // MARK: Findings

    mutating func findings() {
        let summary = document.findings
        out += "<section id=\"findings\">\n<h2>\(e(w.findings))</h2>\n<p class=\"note\">\(e(w.findingsNote))</p>\n"
        guard !summary.rules.isEmpty else {
            out += "<p>\(e(w.noFindings))</p>\n"
            if summary.elsewhere > 0 { out += "<p class=\"note\">\(e(w.findingsOutside(summary.elsewhere)))</p>\n" }
            out += "</section>\n"
            return
        }
        var count = 0, amount = Total.zero
        for group in summary.rules {
            count += group.count
            amount.add(group.amount)
        }
        table([(w.rule, .left), (w.name, .left), (w.findingCount, .right), (w.amount, .right)],
              rows: summary.rules.map { g in
                  ["<a href=\"#rule-\(g.rule.rawValue)\"><code>\(g.rule.rawValue)</code></a>", e(w.ruleName(g.rule)), Amount.count(g.count),
                   g.hasAmounts ? money(g.amount) : "—"]
              },
              totals: [e(w.total), "", Amount.count(count), money(amount)])
        if summary.elsewhere > 0 { out += "<p class=\"note\">\(e(w.findingsOutside(summary.elsewhere)))</p>\n" }

        for group in summary.rules {
            out += "<article class=\"rule\" id=\"rule-\(group.rule.rawValue)\">\n"
            out += "<h3><code>\(group.rule.rawValue)</code> \(e(w.ruleName(group.rule)))</h3>\n"
            out += "<p class=\"rule-text\">\(e(w.ruleExplanation(group.rule)))</p>\n"
            out += "<p class=\"clause\">\(e(w.clause)): " + group.clauses.map { e(document.clauseHeading($0, language: language)) }.joined(separator: "；")
                + "</p>\n"
            table([(w.region, .left), (w.findingCount, .right), (w.amount, .right)],
                  rows: group.byRegion.map { [regionCell($0.region), Amount.count($0.count), group.hasAmounts ? money($0.amount) : "—"] },
                  totals: [e(w.total), Amount.count(group.count), group.hasAmounts ? money(group.amount) : "—"])
            if group.listed.count < group.count { out += "<p class=\"note\">\(e(w.findingsShown(group.listed.count, group.count)))</p>\n" }
            var region: String?? = .none
            for listed in group.listed {
                if region == .none || region! != listed.region {
                    region = .some(listed.region)
                    out += "<h4>\(e(regionLabel(listed.region)))</h4>\n"
                }
                let finding = listed.finding
                out += "<details class=\"finding\"><summary><span class=\"subject\">\(e(finding.subject))</span>"
                    + (finding.amount.map { " <span class=\"amount\">\(money($0))</span>" } ?? "")
                    + " <span class=\"trigger\">\(e(w.trigger)) \(e(finding.trigger))</span></summary>\n"
                out += "<dl><dt>\(e(w.clause))</dt><dd>\(e(document.clauseHeading(finding.clause, language: language)))</dd>"
                out += "<dt>\(e(w.entries))</dt><dd>\(finding.events.map { "<code>\(e($0))</code>" }.joined(separator: " "))</dd></dl>\n"
                out += "<p class=\"message\" lang=\"\(textLanguage)\">\(e(finding.message))</p>\n"
                out += "<p class=\"steps-title\">\(e(w.explanation))</p>\n<ol class=\"steps\" lang=\"\(textLanguage)\">"
                    + steps(listed.explanation, message: finding.message).map(step).joined() + "</ol>\n</details>\n"
            }
            out += "</article>\n"
        }
        out += "</section>\n"
    }

    /// The steps of an explanation without its last, which repeats the
    /// finding's message (shown just above them).
    func steps(_ steps: [String], message: String) -> [String] {
        steps.last == document.textLanguage.findingStepPrefix + message ? Array(steps.dropLast()) : steps
    }

    /// The language of the audit's sentences, for their `lang` attribute:
    /// the page's own when the audit was asked for it.
    var textLanguage: String { document.textLanguage.rawValue }

    /// One step of an explanation; a step the audit indents (a loan of a
    /// sum, a month of a term) is a sub-step.
    func step(_ text: String) -> String {
        let trimmed = text.drop { $0 == " " }
        return (trimmed.count < text.count ? "<li class=\"sub\">" : "<li>") + e(String(trimmed)) + "</li>"
    }

    // MARK: Warnings

    mutating func warnings() {
        out += "<section id=\"warnings\">\n<h2>\(e(w.warnings))</h2>\n"
        guard let section = document.warnings else {
            out += "<p class=\"note\">\(e(w.warningsPending))</p>\n</section>\n"
            return
        }
        if let asOf = section.asOf, let end = section.horizonEnd {
            out += "<p class=\"note\">\(e(w.warningsNote(asOf.description, section.horizonDays, end.description)))</p>\n"
        }
        guard !section.warnings.isEmpty else {
            out += "<p>\(e(w.noWarnings))</p>\n"
            if section.elsewhere > 0 { out += "<p class=\"note\">\(e(w.warningsOutside(section.elsewhere)))</p>\n" }
            out += "</section>\n"
            return
        }
        var counts: [WarningKind: Int] = [:]
        for warning in section.warnings { counts[warning.kind, default: 0] += 1 }
        table([(w.kind, .left), (w.name, .left), (w.warningCount, .right)],
              rows: counts.keys.sorted().map { ["<code>\($0.rawValue)</code>", e(w.warningName($0)), Amount.count(counts[$0]!)] },
              totals: [e(w.total), "", Amount.count(section.warnings.count)])
        if section.elsewhere > 0 { out += "<p class=\"note\">\(e(w.warningsOutside(section.elsewhere)))</p>\n" }
        // Per kind, the first few in the warnings' own order, so that one
        // plentiful kind does not hide the others.
        for kind in counts.keys.sorted() {
            let ofKind = section.warnings.filter { $0.kind == kind }
            let shown = ofKind.prefix(HtmlPage.warningsPerKind)
            out += "<h3><code>\(kind.rawValue)</code> \(e(w.warningName(kind)))</h3>\n"
            if shown.count < ofKind.count { out += "<p class=\"note\">\(e(w.warningsShown(shown.count, ofKind.count)))</p>\n" }
            table([(w.region, .left), (w.subject, .left), (w.date, .left), (w.figures, .left), (w.message, .left)],
                  rows: shown.map { warning in
                      [regionCell(warning.region),
                       (warning.subject.contains("/") ? e(warning.subject) : "<span class=\"nowrap\">\(e(warning.subject))</span>")
                           + (warning.fiscalYear.map { " <span class=\"origin\">\($0)</span>" } ?? ""),
                       warning.projectedDate.map { "<span class=\"nowrap\">\(e($0.description))</span>" } ?? "",
                       "<span class=\"figures\">" + warning.figures.map { "\(e(w.figureName($0.name))) <span class=\"amount\">\(figure($0))</span>" }
                           .joined(separator: " · ") + "</span>",
                       "<span class=\"message\" lang=\"\(textLanguage)\">\(e(warning.message))</span>"]
                  },
                  className: "wide")
        }
        out += "</section>\n"
    }

    /// A warning's figure: amounts with separators, the rest as the
    /// warnings command writes them (months, days and basis points in the
    /// page's language).
    func figure(_ figure: WarningFigure) -> String {
        switch figure.value {
        case .money(let money): return Amount.grouped(money)
        case .text(let text) where figure.name == "category": return e(w.loanCategory(text))
        default: return e(figure.value.text(in: language.textLanguage))
        }
    }

    // MARK: Footer

    mutating func footer() {
        let p = document.provenance
        out += "<footer id=\"source\">\n<h2>\(e(w.footer))</h2>\n<dl>\n"
        out += "<dt>\(e(w.head))</dt><dd><code>\(p.headSeq):\(e(p.headHash))</code></dd>\n"
        if let tree = p.tree {
            out += "<dt>\(e(w.merkleRoot(tree.size)))</dt><dd><code>\(e(tree.root))</code>"
                + (p.origin.map { " <span class=\"origin\">\(e($0))</span>" } ?? "") + "</dd>\n"
        } else {
            out += "<dt>Merkle</dt><dd>\(e(w.noMerkleTree))</dd>\n"
        }
        out += "<dt>\(e(w.policy))</dt><dd><code>\(e(p.policyName))</code> \(e(p.policyTitle)) <span class=\"origin\">(\(e(p.policySource)))</span></dd>\n"
        var view = [w.viewLastSeq(p.lastSeq)]
        if let asOfSeq = p.asOfSeq { view.append("--as-of-seq \(asOfSeq)") }
        if let knownAt = p.knownAt { view.append(w.knownAt + " " + knownAt) }
        if let effectiveOn = p.effectiveOn { view.append(w.effectiveOn + " " + effectiveOn) }
        if p.asOfSeq == nil && p.knownAt == nil && p.effectiveOn == nil { view.append(w.wholeLog) }
        out += "<dt>\(e(w.view))</dt><dd>\(e(view.joined(separator: " · ")))</dd>\n"
        out += "<dt>\(e(w.personalData))</dt><dd>\(e(w.personalIDs(p.showsPersonalIDs)))</dd>\n"
        out += "</dl>\n</footer>\n"
    }

    // MARK: Style

    static let styleSheet = """
        :root { --ink: #1f2328; --muted: #59636e; --rule: #d0d7de; --paper: #ffffff; --band: #f6f8fa;
          --s0: #2f6fb0; --s1: #d9822b; --s2: #3a9a5b; --s3: #7b61a8; --neg: #b42318; }
        html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
          "SimSun", sans-serif; color: var(--ink); background: var(--paper); font-size: 15px; line-height: 1.5; }
        body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 32px; }
        h1 { font-size: 1.6rem; margin: 0.2em 0; }
        h2 { font-size: 1.3rem; margin: 1.6em 0 0.4em; padding-bottom: 0.2em; border-bottom: 2px solid var(--s0); }
        h3 { font-size: 1.08rem; margin: 1.3em 0 0.4em; }
        h4 { font-size: 0.98rem; margin: 1em 0 0.3em; color: var(--muted); }
        .subtitle { color: var(--muted); margin: 0 0 0.4em; }
        nav a { color: var(--s0); text-decoration: none; }
        .note { color: var(--muted); font-size: 0.88rem; margin: 0.3em 0 0.6em; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; margin: 0.4em 0 0.8em; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
        th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        th { background: var(--band); font-weight: 600; white-space: nowrap; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        tfoot td { font-weight: 600; border-top: 2px solid var(--ink); }
        .neg { color: var(--neg); }
        .nowrap, td code { white-space: nowrap; }
        .programme { white-space: nowrap; font-size: 0.82rem; color: var(--muted); }
        .programme .amount, .figures .amount { color: var(--ink); }
        .figures { font-size: 0.82rem; color: var(--muted); }
        td .message { font-size: 0.84rem; }
        code { font-family: "DejaVu Sans Mono", Consolas, "Noto Sans Mono CJK SC", monospace; font-size: 0.86em; }
        figure { margin: 0.4em 0 0.8em; }
        svg.chart { width: 100%; height: auto; max-width: 760px; display: block; }
        svg .label { font-size: 11px; fill: var(--ink); }
        svg .tick { fill: var(--muted); }
        svg .grid { stroke: var(--rule); stroke-width: 1; }
        svg .axis { stroke: var(--ink); stroke-width: 1; }
        svg .s0 { fill: var(--s0); stroke: var(--s0); }
        svg .s1 { fill: var(--s1); stroke: var(--s1); }
        svg .s2 { fill: var(--s2); stroke: var(--s2); }
        svg .s3 { fill: var(--s3); stroke: var(--s3); }
        svg rect { stroke-width: 0; }
        svg .line { fill: none; stroke-width: 2; }
        article.rule { border-top: 1px solid var(--rule); margin-top: 1em; }
        .rule-text { margin: 0.2em 0; }
        .clause { color: var(--muted); font-size: 0.9rem; margin: 0.2em 0 0.4em; }
        details { margin: 0.15em 0; }
        details.finding { border-left: 3px solid var(--s1); padding: 2px 8px; background: var(--band); }
        details summary { cursor: pointer; }
        details.programmes summary { color: var(--muted); font-size: 0.82rem; }
        summary .amount { font-weight: 600; margin-left: 0.6em; }
        summary .trigger { color: var(--muted); margin-left: 0.6em; font-size: 0.9em; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0.4em 0; font-size: 0.9rem; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        .steps-title { font-weight: 600; margin: 0.4em 0 0.1em; font-size: 0.9rem; }
        ol.steps { margin: 0 0 0.4em; padding-left: 1.6em; font-size: 0.88rem; }
        ol.steps li.sub { display: block; margin-left: 1.4em; color: var(--muted); }
        .message { margin: 0.3em 0; }
        .origin { color: var(--muted); }
        footer { margin-top: 2em; font-size: 0.9rem; }
        @page { size: A4; margin: 14mm 12mm; }
        @media print {
          html { font-size: 10.5pt; }
          body { max-width: none; padding: 0; }
          nav { display: none; }
          h2 { break-after: avoid; }
          h3, h4 { break-after: avoid; }
          figure, tr, details.finding { break-inside: avoid; }
          svg.chart { max-width: 100%; }
          .scroll { overflow: visible; }
          table { font-size: 8.5pt; }
          table.wide { font-size: 7.5pt; }
          th, td { padding: 2px 4px; }
          details::details-content { content-visibility: visible; display: block; }
          a { color: inherit; text-decoration: none; }
        }

        """
}

extension HtmlReportDocument {
    /// A clause's heading in the page's language: `(十一) 支持创业担保贷款发展`,
    /// or `(十一) Supporting start-up guarantee loans (支持创业担保贷款发展)`.
    func clauseHeading(_ clause: String, language: ReportLanguage) -> String {
        guard let named = clauseNames[clause] else { return "(\(clause))" }
        return language == .zhCN ? "(\(clause)) \(named.zh)" : "(\(clause)) \(named.en) · \(named.zh)"
    }
}
