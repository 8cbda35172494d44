import Foundation
import LedgerCore
import Projections
import Reports
import Testing

/// Events by id, and each grant's creating `subsidy.granted`: the look-ups a
/// fold needs, answered from memory instead of the store's indexes.
final class DictionaryLookup: EventLookup {
    var byID: [String: Event] = [:]
    var grants: [String: Event] = [:]

    func add(_ event: Event) {
        byID[event.id] = event
        // The grant's stream starts with the event that created it; a later
        // subsidy.granted under the same grant id never replaces it.
        if event.type == .subsidyGranted, let grant = event.data.string(.grant), grants[grant] == nil {
            grants[grant] = event
        }
    }

    func event(withID id: String) throws -> Event? { byID[id] }
    func grant(_ id: String) throws -> Event? { grants[id] }
}

/// For generated histories imported in random batches, every `balances`
/// answer of the CLI (stored projections, snapshots, the effective index,
/// replays) equals an independent oracle: a plain fold, in memory, of the
/// first P events of the generated file from the first one, rendered by the
/// same report function the CLI uses. The incrementally kept projections
/// also equal a rebuild.
///
/// The histories come from `subsidy-ledger-gen --breach-rate 30 --years 3`.
/// They exercise:
/// - reversals (`entry.reversed`): duplicated appropriations reversed (about
///   one fiscal year in two), bounced loan repayments, duplicated
///   certifications and wrongly keyed grants; the test expects at least one;
/// - back-dated events: within a month the generator writes each kind of
///   activity in turn with its own random day, so many events are effective
///   before events already appended, and the first month migrates people
///   whose grants cover months before it; the test expects some;
/// - planted policy breaches (overdrafts, …) from --breach-rate, which
///   import accepts and the audit reports.
@Suite("Projections on generated histories")
struct ProjectionPropertyTests {
    func generate(_ dir: WorkDirectory, events: Int, seed: Int) throws -> [String] {
        let file = dir.path + "/history-\(seed).jsonl"
        try generateHistory(["--events", String(events), "--seed", String(seed), "--breach-rate", "30", "--years", "3"], to: file)
        return try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The oracle: folds events 1…P from scratch for each requested P (one
    /// pass, copying the state at each P), under `view`'s business date.
    static func plainFold(_ events: [Event], prefixes: Set<Int>, effectiveOn: CalendarDate? = nil) throws -> [Int: Balances] {
        let lookup = DictionaryLookup()
        let view = LedgerView(effectiveOn: effectiveOn)
        var balances = Balances()
        var states: [Int: Balances] = [:]
        if prefixes.contains(0) { states[0] = balances }
        let last = prefixes.max() ?? 0
        for (index, event) in events.prefix(last).enumerated() {
            lookup.add(event)
            try balances.apply(event, view: view, lookup: lookup)
            if prefixes.contains(index + 1) { states[index + 1] = balances }
        }
        return states
    }

    /// Runs `balances --by … --format json` and compares its bytes with the oracle's rendering.
    func check(_ dir: WorkDirectory, _ oracle: Balances, prefix: Int, effectiveOn: CalendarDate? = nil) throws {
        for grouping in BalanceReports.Grouping.allCases {
            var arguments = ["balances", "--by", grouping.rawValue, "--format", "json", "--as-of-seq", String(prefix)]
            if let effectiveOn { arguments += ["--effective-on", effectiveOn.description] }
            let cli = try run(arguments, in: dir.path)
            #expect(cli.status == 0, "\(arguments.joined(separator: " ")): \(cli.stderr)")
            let expected = try BalanceReports.table(oracle, by: grouping, masking: .masked).renderJSON()
            // Byte for byte (String's == would equate canonically equivalent Unicode).
            #expect(cli.stdout.utf8.elementsEqual(expected.utf8),
                    "\(arguments.joined(separator: " ")) differs from the plain fold of events 1…\(prefix): \(firstDifference(cli.stdout, expected))")
        }
    }

    @Test("stored, snapshot, effective-dated and replayed balances == plain fold of the prefix; incremental == rebuild",
          .tags(.slow), .notInFastRuns, arguments: [3, 17])
    func property(seed: Int) throws {
        var random = SplitMix(seed: UInt64(seed))
        let dir = WorkDirectory()
        let lines = try generate(dir, events: 6000, seed: seed)
        let events = try lines.map { try EventParser().parse($0) }

        // The history exercises reversals and back-dated events.
        #expect(events.contains { $0.type == .entryReversed }, "the generated history should contain an entry.reversed")
        var latest = CalendarDate(dayNumber: .min)
        var backDated = 0
        for event in events {
            if event.effective < latest { backDated += 1 }
            latest = max(latest, event.effective)
        }
        #expect(backDated > 0, "the generated history should contain back-dated events")

        try runOK(["init"], in: dir.path)
        let snapshots = ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "700"]
        var start = 0
        var batch = 0
        while start < lines.count {
            let end = min(lines.count, start + 1 + random.below(1500))
            dir.file("batch\(batch).jsonl", lines[start..<end].joined(separator: "\n") + "\n")
            try runOK(["import", "--no-progress", "batch\(batch).jsonl"], in: dir.path, environment: snapshots)
            start = end
            batch += 1
        }
        let stats = try runOK(["stats", "--format", "json"], in: dir.path)
        let snapshotList = ((try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])?["projections"]
            as? [String: Any])?["snapshots"] as? [Int] ?? []
        #expect(snapshotList.count >= 5, "imports in batches should have left snapshots")

        // The head (current projections), a snapshot and just after two
        // snapshots (snapshot + fold), and random prefixes.
        var prefixes: Set<Int> = [lines.count]
        if let first = snapshotList.first { prefixes.insert(first) }
        for snapshot in snapshotList.prefix(2) { prefixes.insert(min(lines.count, snapshot + 1)) }
        for _ in 0..<3 { prefixes.insert(1 + random.below(lines.count)) }
        let states = try Self.plainFold(events, prefixes: prefixes)
        for prefix in prefixes.sorted() {
            try check(dir, try #require(states[prefix]), prefix: prefix)
        }

        // Business-date views: random dates inside the history, at the head
        // and at a random prefix, against the fold restricted by LedgerView(effectiveOn:).
        let days = events.map(\.effective.dayNumber)
        let low = Int(try #require(days.min())), high = Int(try #require(days.max()))
        for _ in 0..<2 {
            let date = CalendarDate(dayNumber: Int32(low + random.below(high - low + 1)))
            let dated: Set<Int> = [lines.count, 1 + random.below(lines.count)]
            let datedStates = try Self.plainFold(events, prefixes: dated, effectiveOn: date)
            for prefix in dated.sorted() {
                try check(dir, try #require(datedStates[prefix]), prefix: prefix, effectiveOn: date)
            }
        }

        // Rebuilding gives the digest the incremental projections had.
        let rebuild = try runOK(["rebuild", "--format", "json"], in: dir.path, environment: snapshots)
        let object = try JSONSerialization.jsonObject(with: Data(rebuild.stdout.utf8)) as? [String: Any]
        #expect(object?["digest"] as? String == object?["previousDigest"] as? String)
        #expect(object?["head"] as? Int == lines.count)
    }

    @Test("an as-of read that replays twenty thousand events from nothing (people and enterprises folded on a second thread) == plain fold of the prefix",
          .tags(.slow), .notInFastRuns)
    func longReplay() throws {
        let dir = WorkDirectory()
        let lines = try generate(dir, events: 24_000, seed: 29)
        let events = try lines.map { try EventParser().parse($0) }
        try runOK(["init"], in: dir.path)
        dir.file("all.jsonl", lines.joined(separator: "\n") + "\n")
        // No snapshot: an as-of read before the head folds from the first event.
        try runOK(["import", "--no-progress", "all.jsonl"], in: dir.path, environment: ["SUBSIDY_LEDGER_SNAPSHOT_EVENTS": "1000000"])
        let prefix = 20_000
        try check(dir, try #require(try Self.plainFold(events, prefixes: [prefix])[prefix]), prefix: prefix)
        let date = events[12_000].effective
        try check(dir, try #require(try Self.plainFold(events, prefixes: [prefix], effectiveOn: date)[prefix]), prefix: prefix, effectiveOn: date)
    }
}
