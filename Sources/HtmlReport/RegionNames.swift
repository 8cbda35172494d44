/// Names of the GB/T 2260 regions of Jilin Province a reader knows better
/// than their codes, in Chinese and English. The ledger holds only codes;
/// a code not listed here is shown by its code alone, so a name is a help
/// to the reader, never a fact the figures depend on.
public enum RegionNames {
    public static func name(_ code: String, language: ReportLanguage) -> String? {
        guard let names = table[code] else { return nil }
        return language == .zhCN ? names.zh : names.en
    }

    static let table: [String: (zh: String, en: String)] = [
        "220000": ("吉林省", "Jilin Province"),
        "220100": ("长春市", "Changchun"),
        "220102": ("南关区", "Nanguan District"),
        "220103": ("宽城区", "Kuancheng District"),
        "220104": ("朝阳区", "Chaoyang District"),
        "220105": ("二道区", "Erdao District"),
        "220106": ("绿园区", "Lüyuan District"),
        "220112": ("双阳区", "Shuangyang District"),
        "220113": ("九台区", "Jiutai District"),
        "220122": ("农安县", "Nong'an County"),
        "220182": ("榆树市", "Yushu"),
        "220183": ("德惠市", "Dehui"),
        "220200": ("吉林市", "Jilin City"),
        "220202": ("昌邑区", "Changyi District"),
        "220203": ("龙潭区", "Longtan District"),
        "220204": ("船营区", "Chuanying District"),
        "220211": ("丰满区", "Fengman District"),
        "220221": ("永吉县", "Yongji County"),
        "220281": ("蛟河市", "Jiaohe"),
        "220300": ("四平市", "Siping"),
        "220302": ("铁西区", "Tiexi District"),
        "220303": ("铁东区", "Tiedong District"),
        "220322": ("梨树县", "Lishu County"),
        "222400": ("延边朝鲜族自治州", "Yanbian Korean Autonomous Prefecture"),
        "222401": ("延吉市", "Yanji"),
        "222402": ("图们市", "Tumen"),
        "222403": ("敦化市", "Dunhua"),
    ]
}
