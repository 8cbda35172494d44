import Foundation
import Testing

/// `report html`: the page of the sample history, checked against the
/// tool's own other outputs (report performance, audit --explain, verify).
@Suite("report html")
struct ReportHtmlTests {
    static func sampleLedger() throws -> WorkDirectory {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        try runOK(["import", "--no-progress", packageRoot + "/Fixtures/sample-history.jsonl"], in: dir.path)
        return dir
    }

    /// `12740000.00` → `12,740,000.00`, as the page writes amounts.
    static func grouped(_ yuan: String) -> String {
        let negative = yuan.hasPrefix("-")
        let digits = negative ? String(yuan.dropFirst()) : yuan
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        let whole = Array(parts[0])
        var out = ""
        for (index, character) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (negative ? "-" : "") + out + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// Text as the page escapes it.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    func page(_ arguments: [String], in dir: WorkDirectory) throws -> String {
        let path = dir.path + "/page-\(UUID().uuidString).html"
        try runOK(["report", "html", "--output", path] + arguments, in: dir.path)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("the sample's page holds the figures of report performance, the findings with their explanations, and the head")
    func sample() throws {
        let dir = try Self.sampleLedger()
        let html = try page(["--fiscal-year", "2016"], in: dir)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">"))
        #expect(html.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
        for heading in ["资金使用情况", "按市（州）汇总", "按县（市、区）汇总", "逐月累计支出与到位资金", "绩效情况", "县（市、区）预算执行率排名",
                        "审计发现", "预警", "数据来源", "2016 财政年度"] {
            #expect(html.contains(heading), "no heading \(heading)")
        }

        // Every region's figures, as report performance gives them.
        let json = try runOK(["report", "performance", "--fiscal-year", "2016", "--format", "json"], in: dir.path).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let regions = try #require(report["regions"] as? [[String: Any]])
        #expect(regions.count > 3)
        var ruleCounts: [String: Int] = [:]
        for region in regions {
            let code = try #require(region["region"] as? String)
            for key in ["received", "paid", "recovered"] {
                let amount = try #require(region[key] as? String)
                #expect(html.contains(">" + Self.grouped(amount) + "<"), "\(code) \(key) \(amount)")
            }
            if region["level"] as? String == "province" {
                for (rule, count) in region["findings"] as? [String: Int] ?? [:] { ruleCounts[rule] = count }
            }
        }
        // The findings of the year, per rule, as the performance report counts them.
        #expect(!ruleCounts.isEmpty)
        for (rule, count) in ruleCounts {
            #expect(html.contains("<a href=\"#rule-\(rule)\"><code>\(rule)</code></a>"), "rule \(rule)")
            #expect(html.contains("id=\"rule-\(rule)\""))
            _ = count
        }
        #expect(html.components(separatedBy: "<details class=\"finding\">").count - 1 == ruleCounts.values.reduce(0, +))

        // The explanation of LOAN-CAP at e-0102 (a loan issued in 2016), step by
        // step: in English on the English page, as `audit --explain` gives it,
        // and in Chinese on the Chinese page, where no English step is left.
        let english = try page(["--fiscal-year", "2016", "--lang", "en"], in: dir)
        let explained = try runOK(["audit", "--explain", "e-0102", "--rule", "LOAN-CAP"], in: dir.path).stdout
        let steps = explained.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(steps.count > 2)
        for step in steps {
            // The last step repeats the finding's message, which the page shows above the steps.
            if step.hasPrefix("Finding: ") {
                let message = Self.escaped(String(step.dropFirst("Finding: ".count)))
                #expect(english.contains("<p class=\"message\" lang=\"en\">" + message + "</p>"))
                #expect(!html.contains(message))
            } else {
                #expect(english.contains(">" + Self.escaped(step) + "</li>"), "step \(step)")
                #expect(!html.contains(Self.escaped(step)), "English step \(step) on the Chinese page")
            }
        }
        #expect(html.contains("<p class=\"message\" lang=\"zh-CN\">2016-03-15 发放贷款 ln-05（60,000.00 元）后，p-006 未偿还的担保贷款本金"
            + "达到 110,000.00 元，超过当时适用于个人创业担保贷款的额度上限 100,000.00 元（第（十一）条）：超出 10,000.00 元。</p>"))
        #expect(html.contains("<ol class=\"steps\" lang=\"zh-CN\">"))
        #expect(html.contains("<li>合计 110,000.00 元，额度上限 100,000.00 元：超出 10,000.00 元。</li>"))
        #expect(!html.contains("lang=\"en\""))
        #expect(html.contains("(十一) 支持创业担保贷款发展"))

        // No English sentence of the audit is left on the Chinese page: every
        // finding's message is in the English page only.
        let audited = try runOK(["audit", "--format", "json"], in: dir.path).stdout
        let findings = try #require((try JSONSerialization.jsonObject(with: Data(audited.utf8)) as? [String: Any])?["findings"] as? [[String: Any]])
        #expect(findings.count > 10)
        var listed = 0
        for finding in findings {
            let message = Self.escaped(try #require(finding["message"] as? String))
            #expect(!html.contains(message), "English finding on the Chinese page: \(message)")
            if english.contains(message) { listed += 1 }
        }
        #expect(listed == html.components(separatedBy: "<details class=\"finding\">").count - 1)

        // The early warnings of the view, as the warnings command gives them:
        // its English on the English page, Chinese on the Chinese one.
        let warned = try runOK(["warnings", "--format", "json"], in: dir.path).stdout
        let warnings = try #require((try JSONSerialization.jsonObject(with: Data(warned.utf8)) as? [String: Any])?["warnings"] as? [[String: Any]])
        #expect(!warnings.isEmpty)
        for warning in warnings {
            let kind = try #require(warning["kind"] as? String), message = try #require(warning["message"] as? String)
            #expect(html.contains("<code>\(kind)</code>"), "warning \(kind)")
            #expect(english.contains("<span class=\"message\" lang=\"en\">" + Self.escaped(message) + "</span>"), "warning \(message)")
            #expect(!html.contains(Self.escaped(message)), "English warning on the Chinese page: \(message)")
        }
        #expect(html.components(separatedBy: "<span class=\"message\" lang=\"zh-CN\">").count - 1 == warnings.count)
        #expect(html.contains("<span class=\"message\" lang=\"zh-CN\">截至 2017-12-20，p-008 未偿还的担保贷款本金为 100,000.00 元，"
            + "恰好达到个人创业担保贷款额度上限 100,000.00 元（第（十一）条）：再发放任何贷款都将违反 LOAN-CAP。</span>"))
        #expect(html.contains("期限 <span class=\"amount\">36 个月</span>"))
        #expect(html.contains("以 2017-12-20 为基准，向后看 90 天"))

        // Charts: a bar chart per level, ranked bars, the monthly line.
        #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 >= 5)
        #expect(html.contains("<polyline class=\"line s1\""))

        // The footer: the head verify prints, the Merkle root, the policy.
        let verified = try runOK(["verify"], in: dir.path).stdout
        let head = try #require(verified.split(separator: "\n").first { $0.hasPrefix("head ") }).dropFirst("head ".count)
        #expect(html.contains("<code>\(head)</code>"))
        let stats = try runOK(["stats", "--format", "json"], in: dir.path).stdout
        let root = try #require(stats.range(of: "\"rootHash\":\"").map { String(stats[$0.upperBound...].prefix { $0 != "\"" }) })
        #expect(html.contains(root))
        #expect(html.contains("jilin-2015"))
        #expect(!html.contains("<script"))
    }

    @Test("the same ledger and options give the same bytes; --lang en")
    func deterministic() throws {
        let dir = try Self.sampleLedger()
        let first = try page(["--fiscal-year", "2016"], in: dir)
        let second = try page(["--fiscal-year", "2016"], in: dir)
        #expect(first.utf8.elementsEqual(second.utf8))
        let english = try page(["--fiscal-year", "2016", "--lang", "en"], in: dir)
        #expect(english.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        for heading in ["Use of funds", "Cumulative payments by month", "Execution rate by county, ranked", "Audit findings",
                        "Guarantee loan above the cap", "Fiscal year 2016"] {
            #expect(english.contains(heading), "no heading \(heading)")
        }
        #expect(!english.contains("资金使用情况"))
        let again = try page(["--fiscal-year", "2016", "--lang", "en"], in: dir)
        #expect(english.utf8.elementsEqual(again.utf8))
        // Standard output carries the same page as --output.
        let stdout = try runOK(["report", "html", "--fiscal-year", "2016"], in: dir.path).stdout
        #expect(stdout.utf8.elementsEqual(first.utf8))
    }

    @Test("the year defaults to the latest with a budget line; --region and the view narrow the page")
    func scopeAndView() throws {
        let dir = try Self.sampleLedger()
        let latest = try page([], in: dir)
        #expect(latest.contains("2017 财政年度"))
        let county = try page(["--fiscal-year", "2016", "--region", "220104"], in: dir)
        #expect(county.contains("220104 朝阳区 及下辖地区"))
        #expect(!county.contains(">220202 昌邑区<"))
        let early = try page(["--fiscal-year", "2016", "--as-of-seq", "120"], in: dir)
        #expect(early.contains("截至第 120 个事件"))
        #expect(early.contains("--as-of-seq 120"))
        let json = try runOK(["report", "performance", "--fiscal-year", "2016", "--as-of-seq", "120", "--format", "json",
                              "--level", "province"], in: dir.path).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let province = try #require((report["regions"] as? [[String: Any]])?.first)
        #expect(early.contains(">" + Self.grouped(try #require(province["paid"] as? String)) + "<"))
    }

    @Test("options it cannot honour are refused")
    func refused() throws {
        let dir = try Self.sampleLedger()
        let format = try run(["report", "html", "--format", "json"], in: dir.path)
        #expect(format.status == 2)
        let lang = try run(["report", "html", "--lang", "fr"], in: dir.path)
        #expect(lang.status == 2 && lang.stderr.contains("--lang: \"fr\" is not one of zh-CN, en"))
        let region = try run(["report", "html", "--region", "22"], in: dir.path)
        #expect(region.status == 2)
        let empty = WorkDirectory()
        try runOK(["init"], in: empty.path)
        let nothing = try run(["report", "html"], in: empty.path)
        #expect(nothing.status == 2 && nothing.stderr.contains("--fiscal-year"))
        let emptyYear = try runOK(["report", "html", "--fiscal-year", "2016"], in: empty.path).stdout
        #expect(emptyYear.contains("没有审计发现"))
    }

    @Test("identity numbers are masked unless --show-personal-ids")
    func personalIDs() throws {
        let dir = WorkDirectory()
        try runOK(["init"], in: dir.path)
        dir.file("people.jsonl", try PersonalIDTests.history())
        try runOK(["import", "--no-progress", "people.jsonl"], in: dir.path)
        let masked = try page(["--fiscal-year", "2016"], in: dir)
        for id in PersonalIDTests.everyID { #expect(!masked.contains(id), "shows \(id)") }
        #expect(masked.contains(PersonalIDTests.masked))
        // The Chinese finding and its steps name the person masked.
        #expect(masked.contains("lang=\"zh-CN\">补贴 G2（si-graduate，3,600.00 元）：\(PersonalIDTests.masked) 在 2016-02-02 不具备"))
        #expect(masked.contains("<li>\(PersonalIDTests.masked) 须在 2016-02-02 持有高校毕业生认定（college-graduate）"))
        let shown = try page(["--fiscal-year", "2016", "--show-personal-ids"], in: dir)
        #expect(PersonalIDTests.everyID.contains { shown.contains($0) })
    }

    @Test("names from a policy file are escaped, never markup")
    func hostilePolicy() throws {
        let dir = try Self.sampleLedger()
        let seed = try String(contentsOfFile: packageRoot + "/Fixtures/policy/seed/policy.json", encoding: .utf8)
        let hostile = seed.replacingOccurrences(of: "\"一次性创业补贴\"", with: "\"<script>alert(1)</script>\"")
            .replacingOccurrences(of: "\"支持创业担保贷款发展\"", with: "\"</code><img src=x onerror=alert(2)>\"")
        try #require(hostile != seed)
        try FileManager.default.createDirectory(atPath: dir.path + "/hostile", withIntermediateDirectories: true)
        dir.file("hostile/policy.json", hostile)
        let html = try page(["--fiscal-year", "2016", "--policy", "hostile"], in: dir)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;/code&gt;&lt;img src=x onerror=alert(2)&gt;"))
    }
}
