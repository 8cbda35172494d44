import Audit
import Reports

/// The language of the page: its headings, labels, rule names and rule
/// explanations. Simplified Chinese is the default, the language of the
/// provincial finance offices; English for everyone else. The audit's
/// finding messages, computation steps and warning messages are written by
/// the audit in the language it is asked for (``textLanguage``); data from
/// the ledger (codes, ids, references) is shown as it is.
public enum ReportLanguage: String, CaseIterable, Sendable {
    case zhCN = "zh-CN"
    case en

    var words: Words { self == .zhCN ? .chinese : .english }

    /// The language to ask the audit and the warnings for, so that the
    /// page speaks one language all the way down.
    public var textLanguage: TextLanguage { self == .zhCN ? .chinese : .english }
}

/// Every fixed text of the page, in one language.
struct Words: Sendable {
    var title: String
    var subtitle: @Sendable (_ year: Int64, _ scope: String) -> String
    var allRegions: String
    var regionAndBelow: @Sendable (_ code: String) -> String
    var contents: String

    var fundUsage: String
    var fundUsageNote: String
    var byLevel: @Sendable (_ level: RegionLevel) -> String
    var levelName: @Sendable (_ level: RegionLevel) -> String
    var budgetLines: String
    var budgetLinesNote: String
    var byProgramme: String
    var monthly: String
    var monthlyNote: String
    var cumulativePaid: String
    var cumulativeReceived: String

    var performance: String
    var performanceNote: String
    var executionRanking: @Sendable (_ level: RegionLevel) -> String
    var budgetExecution: String
    var loansAndSupport: String

    var findings: String
    var findingsNote: String
    var noFindings: String
    var findingsOutside: @Sendable (_ count: Int) -> String
    var findingsShown: @Sendable (_ shown: Int, _ all: Int) -> String
    var explanation: String
    var entries: String
    var trigger: String
    var subject: String
    var clause: String
    var noRegion: String

    var warnings: String
    var warningsPending: String
    var noWarnings: String
    var warningsNote: @Sendable (_ asOf: String, _ days: Int, _ end: String) -> String
    var warningsOutside: @Sendable (_ count: Int) -> String
    var warningsShown: @Sendable (_ shown: Int, _ all: Int) -> String
    var warningName: @Sendable (_ kind: WarningKind) -> String
    var kind: String
    var warningCount: String
    var date: String
    var figures: String
    var message: String

    var footer: String
    var head: String
    var merkleRoot: @Sendable (_ size: UInt64) -> String
    var noMerkleTree: String
    var policy: String
    var view: String
    var viewLastSeq: @Sendable (_ seq: UInt64) -> String
    var knownAt: String
    var effectiveOn: String
    var wholeLog: String
    var personalIDs: @Sendable (_ shown: Bool) -> String
    var personalData: String
    var programmeCount: @Sendable (_ count: Int) -> String

    // Column headers.
    var region: String
    var name: String
    var level: String
    var fund: String
    var received: String
    var paid: String
    var recovered: String
    var available: String
    var net: String
    var programme: String
    var total: String
    var executionRate: String
    var discounted: String
    var compensated: String
    var writtenOff: String
    var people: String
    var enterprises: String
    var loans: String
    var principal: String
    var defaulted: String
    var defaultRate: String
    var compensationRate: String
    var writeOffRate: String
    var findingCount: String
    var amount: String
    var rule: String
    var month: String
    var moreRows: @Sendable (_ hidden: Int) -> String
    var chartLabel: @Sendable (_ what: String) -> String

    /// A warning figure's label: its JSON name in English, a Chinese label in Chinese.
    var figureName: @Sendable (_ name: String) -> String
    /// A loan category of the input vocabulary (a warning's `category`).
    var loanCategory: @Sendable (_ word: String) -> String
    var ruleName: @Sendable (_ rule: RuleCode) -> String
    var ruleExplanation: @Sendable (_ rule: RuleCode) -> String
    /// A programme's name from the policy (Chinese or English).
    var prefersChinese: Bool
    var interestDiscount: String
    var guaranteeCompensation: String
}

extension Words {
    static let chinese = Words(
        title: "就业创业补贴资金使用情况报告",
        subtitle: { year, scope in "\(year) 财政年度 · \(scope)" },
        allRegions: "全部地区",
        regionAndBelow: { code in "\(code) 及下辖地区" },
        contents: "目录",
        fundUsage: "资金使用情况",
        fundUsageNote: "按预算科目与地区统计：收到（拨款与调入减调出）、支出（按项目）、收回、结余 = 收到 − 支出 + 收回。县级汇总至市（州）、省。",
        byLevel: { level in "按\(Words.chineseLevel(level))汇总" },
        levelName: Words.chineseLevel,
        budgetLines: "预算科目明细",
        budgetLinesNote: "每个预算科目（资金、地区、财政年度）的收支；合计行包括全部科目。",
        byProgramme: "按项目支出",
        monthly: "逐月累计支出与到位资金",
        monthlyNote: "本年度预算科目按业务日期逐月累计的支出（毛额）与到位资金（拨款与调入减调出）。",
        cumulativePaid: "累计支出",
        cumulativeReceived: "累计到位资金",
        performance: "绩效情况",
        performanceNote: "预算执行率 = （支出 − 收回）÷ 收到；比率由整数计算，四舍五入到万分之一。与 report performance 的数字相同。",
        executionRanking: { level in "\(Words.chineseLevel(level))预算执行率排名" },
        budgetExecution: "预算执行与扶持人数",
        loansAndSupport: "当年发放的创业担保贷款",
        findings: "审计发现",
        findingsNote: "按规则与地区分组；每条发现列出政策条款、违规金额，展开可见计算过程（audit --explain）。",
        noFindings: "本年度、本范围内没有审计发现。",
        findingsOutside: { count in "另有 \(Amount.count(count)) 条发现属于其他年度或其他地区，未列出。" },
        findingsShown: { shown, all in "列出金额最大的 \(Amount.count(shown)) 条，共 \(Amount.count(all)) 条；合计包括全部。" },
        explanation: "计算过程",
        entries: "相关事件",
        trigger: "触发事件",
        subject: "对象",
        clause: "条款",
        noRegion: "无法归属地区",
        warnings: "预警",
        warningsPending: "本页未计算预警。",
        noWarnings: "没有预警。",
        warningsNote: { asOf, days, end in "以 \(asOf) 为基准，向后看 \(days) 天（至 \(end)）：即将超限、到期或用完的情况。" },
        warningsOutside: { count in "另有 \(Amount.count(count)) 条预警属于其他地区，未列出。" },
        warningsShown: { shown, all in "列出前 \(Amount.count(shown)) 条，共 \(Amount.count(all)) 条。" },
        warningName: Words.chineseWarningName,
        kind: "类型", warningCount: "预警数", date: "预计日期", figures: "数据", message: "说明",
        footer: "数据来源",
        head: "账本头部",
        merkleRoot: { size in "Merkle 树根（\(Amount.count(Int(clamping: size))) 个事件）" },
        noMerkleTree: "本账本没有 Merkle 树",
        policy: "适用政策",
        view: "视图",
        viewLastSeq: { seq in "截至第 \(Amount.count(Int(clamping: seq))) 个事件" },
        knownAt: "记录时间截至",
        effectiveOn: "业务日期截至",
        wholeLog: "完整账本",
        personalIDs: { shown in shown ? "身份证号完整显示（--show-personal-ids）" : "身份证号已脱敏" },
        personalData: "个人信息",
        programmeCount: { count in "\(count) 个项目" },
        region: "地区", name: "名称", level: "级别", fund: "资金", received: "收到", paid: "支出", recovered: "收回",
        available: "结余", net: "净支出", programme: "项目", total: "合计", executionRate: "执行率", discounted: "贴息",
        compensated: "代偿", writtenOff: "核销", people: "人数", enterprises: "企业数", loans: "笔数", principal: "本金",
        defaulted: "逾期笔数", defaultRate: "逾期率", compensationRate: "代偿率", writeOffRate: "核销率",
        findingCount: "发现数", amount: "金额", rule: "规则", month: "月份",
        moreRows: { hidden in "另有 \(Amount.count(hidden)) 行未列出（合计包括它们）" },
        chartLabel: { what in "图：\(what)" },
        figureName: Words.chineseFigureName,
        loanCategory: { word in
            switch word {
            case "individual": "个人（individual）"
            case "graduate": "高校毕业生（graduate）"
            case "enterprise": "企业（enterprise）"
            default: word
            }
        },
        ruleName: Words.chineseRuleName,
        ruleExplanation: Words.chineseRuleExplanation,
        prefersChinese: true,
        interestDiscount: "创业担保贷款贴息",
        guaranteeCompensation: "担保基金代偿")

    static let english = Words(
        title: "Employment and entrepreneurship subsidies: use of funds",
        subtitle: { year, scope in "Fiscal year \(year) · \(scope)" },
        allRegions: "all regions",
        regionAndBelow: { code in "\(code) and the regions below it" },
        contents: "Contents",
        fundUsage: "Use of funds",
        fundUsageNote: "Per budget line and region: received (appropriations and transfers in, less transfers out), paid by programme, recovered, available = received − paid + recovered. Counties roll up into prefectures and the province.",
        byLevel: { level in "By \(level.rawValue)" },
        levelName: { $0.rawValue },
        budgetLines: "Budget lines",
        budgetLinesNote: "Each budget line (fund, region, fiscal year); the totals row counts every line.",
        byProgramme: "Paid by programme",
        monthly: "Cumulative payments by month against funds received",
        monthlyNote: "Payments (gross) and funds received (appropriations and transfers in, less transfers out) on the year's budget lines, added up month by month by business date.",
        cumulativePaid: "paid, cumulative",
        cumulativeReceived: "received, cumulative",
        performance: "Performance",
        performanceNote: "Execution rate = (paid − recovered) ÷ received; rates computed in integers, rounded half up to four decimals. The figures of report performance.",
        executionRanking: { level in "Execution rate by \(level.rawValue), ranked" },
        budgetExecution: "Budget execution and people supported",
        loansAndSupport: "Guarantee loans issued in the year",
        findings: "Audit findings",
        findingsNote: "Grouped by rule and region; each finding names its clause and the amount against the rule, and opens to show the computation behind it (audit --explain).",
        noFindings: "No findings in this year and scope.",
        findingsOutside: { count in "\(Amount.count(count)) more finding\(count == 1 ? "" : "s") belong to other years or regions and are not listed." },
        findingsShown: { shown, all in "The \(Amount.count(shown)) largest of \(Amount.count(all)) findings are listed; totals count them all." },
        explanation: "Computation",
        entries: "Entries",
        trigger: "Trigger",
        subject: "Subject",
        clause: "Clause",
        noRegion: "no region",
        warnings: "Early warnings",
        warningsPending: "Early warnings were not computed for this page.",
        noWarnings: "No warnings.",
        warningsNote: { asOf, days, end in "As of \(asOf), looking \(days) days ahead (to \(end)): what is about to pass a limit, end or run out." },
        warningsOutside: { count in "\(Amount.count(count)) more warning\(count == 1 ? "" : "s") belong to other regions and are not listed." },
        warningsShown: { shown, all in "The first \(Amount.count(shown)) of \(Amount.count(all)) are listed." },
        warningName: Words.englishWarningName,
        kind: "Kind", warningCount: "Warnings", date: "Expected", figures: "Figures", message: "Message",
        footer: "Source",
        head: "Ledger head",
        merkleRoot: { size in "Merkle tree root (\(Amount.count(Int(clamping: size))) events)" },
        noMerkleTree: "this ledger has no Merkle tree",
        policy: "Policy",
        view: "View",
        viewLastSeq: { seq in "up to event \(Amount.count(Int(clamping: seq)))" },
        knownAt: "recorded by",
        effectiveOn: "effective on or before",
        wholeLog: "the whole log",
        personalIDs: { shown in shown ? "identity numbers shown in full (--show-personal-ids)" : "identity numbers masked" },
        personalData: "Personal data",
        programmeCount: { count in "\(count) programmes" },
        region: "Region", name: "Name", level: "Level", fund: "Fund", received: "Received", paid: "Paid", recovered: "Recovered",
        available: "Available", net: "Net", programme: "Programme", total: "Total", executionRate: "Execution", discounted: "Discounted",
        compensated: "Compensated", writtenOff: "Written off", people: "People", enterprises: "Enterprises", loans: "Loans",
        principal: "Principal", defaulted: "Defaulted", defaultRate: "Default rate", compensationRate: "Compensation rate",
        writeOffRate: "Write-off rate", findingCount: "Findings", amount: "Amount", rule: "Rule", month: "Month",
        moreRows: { hidden in "\(Amount.count(hidden)) more row\(hidden == 1 ? "" : "s") not listed (the totals count them)" },
        chartLabel: { what in "Chart: \(what)" },
        figureName: { $0 },
        loanCategory: { $0 },
        ruleName: Words.englishRuleName,
        ruleExplanation: Words.englishRuleExplanation,
        prefersChinese: false,
        interestDiscount: "Interest discounts on guarantee loans",
        guaranteeCompensation: "Guarantee-fund compensations")

    static func chineseLevel(_ level: RegionLevel) -> String {
        switch level {
        case .province: "省"
        case .prefecture: "市（州）"
        case .county: "县（市、区）"
        }
    }

    static func chineseWarningName(_ kind: WarningKind) -> String {
        switch kind {
        case .loanCapNear: "贷款余额接近额度上限"
        case .termEnding: "补贴期限即将届满"
        case .extensionEnding: "延长至退休的补贴即将结束"
        case .discountRateNear: "贷款利率接近贴息上限"
        case .budgetRunOut: "预算科目将在年度结束前用完"
        case .certificationExpiring: "认定即将到期而补贴仍在发放"
        }
    }

    /// The figures of docs/WARNINGS.md; a name it does not list is shown as it is.
    static func chineseFigureName(_ name: String) -> String {
        switch name {
        case "outstanding": "未偿本金"
        case "cap": "额度上限"
        case "headroom": "剩余额度"
        case "category": "贷款类别"
        case "loans": "贷款"
        case "programme": "项目"
        case "programmes": "项目"
        case "term": "期限"
        case "covered": "已补贴"
        case "lastCovered": "已补贴至"
        case "lastMonth": "最后月份"
        case "left": "剩余"
        case "retirement": "退休日期"
        case "rate": "利率"
        case "benchmark": "基准利率"
        case "limit": "贴息利率上限"
        case "belowLimit": "低于上限"
        case "maturity": "到期日"
        case "available": "结余"
        case "paidInWindow": "期内支出"
        case "window": "统计天数"
        case "daysLasting": "可支付天数"
        case "yearEnd": "年度结束"
        case "certification": "认定类别"
        case "validUntil": "有效期至"
        case "lastPaid": "最近发放"
        default: name
        }
    }

    static func englishWarningName(_ kind: WarningKind) -> String {
        switch kind {
        case .loanCapNear: "Borrower near the loan cap"
        case .termEnding: "Subsidy term about to end"
        case .extensionEnding: "Extension to retirement about to end"
        case .discountRateNear: "Loan rate near the discount limit"
        case .budgetRunOut: "Budget line runs out before the year ends"
        case .certificationExpiring: "Certification expiring while subsidies go on"
        }
    }

    static func chineseRuleName(_ rule: RuleCode) -> String {
        switch rule {
        case .loanCap: "创业担保贷款额度超限"
        case .loanCategory: "贷款类别与借款人不符"
        case .discountRate: "利率超出贴息范围"
        case .discountExcess: "贴息超过应付利息"
        case .discountOverlap: "贴息期间重复"
        case .termLimit: "补贴超过期限"
        case .pastRetirement: "退休后仍发放补贴"
        case .duplicatePeriod: "同一月份重复补贴"
        case .onceOnly: "一次性补贴重复发放"
        case .eligibility: "不符合享受条件"
        case .writeoffBasis: "核销缺乏依据"
        case .fundOverdraft: "预算科目超支"
        }
    }

    static func englishRuleName(_ rule: RuleCode) -> String {
        switch rule {
        case .loanCap: "Guarantee loan above the cap"
        case .loanCategory: "Loan category does not fit the borrower"
        case .discountRate: "Interest discount on a rate above the margin"
        case .discountExcess: "Discount above the interest due"
        case .discountOverlap: "Discount periods overlap"
        case .termLimit: "Subsidy beyond its term"
        case .pastRetirement: "Subsidy after retirement"
        case .duplicatePeriod: "Month subsidised twice"
        case .onceOnly: "One-time subsidy paid again"
        case .eligibility: "Recipient not eligible"
        case .writeoffBasis: "Write-off without basis"
        case .fundOverdraft: "Budget line overdrawn"
        }
    }

    static func chineseRuleExplanation(_ rule: RuleCode) -> String {
        switch rule {
        case .loanCap: "发放贷款后，借款人未偿还的担保贷款本金超过发放当日政策规定的该类贷款额度上限。金额为超出部分。"
        case .loanCategory: "贷款登记的类别（个人、高校毕业生、企业）与借款人不符，而类别决定额度上限。"
        case .discountRate: "对个人贷款贴息，但贷款利率高于基准利率加政策允许的上浮幅度。金额为该笔贴息。"
        case .discountExcess: "一笔贴息超过其所覆盖期间按未偿本金和贷款利率计算的应付利息。金额为超出部分。"
        case .discountOverlap: "同一笔贷款的两笔贴息覆盖了同一天；按重叠天数比例计算金额。"
        case .termLimit: "社会保险补贴、岗位补贴超过政策规定的期限（距退休年龄不足规定年限的可延长至退休）；按超出月份比例计算金额。"
        case .pastRetirement: "补贴覆盖了领取人达到退休年龄之后的月份；按这些月份比例计算金额。"
        case .duplicatePeriod: "同一人同一项目的同一个月份被补贴两次；按重复月份比例计算金额。"
        case .onceOnly: "一次性补贴（一次性创业补贴、求职创业补贴）向同一人发放了第二次。金额为该笔补贴。"
        case .eligibility: "领取人在发放日不具备项目要求的认定（如就业困难人员、高校毕业生），或企业规模不符。金额为该笔补贴。"
        case .writeoffBasis: "核销金额超过担保基金已代偿且尚未追回的部分。金额为缺乏依据的部分。"
        case .fundOverdraft: "支出或调出后，预算科目的支出超过收到的资金。金额为该事件造成的超支部分。"
        }
    }

    static func englishRuleExplanation(_ rule: RuleCode) -> String {
        switch rule {
        case .loanCap: "After the loan is issued, the borrower's outstanding guaranteed principal is above the cap in force on the issue date for a loan of its category. The amount is the part above the cap."
        case .loanCategory: "The loan is booked under a category (individual, graduate, enterprise) its borrower does not fit, and the category decides the cap."
        case .discountRate: "Interest on a loan to a person is discounted although the loan's rate is further above the benchmark than the policy's margin. The amount is the discount."
        case .discountExcess: "A discount is more than the interest due over the period it covers, from the outstanding principal and the loan's rate. The amount is the excess."
        case .discountOverlap: "Two discounts of one loan pay for the same day; the amount is pro rata over the shared days."
        case .termLimit: "A social-insurance or post subsidy runs beyond the programme's term (extended to retirement for people close to it); the amount is pro rata over the months beyond the term."
        case .pastRetirement: "A subsidy covers months after the person reached retirement age; the amount is pro rata over those months."
        case .duplicatePeriod: "The same month of the same programme is paid twice to one person; the amount is pro rata over the repeated months."
        case .onceOnly: "A one-time subsidy (start-up, job-seeking) is paid to a person a second time. The amount is the grant."
        case .eligibility: "The recipient did not hold the certification the programme requires on the grant's date, or the enterprise is of a size the programme excludes. The amount is the grant."
        case .writeoffBasis: "More is written off than the guarantee fund paid the bank and did not get back. The amount is the part without basis."
        case .fundOverdraft: "After a payout or transfer out, the budget line has paid out more than it received. The amount is the part the event overdraws."
        }
    }
}
