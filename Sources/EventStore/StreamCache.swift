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

    /// Stores one stream's encoded state (the value) under its name (the key).
    typealias Write = (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    /// Reads the stored state of the stream named by the key (nil: none).
    typealias Load = (UnsafeRawBufferPointer) throws -> StreamState?

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The cache holds `limit` streams or more: its owner writes it out
    /// before the next event.
    var isFull: Bool { states.count >= limit }

    /// Writes the cache out (see ``flush(_:)``) when it is full; its owner
    /// calls this between two events only.
    mutating func makeRoom(_ write: Write) throws {
        if isFull { try flush(write) }
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
        return number
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

    /// Writes every changed state, in the order of the names' bytes (the
    /// order LMDB inserts fastest), and empties the cache. Each state is
    /// encoded into a buffer on the stack, not a new array.
    mutating func flush(_ write: Write) throws {
        if dirtyCount > 0 {
            for number in names.sortedOrder() where dirty[Int(number)] {
                guard let state = states[Int(number)] else { continue }
                try withUnsafeTemporaryAllocation(byteCount: state.encodedCount, alignment: 8) { buffer in
                    state.encode(into: buffer)
                    try names.withBytes(number) { key in try write(key, UnsafeRawBufferPointer(buffer)) }
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
