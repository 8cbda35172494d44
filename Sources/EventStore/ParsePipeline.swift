import Dispatch
import Glibc
import LedgerCore

/// Parses input lines on a second thread while the writer applies the
/// previous chunk: parsing needs nothing but the line, so it can run ahead.
/// The writer's thread keeps the LMDB write transaction (LMDB ties it to
/// the thread that began it); chunks arrive in input order, and at most
/// `capacity` chunks wait, which bounds memory.
final class ParsePipeline: @unchecked Sendable {
    /// One parsed line: its number and either the event or why it was refused.
    struct Line: Sendable {
        var number: Int
        /// The event parsed (a placeholder when `error` is set). A stored
        /// property, not an enum's payload, so that the writer reads it in
        /// place: taking it out of a `Result` copied it, a retain and a
        /// release of each of its strings and lists, per line.
        var event: Event
        /// Why the line was refused, if it was.
        var error: FieldError?
        /// The event's content bytes, encoded here rather than on the writer's thread.
        var content: [UInt8] = []
        /// The streams the append rules will look up for it, hashed here
        /// (see ``StreamHashes``).
        var streams = StreamHashes()
        /// Its link hash, if the pipeline follows the chain (``Chained``).
        var chained: Chained?
    }

    /// Where the batch's chain stands when parsing starts: the seq the
    /// first line gets if it is appended, the stored hash before it, and
    /// the time the batch records.
    struct ChainStart {
        var nextSeq: UInt64
        var previous: [UInt8]
        var recordedMicros: Int64
    }

    /// A line's link hash, computed on the parser's thread as if every
    /// parsed line before it were appended in order, as `seq`. The writer
    /// takes it when the line does get that seq (then every line before it
    /// was appended, in order, and the chain it was hashed on is the log's)
    /// and hashes the record itself otherwise (after a duplicate, say). The
    /// hash is the writer's work otherwise, and the writer bounds an import.
    struct Chained: Sendable {
        var seq: UInt64
        var hash: (UInt64, UInt64, UInt64, UInt64)
    }

    /// The hashes (``ByteInterner/hash(_:)``) of the names of the streams
    /// the append rules look up for an event: its own, and the person and
    /// enterprise a grant or loan names (0: none). The writer asks for
    /// their places in its stream cache a few events ahead
    /// (``TransactionState/prefetch(_:step:)``), so that the cache misses of
    /// the look-ups overlap instead of waiting one after another.
    struct StreamHashes {
        var own: UInt32 = 0
        var person: UInt32 = 0
        var enterprise: UInt32 = 0

        init() {}

        init(_ event: Event) {
            // A person's, enterprise's, grant's or loan's name put together
            // on the stack (as the rules do), a budget line's as a `String`.
            let entity: (EntityKind, Field)? = switch event.type {
            case .personRegistered, .personCertified: (.person, .person)
            case .enterpriseRegistered: (.enterprise, .enterprise)
            case .subsidyGranted, .subsidyRecovered: (.grant, .grant)
            case .loanIssued, .loanInterestDiscounted, .loanRepaid, .loanDefaulted, .guaranteeCompensated,
                 .guaranteeRecovered, .guaranteeWrittenOff: (.loan, .loan)
            case .fundAppropriated, .fundTransferred, .entryReversed: nil
            }
            if let (kind, field) = entity, let id = event.data.string(field) {
                own = Streams.withName(kind, id) { ByteInterner.hash($0) }
            } else if var name = event.ownStream {
                own = name.withUTF8 { ByteInterner.hash(UnsafeRawBufferPointer($0)) }
            }
            guard event.type == .subsidyGranted || event.type == .loanIssued else { return }
            if let id = event.data.string(.person) { person = Streams.withName(.person, id) { ByteInterner.hash($0) } }
            if let id = event.data.string(.enterprise) { enterprise = Streams.withName(.enterprise, id) { ByteInterner.hash($0) } }
        }
    }

    /// A run of consecutive lines of one source.
    struct Chunk: Sendable {
        var source: Int
        var lines: [Line]
        /// Offset in the source after the chunk's last line, and its line count so far.
        var bytesDone: Int
        var linesDone: Int
        var sourceFinished: Bool
    }

    /// The sources' bytes; they outlive the pipeline (the caller waits for it).
    private struct Sources: @unchecked Sendable {
        let buffers: [UnsafeRawBufferPointer]
    }

    static let linesPerChunk = 2048
    /// The event of a refused line: never appended.
    static let refused = Event(id: "", type: .personRegistered, effective: CalendarDate(dayNumber: 0), data: FieldSet())
    /// Parsed bytes of a mapped input are released in steps of this size.
    private let releaseStep: Int
    /// Drops the pages of source `index` from one offset before another
    /// (see ``InputFile/releasePages(from:before:)``).
    private let release: (@Sendable (Int, Int, Int) -> Void)?
    private let capacity = 8
    private var queue: [Chunk] = []
    /// Chunks the writer has finished with, freed by the producer: releasing
    /// thousands of parsed events (their strings and field arrays) is work
    /// the writer, which bounds the import, need not do.
    private var spent: [Chunk] = []
    private var finished = false
    private var cancelled = false
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let done = DispatchSemaphore(value: 0)

    /// Parses `inputs` in order on a thread of its own; what it has parsed
    /// of a mapped file is released from memory as it goes.
    /// (every `releaseStep` bytes).
    convenience init(inputs: [InputFile], parser: EventParser, maxLineBytes: Int, releaseStep: Int, chain: ChainStart? = nil) {
        self.init(buffers: inputs.map(\.bytes), parser: parser, maxLineBytes: maxLineBytes, releaseStep: releaseStep,
                  release: { index, start, offset in inputs[index].releasePages(from: start, before: offset) }, chain: chain)
    }

    /// With `chain`, each parsed line is also hashed into the chain ahead of
    /// the writer (``Chained``).
    init(buffers: [UnsafeRawBufferPointer], parser: EventParser, maxLineBytes: Int, releaseStep: Int = .max,
         release: (@Sendable (Int, Int, Int) -> Void)? = nil, chain: ChainStart? = nil) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        self.release = release
        self.releaseStep = max(1, releaseStep)
        let sources = Sources(buffers: buffers)
        let start = chain.map { UncheckedChain(start: $0) }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            produce(sources, parser: parser, maxLineBytes: maxLineBytes, chain: start?.start)
            done.signal()
        }
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// The chain's start, handed to the parser's thread (it is only read there).
    private struct UncheckedChain: @unchecked Sendable {
        let start: ChainStart
    }

    private func produce(_ sources: Sources, parser: EventParser, maxLineBytes: Int, chain start: ChainStart?) {
        var chain = start
        var canonical = ByteWriter(capacity: 512)
        for (index, buffer) in sources.buffers.enumerated() {
            var reader = LineReader(buffer)
            var released = 0
            var lines: [Line] = []
            lines.reserveCapacity(Self.linesPerChunk)
            while true {
                let next = reader.next()
                if let (number, line) = next {
                    if line.count > maxLineBytes {
                        lines.append(Line(number: number, event: Self.refused, error: FieldError(
                            "json", "line is \(line.count) bytes, longer than the limit of \(maxLineBytes)")))
                    } else {
                        do {
                            let event = try parser.parse(line)
                            var parsed = Line(number: number, event: event, error: nil, content: EventCodec.encodeContent(event),
                                              streams: StreamHashes(event))
                            if var at = chain {
                                canonical.bytes.removeAll(keepingCapacity: true)
                                EventCodec.writeHeader(seq: at.nextSeq, recordedMicros: at.recordedMicros, into: &canonical)
                                canonical.raw(parsed.content)
                                let hash = canonical.bytes.withUnsafeBytes { bytes in
                                    at.previous.withUnsafeBytes { HashChain.link(previous: $0, canonical: bytes) }
                                }
                                var link = Chained(seq: at.nextSeq, hash: (0, 0, 0, 0))
                                withUnsafeMutableBytes(of: &link.hash) { $0.copyBytes(from: hash) }
                                parsed.chained = link
                                at.previous = hash
                                at.nextSeq += 1
                                chain = at
                            }
                            lines.append(parsed)
                        } catch {
                            lines.append(Line(number: number, event: Self.refused, error: error))
                        }
                    }
                }
                if next == nil || lines.count == Self.linesPerChunk {
                    let chunk = Chunk(source: index, lines: lines, bytesDone: reader.offset, linesDone: reader.lineNumber,
                                      sourceFinished: next == nil)
                    guard put(chunk) else { return }
                    // Every line before the reader's offset is parsed, and
                    // events copy what they keep out of the input.
                    if let release, reader.offset - released >= releaseStep {
                        release(index, released, reader.offset)
                        released = reader.offset
                    }
                    lines = []
                    lines.reserveCapacity(Self.linesPerChunk)
                }
                if next == nil { break }
            }
        }
        pthread_mutex_lock(&mutex)
        finished = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits for room; false when the consumer has gone away.
    private func put(_ chunk: Chunk) -> Bool {
        pthread_mutex_lock(&mutex)
        while queue.count >= capacity && !cancelled { pthread_cond_wait(&condition, &mutex) }
        if cancelled {
            pthread_mutex_unlock(&mutex)
            return false
        }
        queue.append(chunk)
        pthread_cond_broadcast(&condition)
        let freed = spent
        spent = []
        pthread_mutex_unlock(&mutex)
        // The spent chunks are released here: on this thread, outside the lock.
        withExtendedLifetime(freed) {}
        return true
    }

    /// Hands back a chunk the caller has finished with, to be freed on the
    /// producer's thread (or with the pipeline, once it has stopped).
    func recycle(_ chunk: consuming Chunk) {
        pthread_mutex_lock(&mutex)
        if !finished && !cancelled { spent.append(chunk) }
        pthread_mutex_unlock(&mutex)
    }

    /// The next chunk in input order, or nil when every line has been handed out.
    func take() -> Chunk? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.isEmpty && !finished { pthread_cond_wait(&condition, &mutex) }
        guard !queue.isEmpty else { return nil }
        let chunk = queue.removeFirst()
        pthread_cond_broadcast(&condition)
        return chunk
    }

    /// Stops the producer and waits until it no longer touches the sources.
    /// Must be called once, after the last `take`.
    func finish() {
        pthread_mutex_lock(&mutex)
        cancelled = true
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        done.wait()
    }
}
