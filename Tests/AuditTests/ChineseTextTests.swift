import Audit
import LedgerCore
import Policy
import Testing

/// The audit, its explanations and the early warnings in Simplified Chinese
/// (``TextLanguage/chinese``), for the page the finance offices read.
///
/// Every history the other audit and warning tests build is also run in
/// Chinese by their helpers (`audit`, `warnings`), which check the Chinese
/// run finds the same things in the same order and says each of them in
/// Chinese. These tests add the known sentences of the sample, every rule,
/// the order of warnings that tie, and masking.
@Suite("Chinese text")
struct ChineseTextTests {
    static func sample() throws -> [AuditedEvent] { try liveEvents(SampleHistoryTests.sampleLines()) }

    @Test("the sample's findings in Chinese: every rule, the same findings, known sentences")
    func sampleFindings() throws {
        let events = try Self.sample()
        let english = try Auditor().audit(events)
        let chinese = try Auditor(language: .chinese).audit(events)
        try expectSameInChinese(english, chinese)
        #expect(Set(chinese.findings.map(\.rule)) == Set(RuleCode.allCases))
        // The English is what it always was.
        #expect(FindingsJSON.render(english.findings)
            == String(decoding: try fixtureBytes("Fixtures/audit/sample-findings.json"), as: UTF8.self))

        let excess = try #require(chinese.findings.first { $0.rule == .discountExcess })
        #expect(excess.message == "贷款 ln-03 2015-10-01 至 2015-12-31 的贴息 1,600.00 元超过该期间的应付利息 1,431.11 元"
            + "（按年利率 5.60% 计 92 天），多贴 168.89 元。")
        let cap = try #require(chinese.findings.first { $0.rule == .loanCap })
        #expect(cap.message == "2016-03-15 发放贷款 ln-05（60,000.00 元）后，p-006 未偿还的担保贷款本金达到 110,000.00 元，"
            + "超过当时适用于个人创业担保贷款的额度上限 100,000.00 元（第（十一）条）：超出 10,000.00 元。")
        let steps = try chinese.explain(cap)
        #expect(steps.contains("  ln-05（e-0102，2016-03-15 发放）：60,000.00 元 = 60,000.00 元"))
        #expect(steps.contains("合计 110,000.00 元，额度上限 100,000.00 元：超出 10,000.00 元。"))
        let eligibility = try #require(chinese.findings.first { $0.rule == .eligibility && $0.subject == "person:p-010" })
        #expect(eligibility.message == "补贴 gr-0038（post-allowance，1,200.00 元）：p-010 在 2016-03-28 不具备 post-allowance "
            + "所要求的就业困难人员认定（employment-difficulty）。")
    }

    @Test("the sample's warnings in Chinese: the same warnings, a known sentence")
    func sampleWarnings() throws {
        let events = try Self.sample()
        let english = try EarlyWarnings().warnings(events)
        let chinese = try EarlyWarnings(language: .chinese).warnings(events)
        expectSameInChinese(english, chinese)
        let term = try #require(chinese.warnings.first { $0.kind == .termEnding })
        #expect(term.message == "p-001 已享受 si-difficulty 补贴 38 个不同月份，期限为 36 个月（参数 difficulty-subsidy-term，"
            + "自 2015-01-01 起，第（十七）条，文件规定）：已无剩余月份；再补贴尚未补贴过的月份将违反 TERM-LIMIT。")
        #expect(WarningValue.months(3).text(in: .chinese) == "3 个月" && WarningValue.months(3).text(in: .english) == "3 months")
        #expect(WarningValue.money(Money(fen: 1_000_000_00)).text(in: .chinese) == "1,000,000.00 元")
    }

    /// Two warnings of one kind, subject and date break their tie by the
    /// English message (`… 34 distinct months of si-difficulty …` before
    /// `… 35 distinct months of post-allowance …`); the Chinese messages
    /// would sort the other way, and do not change the order.
    @Test("warnings that tie keep their English order in Chinese")
    func tieOrder() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1980-01-01"),
            H.certify("c1", "P1", "employment-difficulty", on: "2015-01-10"),
            H.grant("g1", "G1", "si-difficulty", person: "P1", months: ("2015-03", "2017-12"), amount: "3400", on: "2017-12-01", year: 2017),
            H.grant("g2", "G2", "post-allowance", person: "P1", months: ("2015-03", "2018-01"), amount: "3500", on: "2017-12-01", year: 2017),
        ]
        let result = try warnings(history, asOf: "2017-12-20")  // checks the Chinese order is the English
        let ending = result.warnings.filter { $0.kind == .termEnding }
        #expect(ending.map { $0.figure("programme") } == [.text("si-difficulty"), .text("post-allowance")])
        #expect(Set(ending.map(\.projectedDate)) == [day("2018-02-28")])
        let chinese = try EarlyWarnings(language: .chinese).warnings(try liveEvents(history), asOf: day("2017-12-20"))
            .warnings.filter { $0.kind == .termEnding }.map(\.message)
        #expect(chinese.count == 2 && chinese != chinese.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// Sentences the other tests' histories do not reach: a budget line with
    /// nothing left, a discount of which no day counts, the individual cap
    /// above the graduate cap. The helpers check them in Chinese.
    @Test("the rarer sentences have their Chinese too")
    func rarerSentences() throws {
        let history = H.funds + [
            H.person("p1", "P1", born: "1985-01-01"),
            H.appropriate("a1", "1000", on: "2016-01-05", region: "220104"),
            H.grant("g1", "G1", "training", amount: "1500", on: "2016-06-01", region: "220104"),
            H.loan("l1", "L1", person: "P1", principal: "50000", rateBp: 360, benchmarkBp: 360, maturity: "2016-03-01", on: "2016-01-01"),
            H.discount("d1", "L1", "2016-04-01", "2016-04-30", amount: "10", on: "2016-05-10"),
        ]
        let run = try warnings(history, asOf: "2016-06-30")
        let runOut = try #require(run.warnings.first { $0.kind == .budgetRunOut })
        #expect(runOut.message.hasPrefix("Budget line employment-special/220104/2016 has nothing left on 2016-06-30"))
        let chinese = try EarlyWarnings(language: .chinese).warnings(try liveEvents(history), asOf: day("2016-06-30"))
        #expect(chinese.warnings.first { $0.kind == .budgetRunOut }?.message
            == "预算科目 employment-special/220104/2016 截至 2016-06-30 已无结余（结余 -500.00 元），此前 90 天内支出 1,500.00 元："
            + "自 2016-07-01 起的支付没有资金保障，而财政年度到 2016-12-31 才结束。")
        #expect(seen(try audit(history)).map(\.rule) == [.discountExcess, .fundOverdraft])
        let steps = try Auditor(language: .chinese).audit(try liveEvents(history)).explain(
            try #require(try Auditor(language: .chinese).audit(try liveEvents(history)).findings.first))
        #expect(steps.contains("该期间没有一天计息。"))

        // A graduate loan of 250,000 in 2021: the amended individual cap
        // (200,000) is above the graduate cap (150,000) and applies.
        let amended = try Policy.load(directory: packageRoot + "/Fixtures/policy/amended")
        let graduate = H.funds + [
            H.person("p6", "P6", born: "1998-01-01", on: "2018-01-02"),
            H.certify("c6", "P6", "college-graduate", on: "2020-07-01", graduated: "2020-07-01"),
            H.loan("l9", "L9", person: "P6", category: "graduate", principal: "250000", maturity: "2023-03-01", on: "2021-03-01"),
        ]
        #expect(seen(try audit(graduate, policy: amended)) == [Seen(.loanCap, "person:P6", "l9", ["l9"], "50000.00")])
        let result = try Auditor(policy: amended, language: .chinese).audit(try liveEvents(graduate))
        #expect(try result.explain(result.findings[0]).contains(
            "2021-03-01 个人贷款额度上限 200,000.00 元高于高校毕业生贷款额度上限 150,000.00 元；高校毕业生也是个人借款人，适用较高者。"))
    }

    /// People named by identity numbers and by long ids: the Chinese
    /// messages and steps show neither, as the English ones do not.
    @Test("masking hides people in Chinese messages, steps and warnings")
    func masking() throws {
        let id = "220102199001011239", long = "PERSON-000123"
        let history = H.funds + [
            H.person("p1", id, born: "1956-02-10"), H.person("p2", long, born: "1985-01-01"),
            H.certify("c1", id, "employment-difficulty", on: "2015-01-10"),
            H.certify("c2", long, "employment-difficulty", on: "2015-01-10"),
            H.grant("g1", "G1", "post-allowance", person: id, months: ("2016-01", "2016-03"), amount: "3600", on: "2016-04-01"),
            H.grant("g2", "G2", "post-allowance", person: long, months: ("2016-01", "2016-03"), amount: "3600", on: "2016-04-01"),
            H.grant("g3", "G3", "post-allowance", person: long, months: ("2016-03", "2016-04"), amount: "2400", on: "2016-05-01"),
            H.loan("l1", "L1", person: long, principal: "95000", maturity: "2018-01-01", on: "2016-01-10"),
        ]
        let events = try liveEvents(history)
        let result = try Auditor(language: .chinese).audit(events)
        let masking = PersonalIDMasking(showsPersonalIDs: false)
        #expect(Set(result.findings.map(\.rule)) == [.pastRetirement, .duplicatePeriod])
        for finding in result.findings {
            let shown = finding.masked(masking, people: result.peopleToMask)
            var named = result.peopleToMask
            if finding.subject.hasPrefix("person:") { named.insert(String(finding.subject.dropFirst("person:".count))) }
            let steps = try result.explain(finding).map { masking.text($0, people: named) }
            for text in [shown.message] + steps {
                #expect(!text.contains(id) && !text.contains(long), "\(text)")
            }
            #expect(shown.message.contains(PersonalIDMasking.mask(id)) || shown.message.contains(PersonalIDMasking.mask(long)))
            #expect(steps.contains { $0.contains(PersonalIDMasking.mask(id)) || $0.contains(PersonalIDMasking.mask(long)) })
        }
        let warned = try EarlyWarnings(language: .chinese).warnings(events, asOf: day("2016-06-30"))
        let cap = try #require(warned.warnings.first { $0.kind == .loanCapNear })
        let shown = cap.masked(masking, people: warned.peopleToMask)
        #expect(cap.message.contains(long) && !shown.message.contains(long) && shown.message.contains(PersonalIDMasking.mask(long)))
    }
}
