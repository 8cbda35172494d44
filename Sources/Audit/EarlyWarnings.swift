import LedgerCore
import Policy

/// The early warnings of a view (docs/WARNINGS.md): what the audit will
/// find if things go on as they are, for a budget officer's desk.
///
/// Give it the same live events as an audit (``AuditInput`` or
/// ``AuditedEvent``s). The warnings are as of one date: `asOf` when given
/// (events effective after it are left out), else the latest effective date
/// in the view. Dated warnings (a projected run-out, the end of a term or of
/// a retirement extension, a certification's expiry) must fall within
/// `horizonDays` after that date. Every threshold is a policy parameter in
/// force on the as-of date (``ParameterName/warningThresholds``).
///
///     let result = try EarlyWarnings(policy: .seed, horizonDays: 90).warnings(input)
///     for warning in result.warnings { print(warning.kind.rawValue, warning.subject, warning.message) }
///
/// All arithmetic is in integers: fen, basis points, months and day
/// numbers. The result is sorted (``Warning/ordered(_:_:)``), so the same
/// events and policy give the same warnings on every machine.
public struct EarlyWarnings: Sendable {
    public var policy: Policy
    /// How many days after the as-of date a dated warning may fall (0: the
    /// as-of date only).
    public var horizonDays: Int

    /// The language of the messages (English by default, as the
    /// `warnings` command and the server give them). The order of the
    /// warnings is the same in every language: ties are broken by the
    /// English message.
    public var language: TextLanguage

    public static let defaultHorizonDays = 90

    public init(policy: Policy = .seed, horizonDays: Int = EarlyWarnings.defaultHorizonDays, language: TextLanguage = .english) {
        precondition(horizonDays >= 0, "a horizon cannot be negative")
        self.policy = policy
        self.horizonDays = horizonDays
        self.language = language
    }

    public func warnings(_ events: [AuditedEvent], asOf: CalendarDate? = nil) throws -> WarningsResult {
        try warnings(AuditInput(events), asOf: asOf)
    }

    /// Throws ``AuditError`` as an audit does, and when the policy lacks a
    /// threshold on the as-of date.
    public func warnings(_ input: consuming AuditInput, asOf: CalendarDate? = nil) throws -> WarningsResult {
        try warnings(context: try AuditContext(input, policy: policy, language: language), asOf: asOf)
    }

    func warnings(context: AuditContext, asOf: CalendarDate?) throws -> WarningsResult {
        precondition(context.policy.source == policy.source && context.language == language,
                     "the warnings read a context built for their own policy and language")
        let people = Set(context.people.filter { $0.utf8.count > 2 * PersonalIDMasking.keptAtEachEnd && !ResidentIDNumber.isValid($0) })
        guard let today = asOf ?? context.latest.map(context.date) else {
            return WarningsResult(asOf: nil, horizonDays: horizonDays, warnings: [], policyName: policy.name,
                                  policySource: policy.source, peopleToMask: people, language: language)
        }
        var scan = WarningScan(context: context, today: today, horizonEnd: today.addingDays(horizonDays))
        try scan.loanCaps()
        try scan.terms()
        try scan.discountRates()
        try scan.budgetLines()
        try scan.certifications()
        let warnings = scan.sorted()
        return WarningsResult(asOf: today, horizonDays: horizonDays, warnings: warnings, policyName: policy.name,
                              policySource: policy.source, peopleToMask: people, language: language)
    }
}

/// One pass of each warning over the audit's indexes. Every index lists
/// facts in business-date order, so "effective on or before the as-of date"
/// is a prefix of each.
struct WarningScan {
    let context: AuditContext
    let today: CalendarDate
    let horizonEnd: CalendarDate
    var warnings: [Warning] = []
    /// Each warning's English message, the last sort key in every language.
    var englishMessages: [String] = []

    init(context: AuditContext, today: CalendarDate, horizonEnd: CalendarDate) {
        self.context = context
        self.today = today
        self.horizonEnd = horizonEnd
    }

    var language: TextLanguage { context.language }

    /// Adds a warning showing `message` in the scan's language.
    mutating func add(_ warning: Warning, _ message: Sentence) {
        var warning = warning
        warning.message = message.shown
        warnings.append(warning)
        englishMessages.append(message.english)
    }

    /// The warnings in ``Warning/ordered(_:_:)`` order, ties broken by the
    /// English message whatever the language shown.
    func sorted() -> [Warning] {
        guard language != .english else { return warnings.sorted(by: Warning.ordered) }
        let english = warnings.indices.map { index in
            var warning = warnings[index]
            warning.message = englishMessages[index]
            return warning
        }
        return warnings.indices.sorted { Warning.ordered(english[$0], english[$1]) }.map { warnings[$0] }
    }

    /// The facts of a group effective on or before the as-of date.
    func upToToday(_ group: ArraySlice<Int32>) -> ArraySlice<Int32> {
        let day = today.dayNumber
        return group.prefix { context.fact($0).day <= day }
    }

    func threshold(_ name: ParameterName) throws -> ParameterEntry { try context.value(of: name, on: today) }

    /// A threshold as a figure: its name and value in its unit.
    static func figure(_ entry: ParameterEntry) -> WarningFigure {
        switch entry.value {
        case .money(let money): return WarningFigure(entry.parameter.rawValue, .money(money))
        case .integer(let number):
            switch entry.unit {
            case .basisPoints: return WarningFigure(entry.parameter.rawValue, .basisPoints(number))
            case .months: return WarningFigure(entry.parameter.rawValue, .months(Int(number)))
            case .days: return WarningFigure(entry.parameter.rawValue, .days(Int(number)))
            default: return WarningFigure(entry.parameter.rawValue, .text(entry.valueText))
            }
        }
    }

    /// Principal less the repayments effective on or before the as-of date.
    func outstanding(_ issue: Int32) -> Int64 {
        let loan = context.fact(issue)
        var fen = loan.amount
        // Repayments never exceed the principal (append-time check): no overflow.
        for event in upToToday(context.loanEvents[loan.key]) where context.fact(event).type == .loanRepaid {
            fen -= context.fact(event).amount
        }
        return fen
    }

    // MARK: LOAN-CAP-NEAR

    /// Borrowers whose outstanding guaranteed principal on the as-of date is
    /// within the margin of the cap a new loan would be judged under.
    mutating func loanCaps() throws {
        let margin = try threshold(.warningLoanCapMargin)
        for group in 0..<Int32(context.borrowerLoans.count) {
            let issues = upToToday(context.borrowerLoans[group])
            guard let latest = issues.last else { continue }
            var total: Int64 = 0
            var open: [Int32] = []
            for issue in issues {
                let balance = outstanding(issue)
                guard balance > 0 else { continue }
                total = try Fen.add(total, balance, "outstanding principal")
                open.append(issue)
            }
            guard total > 0 else { continue }
            let loan = context.fact(latest)
            let borrower = context.borrower(of: loan)
            let category: LoanCategoryRule.Category
            if loan.person != Fact.none {
                var notes = Notes(false)
                category = try LoanCategoryRule.graduateQualifies(loan.person, on: today, in: context, notes: &notes)
                    ? .graduate : .individual
            } else {
                category = .enterprise
            }
            let cap = try LoanCapRule.cap(for: category, on: today, in: context)
            let headroom = try Fen.subtract(cap.amount.fen, total, "headroom under the cap")
            guard headroom <= margin.money.fen else { continue }
            let name = loan.person != Fact.none ? context.people[Int(loan.person)] : context.enterprises[Int(loan.enterprise)]
            let words = headroom > 0 ? "\(Money(fen: headroom).yuan) below the \(cap.amount.yuan) cap"
                : headroom == 0 ? "exactly the \(cap.amount.yuan) cap"
                : "\(Money(fen: -headroom).yuan) above the \(cap.amount.yuan) cap"
            let message = Sentence(language,
                en: "On \(today) \(name)'s outstanding guaranteed principal is \(Money(fen: total).yuan), \(words) "
                    + "for \(category.noun) (\(cap.citation)): "
                    + (headroom > 0 ? "within the \(margin.money.yuan) warning margin; a new loan of more than \(Money(fen: headroom).yuan) would break LOAN-CAP."
                                    : "any new loan would break LOAN-CAP."),
                zh: "截至 \(today)，\(name) 未偿还的担保贷款本金为 \(Zh.yuan(Money(fen: total)))，"
                    + (headroom > 0 ? "距\(category.chineseNoun)额度上限 \(Zh.yuan(cap.amount))还差 \(Zh.yuan(Money(fen: headroom)))"
                        : headroom == 0 ? "恰好达到\(category.chineseNoun)额度上限 \(Zh.yuan(cap.amount))"
                        : "超过\(category.chineseNoun)额度上限 \(Zh.yuan(cap.amount))达 \(Zh.yuan(Money(fen: -headroom)))")
                    + "（\(Zh.citation(cap.entry))）："
                    + (headroom > 0 ? "在 \(Zh.yuan(margin.money))的预警范围内；再发放超过 \(Zh.yuan(Money(fen: headroom)))的贷款将违反 LOAN-CAP。"
                                    : "再发放任何贷款都将违反 LOAN-CAP。"))
            add(Warning(
                kind: .loanCapNear, subject: borrower.subject, region: nonEmpty(context.loanRegions[Int(loan.key)]), fiscalYear: nil,
                clause: LoanCapRule.clause,
                figures: [WarningFigure("outstanding", .money(Money(fen: total))), WarningFigure("cap", .money(cap.amount)),
                          WarningFigure("headroom", .money(Money(fen: headroom))), WarningFigure("category", .text(category.word)),
                          WarningFigure("loans", .text(open.map { context.loanNames[Int(context.fact($0).key)] }.joined(separator: " ")))],
                threshold: Self.figure(margin), thresholdSource: margin.provenance, projectedDate: nil,
                events: open.map(context.id), message: ""), message)
        }
    }

    // MARK: TERM-ENDING, EXTENSION-ENDING

    /// People with few months left of a programme's term, or of the
    /// retirement extension that lifted it.
    mutating func terms() throws {
        let left = try threshold(.warningTermMonthsLeft)
        let limit = Int(left.integer)
        let todayMonth = today.yearMonth.index
        var covered = Coverage()
        for pair in 0..<Int32(context.pairs.count) {
            let (personID, programmeID) = context.pairs[Int(pair)]
            let programme = context.programmes[Int(programmeID)]
            guard let termName = programme.term else { continue }
            let grants = upToToday(context.personGrants[pair])
            guard let first = grants.first, let latest = grants.last else { continue }
            covered.reset()
            var count = 0
            var lastCovered = Int32.min
            for index in grants {
                guard let span = context.fact(index).months else { continue }
                count += span.count - covered.shared(span.first, span.last)
                covered.insert(span.first, span.last)
                lastCovered = max(lastCovered, span.last)
            }
            guard count > 0 else { continue }
            let firstApproval = context.date(first)
            let person = context.people[Int(personID)]
            let line = budgetLine(of: latest)
            var exemptRetirement: Retirement?
            if let extensionName = programme.retirementExtension,
               let retirement = try context.retirement(of: personID, on: firstApproval) {
                let window = try context.value(of: extensionName, on: firstApproval)
                if retirement.date < firstApproval.addingYears(Int(window.integer)) { exemptRetirement = retirement }
            }

            let kind: WarningKind
            let lastMonth: Int32
            let monthsLeft: Int
            var figures = [WarningFigure("programme", .text(programme.code))]
            let message: Sentence
            if let retirementAtFirst = exemptRetirement {
                // The extension runs until retirement: the last month payable
                // is the last one that begins before the retirement date
                // (PAST-RETIREMENT), by the ages in force on the as-of date.
                let retirement = try context.retirement(of: personID, on: today) ?? retirementAtFirst
                lastMonth = PastRetirementRule.firstMonth(onOrAfter: retirement.date) - 1
                monthsLeft = max(0, Int(lastMonth) - Int(lastCovered))
                kind = .extensionEnding
                figures += [WarningFigure("retirement", .date(retirement.date)), WarningFigure("covered", .months(count)),
                            WarningFigure("lastCovered", .month(YearMonth(index: lastCovered))),
                            WarningFigure("lastMonth", .month(YearMonth(index: lastMonth))), WarningFigure("left", .months(monthsLeft))]
                message = Sentence(language,
                    en: "\(person) is paid \(programme.code) past the term under the retirement extension, which ends with "
                        + "retirement on \(retirement.date) (\(retirement.group.words), age \(retirement.ageYears)): the last month "
                        + "payable is \(YearMonth(index: lastMonth)); covered up to \(YearMonth(index: lastCovered)), "
                        + "\(Say.count(monthsLeft, "month")) left." + retirement.reformNote,
                    zh: "\(person) 按延长至退休的规定超期享受 \(programme.code)，延长至 \(retirement.date) 退休时结束"
                        + "（\(Zh.group(retirement.group))，\(retirement.ageYears) 岁）：最后可补贴的月份为 \(YearMonth(index: lastMonth))；"
                        + "已补贴至 \(YearMonth(index: lastCovered))，还剩 \(Zh.count(monthsLeft, "个月"))。" + Zh.reformNote(retirement))
            } else {
                let term = try context.value(of: termName, on: firstApproval)
                monthsLeft = max(0, Int(term.integer) - count)
                // Months go on from the last covered one, month by month.
                lastMonth = lastCovered + Int32(monthsLeft)
                kind = .termEnding
                figures += [WarningFigure("term", .months(Int(term.integer))), WarningFigure("covered", .months(count)),
                            WarningFigure("lastCovered", .month(YearMonth(index: lastCovered))),
                            WarningFigure("lastMonth", .month(YearMonth(index: lastMonth))), WarningFigure("left", .months(monthsLeft))]
                message = Sentence(language,
                    en: "\(person) has \(Say.count(count, "distinct month")) of \(programme.code) covered of the \(term.integer)-month "
                        + "term (\(term.provenance)): " + (monthsLeft == 0 ? "none left; a grant for a month not yet covered would break TERM-LIMIT."
                            : "\(Say.count(monthsLeft, "month")) left; paid on month by month from \(YearMonth(index: lastCovered)), "
                                + "the term ends with \(YearMonth(index: lastMonth))."),
                    zh: "\(person) 已享受 \(programme.code) 补贴 \(count) 个不同月份，期限为 \(term.integer) 个月"
                        + "（\(Zh.provenance(term))）：" + (monthsLeft == 0 ? "已无剩余月份；再补贴尚未补贴过的月份将违反 TERM-LIMIT。"
                            : "还剩 \(Zh.count(monthsLeft, "个月"))；自 \(YearMonth(index: lastCovered)) 起逐月发放，"
                                + "期限至 \(YearMonth(index: lastMonth)) 届满。"))
            }
            let end = YearMonth(index: lastMonth).lastDay
            guard monthsLeft <= limit, lastMonth >= todayMonth, end <= horizonEnd else { continue }
            add(Warning(
                kind: kind, subject: context.personSubject(personID), region: line?.region, fiscalYear: line?.fiscalYear,
                clause: programme.clause, figures: figures, threshold: Self.figure(left), thresholdSource: left.provenance,
                projectedDate: end, events: inOrder([first, latest]), message: ""), message)
        }
    }

    // MARK: DISCOUNT-RATE-NEAR

    /// Running loans to persons whose rate is at or just below the
    /// benchmark + margin limit of interest discounts.
    mutating func discountRates() throws {
        let near = try threshold(.warningDiscountRateMargin)
        for issue in context.loanIssues where issue != Fact.none {
            let loan = context.fact(issue)
            guard loan.day <= today.dayNumber, loan.person != Fact.none, loan.maturity >= today else { continue }
            let events = upToToday(context.loanEvents[loan.key])
            guard !events.contains(where: { context.fact($0).type == .loanDefaulted }) else { continue }
            let balance = outstanding(issue)
            guard balance > 0 else { continue }
            let margin = try context.value(of: .discountRateMargin, on: loan.date)
            let limit = loan.benchmarkBp + margin.integer
            let gap = limit - loan.rateBp
            guard gap >= 0, gap <= near.integer else { continue }
            let name = context.loanNames[Int(loan.key)]
            let discounts = events.filter { context.fact($0).type == .loanInterestDiscounted }
            let person = context.people[Int(loan.person)]
            let message = Sentence(language,
                en: "\(name), lent to \(person) at \(loan.rateBp) bp against a \(loan.benchmarkBp) bp "
                    + "benchmark, is " + (gap == 0 ? "exactly at" : "\(gap) bp below") + " the \(limit) bp limit of interest discounts "
                    + "(benchmark + \(margin.valueText), \(margin.provenance)), within the \(near.valueText) warning margin; "
                    + "\(Money(fen: balance).yuan) is outstanding until \(loan.maturity).",
                zh: "贷款 \(name) 发放给 \(person)，年利率 \(Zh.bp(loan.rateBp))，基准利率 \(Zh.bp(loan.benchmarkBp))，"
                    + (gap == 0 ? "恰好达到" : "仅比") + "贴息利率上限 \(Zh.bp(limit))" + (gap == 0 ? "" : "低 \(Zh.bp(gap))")
                    + "（基准利率 + \(Zh.value(margin))，\(Zh.provenance(margin))），在 \(Zh.value(near))的预警范围内；"
                    + "未偿本金 \(Zh.yuan(Money(fen: balance)))，\(loan.maturity) 到期。")
            add(Warning(
                kind: .discountRateNear, subject: Streams.loan(name), region: nonEmpty(context.loanRegions[Int(loan.key)]), fiscalYear: nil,
                clause: DiscountRateRule.clause,
                figures: [WarningFigure("rate", .basisPoints(loan.rateBp)), WarningFigure("benchmark", .basisPoints(loan.benchmarkBp)),
                          WarningFigure("limit", .basisPoints(limit)), WarningFigure("belowLimit", .basisPoints(gap)),
                          WarningFigure("outstanding", .money(Money(fen: balance))), WarningFigure("maturity", .date(loan.maturity))],
                threshold: Self.figure(near), thresholdSource: near.provenance, projectedDate: nil,
                events: [context.id(issue)] + (discounts.last.map { [context.id($0)] } ?? []), message: ""), message)
        }
    }

    // MARK: BUDGET-RUN-OUT

    /// Budget lines that, paying on at their average daily rate of the
    /// payment window, run out before their fiscal year ends.
    ///
    /// available A = received − paid on the as-of date; P = payouts less
    /// recoveries effective in the window's W days ending on the as-of date.
    /// With P > 0 the money lasts `floor(A × W ÷ P)` whole days after the
    /// as-of date (0 when A ≤ 0), and the run-out date is the day after
    /// those: the first day whose projected payments it cannot cover.
    mutating func budgetLines() throws {
        let window = try threshold(.warningPaymentWindow)
        let days = window.integer
        let windowStart = today.dayNumber - Int32(days) + 1
        for line in 0..<Int32(context.lines.count) {
            let budgetLine = context.lines[Int(line)]
            guard budgetLine.fiscalYear >= Int64(today.year),
                  let yearEnd = CalendarDate(year: Int(budgetLine.fiscalYear), month: 12, day: 31) else { continue }
            var received: Int64 = 0
            var paid: Int64 = 0
            var recent: Int64 = 0
            for index in upToToday(context.lineEvents[line]) {
                let fact = context.fact(index)
                let movement = FundOverdraftRule.movement(of: fact, on: line)
                switch movement {
                case .appropriation, .transferIn: received = try Fen.add(received, fact.amount, "received on \(budgetLine.subject)")
                case .transferOut: received = try Fen.subtract(received, fact.amount, "received on \(budgetLine.subject)")
                case .payout, .recovery:
                    let sign: Int64 = movement == .payout ? 1 : -1
                    paid = try Fen.add(paid, sign * fact.amount, "paid out of \(budgetLine.subject)")
                    if fact.day >= windowStart { recent = try Fen.add(recent, sign * fact.amount, "paid out of \(budgetLine.subject)") }
                }
            }
            guard recent > 0 else { continue }
            let available = try Fen.subtract(received, paid, "available on \(budgetLine.subject)")
            let remaining = Int128(yearEnd.dayNumber - today.dayNumber)
            let lasting = available <= 0 ? Int128(0) : Int128(available) * Int128(days) / Int128(recent)
            // Runs out on the day after the days it lasts, if that is in the year.
            guard lasting < remaining else { continue }
            let runOut = today.addingDays(Int(lasting) + 1)
            guard runOut <= horizonEnd else { continue }
            let message = Sentence(language,
                en: available <= 0
                    ? "Budget line \(budgetLine.name) has nothing left on \(today) (\(Money(fen: available).yuan) available) and paid out "
                        + "\(Money(fen: recent).yuan) in the \(window.valueText) up to it: payments from \(runOut) on are not covered, "
                        + "before the fiscal year ends on \(yearEnd)."
                    : "Budget line \(budgetLine.name) has \(Money(fen: available).yuan) available on \(today) and paid out "
                        + "\(Money(fen: recent).yuan) in the \(window.valueText) up to it: at that rate the money lasts "
                        + "\(Say.count(Int(lasting), "more day")) and runs out on \(runOut), before the fiscal year ends on \(yearEnd).",
                zh: available <= 0
                    ? "预算科目 \(budgetLine.name) 截至 \(today) 已无结余（结余 \(Zh.yuan(Money(fen: available)))），此前 \(Zh.value(window))内"
                        + "支出 \(Zh.yuan(Money(fen: recent)))：自 \(runOut) 起的支付没有资金保障，而财政年度到 \(yearEnd) 才结束。"
                    : "预算科目 \(budgetLine.name) 截至 \(today) 结余 \(Zh.yuan(Money(fen: available)))，此前 \(Zh.value(window))内"
                        + "支出 \(Zh.yuan(Money(fen: recent)))：按此速度，资金还能支付 \(Zh.count(Int(lasting), "天"))，"
                        + "将于 \(runOut) 用完，早于财政年度结束日 \(yearEnd)。")
            add(Warning(
                kind: .budgetRunOut, subject: budgetLine.subject, region: budgetLine.region, fiscalYear: budgetLine.fiscalYear,
                clause: FundOverdraftRule.clause,
                figures: [WarningFigure("available", .money(Money(fen: available))), WarningFigure("paidInWindow", .money(Money(fen: recent))),
                          WarningFigure("window", .days(Int(days))), WarningFigure("daysLasting", .days(Int(lasting))),
                          WarningFigure("yearEnd", .date(yearEnd))],
                threshold: Self.figure(window), thresholdSource: window.provenance, projectedDate: runOut, events: [],
                message: ""), message)
        }
    }

    // MARK: CERTIFICATION-EXPIRING

    /// Certifications whose last valid day falls within the horizon, held by
    /// a person still paid (in the payment window) under a programme that
    /// needs them, and not renewed by another certification valid the day after.
    mutating func certifications() throws {
        let window = try threshold(.warningPaymentWindow)
        let windowStart = today.dayNumber - Int32(window.integer) + 1
        for person in 0..<Int32(context.people.count) {
            let certifications = upToToday(context.certifications[person])
            guard !certifications.isEmpty else { continue }
            for index in certifications {
                let certification = context.fact(index)
                guard let until = certification.validUntil, until >= today, until <= horizonEnd,
                      !context.holds(person, kind: certification.code, on: until.addingDays(1), graduationYear: nil)
                else { continue }
                // The person's recent grants under programmes needing this kind.
                var programmes: [String] = []
                var clause: String?
                var latest: Int32?
                for pair in context.personPairs[Int(person)]..<context.personPairs[Int(person) + 1] {
                    let programmeID = context.pairs[Int(pair)].programme
                    guard context.eligibility[Int(programmeID)].certificationKind == certification.code,
                          let last = upToToday(context.personGrants[pair]).last, context.fact(last).day >= windowStart
                    else { continue }
                    let programme = context.programmes[Int(programmeID)]
                    programmes.append(programme.code)
                    clause = clause ?? programme.clause
                    if latest.map({ context.rank[Int(last)] > context.rank[Int($0)] }) ?? true { latest = last }
                }
                guard let latest, let clause else { continue }
                let kind = Vocabulary.certification.name(of: certification.code) ?? "?"
                let line = budgetLine(of: latest)
                let name = context.people[Int(person)]
                let message = Sentence(language,
                    en: "\(name)'s \(kind) certification (\(context.id(index))) is valid until \(until), and \(name) is still paid "
                        + "\(Say.list(programmes)), which need\(programmes.count == 1 ? "s" : "") it (last grant \(context.id(latest)) on "
                        + "\(context.date(latest)), within the \(window.valueText) window): no renewal is recorded, so a grant dated after "
                        + "\(until) would break ELIGIBILITY.",
                    zh: "\(name) 的\(Zh.certification(kind))有效期至 \(until)（\(context.id(index))），而 \(name) 仍在享受需要该认定的 "
                        + "\(Zh.list(programmes))（最近一笔补贴 \(context.id(latest)) 于 \(context.date(latest)) 发放，在 \(Zh.value(window))内）："
                        + "没有续期记录，\(until) 之后发放的补贴将违反 ELIGIBILITY。")
                add(Warning(
                    kind: .certificationExpiring, subject: context.personSubject(person), region: line?.region, fiscalYear: line?.fiscalYear,
                    clause: clause,
                    figures: [WarningFigure("certification", .text(kind)), WarningFigure("validUntil", .date(until)),
                              WarningFigure("programmes", .text(programmes.joined(separator: " "))),
                              WarningFigure("lastPaid", .date(context.date(latest)))],
                    threshold: Self.figure(window), thresholdSource: window.provenance, projectedDate: until,
                    events: inOrder([index, latest]), message: ""), message)
            }
        }
    }

    func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// The budget line a grant is paid from (every grant names one).
    func budgetLine(of grant: Int32) -> BudgetLine? {
        let line = context.fact(grant).line
        return line == Fact.none ? nil : context.lines[Int(line)]
    }

    /// The ids of distinct facts, in business-date order.
    func inOrder(_ facts: [Int32]) -> [String] {
        Set(facts).sorted { context.rank[Int($0)] < context.rank[Int($1)] }.map(context.id)
    }
}

extension LoanCategoryRule.Category {
    /// `individual`, `graduate`, `enterprise`: the input vocabulary's word.
    var word: String {
        switch self {
        case .individual: "individual"
        case .graduate: "graduate"
        case .enterprise: "enterprise"
        }
    }
}
