import Audit
import Foundation
import HtmlReport
import LedgerCore
import Policy
import Projections
import Reports
import Testing

@Suite("report html: text, amounts and rates")
struct HtmlTextTests {
    @Test("markup in ledger text is escaped, control and direction characters shown")
    func escaping() {
        #expect(HtmlText.escape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        #expect(HtmlText.escape("A&B \"q\"") == "A&amp;B &quot;q&quot;")
        #expect(HtmlText.escape("吉财社指〔2015〕1号") == "吉财社指〔2015〕1号")
        // A right-to-left override would reorder the text around it; a NUL would cut it.
        #expect(HtmlText.escape("a\u{202E}b\u{0}c") == "a\\u{202E}b\\u{00}c")
    }

    @Test("amounts: thousands separators from integer fen")
    func amounts() {
        #expect(Amount.grouped(Money(fen: 123_456_789)) == "1,234,567.89")
        #expect(Amount.grouped(Money(fen: 5)) == "0.05")
        #expect(Amount.grouped(Money(fen: -100_000)) == "-1,000.00")
        #expect(Amount.grouped(Money(fen: 99_999)) == "999.99")
        #expect(Amount.grouped(Money(fen: .min)) == "-92,233,720,368,547,758.08")
        // A total beyond 64 bits keeps every digit.
        #expect(Amount.grouped(Total(fen: Int128(Int64.max) * 3)) == "276,701,161,105,643,274.21")
        #expect(Amount.count(1_234_567) == "1,234,567")
        #expect(Amount.count(0) == "0")
    }

    @Test("rates shown as percentages by moving the point")
    func percentages() {
        #expect(Percent.text("0.8523") == "85.23%")
        #expect(Percent.text("1.0000") == "100.00%")
        #expect(Percent.text("0.0005") == "0.05%")
        #expect(Percent.text("-0.0125") == "-1.25%")
        #expect(Percent.text("12.3456") == "1,234.56%")
        #expect(Percent.text(nil) == "—")
    }
}

/// A small history: two counties of one prefecture, a transfer, a grant
/// and a recovery, an overdraft.
let history = [
    #"{"id":"a1","type":"fund.appropriated","effective":"2016-01-04","data":{"fund":"employment-special","region":"220102","fiscalYear":2016,"amount":"300000"}}"#,
    #"{"id":"a2","type":"fund.appropriated","effective":"2016-03-04","data":{"fund":"employment-special","region":"220104","fiscalYear":2016,"amount":"1000"}}"#,
    #"{"id":"t1","type":"fund.transferred","effective":"2016-04-20","data":{"fund":"employment-special","fromRegion":"220102","toRegion":"220104","fiscalYear":2016,"amount":"500"}}"#,
    #"{"id":"g1","type":"subsidy.granted","effective":"2016-06-15","data":{"grant":"gr1","program":"training","amount":"12000.50","fund":"employment-special","region":"220102","fiscalYear":2016}}"#,
    #"{"id":"g2","type":"subsidy.granted","effective":"2016-08-15","data":{"grant":"gr2","program":"service","amount":"2000","fund":"employment-special","region":"220104","fiscalYear":2016}}"#,
    #"{"id":"r1","type":"subsidy.recovered","effective":"2016-09-01","data":{"grant":"gr1","amount":"0.50"}}"#,
    #"{"id":"a3","type":"fund.appropriated","effective":"2017-01-04","data":{"fund":"employment-special","region":"220102","fiscalYear":2017,"amount":"9"}}"#,
]

let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

@Suite("report html: the document and the page")
struct HtmlDocumentTests {
    struct Built {
        var document: HtmlReportDocument
        var findings: [Finding]
    }

    func build(policy: Policy = .seed, findings extra: [Finding] = [], explain: ((Finding) throws -> [String])? = nil,
               scope: RegionScope = .all) throws -> Built {
        let live = try history.map { try EventParser().parse($0) }
        let balances = try Balances(liveEvents: live)
        let result = try Auditor(policy: policy).audit(live.enumerated().map { AuditedEvent(seq: UInt64($0.offset + 1), event: $0.element) })
        let findings = result.findings + extra
        var performance = try PerformanceReport.Accumulation(
            balances: balances, findings: findings.map { .init(rule: $0.rule.rawValue, trigger: $0.trigger) }, fiscalYear: 2016,
            level: nil, scope: scope, asOfSeq: UInt64(live.count))
        var builder = HtmlReportBuilder(balances: balances, fiscalYear: 2016, scope: scope, findings: findings)
        for event in live {
            try performance.add(event)
            try builder.add(event)
        }
        let provenance = Provenance(headSeq: 7, headHash: String(repeating: "ab", count: 32), tree: (7, "cm9vdA=="), origin: "test/origin",
                                    policy: policy, lastSeq: 7, asOfSeq: nil, knownAt: nil, effectiveOn: nil, showsPersonalIDs: false)
        let document = try builder.document(
            performance: performance.report(), placing: performance, findings: findings,
            explain: explain ?? { result.findings.contains($0) ? try result.explain($0) : ["step of \($0.subject)"] },
            policy: policy, masking: .masked, people: [], warnings: nil, provenance: provenance)
        return Built(document: document, findings: result.findings)
    }

    @Test("funds roll up county → prefecture → province; months add up to the year")
    func fundsAndMonths() throws {
        let document = try build().document
        #expect(document.lines.map(\.key.region) == ["220102", "220104"])
        #expect(document.regions.map(\.code) == ["220000", "220100", "220102", "220104"])
        let province = document.regions[0]
        // 300,000 + 1,000 received (the transfer stays inside), 14,000.50 paid, 0.50 back.
        #expect(province.received == Total(fen: 30_100_000))
        #expect(province.paid == Total(fen: 1_400_050))
        #expect(province.recovered == Total(fen: 50))
        #expect(province.available == Total(fen: 28_700_000))
        #expect(document.regions[2].received == Total(fen: 29_950_000))
        #expect(document.regions[3].received == Total(fen: 150_000))
        // Twelve months of 2016; the 2017 appropriation is another year's.
        let months = document.monthly.months
        #expect(months.map(\.month.description).first == "2016-01" && months.count == 12)
        var paid = Total.zero, received = Total.zero
        for month in months {
            paid.add(month.paid)
            received.add(month.received)
        }
        #expect(paid == province.paid && received == province.received)
        #expect(months[5].paid == Total(fen: 1_200_050) && months[7].paid == Total(fen: 200_000))
        // The overdraft of 220104 (1,500 received, 2,000 paid) is found and placed there.
        #expect(document.findings.rules.map(\.rule) == [.fundOverdraft])
        #expect(document.findings.rules[0].byRegion.map(\.region) == ["220104"])
        #expect(document.findings.rules[0].amount == Total(fen: 50_000))
    }

    @Test("the page: headings, figures, charts, CSP, no script, no network address")
    func page() throws {
        let document = try build().document
        let zh = HtmlPage.render(document, language: .zhCN)
        #expect(zh.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">"))
        #expect(zh.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:"))
        for heading in ["资金使用情况", "绩效情况", "审计发现", "预警", "数据来源", "预算科目超支", "按项目支出"] {
            #expect(zh.contains(heading), "missing \(heading)")
        }
        #expect(zh.contains("301,000.00"))  // received
        #expect(zh.contains("14,000.50"))  // paid
        #expect(zh.contains("220102 南关区"))
        #expect(zh.contains("职业培训补贴"))  // the programme's name from the policy
        #expect(zh.contains("(三十一) 加大就业资金投入"))
        #expect(zh.components(separatedBy: "<svg ").count - 1 >= 4)
        #expect(zh.contains("<details class=\"finding\">"))
        #expect(zh.contains("7:" + String(repeating: "ab", count: 32)))
        #expect(!zh.contains("<script"))
        // The only URL is the SVG namespace, which loads nothing.
        let urls = zh.components(separatedBy: "://").count - 1
        #expect(urls == zh.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)

        let en = HtmlPage.render(document, language: .en)
        #expect(en.contains("<html lang=\"en\">"))
        for heading in ["Use of funds", "Performance", "Audit findings", "Budget line overdrawn", "Vocational training subsidy"] {
            #expect(en.contains(heading), "missing \(heading)")
        }
        #expect(!en.contains("资金使用情况"))
    }

    @Test("the same document gives the same bytes")
    func deterministic() throws {
        let first = HtmlPage.render(try build().document, language: .zhCN)
        let second = HtmlPage.render(try build().document, language: .zhCN)
        #expect(first.utf8.elementsEqual(second.utf8))
    }

    @Test("untrusted text is escaped everywhere: policy names, subjects, messages, explanations")
    func hostileText() throws {
        let seed = try String(contentsOfFile: packageRoot + "/Fixtures/policy/seed/policy.json", encoding: .utf8)
        let hostile = seed.replacingOccurrences(of: "\"职业培训补贴\"", with: "\"<script>alert(1)</script>\"")
            .replacingOccurrences(of: "\"加大就业资金投入\"", with: "\"<img src=x onerror=alert(2)>\"")
        try #require(hostile != seed)
        let policy = try PolicyLoader.parse(Array(hostile.utf8), source: "hostile/policy.json")
        let planted = Finding(rule: .eligibility, clause: "十五", subject: "enterprise:<script>x</script>", trigger: "g1", events: ["g1"],
                              amount: Money(fen: 100), message: "paid to <b>nobody</b>", triggerPosition: 3)
        let built = try build(policy: policy, findings: [planted]) { finding in ["step <iframe src=\"http://example.com\">", finding.message] }
        let page = HtmlPage.render(built.document, language: .zhCN)
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<iframe"))
        #expect(!page.contains("<b>nobody"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("enterprise:&lt;script&gt;x&lt;/script&gt;"))
        #expect(page.contains("&lt;img src=x onerror=alert(2)&gt;"))
        #expect(page.contains("step &lt;iframe src=&quot;http://example.com&quot;&gt;"))
    }
}
