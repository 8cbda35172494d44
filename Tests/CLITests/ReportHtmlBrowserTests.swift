import Foundation
import Testing

extension ExternalTool {
    static let chromium: String? = find("chromium")
    static let chromiumMissing: Comment = "chromium is not installed (Tools/setup installs it; Tools/test requires it)"
}

/// The page of `report html` opened in headless Chromium (Debian package
/// `chromium`, installed by Tools/setup) through Tools/check-html-page.py:
/// what a budget officer's browser does with it. A full-page screenshot of
/// each language is left in `.build/report-html/` for people to look at.
@Suite("report html in a browser", .tags(.slow), .notInFastRuns,
       .enabled(if: ExternalTool.runs(if: ExternalTool.chromium != nil), ExternalTool.chromiumMissing))
struct ReportHtmlBrowserTests {
    struct Opened {
        var loaded: Bool
        var consoleErrors: [String]
        var requests: [String]
        var dom: String
        var screenshot: String
    }

    /// Opens `page` and returns what the browser did.
    func open(_ page: String, screenshot: String) throws -> Opened {
        let chromium = try #require(ExternalTool.chromium, ExternalTool.chromiumMissing)
        let python3 = try #require(ExternalTool.python(importing: ["json"]), "python3 is not installed")
        let result = try runProcess(python3, [packageRoot + "/Tools/check-html-page.py", page, "--screenshot", screenshot,
                                              "--chromium", chromium, "--width", "1100"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "check-html-page.py exited \(result.status): \(result.stderr.suffix(2000))")
        return Opened(loaded: object["loaded"] as? Bool ?? false, consoleErrors: object["consoleErrors"] as? [String] ?? ["(unreadable)"],
                      requests: object["requests"] as? [String] ?? ["(unreadable)"], dom: object["dom"] as? String ?? "",
                      screenshot: screenshot)
    }

    static let screenshots: String = {
        let directory = packageRoot + "/.build/report-html"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }()

    @Test("the sample's page loads with no console error and no request, and renders its headings, figures and charts",
          arguments: ["zh-CN", "en"])
    func sample(language: String) throws {
        let dir = try ReportHtmlTests.sampleLedger()
        let page = dir.path + "/report-\(language).html"
        try runOK(["report", "html", "--fiscal-year", "2016", "--lang", language, "--output", page], in: dir.path)
        let opened = try open(page, screenshot: Self.screenshots + "/sample-2016-\(language).png")
        #expect(opened.loaded)
        #expect(opened.consoleErrors.isEmpty, "console: \(opened.consoleErrors)")
        #expect(opened.requests.isEmpty, "requests: \(opened.requests)")

        let dom = opened.dom
        let headings = language == "en"
            ? ["<h1>Employment and entrepreneurship subsidies: use of funds</h1>", "<h2>Use of funds</h2>", "<h2>Performance</h2>",
               "<h2>Audit findings</h2>", "<h2>Early warnings</h2>", "<h2>Source</h2>"]
            : ["<h1>就业创业补贴资金使用情况报告</h1>", "<h2>资金使用情况</h2>", "<h2>绩效情况</h2>", "<h2>审计发现</h2>", "<h2>预警</h2>",
               "<h2>数据来源</h2>"]
        for heading in headings { #expect(dom.contains(heading), "rendered DOM lacks \(heading)") }
        // The province's figures of report performance, as the browser holds them.
        let json = try runOK(["report", "performance", "--fiscal-year", "2016", "--level", "province", "--format", "json"], in: dir.path).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let province = try #require((report["regions"] as? [[String: Any]])?.first)
        for key in ["received", "paid", "recovered"] {
            let amount = try #require(province[key] as? String)
            #expect(dom.contains(">" + ReportHtmlTests.grouped(amount) + "<"), "\(key) \(amount)")
        }
        // Charts: bars, ranked bars and the monthly lines are SVG in the document.
        #expect(dom.components(separatedBy: "<svg class=\"chart\"").count - 1 >= 5)
        #expect(dom.contains("<polyline class=\"line s1\""))
        #expect(dom.contains("<details class=\"finding\">"))

        let png = try #require(FileManager.default.contents(atPath: opened.screenshot), "no screenshot at \(opened.screenshot)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // A full page, not a blank window: wide as asked and several screens long.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1100 && height > 3000, "screenshot \(width)×\(height)")
    }

    @Test("the check fails a page that tries to load something, so a clean page means something")
    func detectsLoads() throws {
        let dir = WorkDirectory()
        let page = dir.file("loads.html", """
            <!DOCTYPE html><html><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>t</title></head><body><h1>t</h1><img src="http://127.0.0.1:9/x.png"></body></html>
            """)
        let opened = try open(page, screenshot: dir.path + "/loads.png")
        #expect(opened.loaded)
        #expect(opened.consoleErrors.contains { $0.contains("Content Security Policy") }, "console: \(opened.consoleErrors)")
        #expect(opened.requests == ["http://127.0.0.1:9/x.png"])
    }
}
