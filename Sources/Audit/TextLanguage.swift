import LedgerCore
import Policy

/// The language of the audit's sentences: finding messages, the steps of an
/// explanation and early-warning messages.
///
/// English is what every command, JSON and CSV output and the server give,
/// byte for byte as before; Simplified Chinese is for the pages the
/// provincial finance offices read (`report html --lang zh-CN`). Each
/// sentence is written once, with its two languages side by side at the
/// place that builds it (``words(en:zh:)``), so the two cannot say
/// different things. Only the language asked for is built.
///
/// Codes stay as they are in both languages: rule and warning codes, event,
/// loan, grant, person and fund ids, programme codes and parameter names.
/// Dates are ISO (`2016-03-01`) in both. Chinese amounts are grouped yuan
/// with two decimals, `1,234.56 元`, as the Chinese page writes them.
public enum TextLanguage: String, CaseIterable, Sendable {
    case english = "en"
    case chinese = "zh-CN"

    /// The sentence in this language; the other is not built.
    @inline(__always)
    func words(en english: @autoclosure () -> String, zh chinese: @autoclosure () -> String) -> String {
        self == .chinese ? chinese() : english()
    }

    /// What the last step of an explanation starts with, before the
    /// finding's message: `Finding: ` or `审计发现：`.
    public var findingStepPrefix: String { words(en: "Finding: ", zh: "审计发现：") }
}

/// A sentence whose English is always built (it orders warnings whatever
/// the language shown) and whose Chinese only when it is shown.
struct Sentence {
    /// The English, the sort key.
    let english: String
    /// The text shown: the English or the Chinese.
    let shown: String

    init(_ language: TextLanguage, en english: String, zh chinese: @autoclosure () -> String) {
        self.english = english
        shown = language == .chinese ? chinese() : english
    }
}

/// Chinese words for sentences, the counterpart of ``Say``.
enum Zh {
    /// `1,234.56 元`: grouped yuan from integer fen (negative with `-`).
    static func yuan(_ money: Money) -> String { yuan(fen: Int128(money.fen)) }

    static func yuan(fen: Int128) -> String { grouped(Money.yuan(fen: fen)) + " 元" }

    /// `1234567.89` → `1,234,567.89`, `-5000.00` → `-5,000.00`; any
    /// decimals after the point are kept as they are.
    static func grouped(_ yuan: String) -> String {
        let negative = yuan.hasPrefix("-")
        let digits = negative ? Substring(yuan.dropFirst()) : Substring(yuan)
        let point = digits.firstIndex(of: ".") ?? digits.endIndex
        let whole = Array(digits[..<point])
        var out = negative ? "-" : ""
        for (index, character) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out + digits[point...]
    }

    /// `3 个月`, `92 天`: a number and its measure word, spaced as the page spaces them.
    static func count(_ number: Int, _ measure: String) -> String { "\(number) \(measure)" }

    /// `300 个基点`.
    static func bp(_ bp: Int64) -> String { "\(bp) 个基点" }

    /// `2015-10-01 至 2015-12-31`, or one date.
    static func period(_ start: CalendarDate, _ end: CalendarDate) -> String {
        start == end ? start.description : "\(start) 至 \(end)"
    }

    /// `2016-08 至 2016-10`, or one month.
    static func months(_ span: MonthSpan) -> String {
        span.first == span.last ? YearMonth(index: span.first).description
            : YearMonth(index: span.first).description + " 至 " + YearMonth(index: span.last).description
    }

    /// `e-0028、e-0053、e-0054`.
    static func list(_ items: [String]) -> String { items.joined(separator: "、") }

    /// The unrounded amount of ``Say/exactYuan(_:over:)`` with separators and `元`.
    static func exactYuan(_ numerator: Int64, over denominator: Int64) -> String {
        grouped(Say.exactYuan(numerator, over: denominator)) + " 元"
    }

    /// A parameter's value with its unit: `100,000.00 元`, `300 个基点`, `36 个月`, `2 年`, `90 天`.
    static func value(_ entry: ParameterEntry) -> String {
        switch entry.value {
        case .money(let money): return yuan(money)
        case .integer(let number):
            switch entry.unit {
            case .basisPoints: return bp(number)
            case .months: return "\(number) 个月"
            case .years: return "\(number) 年"
            case .days: return "\(number) 天"
            default: return "\(number) \(entry.unit.rawValue)"
            }
        }
    }

    /// Where a value comes from: `参数 loan-cap-individual，自 2015-01-01 起，第（十一）条，文件规定`.
    static func provenance(_ entry: ParameterEntry) -> String {
        var text = "参数 \(entry.parameter)，自 \(entry.from) 起"
        if let clause = entry.clause { text += "，第（\(clause)）条" }
        if let source = entry.source { text += "，\(source)" }
        return text + "，" + basis(entry.basis)
    }

    static func basis(_ basis: ParameterBasis) -> String {
        switch basis {
        case .seed: "文件规定"
        case .localStandard: "地方标准"
        case .national: "国家规定"
        }
    }

    /// `第（十一）条` for the seed's numbers, the document otherwise (as ``LoanCapRule/Cap/citation``).
    static func citation(_ entry: ParameterEntry) -> String {
        if let clause = entry.clause { return "第（\(clause)）条" }
        return entry.source ?? entry.parameter.rawValue
    }

    static func group(_ group: RetirementGroup) -> String {
        switch group {
        case .male: "男性"
        case .femaleWorker: "女工人"
        case .femaleCadre: "女干部"
        }
    }

    /// `2022-03-05（男性，60 岁）`.
    static func retirement(_ retirement: Retirement) -> String {
        "\(retirement.date)（\(group(retirement.group))，\(retirement.ageYears) 岁）"
    }

    /// The counterpart of ``Retirement/reformNote``: empty unless a reform the file lacks applies.
    static func reformNote(_ retirement: Retirement) -> String {
        guard let reform = retirement.pendingReform else { return "" }
        return "注：退休日期 \(retirement.date) 在 \(reform.from) 或之后，自该日起实施渐进式延迟法定退休年龄改革（\(reform.source)），"
            + "政策文件尚未载入该改革，因此按改革前的退休年龄计算。"
    }

    /// A certification kind of the input vocabulary, named and with its code: `就业困难人员认定（employment-difficulty）`.
    static func certification(_ kind: String) -> String {
        let name: String
        switch kind {
        case "employment-difficulty": name = "就业困难人员认定"
        case "entrepreneurship-training": name = "创业培训合格认定"
        case "college-graduate": name = "高校毕业生认定"
        case "registered-unemployed": name = "登记失业人员认定"
        case "disabled": name = "残疾人认定"
        case "veteran": name = "退役军人认定"
        default: return "\(kind) 认定"
        }
        return "\(name)（\(kind)）"
    }

    /// An enterprise size of the input vocabulary: `中型（medium）`.
    static func size(_ size: String) -> String {
        switch size {
        case "micro": "微型（micro）"
        case "small": "小型（small）"
        case "medium": "中型（medium）"
        case "large": "大型（large）"
        default: size
        }
    }
}

extension LoanCategoryRule.Category {
    /// `个人创业担保贷款`, …: the counterpart of ``noun``.
    var chineseNoun: String {
        switch self {
        case .individual: "个人创业担保贷款"
        case .graduate: "高校毕业生创业担保贷款"
        case .enterprise: "企业创业担保贷款"
        }
    }
}
