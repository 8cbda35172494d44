import Crypto
import EventStore
import Follow
import Glibc
import LMDBKit
import LedgerCore
import Projections
import Proofs

// LedgerBench: one measurement per process, so each reports its own peak
// memory. Prints one JSON object. Tools/bench-import runs the phases.
//
//   LedgerBench import FILE LEDGER_DIR [--no-tree]
//   LedgerBench proofs LEDGER_DIR [COUNT]
//   LedgerBench raw-append SOURCE_LEDGER DEST_DIR [--batch N] [--chain]
//   LedgerBench scan LEDGER_DIR
//   LedgerBench record-scan LEDGER_DIR
//   LedgerBench raw-scan LEDGER_DIR
//   LedgerBench rebuild LEDGER_DIR
//   LedgerBench as-of LEDGER_DIR SEQ
//   LedgerBench sha256-chain LEDGER_DIR
//   LedgerBench carry LEDGER_DIR FILE BATCH
//   LedgerBench http-load BASE_URL TARGET CONNECTIONS SECONDS [--header "Name: value"]

func seconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func peakResidentKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

func fail(_ message: String) -> Never {
    let line = "LedgerBench: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func report(_ fields: [(String, String)]) {
    print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("usage: LedgerBench import|proofs|raw-append|scan|record-scan|raw-scan|rebuild|as-of|sha256-chain|carry|http-load …") }
arguments.removeFirst()

switch command {
case "import":
    guard arguments.count == 2 || (arguments.count == 3 && arguments[2] == "--no-tree") else {
        fail("usage: LedgerBench import FILE LEDGER_DIR [--no-tree]")
    }
    var options = Ledger.OpenOptions()
    options.keepsMerkleTree = arguments.count == 2
    let ledger = try Ledger.create(at: arguments[1], options: options)
    let input = try InputFile(path: arguments[0])
    let start = seconds()
    let result = try ledger.importEvents(from: [input])
    let elapsed = seconds() - start
    report([("phase", options.keepsMerkleTree ? "\"import\"" : "\"import-without-tree\""),
            ("events", String(result.appended)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(result.appended) / elapsed))),
            ("inputBytes", String(input.bytes.count)), ("peakResidentKiB", String(peakResidentKiB()))])

case "proofs":
    // Inclusion proofs of events spread over the log and consistency proofs
    // from sizes spread over it, each timed alone, with the ledger open.
    guard arguments.count >= 1 else { fail("usage: LedgerBench proofs LEDGER_DIR [COUNT]") }
    let count = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
    let ledger = try Ledger.open(at: arguments[0], options: Ledger.OpenOptions(readOnly: true))
    let head = try ledger.head().seq
    guard head > 0 else { fail("the ledger is empty") }
    var generator = SystemRandomNumberGenerator()
    var ids: [String] = []
    for _ in 0..<count {
        try ledger.forEachEvent(from: UInt64.random(in: 1...head, using: &generator)) { ids.append($0.event.id); return false }
    }
    var inclusionSeconds: [Double] = []
    var longestPath = 0
    for id in ids {
        let start = seconds()
        let proof = try ledger.inclusionProof(eventID: id)
        inclusionSeconds.append(seconds() - start)
        try Merkle.verifyInclusion(leafIndex: proof.leafIndex, treeSize: proof.treeSize, leafHash: proof.leafHash,
                                   path: proof.path, root: proof.rootHash)
        longestPath = max(longestPath, proof.path.count)
    }
    var consistencySeconds: [Double] = []
    var longestConsistency = 0
    for _ in 0..<count {
        let from = UInt64.random(in: 1...head, using: &generator)
        let start = seconds()
        let proof = try ledger.consistencyProof(from: from)
        consistencySeconds.append(seconds() - start)
        try Merkle.verifyConsistency(from: from, to: head, oldRoot: proof.fromRootHash, root: proof.rootHash, path: proof.path)
        longestConsistency = max(longestConsistency, proof.path.count)
    }
    let start = seconds()
    _ = try ledger.treeHead(size: head)
    let headSeconds = seconds() - start
    func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
    report([("phase", "\"proofs\""), ("events", String(head)), ("proofs", String(count)),
            ("inclusionMeanMs", String(mean(inclusionSeconds) * 1000)), ("inclusionMaxMs", String(inclusionSeconds.max()! * 1000)),
            ("inclusionLongestPath", String(longestPath)),
            ("consistencyMeanMs", String(mean(consistencySeconds) * 1000)), ("consistencyMaxMs", String(consistencySeconds.max()! * 1000)),
            ("consistencyLongestPath", String(longestConsistency)),
            ("ceilLog2Events", String(64 - (head - 1).leadingZeroBitCount)),
            ("treeHeadMs", String(headSeconds * 1000)), ("peakResidentKiB", String(peakResidentKiB()))])

case "raw-append":
    guard arguments.count >= 2 else { fail("usage: LedgerBench raw-append SOURCE_LEDGER DEST_DIR [--batch N] [--chain]") }
    var batch = Int.max
    if let index = arguments.firstIndex(of: "--batch"), index + 1 < arguments.count, let size = Int(arguments[index + 1]) { batch = size }
    let chain = arguments.contains("--chain")
    // Load the stored records first; only the appends are timed.
    let source = try Environment(path: arguments[0], options: { var o = Environment.Options(); o.readOnly = true; return o }())
    let sourceEvents = try source.openDatabase(named: "events", create: false)
    var records: [[UInt8]] = []
    try source.read { txn in
        try txn.withCursor(sourceEvents) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { _, value in
                records.append(Array(value))
                return true
            }
        }
    }
    mkdir(arguments[1], 0o755)
    var options = Environment.Options()
    options.initialMapSizeBytes = records.reduce(0) { $0 + $1.count } * 3 + (64 << 20)
    let destination = try Environment(path: arguments[1], options: options)
    let events = try destination.openDatabase(named: "events", create: true)
    let start = seconds()
    var previous = HashChain.genesis
    var next = 0
    while next < records.count {
        let end = min(records.count, next &+ batch)
        try destination.write { txn in
            for index in next..<end {
                if chain {
                    let record = records[index]
                    previous = record.withUnsafeBytes { bytes in
                        previous.withUnsafeBytes { HashChain.link(previous: $0, canonical: UnsafeRawBufferPointer(rebasing: bytes[32...])) }
                    }
                }
                try txn.append(events, key: sequenceKey(UInt64(index + 1)), value: records[index])
            }
        }
        next = end
    }
    let elapsed = seconds() - start
    report([("phase", "\"raw-append\""), ("events", String(records.count)), ("batch", String(batch == Int.max ? records.count : batch)),
            ("chain", String(chain)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(records.count) / elapsed))), ("peakResidentKiB", String(peakResidentKiB()))])

case "scan":
    guard arguments.count == 1 else { fail("usage: LedgerBench scan LEDGER_DIR") }
    let ledger = try Ledger.open(at: arguments[0], options: .init(readOnly: true))
    let start = seconds()
    var count = 0
    var checksum: UInt64 = 0
    try ledger.forEachEvent { stored in
        count += 1
        checksum &+= UInt64(bitPattern: stored.event.data.money(.amount)?.fen ?? 0)
        return true
    }
    let elapsed = seconds() - start
    report([("phase", "\"decode-scan\""), ("events", String(count)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(count) / elapsed))), ("checksum", String(checksum)),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "record-scan":
    // The decoder replays use (rebuild, as-of reads, the audit, reports): each
    // record read in place and checked as the full decoder checks it, one
    // field read from it, no Event built.
    guard arguments.count == 1 else { fail("usage: LedgerBench record-scan LEDGER_DIR") }
    let ledger = try Ledger.open(at: arguments[0], options: .init(readOnly: true))
    let start = seconds()
    var count = 0
    var checksum: UInt64 = 0
    try ledger.forEachRecord { record in
        count += 1
        if record.has(.amount) { checksum &+= UInt64(bitPattern: record.fen(.amount)) }
        return true
    }
    let elapsed = seconds() - start
    report([("phase", "\"record-scan\""), ("events", String(count)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(count) / elapsed))), ("checksum", String(checksum)),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "raw-scan":
    // A cursor over the stored records, touching each byte of the value: the floor for any replay.
    guard arguments.count == 1 else { fail("usage: LedgerBench raw-scan LEDGER_DIR") }
    let env = try Environment(path: arguments[0], options: { var o = Environment.Options(); o.readOnly = true; return o }())
    let events = try env.openDatabase(named: "events", create: false)
    let start = seconds()
    var count = 0
    var checksum: UInt64 = 0
    try env.read { txn in
        try txn.withCursor(events) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { _, value in
                count += 1
                checksum &+= UInt64(value[value.count - 1]) &+ UInt64(value.count)
                return true
            }
        }
    }
    let elapsed = seconds() - start
    report([("phase", "\"raw-scan\""), ("events", String(count)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(count) / elapsed))), ("checksum", String(checksum)),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "rebuild":
    guard arguments.count == 1 else { fail("usage: LedgerBench rebuild LEDGER_DIR") }
    let ledger = try Ledger.open(at: arguments[0])
    let start = seconds()
    let result = try ledger.rebuildProjections()
    let elapsed = seconds() - start
    report([("phase", "\"rebuild\""), ("events", String(result.head)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(result.head) / elapsed))), ("digest", "\"\(result.digest)\""),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "as-of":
    guard arguments.count == 2, let seq = UInt64(arguments[1]) else { fail("usage: LedgerBench as-of LEDGER_DIR SEQ") }
    let ledger = try Ledger.open(at: arguments[0], options: .init(readOnly: true))
    let start = seconds()
    let (balances, last) = try ledger.balances(view: LedgerView(asOfSeq: seq))
    let elapsed = seconds() - start
    report([("phase", "\"as-of\""), ("seq", String(last)), ("seconds", String(elapsed)),
            ("lines", String(balances.lines.count)), ("people", String(balances.people.count)), ("loans", String(balances.loans.count)),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "carry":
    // The server's balances after each commit: FILE's events are appended to
    // the ledger in batches of BATCH, and after each one the kept balances
    // are carried forward (the new events folded) and, for comparison, read
    // afresh (every stored balance, checksum checked). Appends to the ledger.
    guard arguments.count == 3, let batch = Int(arguments[2]), batch > 0 else { fail("usage: LedgerBench carry LEDGER_DIR FILE BATCH") }
    // As the server opens it: each append confirms its own head, not the whole log.
    var options = Ledger.OpenOptions()
    options.remembersVerifiedHead = true
    let ledger = try Ledger.open(at: arguments[0], options: options)
    let lines = try String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n")
    var state = try ledger.headBalances()
    var carrySeconds: [Double] = [], freshSeconds: [Double] = [], folded: UInt64 = 0
    var start = 0
    while start < lines.count {
        let end = min(lines.count, start + batch)
        let input = InputFile(name: "batch", bytes: Array(lines[start..<end].joined(separator: "\n").utf8))
        _ = try ledger.importEvents(from: [input])
        var begin = seconds()
        let step = try ledger.carryForward(&state)
        carrySeconds.append(seconds() - begin)
        guard case .carried(let events) = step else { fail("batch at line \(start + 1) was not carried: \(step)") }
        folded += events
        begin = seconds()
        let fresh = try ledger.headBalances()
        freshSeconds.append(seconds() - begin)
        guard StateCodec.canonicalBytes(fresh.balances) == StateCodec.canonicalBytes(state.balances) else {
            fail("the carried balances differ from a fresh read at seq \(fresh.seq)")
        }
        start = end
    }
    func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
    report([("phase", "\"carry\""), ("batches", String(carrySeconds.count)), ("events", String(folded)),
            ("carrySecondsMean", String(mean(carrySeconds))), ("carrySecondsMax", String(carrySeconds.max() ?? 0)),
            ("freshSecondsMean", String(mean(freshSeconds))), ("freshSecondsMax", String(freshSeconds.max() ?? 0)),
            ("peakResidentKiB", String(peakResidentKiB()))])

case "http-load":
    // A closed-loop HTTP client beside wrk (HTTPLoad.swift): GET BASE_URL
    // TARGET from CONNECTIONS threads, each with one keep-alive connection
    // that sends the next GET as soon as the answer before it has been read
    // whole, for SECONDS. Every request's
    // latency (from writing it to the last byte of its body, on the
    // monotonic clock) is kept, so the percentiles are over every request,
    // and `busy` (the sum of the latencies over CONNECTIONS × SECONDS,
    // at most 1 by Little's law) shows that they add up.
    guard arguments.count >= 4, arguments[1].hasPrefix("/"), let connections = Int(arguments[2]), connections > 0,
          let duration = Double(arguments[3]), duration > 0 else {
        fail("usage: LedgerBench http-load BASE_URL TARGET CONNECTIONS SECONDS [--header \"Name: value\"] (TARGET: a path and query)")
    }
    let address: HTTPAddress
    do { address = try HTTPAddress(parsing: arguments[0]) } catch { fail("\(error)") }
    var headers: [(String, String)] = []
    var rest = arguments.dropFirst(4)
    while let option = rest.popFirst() {
        guard option == "--header", let value = rest.popFirst(), let colon = value.firstIndex(of: ":") else { fail("unknown option \(option)") }
        headers.append((String(value[..<colon]), String(value[value.index(after: colon)...].drop { $0 == " " })))
    }
    let load = HTTPLoad(address: address, target: address.path + arguments[1], headers: headers)
    let results = load.run(connections: connections, seconds: duration)
    let elapsed = results.seconds
    let sorted = results.latencies  // sorted by run(connections:seconds:)
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return Double(sorted[min(max(rank, 0), sorted.count - 1)]) / 1e6
    }
    let total = sorted.reduce(0.0) { $0 + Double($1) / 1e9 }
    report([("phase", "\"http-load\""), ("connections", String(connections)), ("requests", String(sorted.count)),
            ("seconds", String(elapsed)), ("requestsPerSecond", String(Double(sorted.count) / elapsed)),
            ("bytes", String(results.bytes)), ("p50Milliseconds", String(percentile(50))),
            ("p99Milliseconds", String(percentile(99))), ("p999Milliseconds", String(percentile(99.9))),
            ("maxMilliseconds", String(percentile(100))), ("meanMilliseconds", String(sorted.isEmpty ? 0 : total * 1000 / Double(sorted.count))),
            ("busy", String(total / (Double(connections) * elapsed))), ("failures", String(results.failures.count))]
           + (results.failures.first.map { [("firstFailure", JSONString.quote($0))] } ?? []))
    if !results.failures.isEmpty { exit(1) }

case "sha256-chain":
    // The floor for `verify`: a cursor over the stored records computing the
    // bare chain SHA-256(previous ‖ canonical) with swift-crypto, comparing
    // it with the stored hash, and nothing else (no decoding, no checks).
    guard arguments.count == 1 else { fail("usage: LedgerBench sha256-chain LEDGER_DIR") }
    let env = try Environment(path: arguments[0], options: { var o = Environment.Options(); o.readOnly = true; return o }())
    let events = try env.openDatabase(named: "events", create: false)
    let start = seconds()
    var count = 0
    var mismatches = 0
    var bytes = 0
    var previous = [UInt8](repeating: 0, count: 32)
    try env.read { txn in
        try txn.withCursor(events) { cursor in
            try cursor.forEach(from: nil as [UInt8]?) { _, value in
                guard value.count >= 32 else { mismatches += 1; return true }
                var hasher = SHA256()
                previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: value[32...]))
                let digest = hasher.finalize()
                let equal = digest.withUnsafeBytes { computed in
                    previous.withUnsafeMutableBytes { $0.copyMemory(from: computed) }
                    return memcmp(computed.baseAddress!, value.baseAddress!, 32) == 0
                }
                if !equal { mismatches += 1 }
                count += 1
                bytes += value.count - 32
                return true
            }
        }
    }
    let elapsed = seconds() - start
    report([("phase", "\"sha256-chain\""), ("events", String(count)), ("seconds", String(elapsed)),
            ("eventsPerSecond", String(Int(Double(count) / elapsed))), ("canonicalBytes", String(bytes)),
            ("mismatches", String(mismatches)), ("head", "\"\(count):\(HashChain.hex(previous))\""),
            ("peakResidentKiB", String(peakResidentKiB()))])

default:
    fail("unknown command \(command)")
}
