import EventStore
import LedgerCore

/// The summary of an import as `import --format json` prints it and
/// `POST /v1/events` answers (docs/OUTPUT.md):
///
///     {"appended":N,"duplicates":N,"rejected":N,"head":N,"hash":"…","errors":[…],"unlistedErrors":N}
///
/// `rejected` counts every refused line; `errors` lists the first of them
/// (file, line, field, message) and `unlistedErrors` says how many more there
/// were. A rejected import appended nothing, whatever `report.appended` held.
public enum ImportJSON {
    public static func summary(_ report: ImportReport, rejected: Bool) -> String {
        let errors = report.errors.map {
            "{\"file\":\(JSONString.quote($0.source)),\"line\":\($0.line),\"field\":\(JSONString.quote($0.error.field)),\"message\":\(JSONString.quote($0.error.message))}"
        }
        return "{\"appended\":\(rejected ? 0 : report.appended),\"duplicates\":\(report.duplicates),\"rejected\":\(report.rejected),"
            + "\"head\":\(report.headSeq),\"hash\":\"\(HashChain.hex(report.headHash))\",\"errors\":[\(errors.joined(separator: ","))],"
            + "\"unlistedErrors\":\(report.unlistedErrors)}"
    }
}
