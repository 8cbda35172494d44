import Reports

/// The page's charts: inline SVG drawn here, with no script and no
/// external file. Amounts stay integer fen up to the last step; only the
/// pixel position of a bar or a point is computed in floating point, and
/// every coordinate is written with one decimal, so the same figures give
/// the same bytes on every machine.
///
/// Colours and fonts come from the page's style sheet (classes `s0`…`s3`
/// for series, `axis`, `grid`, `label`), so the charts print as the page does.
enum Chart {
    static let width = 760.0

    /// One decimal, half away from zero, without locale or exponent.
    static func coordinate(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let magnitude = tenths.magnitude
        return sign + String(magnitude / 10) + (magnitude % 10 == 0 ? "" : "." + String(magnitude % 10))
    }

    /// Ticks of an axis covering `low...high` fen (low ≤ 0 ≤ high): about
    /// five steps of 1, 2 or 5 × 10ⁿ whole yuan.
    static func ticks(low: Int128, high: Int128) -> [Int128] {
        let span = max(high - low, 100)
        var step: Int128 = 100  // one yuan
        let multipliers: [Int128] = [1, 2, 5]
        search: while true {
            for multiplier in multipliers where step * multiplier * 5 >= span {
                step *= multiplier
                break search
            }
            step *= 10
        }
        var first = (low / step) * step
        if first > low { first -= step }
        var last = (high / step) * step
        if last < high { last += step }
        // An axis of nothing still has a height: one step above zero.
        if last == first { last += step }
        var ticks: [Int128] = []
        var tick = first
        while tick <= last {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    /// A tick's label: whole yuan with separators.
    static func tickLabel(_ fen: Int128) -> String { Amount.groupedYuan(fen / 100) }

    static func open(height: Double, label: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" role=\"img\" aria-label=\"\(HtmlText.escape(label))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\"><title>\(HtmlText.escape(label))</title>"
    }

    static func legend(_ names: [String], y: Double, x: Double) -> String {
        var out = ""
        var left = x
        for (index, name) in names.enumerated() {
            out += "<rect class=\"s\(index)\" x=\"\(coordinate(left))\" y=\"\(coordinate(y - 9))\" width=\"10\" height=\"10\"/>"
            out += "<text class=\"label\" x=\"\(coordinate(left + 14))\" y=\"\(coordinate(y))\">\(HtmlText.escape(name))</text>"
            // Room for the name: CJK characters are about twice as wide.
            left += 30 + Double(Text.width(name)) * 6.5
        }
        return out
    }

    /// Vertical bars, one group per category and one bar per series: the
    /// funds of the regions of one level. Categories are plain text.
    static func groupedBars(label: String, categories: [String], series: [String], values: [[Int128]]) -> String {
        let left = 96.0, right = 12.0, top = 30.0, plotHeight = 220.0
        let longest = categories.map(Text.width).max() ?? 0
        // Many categories: steeper labels, so that neighbours do not overlap.
        let angle = categories.count > 8 ? 60.0 : 35.0
        let bottom = min(150.0, 24 + Double(longest) * (categories.count > 8 ? 5.4 : 3.8))
        let height = top + plotHeight + bottom
        let all = values.flatMap { $0 }
        let ticks = Self.ticks(low: min(all.min() ?? 0, 0), high: max(all.max() ?? 0, 0))
        let low = ticks.first ?? 0, high = ticks.last ?? 100
        let range = Double(high - low)
        func y(_ fen: Int128) -> Double { top + plotHeight * (1 - Double(fen - low) / range) }

        var out = open(height: height, label: label)
        out += legend(series, y: 14, x: left)
        for tick in ticks {
            out += "<line class=\"grid\" x1=\"\(coordinate(left))\" x2=\"\(coordinate(width - right))\" y1=\"\(coordinate(y(tick)))\" y2=\"\(coordinate(y(tick)))\"/>"
            out += "<text class=\"label tick\" x=\"\(coordinate(left - 6))\" y=\"\(coordinate(y(tick) + 4))\" text-anchor=\"end\">\(tickLabel(tick))</text>"
        }
        let groupWidth = (width - left - right) / Double(max(categories.count, 1))
        let barWidth = min(28.0, groupWidth * 0.8 / Double(max(series.count, 1)))
        for (index, category) in categories.enumerated() {
            let groupLeft = left + groupWidth * Double(index) + (groupWidth - barWidth * Double(series.count)) / 2
            for (s, value) in values[index].enumerated() {
                let top = min(y(value), y(0)), size = abs(y(value) - y(0))
                out += "<rect class=\"s\(s)\" x=\"\(coordinate(groupLeft + barWidth * Double(s)))\" y=\"\(coordinate(top))\" "
                    + "width=\"\(coordinate(barWidth))\" height=\"\(coordinate(size))\"><title>\(HtmlText.escape(category)) · "
                    + "\(HtmlText.escape(series[s])): \(Amount.grouped(fen: value))</title></rect>"
            }
            let x = left + groupWidth * (Double(index) + 0.5), labelY = top + plotHeight + 14
            out += "<text class=\"label\" x=\"\(coordinate(x))\" y=\"\(coordinate(labelY))\" text-anchor=\"end\" "
                + "transform=\"rotate(-\(coordinate(angle)) \(coordinate(x)) \(coordinate(labelY)))\">\(HtmlText.escape(category))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(coordinate(left))\" x2=\"\(coordinate(width - right))\" y1=\"\(coordinate(y(0)))\" y2=\"\(coordinate(y(0)))\"/>"
        return out + "</svg>"
    }

    struct RankedItem {
        var label: String
        /// The bar's length as a number (pixels only), or nil for no bar.
        var value: Double?
        /// What is written at the bar's end.
        var text: String
    }

    /// Horizontal bars in the order given (best first): regions ranked by a rate.
    static func rankedBars(label: String, items: [RankedItem]) -> String {
        let labelWidth = 230.0, right = 80.0, rowHeight = 22.0, top = 8.0
        let height = top * 2 + rowHeight * Double(items.count)
        let largest = max(items.compactMap(\.value).max() ?? 1, 1)
        let plot = width - labelWidth - right
        var out = open(height: height, label: label)
        // Gridlines at each quarter of the scale (100% when no rate is above it).
        for quarter in 1...4 {
            let x = labelWidth + plot * Double(quarter) / 4
            out += "<line class=\"grid\" x1=\"\(coordinate(x))\" x2=\"\(coordinate(x))\" y1=\"\(coordinate(top))\" y2=\"\(coordinate(height - top))\"/>"
        }
        for (index, item) in items.enumerated() {
            let y = top + rowHeight * Double(index)
            out += "<text class=\"label\" x=\"\(coordinate(labelWidth - 8))\" y=\"\(coordinate(y + 15))\" text-anchor=\"end\">\(HtmlText.escape(item.label))</text>"
            let length = max(0, (item.value ?? 0) / largest * plot)
            if item.value != nil {
                out += "<rect class=\"s\(index == 0 ? 1 : 0)\" x=\"\(coordinate(labelWidth))\" y=\"\(coordinate(y + 4))\" width=\"\(coordinate(length))\" "
                    + "height=\"\(coordinate(rowHeight - 8))\"><title>\(HtmlText.escape(item.label)): \(HtmlText.escape(item.text))</title></rect>"
            }
            out += "<text class=\"label value\" x=\"\(coordinate(labelWidth + length + 6))\" y=\"\(coordinate(y + 15))\">\(HtmlText.escape(item.text))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(coordinate(labelWidth))\" x2=\"\(coordinate(labelWidth))\" y1=\"\(coordinate(top))\" y2=\"\(coordinate(height - top))\"/>"
        return out + "</svg>"
    }

    /// Cumulative lines over months: payments against funds received.
    /// `series[s][m]` is the running total of series `s` at the end of month `m`.
    static func cumulativeLines(label: String, months: [String], names: [String], series: [[Int128]]) -> String {
        let left = 96.0, right = 16.0, top = 30.0, plotHeight = 230.0, bottom = 56.0
        let height = top + plotHeight + bottom
        let all = series.flatMap { $0 }
        let ticks = Self.ticks(low: min(all.min() ?? 0, 0), high: max(all.max() ?? 0, 0))
        let low = ticks.first ?? 0, high = ticks.last ?? 100
        func y(_ fen: Int128) -> Double { top + plotHeight * (1 - Double(fen - low) / Double(high - low)) }
        let step = (width - left - right) / Double(max(months.count, 1))
        func x(_ index: Int) -> Double { left + step * (Double(index) + 0.5) }

        var out = open(height: height, label: label)
        out += legend(names, y: 14, x: left)
        for tick in ticks {
            out += "<line class=\"grid\" x1=\"\(coordinate(left))\" x2=\"\(coordinate(width - right))\" y1=\"\(coordinate(y(tick)))\" y2=\"\(coordinate(y(tick)))\"/>"
            out += "<text class=\"label tick\" x=\"\(coordinate(left - 6))\" y=\"\(coordinate(y(tick) + 4))\" text-anchor=\"end\">\(tickLabel(tick))</text>"
        }
        // Every month labelled when there is room, else every other or third.
        let every = months.count <= 14 ? 1 : (months.count <= 28 ? 2 : 3)
        for (index, month) in months.enumerated() where index % every == 0 {
            let labelY = top + plotHeight + 16
            out += "<text class=\"label\" x=\"\(coordinate(x(index)))\" y=\"\(coordinate(labelY))\" text-anchor=\"end\" "
                + "transform=\"rotate(-35 \(coordinate(x(index))) \(coordinate(labelY)))\">\(HtmlText.escape(month))</text>"
        }
        for (s, values) in series.enumerated() {
            let points = values.enumerated().map { "\(coordinate(x($0.offset))),\(coordinate(y($0.element)))" }.joined(separator: " ")
            out += "<polyline class=\"line s\(s)\" points=\"\(points)\"/>"
            for (index, value) in values.enumerated() {
                out += "<circle class=\"s\(s)\" cx=\"\(coordinate(x(index)))\" cy=\"\(coordinate(y(value)))\" r=\"2.5\">"
                    + "<title>\(HtmlText.escape(months[index])) · \(HtmlText.escape(names[s])): \(Amount.grouped(fen: value))</title></circle>"
            }
        }
        out += "<line class=\"axis\" x1=\"\(coordinate(left))\" x2=\"\(coordinate(width - right))\" y1=\"\(coordinate(y(0)))\" y2=\"\(coordinate(y(0)))\"/>"
        return out + "</svg>"
    }
}
