/// Fixed reference data of the synthetic province: regions (GB/T 2260 codes
/// of Jilin Province), programmes, funds, banks and the wording of
/// references. All text is plain UTF-8 that needs no JSON escaping.
enum Catalog {
    /// County-level regions, then the four prefectures, then the province.
    static let regionCodes: [StaticString] = [
        // Changchun 220100
        "220102", "220103", "220104", "220105", "220106", "220112", "220113", "220122", "220182", "220183",
        // Jilin City 220200
        "220202", "220203", "220204", "220211", "220221", "220281",
        // Siping 220300
        "220302", "220303", "220322",
        // Yanbian 222400
        "222401", "222402", "222403",
        // prefectures
        "220100", "220200", "220300", "222400",
        // province
        "220000",
    ]
    static let countyCount = 22
    static let prefectureBase = 22
    static let province = 26
    static let regionCount = 27

    /// The prefecture (0...3) of each county.
    static let prefectureOf: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3]

    /// Relative population of the counties (per mille of the modelled area).
    static let countyWeights: [Int] = [90, 80, 90, 60, 70, 30, 60, 80, 80, 60, 50, 40, 40, 30, 30, 30, 25, 25, 40, 45, 10, 35]
    static let countyCumulative: [Int] = {
        var total = 0
        return countyWeights.map { total += $0; return total }
    }()
    static let countyWeightTotal = countyWeights.reduce(0, +)

    /// Local standards differ a little between prefectures (per mille of the Changchun level).
    static let prefectureLevel: [Int] = [1000, 960, 900, 930]

    static let fundNames: [StaticString] = ["employment-special", "unemployment-insurance", "guarantee"]
    static let fundChinese: [[UInt8]] = ["就业专项资金", "失业保险基金", "创业担保基金"].map { Array($0.utf8) }

    static let programNames: [StaticString] = [
        "si-difficulty", "post-allowance", "si-graduate", "startup-once", "job-seeking",
        "internship", "training", "stabilization", "service", "incubator", "city-award",
    ]

    static let banks: [[[UInt8]]] = [
        ["中国工商银行长春分行", "中国建设银行长春分行", "中国农业银行长春分行", "吉林银行长春分行", "长春农村商业银行", "中国邮政储蓄银行长春市分行"],
        ["中国工商银行吉林市分行", "吉林银行吉林分行", "中国农业银行吉林市分行", "中国银行吉林市分行", "吉林市城郊农村商业银行"],
        ["中国农业银行四平分行", "吉林银行四平分行", "中国邮政储蓄银行四平市分行", "四平农村商业银行"],
        ["延边农村商业银行", "中国农业银行延边分行", "吉林银行延边分行", "中国建设银行延边分行"],
    ].map { $0.map { Array($0.utf8) } }

    /// Approval document prefixes of the human-resources bureaus, by prefecture, then the province.
    static let approvalHeads: [[UInt8]] = ["长人社就〔", "吉市人社就〔", "四人社就〔", "延州人社就〔", "吉人社就〔"].map { Array($0.utf8) }
    static let financeHeads: [[UInt8]] = ["长财社〔", "吉市财社〔", "四财社〔", "延州财社〔", "吉财社指〔"].map { Array($0.utf8) }
    static let closeBracket = Array("〕".utf8)
    static let documentTail = Array("号".utf8)
    static let supplementaryTail = Array("号 追加预算".utf8)
    static let transferTail = Array("号 资金调度".utf8)
    static let writeOffHead = Array("吉财金〔".utf8)
    static let writeOffTail = Array("号 创业担保基金呆坏账核销".utf8)
    static let voucherHead = Array("V".utf8)
    static let dash = Array("-".utf8)
    static let empty: [UInt8] = []

    static let reasonDuplicateEntry = Array("重复录入，冲销".utf8)
    static let reasonWrongAmount = Array("核定金额有误，冲正后按核定金额重新发放".utf8)
    static let reasonWrongEnterprise = Array("补贴对象录入错误，冲销".utf8)
    static let reasonBounced = Array("银行退票，还款未到账".utf8)
    static let recoveryReasons: [[UInt8]] = [
        "已实现就业，追回多发补贴", "停保核查，追回补贴", "审计发现不符合条件，依法追回", "企业提前解除劳动合同，追回补贴",
    ].map { Array($0.utf8) }
}
