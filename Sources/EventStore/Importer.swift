import Glibc
import LMDBKit
import LedgerCore
import Projections
import Proofs

/// One rejected input line.
public struct LineError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var error: FieldError
    /// `FILE:LINE: field: what is wrong`, control characters of the file
    /// name escaped as in every message (``TerminalText``).
    public var description: String { "\(TerminalText.escaped(source)):\(line): \(error.field): \(error.message)" }
}

/// What an import did (or, when rejected, would have had to refuse).
public struct ImportReport: Sendable {
    public var appended = 0
    public var duplicates = 0
    /// Every line refused, counted to the end of the input; when non-zero
    /// nothing was appended.
    public var rejected = 0
    /// The first refused lines with their reasons, at most
    /// ``Ledger/maxReportedErrors`` of them.
    public var errors: [LineError] = []
    /// Refused lines beyond those listed in ``errors``.
    public var unlistedErrors: Int { rejected - errors.count }
    /// Whether more lines were refused than ``errors`` lists.
    public var stoppedEarly: Bool { unlistedErrors > 0 }
    /// Head after the import (unchanged when rejected).
    public var headSeq: UInt64 = 0
    public var headHash: [UInt8] = HashChain.genesis
    /// The first appended sequence number, when anything was appended.
    public var firstAppendedSeq: UInt64?
}

/// Thrown when any line is refused: nothing of the batch was appended.
public struct ImportRejected: Error, Sendable {
    public var report: ImportReport
}

/// Progress of an import, for a terminal.
public struct ImportProgress: Sendable {
    public var source: String
    public var bytesDone: Int
    public var bytesTotal: Int
    public var lines: Int
}

extension Ledger {
    /// At most this many refused lines are listed with their reasons;
    /// validation goes on to the end to count every refused line.
    public static let maxReportedErrors = 100
    /// Longest accepted line, so one runaway line cannot exhaust memory.
    public static let maxLineBytes = 64 * 1024

    /// Validates every line of `sources` and appends them as one atomic batch:
    /// all their new events, or, if any line is refused, nothing at all.
    ///
    /// Lines whose id is already stored with identical content are skipped
    /// and counted as duplicates. Throws ``ImportRejected`` carrying the
    /// count of every refused line and the first ``maxReportedErrors`` of
    /// them with their reasons.
    ///
    /// Stored projections of another version are rebuilt first, in a step
    /// of their own that `notice` reports, never inside the import.
    public func importEvents(
        from sources: [InputFile],
        parser: EventParser = EventParser(),
        notice: ((String) -> Void)? = nil,
        progress: ((ImportProgress) -> Void)? = nil
    ) throws -> ImportReport {
        // Nothing is appended to a log that fails its check: the whole chain
        // (and the stored Merkle tree) is verified first, so damage anywhere
        // stops the import until it is dealt with.
        try checkLogBeforeAppending()
        try prepareProjections(notice: notice)
        let added = options.keepsMerkleTree ? try catchUpMerkleTree() : 0
        if added > 0 { notice?("extended the Merkle tree over \(added) event(s) appended before it was kept") }
        // Grow ahead of time so a large import rarely has to start over.
        if options.anticipateGrowth {
            let inputBytes = sources.reduce(0) { $0 + $1.bytes.count }
            let used = env.info().lastPage * env.pageSizeBytes
            try env.growMap(toAtLeast: used + inputBytes * 3 + (16 << 20))
        }

        var writtenChecksum: [UInt8]?
        let report: ImportReport = try env.write { txn in
            var batch = try BatchWriter(ledger: self, txn: txn)
            var report = ImportReport()
            let projections = try ProjectionWriter(ledger: self, txn: txn, placements: batch.state)
            try projections.catchUp(to: batch.nextSeq - 1)
            projections.foldCompactly()
            let pipeline = ParsePipeline(inputs: sources, parser: parser, maxLineBytes: Self.maxLineBytes,
                                         releaseStep: options.inputReleaseBytes,
                                         chain: .init(nextSeq: batch.nextSeq, previous: batch.previousHash, recordedMicros: batch.recordedMicros))
            // However this ends (an LMDB error included), the parser thread
            // stops before the sources can be unmapped.
            defer { pipeline.finish() }
            var lastProgressBytes = 0
            var lastRelease = 0
            while var chunk = pipeline.take() {
                let name = sources[chunk.source].name
                // The lines are read where the chunk holds them: a copy of
                // each parsed event would retain and release every string
                // and list in it, on the thread that bounds the import.
                // (The event goes to the batch and the fold `inout`: read
                // through the buffer's pointer, a plain argument was copied.)
                try chunk.lines.withUnsafeMutableBufferPointer { lines in
                    for index in lines.indices {
                        // The streams of the lines ahead, asked for in
                        // steps (see ``ParsePipeline/StreamHashes``).
                        for (step, distance) in Self.streamPrefetchSteps where index + distance < lines.count {
                            batch.state.prefetch(lines[index + distance].streams, step: step)
                        }
                        do {
                            if let error = lines[index].error { throw error }
                            switch try batch.append(&lines[index].event, content: lines[index].content, chained: lines[index].chained) {
                            case .appended:
                                report.appended += 1
                                // Once a line is refused the batch is lost; stop folding.
                                if report.rejected == 0 {
                                    try Self.fold(&lines[index].event, seq: batch.nextSeq - 1, record: batch.lastRecord, into: projections)
                                }
                            case .duplicate: report.duplicates += 1
                            }
                        } catch let error as FieldError {
                            // Every refused line is counted (the count is the
                            // truth a user acts on); only the first are kept.
                            report.rejected += 1
                            if report.errors.count < Self.maxReportedErrors {
                                report.errors.append(LineError(source: name, line: lines[index].number, error: error))
                            }
                        }
                    }
                }
                let total = sources[chunk.source].bytes.count
                if let progress, chunk.sourceFinished || chunk.bytesDone - lastProgressBytes >= 1 << 20 {
                    lastProgressBytes = chunk.sourceFinished ? 0 : chunk.bytesDone
                    progress(ImportProgress(source: name, bytesDone: chunk.bytesDone, bytesTotal: total, lines: chunk.linesDone))
                }
                pipeline.recycle(chunk)
                // The pages of the map that this transaction's look-ups read
                // (`ids`, `streams`, `projection-entries` …) stay resident
                // otherwise: at ten million events, gigabytes.
                if report.appended - lastRelease >= options.mapReleaseEvents {
                    lastRelease = report.appended
                    env.releaseMappedPages()
                }
            }
            if report.rejected > 0 { throw ImportRejected(report: report) }
            try projections.flush()
            try batch.finish()
            writtenChecksum = projections.writtenChecksum
            report.headSeq = batch.nextSeq - 1
            report.headHash = batch.previousHash
            if report.appended > 0 { report.firstAppendedSeq = batch.firstSeq }
            return report
        }
        // This process wrote every byte after the head it had verified,
        // and the balances' checksum it had added up or written before.
        verifiedHead?.remember(seq: report.headSeq, hash: report.headHash)
        if let writtenChecksum { verifiedHead?.rememberProjectionChecksum(writtenChecksum) }
        return report
    }

    /// How far ahead of the line being appended the writer asks for each
    /// step of its streams' look-ups (step, lines ahead): each step reads
    /// what the one before brought in.
    static let streamPrefetchSteps: [(step: Int, distance: Int)] = [(0, 8), (1, 6), (2, 4), (3, 2)]

    /// Verifies the whole log (chain and stored tree) before an append, or,
    /// in a process that keeps ``verifiedHead`` (the server), only confirms
    /// that the head is still the one it verified or wrote itself.
    ///
    /// A long-running server appends many small batches: verifying a
    /// million events before each would make one append cost a second. It
    /// verifies the log once, then after each append of its own knows the
    /// new head is its own work. When the head is not the one remembered
    /// (another process appended), the whole log is verified again. What
    /// this gives up: damage to records below the head made by another
    /// program while the server runs is found by the first read that passes
    /// over them (every read checks each record's link), by `verify`, or by
    /// the first append after a restart, not by the next append.
    func checkLogBeforeAppending() throws {
        if let memo = verifiedHead, let known = memo.known {
            let head = try head()
            if head.seq == known.seq && head.hash == known.hash { return }
        }
        let check = try verify()
        if let bad = check.firstBadSeq {
            throw LedgerError.corrupt("the log fails its check at seq \(bad): \(check.problem ?? "")")
        }
        if let problem = check.treeProblem { throw LedgerError.corrupt(problem) }
        verifiedHead?.remember(seq: check.headSeq, hash: check.headHash)
    }
}

/// The head this process last verified or appended itself (see
/// ``Ledger/checkLogBeforeAppending()``); shared by the server's threads.
public final class VerifiedHeadMemo: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value: (seq: UInt64, hash: [UInt8])?
    private var projectionChecksum: [UInt8]?

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    var known: (seq: UInt64, hash: [UInt8])? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return value
    }

    func remember(seq: UInt64, hash: [UInt8]) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        value = (seq, hash)
    }

    /// The stored balances' checksum (its stored bytes) that this process
    /// last wrote or added up itself (see ``Ledger/ProjectionWriter``).
    var knownProjectionChecksum: [UInt8]? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return projectionChecksum
    }

    func rememberProjectionChecksum(_ bytes: [UInt8]) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        projectionChecksum = bytes
    }
}

extension Ledger {
    /// Folds an appended event into the stored projections, from its stored
    /// `record` when the caller has it; a figure that would leave 64-bit fen
    /// is the line's fault, reported as `FILE:LINE: data.amount: …` with the
    /// amount, like any refused line.
    static func fold(_ event: Event, seq: UInt64, record: [UInt8]? = nil, into projections: ProjectionWriter) throws {
        do {
            if let record { try projections.apply(event, seq: seq, record: record) } else { try projections.apply(event, seq: seq) }
        } catch let overflow as OverflowError {
            let field = event.data.money(.amount) != nil ? Field.amount : .principal
            let amount = event.data.money(field).map { "\($0.yuan) yuan" } ?? "this event"
            throw FieldError("data.\(field.name)", "\(amount) would take \(overflow.what) past \(Money(fen: .max).yuan) yuan, "
                + "the most a 64-bit count of fen holds")
        }
    }

    /// ``fold(_:seq:record:into:)`` of an event the caller holds in place
    /// (`inout` only so that it is not copied on the way in).
    static func fold(_ event: inout Event, seq: UInt64, record: [UInt8], into projections: ProjectionWriter) throws {
        try fold(event, seq: seq, record: record, into: projections)
    }
}

/// Splits a buffer into lines: LF or CRLF endings, a UTF-8 byte-order mark
/// at the start ignored, whitespace-only lines skipped.
struct LineReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var lineNumber = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { offset = 3 }
    }

    /// The next non-blank line and its 1-based number, without its ending.
    mutating func next() -> (Int, UnsafeRawBufferPointer)? {
        while offset < bytes.count {
            lineNumber += 1
            let start = offset
            let remaining = bytes.count - start
            let found = memchr(bytes.baseAddress! + start, 0x0A, remaining)
            var end: Int
            if let found {
                end = start + (UnsafeRawPointer(found) - (bytes.baseAddress! + start))
                offset = end + 1
            } else {
                end = bytes.count
                offset = bytes.count
            }
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            var blank = true
            for index in start..<end {
                let byte = bytes[index]
                if byte != 0x20 && byte != 0x09 && byte != 0x0D {
                    blank = false
                    break
                }
            }
            if blank { continue }
            return (lineNumber, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
        return nil
    }
}

/// Appends events inside one write transaction: assigns sequence numbers,
/// chains hashes and keeps every index in step.
struct BatchWriter {
    enum Outcome { case appended, duplicate }

    let ledger: Ledger
    let txn: WriteTransaction
    let rules = AppendRules()
    let recordedMicros: Int64
    let firstSeq: UInt64
    var nextSeq: UInt64
    var previousHash: [UInt8]
    /// The stored record (hash ‖ canonical bytes) of the last event written.
    private(set) var lastRecord: [UInt8] = []
    let state: TransactionState
    /// The Merkle tree over the log, extended with each appended event
    /// (nil only when the import benchmark measures the log without it).
    var tree: BackgroundMerkleAppender?

    init(ledger: Ledger, txn: WriteTransaction) throws {
        self.ledger = ledger
        self.txn = txn
        let head = try ledger.head(in: txn)
        // The head record is checked again inside the write transaction.
        if head.seq > 0 { try ledger.forEachEvent(in: txn, from: head.seq, to: head.seq) { _ in true } }
        nextSeq = head.seq + 1
        firstSeq = nextSeq
        previousHash = head.hash
        // Recorded time never decreases along the sequence, whatever the clock does.
        recordedMicros = max(Clock.nowMicros(), head.recordedMicros)
        state = TransactionState(ledger: ledger, txn: txn)
        guard ledger.options.keepsMerkleTree else {
            tree = nil
            return
        }
        guard let frontier = try ledger.checkedFrontier(in: txn), frontier.size == head.seq else {
            throw LedgerError.corrupt("the Merkle tree does not cover the \(head.seq) events of the log")
        }
        tree = BackgroundMerkleAppender(frontier: frontier, database: try ledger.merkle ?? txn.database(named: "merkle", create: true))
    }

    /// Stores what the batch changed beyond the events and their indexes:
    /// the stream states held in memory, the Merkle tree's new nodes and its
    /// frontier. Must be called before the transaction commits.
    func finish() throws {
        try state.flush()
        try tree?.finish(txn: txn, meta: ledger.meta)
    }

    mutating func append(_ event: Event) throws -> Outcome {
        var event = event
        return try append(&event, content: EventCodec.encodeContent(event))
    }

    /// Appends `event`, whose content bytes the caller has already encoded
    /// (and perhaps hashed into the chain ahead, see ``ParsePipeline/Chained``).
    mutating func append(_ event: inout Event, content: [UInt8], chained: ParsePipeline.Chained? = nil) throws -> Outcome {
        precondition(content.count <= EventCodec.maxContentBytes, "event content over the limit despite field limits")
        var id = event.id
        return try id.withUTF8 { utf8 in
            let idKey = UnsafeRawBufferPointer(utf8)
            guard try Self.claim(idKey, seq: nextSeq, in: txn, ids: ledger.ids) else {
                let existingSeq = try storedSeq(ofID: idKey, event.id)
                let same = try txn.withValue(ledger.events, key: SequenceBytes(existingSeq)) { record -> Bool in
                    guard let record else { throw LedgerError.corrupt("id \(event.id) points at missing event \(existingSeq)") }
                    let stored = try EventCodec.content(ofRecord: record)
                    return stored.elementsEqual(content)
                }
                if same { return .duplicate }
                throw FieldError("id", "\(event.id) is already in the ledger (seq \(existingSeq)) with different content; a correction is a new event with a new id")
            }
            try write(event, content: content, claimed: idKey, recordedMicros: recordedMicros, chained: chained)
            return .appended
        }
    }

    /// Writes `ids` for `seq` if `idKey` is not there yet (one search of
    /// `ids` for the look-up and the store); false when it is. The claim
    /// is taken back if the event is then refused. (Static: a method
    /// called on the batch from inside ``append(_:content:chained:)``'s closure
    /// copied the whole batch for each call, a retain and a release for
    /// each reference it holds.)
    private static func claim(_ idKey: UnsafeRawBufferPointer, seq: UInt64, in txn: WriteTransaction, ids: Database) throws -> Bool {
        try txn.insertNew(ids, key: idKey, value: SequenceBytes(seq))
    }

    /// The seq that `ids` holds for `idKey`, which is there.
    private func storedSeq(ofID idKey: UnsafeRawBufferPointer, _ id: String) throws -> UInt64 {
        guard let seq = try txn.withValue(ledger.ids, key: idKey, { $0.flatMap(readSequence) }) else {
            throw LedgerError.corrupt("the ids entry of \(id) is not a sequence number")
        }
        return seq
    }

    /// Appends an event another ledger already stored, keeping the time it
    /// was recorded there (a replica's records are the leader's bytes, see
    /// ``Replica``), and returns its chain hash. Its id must be new: in the
    /// leader's log an id occurs once, so one already here is a conflict,
    /// never a duplicate to skip.
    mutating func appendReplicated(_ event: Event, content: [UInt8], recordedMicros: Int64) throws -> [UInt8] {
        precondition(content.count <= EventCodec.maxContentBytes, "event content over the limit despite field limits")
        var id = event.id
        return try id.withUTF8 { utf8 in
            let idKey = UnsafeRawBufferPointer(utf8)
            guard try Self.claim(idKey, seq: nextSeq, in: txn, ids: ledger.ids) else {
                let existingSeq = try storedSeq(ofID: idKey, event.id)
                throw FieldError("id", "\(event.id) is already in the replica (seq \(existingSeq)); an id occurs once in a log")
            }
            try write(event, content: content, claimed: idKey, recordedMicros: recordedMicros)
            return previousHash
        }
    }

    /// Writes `event` as the next record, recorded at `recordedMicros`, once
    /// the append rules accept it: the record, its Merkle leaf and its
    /// indexes (its id already claimed in `ids`, see ``claim(_:seq:in:ids:)``). Its
    /// chain hash is `chained`'s when that was hashed for this seq, and
    /// computed here otherwise; it is ``previousHash`` afterwards.
    private mutating func write(_ event: Event, content: [UInt8], claimed idKey: UnsafeRawBufferPointer, recordedMicros: Int64,
                                chained: ParsePipeline.Chained? = nil) throws {
        let seq = nextSeq
        try state.makeRoom()
        let placement: Placement
        do {
            placement = try rules.apply(event, seq: seq, to: state)
        } catch {
            // Refused: the id is free again for a later line.
            _ = try txn.delete(ledger.ids, key: idKey)
            throw error
        }

        // The record in one buffer, the same for every event (the last
        // one is let go first, so it is not shared and nothing is
        // allocated): room for the hash, then the canonical bytes.
        var buffer: [UInt8] = []
        swap(&buffer, &lastRecord)
        var writer = ByteWriter(reusing: consume buffer, capacity: EventCodec.hashBytes + EventCodec.contentOffset + content.count)
        writer.raw(HashChain.genesis)
        EventCodec.writeHeader(seq: seq, recordedMicros: recordedMicros, into: &writer)
        writer.raw(content)
        var record = (consume writer).bytes
        if let chained, chained.seq == seq {
            record.withUnsafeMutableBytes { bytes in withUnsafeBytes(of: chained.hash) { bytes.copyMemory(from: $0) } }
            assert(record.withUnsafeBytes { bytes in
                previousHash.withUnsafeBytes { HashChain.link(previous: $0, canonical: UnsafeRawBufferPointer(rebasing: bytes[EventCodec.hashBytes...])) }
            } == Array(record[0..<EventCodec.hashBytes]), "a link hashed ahead differs from the record's")
        } else {
            let hash = record.withUnsafeBytes { bytes in
                previousHash.withUnsafeBytes { HashChain.link(previous: $0, canonical: UnsafeRawBufferPointer(rebasing: bytes[EventCodec.hashBytes...])) }
            }
            record.replaceSubrange(0..<EventCodec.hashBytes, with: hash)
        }
        record.withUnsafeBytes { tree?.append(record: $0) }

        try txn.append(ledger.events, key: SequenceBytes(seq), value: record)
        // `ids` is claimed already; the `stream-events` key is written with
        // the stream states (``TransactionState/place(_:seq:)``).
        state.place(placement, seq: seq)
        if let reversed = placement.reversedSeq { try txn.put(ledger.reversals, key: SequenceBytes(reversed), value: SequenceBytes(seq)) }
        record.withUnsafeBytes { bytes in
            previousHash.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<EventCodec.hashBytes])) }
        }
        lastRecord = record
        nextSeq += 1
    }
}

/// ``AppendState`` over the write transaction: reads see this batch's own writes.
///
/// The stream states the batch reads and writes stay in memory, decoded
/// (``StreamCache``), and only the final state of each changed stream is
/// written, in key order, by ``flush()`` (which the batch's owner must call
/// before it commits; ``makeRoom()`` between two events keeps it bounded).
/// So are the `stream-events` keys of the events placed: a look-up of one
/// inside the transaction asks ``placedSeq(stream:version:)`` first.
final class TransactionState: AppendState {
    let ledger: Ledger
    let txn: WriteTransaction
    /// Touched only by this class's methods, on the writer's thread, and
    /// never while another access to it is open (`load` and `put` do not
    /// reach it); the dynamic exclusivity check, on every look-up of a
    /// stream, is left out.
    @exclusivity(unchecked) private var cache: StreamCache

    init(ledger: Ledger, txn: WriteTransaction) {
        self.ledger = ledger
        self.txn = txn
        cache = StreamCache(limit: ledger.options.streamCacheLimit)
    }

    func streamNumber(_ name: String) throws -> Int32 { try cache.number(name, load: load) }

    func streamNumber(_ kind: EntityKind, id: String) throws -> Int32 { try cache.number(kind, id: id, load: load) }

    func stream(_ number: Int32) -> StreamState? { cache.state(number) }

    func setStream(_ number: Int32, _ state: StreamState) { cache.set(number, state) }

    /// Writes the states out when the cache holds as many as it may; called
    /// between two events only.
    func makeRoom() throws {
        try cache.makeRoom(put, placed: putPlaced)
    }

    /// Asks for the cache's places of the streams in `streams`, one step
    /// of ``StreamCache/prefetch(hash:step:)``. A hint: it changes nothing.
    @inline(__always)
    func prefetch(_ streams: ParsePipeline.StreamHashes, step: Int) {
        if streams.own != 0 { cache.prefetch(hash: streams.own, step: step) }
        if streams.person != 0 { cache.prefetch(hash: streams.person, step: step) }
        if streams.enterprise != 0 { cache.prefetch(hash: streams.enterprise, step: step) }
    }

    /// Writes every changed stream state and the `stream-events` keys of
    /// the events placed, and empties the cache.
    func flush() throws {
        try cache.flush(put, placed: putPlaced)
    }

    /// Places an accepted event (`seq`) at its stream's version; its
    /// `stream-events` key is written by the next ``flush()``. Called right
    /// after the rules placed it, while the number they got still holds.
    func place(_ placement: Placement, seq: UInt64) {
        cache.place(placement.streamNumber, version: placement.streamVersion, seq: seq)
    }

    /// The seq placed as version `version` of `stream` in this batch and
    /// not written to `stream-events` yet (nil: none is).
    func placedSeq(stream: UnsafeRawBufferPointer, version: UInt64) -> UInt64? {
        guard let number = cache.cachedNumber(stream) else { return nil }
        return cache.placedSeq(number, version: version)
    }

    private func load(_ key: UnsafeRawBufferPointer) throws -> StreamState? {
        try txn.withValue(ledger.streams, key: key) { bytes -> StreamState? in
            guard let bytes else { return nil }
            do {
                return try StreamState.decode(bytes)
            } catch {
                throw LedgerError.corrupt("stream state of \(String(decoding: key, as: UTF8.self)) cannot be decoded (\(error))")
            }
        }
    }

    private func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try txn.put(ledger.streams, key: key, value: value)
    }

    private func putPlaced(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try txn.put(ledger.streamEvents, key: key, value: value)
    }

    func event(withID id: String) throws -> (seq: UInt64, event: Event)? {
        let lookup = IndexLookup(ledger: ledger, txn: txn)
        guard let seq = try lookup.seq(ofID: id), let event = try lookup.event(at: seq) else { return nil }
        return (seq, event)
    }

    func reversal(of seq: UInt64) throws -> UInt64? {
        try txn.withValue(ledger.reversals, key: SequenceBytes(seq)) { $0.flatMap(readSequence) }
    }
}
