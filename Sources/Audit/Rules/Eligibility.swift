import LedgerCore
import Policy

/// ELIGIBILITY: a grant whose programme needs a certification the person
/// did not hold on the grant's date, or paid to an enterprise of a size the
/// programme does not allow. From the policy's programmes, in the seed:
///
/// - `post-allowance`, `si-difficulty` need `employment-difficulty` (十七:
///   公益性岗位…不得用于安排非就业困难人员);
/// - `startup-once` needs `entrepreneurship-training` (十五: 创业培训合格后);
/// - `si-graduate` and `job-seeking` need `college-graduate` with graduation
///   in the grant's year (for `si-graduate`, the year of the first covered
///   month) (十六: 毕业年度高校毕业生);
/// - `si-graduate` is paid to `micro` and `small` enterprises only (十六: 小微企业).
///
/// Held on D: certification effective ≤ D ≤ `validUntil` when given, every
/// certification of the view counting by its date whatever its sequence.
/// One finding per grant; when both conditions fail the subject is the person.
///
/// Amount: the grant. The clause is the programme's.
enum EligibilityRule: AuditRule {
    static let code = RuleCode.eligibility

    static func findings(in context: AuditContext) throws -> [Finding] {
        var findings: [Finding] = []
        for index in context.grants {
            if let finding = evaluate(index, in: context, trace: nil) { findings.append(finding) }
        }
        return findings
    }

    static func findings(at trigger: Int32, in context: AuditContext, trace: Trace) throws -> [Finding] {
        evaluate(trigger, in: context, trace: trace).map { [$0] } ?? []
    }

    static func evaluate(_ index: Int32, in context: AuditContext, trace: Trace?) -> Finding? {
        let grant = context.fact(index)
        let check = context.eligibility[Int(grant.programme)]
        guard check.applies else { return nil }
        let tracing = trace?.at(index)
        let day = grant.date
        // The quick test first: most grants are eligible, and need no more.
        if tracing == nil && passes(grant, check, in: context) { return nil }
        let programme = context.programmes[Int(grant.programme)]
        var problems: [String] = []
        var cited: [Int32] = []
        var subject: String?

        if let requirement = programme.certification, grant.person != Fact.none,
           let kind = check.certificationKind {
            var year: Int?
            var firstMonth: YearMonth?
            switch requirement.graduatedInYearOf {
            case nil: break
            case .grantDate?: year = day.year
            case .firstCoveredMonth?:
                firstMonth = grant.months.map { YearMonth(index: $0.first) }
                year = firstMonth?.year ?? day.year
            }
            let holds = context.holds(grant.person, kind: kind, on: day, graduationYear: year)
            if let tracing {
                let held = context.certifications(of: grant.person, kind: kind, heldOn: day).filter { certification in
                    year == nil || context.fact(certification).graduation?.year == year
                }
                explainCertifications(grant.person, requirement, kind: kind, year: year, on: day, held: Set(held),
                                      in: context, trace: tracing)
            }
            if !holds {
                let person = context.people[Int(grant.person)]
                problems.append(context.words(
                    en: "\(person) did not hold " + Say.article(requirement.kind) + " \(requirement.kind) certification"
                        + (year.map { year in
                            " with graduation in \(year) (the year of " + (firstMonth.map { "the first month covered, \($0)" } ?? "the grant") + ")"
                        } ?? "")
                        + " on \(day), which \(programme.code) requires.",
                    zh: "\(person) 在 \(day) 不具备 \(programme.code) 所要求的"
                        + (year.map { year in
                            "、毕业时间在 \(year) 年（" + (firstMonth.map { "补贴覆盖的第一个月 \($0) 所在年度" } ?? "发放补贴的年度") + "）的"
                        } ?? "")
                        + "\(Zh.certification(requirement.kind))。"))
                subject = context.personSubject(grant.person)
            }
        }
        if let sizes = programme.enterpriseSizes, grant.enterprise != Fact.none,
           case let registration = context.enterpriseRegistrations[Int(grant.enterprise)], registration != Fact.none {
            let size = Vocabulary.enterpriseSize.name(of: context.fact(registration).code)!
            let allowed = sizes.contains(size)
            let enterprise = context.enterprises[Int(grant.enterprise)]
            tracing?.say(en: "\(enterprise) is \(size) (\(context.id(registration))); \(programme.code) may be paid to "
                             + Say.list(sizes) + " enterprises: " + (allowed ? "allowed." : "not allowed."),
                         zh: "企业 \(enterprise) 为\(Zh.size(size))企业（\(context.id(registration))）；\(programme.code) 只可发放给"
                             + Zh.list(sizes.map(Zh.size)) + "企业：" + (allowed ? "符合。" : "不符合。"))
            if !allowed {
                problems.append(context.words(
                    en: "\(programme.code) is paid only to \(Say.list(sizes)) enterprises, and \(enterprise) is \(size).",
                    zh: "\(programme.code) 只发放给\(Zh.list(sizes.map(Zh.size)))企业，而企业 \(enterprise) 为\(Zh.size(size))企业。"))
                cited.append(registration)
                subject = subject ?? Streams.enterprise(enterprise)
            }
        }
        guard let subject else {
            tracing?.say(en: "\(context.id(index)) is eligible.", zh: "\(context.id(index)) 符合享受条件。")
            return nil
        }
        tracing?.say(en: "The whole grant, \(grant.money.yuan), is against the rule.", zh: "整笔补贴 \(Zh.yuan(grant.money))均违规。")
        let message = context.words(
            en: "\(context.grantNames[Int(grant.key)]) (\(programme.code), \(grant.money.yuan)): " + problems.joined(separator: " "),
            zh: "补贴 \(context.grantNames[Int(grant.key)])（\(programme.code)，\(Zh.yuan(grant.money))）：" + problems.joined())
        return context.finding(code, clause: programme.clause, subject: subject, trigger: index, citing: cited,
                               amount: grant.money, message: message)
    }

    /// Whether a grant passes both conditions, from the facts alone.
    static func passes(_ grant: Fact, _ check: AuditContext.EligibilityCheck, in context: AuditContext) -> Bool {
        if let kind = check.certificationKind, grant.person != Fact.none {
            let year: Int?
            switch check.graduationYear {
            case nil: year = nil
            case .grantDate?: year = grant.date.year
            case .firstCoveredMonth?: year = grant.months.map { YearMonth(index: $0.first).year } ?? grant.date.year
            }
            guard context.holds(grant.person, kind: kind, on: grant.date, graduationYear: year) else { return false }
        }
        if let sizes = check.sizes, grant.enterprise != Fact.none {
            let registration = context.enterpriseRegistrations[Int(grant.enterprise)]
            if registration != Fact.none && sizes & 1 << context.fact(registration).code == 0 { return false }
        }
        return true
    }

    static func explainCertifications(_ person: Int32, _ requirement: CertificationRequirement, kind: UInt8, year: Int?,
                                      on day: CalendarDate, held: Set<Int32>, in context: AuditContext, trace: Trace) {
        let name = context.people[Int(person)]
        let all = context.certifications(of: person, kind: kind)
        trace.say(en: "\(name) needs \(requirement.kind) held on \(day) (effective on or before it, and not past validUntil)"
                      + (year.map { ", with graduation in \($0)" } ?? "") + ".",
                  zh: "\(name) 须在 \(day) 持有\(Zh.certification(requirement.kind))，即在当日或之前生效、且未超过有效期（validUntil）"
                      + (year.map { "，毕业时间须在 \($0) 年" } ?? "") + "。")
        if all.isEmpty {
            trace.say(en: "  \(name) has no \(requirement.kind) certification in the view.",
                      zh: "  \(name) 在本视图中没有\(Zh.certification(requirement.kind))。")
        }
        for index in all {
            let certification = context.fact(index)
            var line = "  \(context.id(index)): effective \(certification.date)"
            var zh = "  \(context.id(index))：\(certification.date) 生效"
            if let until = certification.validUntil {
                line += ", valid until \(until)"
                zh += "，有效期至 \(until)"
            }
            if let graduation = certification.graduation {
                line += ", graduation \(graduation)"
                zh += "，毕业时间 \(graduation)"
            }
            if held.contains(index) {
                line += ": qualifies."
                zh += "：符合。"
            } else if certification.date > day {
                line += ": not yet effective on \(day)."
                zh += "：\(day) 尚未生效。"
            } else if let until = certification.validUntil, day > until {
                line += ": expired before \(day)."
                zh += "：\(day) 之前已过期。"
            } else {
                line += ": graduation not in \(year.map(String.init) ?? "the year required")."
                zh += "：毕业时间不在" + (year.map { " \($0) 年" } ?? "所要求的年度") + "。"
            }
            trace.say(en: line, zh: zh)
        }
    }
}
