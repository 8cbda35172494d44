/// GB/T 2260 region codes: `XX0000` is a province, `XXYY00` a prefecture,
/// anything else a county. Reports roll counties up by code prefix.
public enum RegionLevel: String, CaseIterable, Sendable, Comparable {
    case province, prefecture, county

    public static func < (a: RegionLevel, b: RegionLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The level a code names.
    public init(code: String) {
        if code.hasSuffix("0000") {
            self = .province
        } else if code.hasSuffix("00") {
            self = .prefecture
        } else {
            self = .county
        }
    }

    /// The codes a line at `code` counts toward: itself and every level above.
    public static func rollUp(_ code: String) -> [(code: String, level: RegionLevel)] {
        let province = String(code.prefix(2)) + "0000"
        let prefecture = String(code.prefix(4)) + "00"
        switch RegionLevel(code: code) {
        case .province: return [(province, .province)]
        case .prefecture: return [(prefecture, .prefecture), (province, .province)]
        case .county: return [(code, .county), (prefecture, .prefecture), (province, .province)]
        }
    }
}
