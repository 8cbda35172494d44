import ArgumentParser
import EventStore
import LedgerCore
import Proofs

struct StatsCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show event count, head, recorded times and storage sizes.")

    @OptionGroup var location: LedgerLocation
    @OptionGroup var privacy: PrivacyOptions

    @Option(name: .long, help: ArgumentHelp("Output format: table, json or csv.", valueName: "format"))
    var format: String = "table"

    func validate() throws {
        guard OutputFormat(rawValue: format) != nil else { throw ValidationError("--format: \"\(format)\" is not one of table, json, csv") }
    }

    func run() throws {
        let ledger = try location.open(readOnly: true)
        let stats = try ledger.statistics()
        let projections = try ledger.projectionStatus()
        let coverage = try ledger.merkleCoverage()
        let tree = coverage.treeSize > 0 ? try ledger.treeHead(size: coverage.treeSize) : nil
        // The only ledger-given text here (the rest are counts and hashes).
        let origin = privacy.masking.text(try ledger.origin().name)
        let path = privacy.masking.text(ledger.path)
        var out = Output()
        let first = stats.firstRecordedMicros.map(Clock.iso8601(micros:))
        let last = stats.lastRecordedMicros.map(Clock.iso8601(micros:))
        switch OutputFormat(rawValue: format)! {
        case .json:
            let databases = stats.databases.map { "{\"name\":\"\($0.name)\",\"entries\":\($0.entries),\"bytes\":\($0.bytes)}" }
            out.line("{\"events\":\(stats.events),\"head\":\(stats.events),\"hash\":\"\(HashChain.hex(stats.headHash))\","
                + "\"firstRecorded\":\(first.map { "\"\($0)\"" } ?? "null"),\"lastRecorded\":\(last.map { "\"\($0)\"" } ?? "null"),"
                + "\"streams\":\(stats.streams),\"reversals\":\(stats.reversals),\"formatVersion\":\(stats.formatVersion),"
                + "\"mapSizeBytes\":\(stats.mapSizeBytes),\"usedBytes\":\(stats.usedBytes),"
                + "\"databases\":[\(databases.joined(separator: ","))],"
                + "\"projections\":{\"version\":\(projections.version.map(String.init) ?? "null"),\"checkpoint\":\(projections.checkpoint),"
                + "\"snapshots\":[\(projections.snapshots.map(String.init).joined(separator: ","))]},"
                + "\"origin\":\(jsonString(origin)),\"tree\":{\"size\":\(coverage.treeSize),"
                + "\"rootHash\":\(tree.map { "\"\(Base64.encode($0.rootHash.bytes))\"" } ?? "null")}}")
        case .csv:
            // One record a database; every record also carries the head, so
            // that a spreadsheet of sizes says which ledger state it shows.
            out.line("database,entries,bytes,head,hash")
            for db in stats.databases {
                out.line([db.name, String(db.entries), String(db.bytes), String(stats.events), HashChain.hex(stats.headHash)]
                    .map(csvField).joined(separator: ","))
            }
        case .table:
            out.line("ledger          \(TerminalText.escaped(path)) (format \(stats.formatVersion))")
            out.line("events          \(stats.events)")
            out.line("head            \(stats.events):\(HashChain.hex(stats.headHash))")
            out.line("recorded        \(first ?? "-") … \(last ?? "-")")
            out.line("streams         \(stats.streams)")
            out.line("reversals       \(stats.reversals)")
            out.line("storage         \(megabytes(stats.usedBytes)) used of a \(megabytes(stats.mapSizeBytes)) map")
            if let version = projections.version {
                let lag = stats.events - projections.checkpoint
                out.line("projections     version \(version), checkpoint \(projections.checkpoint)" + (lag > 0 ? " (\(lag) behind; caught up on read and on the next import)" : " (current)"))
                out.line("snapshots       " + (projections.snapshots.isEmpty ? "none yet (one every \(ledger.options.snapshotIntervalEvents) events)" : projections.snapshots.map(String.init).joined(separator: ", ")))
            } else {
                out.line("projections     none stored (run `subsidy-ledger rebuild`)")
            }
            out.line("origin          \(TerminalText.escaped(origin))")
            if let tree {
                out.line("merkle tree     \(tree.size) events, root \(Base64.encode(tree.rootHash.bytes))"
                    + (coverage.treeSize < coverage.head ? " (\(coverage.head - coverage.treeSize) behind; extended by the next import or `checkpoint`)" : ""))
            } else if coverage.head > 0 {
                out.line("merkle tree     not built yet (extended by the next import or `checkpoint`)")
            }
            out.line("")
            var table = TextTable(headers: ["DATABASE", "ENTRIES", "BYTES"], rightAligned: [1, 2])
            table.rows = stats.databases.map { [$0.name, String($0.entries), String($0.bytes)] }
            out.line(table.render())
        }
        out.flush()
    }

    private func megabytes(_ bytes: Int) -> String {
        let tenths = bytes * 10 / (1 << 20)
        return "\(tenths / 10).\(tenths % 10) MiB"
    }
}
