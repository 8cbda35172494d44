/// The optional end-of-run report on standard error (`--summary`).
extension Generator {
    func printSummary() {
        let total = max(typeCounts.reduce(0, +), 1)
        var text = "subsidy-ledger-gen: \(typeCounts.reduce(0, +)) events, seed \(options.seed), scale \(String(format3(scale)))\n"
        let first = Cal.firstDay(ofMonth: firstMonth), last = Cal.lastDay(ofMonth: currentMonth)
        let f = Cal.civil(first), l = Cal.civil(last)
        text += "  months \(f.y)-\(pad(f.m)) .. \(l.y)-\(pad(l.m)); people \(personCount), enterprises \(enterpriseCount), grants \(grantCount), loans \(loanCount)\n"
        text += "  event types:\n"
        for (i, n) in typeCounts.enumerated() where n > 0 {
            let name = Generator.typeNames[i].description
            text += "    \(name.padding(24)) \(String(n).leftPadding(9))  \(percent(n, total))\n"
        }
        if breach > 0 {
            text += "  planted breaches (events planted to break each rule; one plant may give several findings):\n"
            for rule in Rule.allCases {
                text += "    \(rule.name.padding(24)) \(String(planted[rule.rawValue]).leftPadding(9))\n"
            }
        }
        printError(text)
    }

    private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private func percent(_ n: Int, _ total: Int) -> String {
        let tenths = (n * 1000 + total / 2) / total
        return "\(tenths / 10).\(tenths % 10)%"
    }

    private func format3(_ x: Double) -> String {
        let thousandths = Int((x * 1000).rounded())
        let frac = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
