import CPrefetch
import LedgerCore

/// Stream states kept decoded in memory while the append rules run over
/// many events (an import's batch, `verify`'s refold of the log): a stream
/// touched by many events (a person with several grants, a budget line) is
/// read and decoded once, and only its last state is encoded and written,
/// in key order, when the cache is written out. What is stored is the same
/// bytes as writing each state as it changes.
///
/// The rules ask for a stream by name once per event and role, get its
/// number here (``number(_:load:)``), and read and write its state by that
/// number: a name is hashed once, not at every read and write. A number
/// holds until the cache is written out or discarded, which its owner does
/// only between two events, when ``isFull``.
///
/// An import also places each event in its stream here (``place(_:version:seq:)``):
/// the `stream-events` keys (name, version) are written with the states, in
/// the same name order, so LMDB takes them as it takes keys that arrive in
/// order, on the page the last one went to, rather than one at a random
/// place in the index per event, each splitting a page there. The names are
/// sorted for the states anyway; in name order, then version, the keys are
/// in LMDB's order (a name never holds the byte 0x00 that ends it in a key).
struct StreamCache {
    /// The cached streams' names, each known by a dense number (open
    /// addressing over the name's bytes: no `String` hashing per look-up);
    /// `states[n]` is stream n's state (nil: not stored) and `dirty[n]`
    /// whether it changed since it was read.
    private var names = ByteInterner()
    private var states: [StreamState?] = []
    private var dirty: [Bool] = []
    private var dirtyCount = 0
    /// Written out and forgotten at this many streams (checked between
    /// events), so memory stays bounded however many events run through.
    let limit: Int
    /// The last few names looked up, by their hash, and their numbers: the
    /// same stream comes back within a few events (a budget line, a person
    /// with a grant and then a certificate). A match here costs one compare
    /// of the bytes and no probe of the table.
    private var recent: [(hash: UInt32, number: Int32)] = []
    private var nextRecent = 0
    /// Per cached stream, the events placed in it and not yet written:
    /// their count, the version of the first, and the last one's index in
    /// ``placements``, each of which names the one placed before it.
    private var placed: [Placed] = []
    private var placements: [(seq: UInt64, before: Int32)] = []

    private struct Placed {
        var firstVersion: UInt64 = 0
        var count: UInt32 = 0
        var last: Int32 = -1
    }

    /// Stores one stream's encoded state (the value) under its name (the key).
    typealias Write = (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    /// Reads the stored state of the stream named by the key (nil: none).
    typealias Load = (UnsafeRawBufferPointer) throws -> StreamState?

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The cache holds `limit` streams or more, or four times as many
    /// placed events: its owner writes it out before the next event.
    var isFull: Bool { states.count >= limit || placements.count >= limit * 4 }

    /// Writes the cache out (see ``flush(_:placed:)``) when it is full; its owner
    /// calls this between two events only.
    mutating func makeRoom(_ write: Write, placed writePlaced: Write? = nil) throws {
        if isFull { try flush(write, placed: writePlaced) }
    }

    /// ``number(_:load:)`` of the stream `name`.
    @inline(__always)
    mutating func number(_ name: String, load: Load) throws -> Int32 {
        var name = name
        return try name.withUTF8 { try number(UnsafeRawBufferPointer($0), load: load) }
    }

    /// ``number(_:load:)`` of the stream of the person, enterprise, grant or
    /// loan with this id, its name put together on the stack.
    @inline(__always)
    mutating func number(_ kind: EntityKind, id: String, load: Load) throws -> Int32 {
        try Streams.withName(kind, id) { try number($0, load: load) }
    }

    /// The number of the stream named by the bytes `key`: cached, or its
    /// state read by `load` (nil: not stored) and cached.
    mutating func number(_ key: UnsafeRawBufferPointer, load: Load) throws -> Int32 {
        let hash = ByteInterner.hash(key)
        for entry in recent where entry.hash == hash && names.holds(entry.number, key) { return entry.number }
        if let found = names.find(key, hash: hash) {
            remember(hash, found)
            return found
        }
        let found = try load(key)
        let number = names.intern(key, hash: hash)
        precondition(Int(number) == states.count, "a stream cached twice")
        remember(hash, number)
        states.append(found)
        dirty.append(false)
        placed.append(Placed())
        return number
    }

    /// Asks for what a look-up of the stream whose name has hash `hash`
    /// (``ByteInterner/hash(_:)``) and then its state will read, one step
    /// at a time, for an owner that knows the streams of the events to come
    /// (an import's parsed lines): steps 0–2 the name's slot, start and
    /// bytes (``ByteInterner/prefetch(hash:step:)``), step 3 its state and
    /// marks. Each step reads what the one before asked for, so the owner
    /// asks for step 0 some events ahead of step 1, and so on. A hint: it
    /// changes nothing. (Mutating only so that its owner, a class, reaches
    /// the cache in place: a read of it would copy it, a retain and a
    /// release for each of its arrays, every call.)
    @inline(__always)
    mutating func prefetch(hash: UInt32, step: Int) {
        guard step == 3 else { return names.prefetch(hash: hash, step: step) }
        guard let number = names.likelyNumber(hash: hash), number >= 0, Int(number) < states.count else { return }
        states.withUnsafeBufferPointer { cprefetch($0.baseAddress! + Int(number)) }
        placed.withUnsafeBufferPointer { cprefetch($0.baseAddress! + Int(number)) }
        dirty.withUnsafeBufferPointer { cprefetch($0.baseAddress! + Int(number)) }
    }

    /// The state of stream `number` (nil: none yet).
    func state(_ number: Int32) -> StreamState? {
        states[Int(number)]
    }

    /// Sets the state of stream `number`, to be written by ``flush(_:)``.
    mutating func set(_ number: Int32, _ state: StreamState) {
        let index = Int(number)
        states[index] = state
        if !dirty[index] {
            dirty[index] = true
            dirtyCount += 1
        }
    }

    /// Records that event `seq` is version `version` of stream `number`;
    /// ``flush(_:placed:)`` writes its `stream-events` key. A stream's
    /// events are placed in version order, one version after another.
    mutating func place(_ number: Int32, version: UInt64, seq: UInt64) {
        let index = Int(number)
        if placed[index].count == 0 {
            placed[index].firstVersion = version
        } else {
            precondition(version == placed[index].firstVersion + UInt64(placed[index].count), "a stream's events placed out of order")
        }
        placements.append((seq, placed[index].last))
        placed[index].last = Int32(placements.count - 1)
        placed[index].count += 1
    }

    /// The seq placed as version `version` of stream `number` and not
    /// written yet (nil: none is).
    func placedSeq(_ number: Int32, version: UInt64) -> UInt64? {
        let entry = placed[Int(number)]
        guard entry.count > 0, version >= entry.firstVersion, version - entry.firstVersion < UInt64(entry.count) else { return nil }
        var index = Int(entry.last)
        for _ in 0..<(entry.firstVersion + UInt64(entry.count) - 1 - version) { index = Int(placements[index].before) }
        return placements[index].seq
    }

    /// The number of the cached stream `name`, if it is cached.
    func cachedNumber(_ name: UnsafeRawBufferPointer) -> Int32? {
        names.find(name)
    }

    /// Writes every changed state, in the order of the names' bytes (the
    /// order LMDB inserts fastest), and with each stream the `stream-events`
    /// keys of the events placed in it (``place(_:version:seq:)``) to
    /// `writePlaced`, and empties the cache. Each state and key is put
    /// together in a buffer on the stack, not a new array.
    mutating func flush(_ write: Write, placed writePlaced: Write? = nil) throws {
        precondition(placements.isEmpty || writePlaced != nil, "events placed with nowhere to write their keys")
        if dirtyCount > 0 || !placements.isEmpty {
            var seqs: [UInt64] = []
            for number in names.sortedOrder() {
                let index = Int(number)
                if dirty[index], let state = states[index] {
                    try withUnsafeTemporaryAllocation(byteCount: state.encodedCount, alignment: 8) { buffer in
                        state.encode(into: buffer)
                        try names.withBytes(number) { key in try write(key, UnsafeRawBufferPointer(buffer)) }
                    }
                }
                let entry = placed[index]
                guard entry.count > 0, let writePlaced else { continue }
                seqs.removeAll(keepingCapacity: true)
                var at = Int(entry.last)
                while at >= 0 {
                    seqs.append(placements[at].seq)
                    at = Int(placements[at].before)
                }
                try names.withBytes(number) { name in
                    try withUnsafeTemporaryAllocation(byteCount: name.count + 9, alignment: 8) { key in
                        key.copyMemory(from: name)
                        key[name.count] = 0
                        for (offset, seq) in seqs.reversed().enumerated() {
                            key.storeBytes(of: (entry.firstVersion + UInt64(offset)).bigEndian, toByteOffset: name.count + 1, as: UInt64.self)
                            try withUnsafeBytes(of: seq.bigEndian) { value in try writePlaced(UnsafeRawBufferPointer(key), value) }
                        }
                    }
                }
            }
        }
        discard()
    }

    /// Forgets everything cached, changes included (their transaction is
    /// being run again from the start).
    mutating func discard() {
        names = ByteInterner()
        recent.removeAll(keepingCapacity: true)
        states.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
        placed.removeAll(keepingCapacity: true)
        placements.removeAll(keepingCapacity: true)
        dirtyCount = 0
    }

    private mutating func remember(_ hash: UInt32, _ number: Int32) {
        if recent.count < 4 {
            recent.append((hash, number))
        } else {
            recent[nextRecent] = (hash, number)
            nextRecent = (nextRecent + 1) & 3
        }
    }
}
