import LedgerCore
import Policy

/// LOAN-CATEGORY (十一): a guarantee loan booked under a category its
/// borrower does not fit.
///
/// - a `graduate` loan to a person who, on the issue date, held no
///   `college-graduate` certification whose graduation G satisfies
///   G ≤ issue < G + the graduate window (2 years; 毕业两年内): judged as `individual`;
/// - an `enterprise` loan to a person: judged as the person qualifies
///   (`graduate` within the window, else `individual`);
/// - an `individual` or `graduate` loan to an enterprise: judged as `enterprise`.
///
/// Amount: none. LOAN-CAP applies the cap of the judged category.
enum LoanCategoryRule: AuditRule {
    static let code = RuleCode.loanCategory
    static let clause = "十一"
    static let collegeGraduate = Vocabulary.certification.code(of: "college-graduate")!

    /// The loan categories, by their code in the input vocabulary.
    enum Category: UInt8 {
        case individual = 0, graduate = 1, enterprise = 2

        var noun: String {
            switch self {
            case .individual: "an individual loan"
            case .graduate: "a graduate loan"
            case .enterprise: "an enterprise loan"
            }
        }
    }

    /// How a loan is judged.
    struct Judgement {
        var booked: Category
        var judged: Category
        /// Why the booked category does not stand; nil when it does.
        var problem: Problem?
        /// Steps for an explanation (when asked for).
        var notes: Notes

        enum Problem {
            case graduateNotQualified
            case enterpriseLoanToPerson
            case personalLoanToEnterprise
        }
    }

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for issue in context.loanIssues where issue != Fact.none {
            if let finding = try evaluate(issue, in: context, trace: nil) { findings.append(finding) }
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        guard context.fact(trigger).type == .loanIssued else { return [] }
        return try evaluate(trigger, in: context, trace: trace).map { [$0] } ?? []
    }

    static func evaluate(_ issue: Int32, in context: AuditContext, trace: Trace?) throws -> Finding? {
        let tracing = trace?.at(issue)
        let judgement = try judge(issue, in: context, explaining: tracing != nil)
        judgement.notes.lines?.forEach { tracing?.record($0) }
        guard let problem = judgement.problem else { return nil }
        let loan = context.fact(issue)
        let loanName = context.loanNames[Int(loan.key)]
        let message: String
        switch problem {
        case .graduateNotQualified:
            let window = try context.value(of: .graduateLoanWindow, on: loan.date)
            let person = context.people[Int(loan.person)]
            message = context.words(
                en: "\(loanName) is booked as a graduate loan, but on its issue date \(loan.date) \(person) "
                    + "held no college-graduate certification with graduation on or before that date and less than "
                    + "\(window.valueText) before it. It is judged as an individual loan.",
                zh: "贷款 \(loanName) 登记为高校毕业生创业担保贷款，但在发放日 \(loan.date)，\(person) 没有毕业时间在该日或之前、"
                    + "且距该日不足 \(Zh.value(window))的\(Zh.certification("college-graduate"))。按个人创业担保贷款认定。")
        case .enterpriseLoanToPerson:
            let person = context.people[Int(loan.person)]
            message = context.words(
                en: "\(loanName) is booked as an enterprise loan but is lent to person \(person). "
                    + "It is judged as \(judgement.judged.noun)"
                    + (judgement.judged == .graduate ? ", as the person graduated within the window." : "."),
                zh: "贷款 \(loanName) 登记为企业创业担保贷款，但借款人是个人 \(person)。"
                    + (judgement.judged == .graduate ? "该人在毕业期限内，" : "")
                    + "按\(judgement.judged.chineseNoun)认定。")
        case .personalLoanToEnterprise:
            let enterprise = context.enterprises[Int(loan.enterprise)]
            message = context.words(
                en: "\(loanName) is booked as \(judgement.booked.noun) but is lent to enterprise "
                    + "\(enterprise). It is judged as an enterprise loan.",
                zh: "贷款 \(loanName) 登记为\(judgement.booked.chineseNoun)，但借款人是企业 \(enterprise)。按企业创业担保贷款认定。")
        }
        return context.finding(code, clause: clause, subject: context.borrower(of: loan).subject, trigger: issue, citing: [],
                               amount: nil, message: message)
    }

    /// The category a loan is judged under, and why.
    static func judge(_ issue: Int32, in context: AuditContext, explaining: Bool) throws -> Judgement {
        let loan = context.fact(issue)
        let booked = Category(rawValue: loan.code)!
        var notes = Notes(explaining, language: context.language)
        let loanName = context.loanNames[Int(loan.key)]
        guard loan.person != Fact.none else {
            let enterprise = context.enterprises[Int(loan.enterprise)]
            if booked == .enterprise {
                notes.add(en: "\(loanName) is booked as an enterprise loan and is lent to enterprise \(enterprise).",
                          zh: "贷款 \(loanName) 登记为企业创业担保贷款，借款人是企业 \(enterprise)。")
                return Judgement(booked: booked, judged: .enterprise, problem: nil, notes: notes)
            }
            notes.add(en: "\(loanName) is booked as \(booked.noun) but is lent to enterprise \(enterprise): judged as an enterprise loan.",
                      zh: "贷款 \(loanName) 登记为\(booked.chineseNoun)，但借款人是企业 \(enterprise)：按企业创业担保贷款认定。")
            return Judgement(booked: booked, judged: .enterprise, problem: .personalLoanToEnterprise, notes: notes)
        }
        let person = context.people[Int(loan.person)]
        switch booked {
        case .individual:
            notes.add(en: "\(loanName) is booked as an individual loan to person \(person).",
                      zh: "贷款 \(loanName) 登记为个人创业担保贷款，借款人是个人 \(person)。")
            return Judgement(booked: booked, judged: .individual, problem: nil, notes: notes)
        case .graduate, .enterprise:
            notes.add(en: "\(loanName) is booked as \(booked.noun) and is lent to person \(person).",
                      zh: "贷款 \(loanName) 登记为\(booked.chineseNoun)，借款人是个人 \(person)。")
            let qualifies = try graduateQualifies(loan.person, on: loan.date, in: context, notes: &notes)
            let judged: Category = qualifies ? .graduate : .individual
            if booked == .enterprise {
                notes.add(en: "An enterprise loan to a person is judged as the person qualifies: \(judged.noun).",
                          zh: "发放给个人的企业创业担保贷款，按该人符合的类别认定：\(judged.chineseNoun)。")
                return Judgement(booked: booked, judged: judged, problem: .enterpriseLoanToPerson, notes: notes)
            }
            if qualifies {
                notes.add(en: "The graduate category stands.", zh: "高校毕业生贷款类别成立。")
                return Judgement(booked: booked, judged: .graduate, problem: nil, notes: notes)
            }
            notes.add(en: "No certification qualifies: judged as an individual loan.", zh: "没有符合条件的认定：按个人创业担保贷款认定。")
            return Judgement(booked: booked, judged: .individual, problem: .graduateNotQualified, notes: notes)
        }
    }

    /// Whether `person` held, on `date`, a college-graduate certification
    /// with graduation G ≤ date < G + the graduate window.
    static func graduateQualifies(_ person: Int32, on date: CalendarDate, in context: AuditContext,
                                  notes: inout Notes) throws -> Bool {
        let window = try context.value(of: .graduateLoanWindow, on: date)
        let years = Int(window.integer)
        notes.add(en: "Graduate window on \(date): \(window.valueText) after graduation (\(window.provenance)).",
                  zh: "\(date) 适用的毕业期限：毕业后 \(Zh.value(window))（\(Zh.provenance(window))）。")
        let all = context.certifications(of: person, kind: collegeGraduate)
        if all.isEmpty {
            notes.add(en: "\(context.people[Int(person)]) has no college-graduate certification in the view.",
                      zh: "\(context.people[Int(person)]) 在本视图中没有\(Zh.certification("college-graduate"))。")
        }
        let held = Set(context.certifications(of: person, kind: collegeGraduate, heldOn: date))
        var qualifies = false
        for index in all {
            let certification = context.fact(index)
            guard let graduation = certification.graduation else { continue }
            let end = graduation.addingYears(years)
            let within = graduation <= date && date < end
            let isHeld = held.contains(index)
            if isHeld && within { qualifies = true }
            guard notes.enabled else { continue }
            let prefix = "\(context.id(index)): college-graduate, effective \(certification.date), graduation \(graduation)"
            let zhPrefix = "\(context.id(index))：高校毕业生认定，\(certification.date) 生效，毕业时间 \(graduation)"
            if !isHeld {
                let notYet = certification.date > date
                notes.add(en: prefix + ": " + (notYet ? "not yet effective on \(date)" : "expired on \(certification.validUntil!)") + ".",
                          zh: zhPrefix + "：" + (notYet ? "\(date) 尚未生效" : "已于 \(certification.validUntil!) 过期") + "。")
            } else {
                notes.add(en: prefix + ": \(date) is \(within ? "within" : "outside") \(graduation) … \(end.addingDays(-1))"
                              + (within ? ", qualifies." : "."),
                          zh: zhPrefix + "：\(date) \(within ? "在" : "不在") \(graduation) 至 \(end.addingDays(-1)) 期间内"
                              + (within ? "，符合。" : "。"))
            }
        }
        return qualifies
    }
}
