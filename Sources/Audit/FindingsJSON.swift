import LedgerCore

/// The JSON of `audit --format json` (docs/OUTPUT.md), a stable interface:
///
///     {"findings":[
///     {"rule":"LOAN-CAP","clause":"十一","subject":"person:p-006","trigger":"e-0102",
///      "events":["e-0102","e-0035","e-0091"],"amount":"10000.00","message":"…"},
///     …
///     ]}
///
/// one finding a line, keys in this order, `amount` a yuan string with two
/// decimals or null. Fields may be added, never renamed.
public enum FindingsJSON {
    public static func render(_ findings: [Finding]) -> String {
        var out = "{\"findings\":["
        for (index, finding) in findings.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += object(finding)
        }
        out += findings.isEmpty ? "]}\n" : "\n]}\n"
        return out
    }

    /// One finding as a JSON object.
    public static func object(_ finding: Finding) -> String {
        "{\"rule\":" + quote(finding.rule.rawValue)
            + ",\"clause\":" + quote(finding.clause)
            + ",\"subject\":" + quote(finding.subject)
            + ",\"trigger\":" + quote(finding.trigger)
            + ",\"events\":[" + finding.events.map(quote).joined(separator: ",") + "]"
            + ",\"amount\":" + (finding.amount.map { "\"" + $0.yuan + "\"" } ?? "null")
            + ",\"message\":" + quote(finding.message) + "}"
    }

    /// A JSON string literal.
    public static func quote(_ text: String) -> String { JSONString.quote(text) }
}
