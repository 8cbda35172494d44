import LedgerCore

/// Stream states kept decoded in memory while the append rules run over
/// many events (an import's batch, `verify`'s refold of the log): a stream
/// touched by many events (a person with several grants, a budget line) is
/// read and decoded once, and only its last state is encoded and written,
/// in key order, when the cache is written out. What is stored is the same
/// bytes as writing each state as it changes.
struct StreamCache {
    /// The cached streams' names, each known by a dense number (open
    /// addressing over the name's bytes: no `String` hashing per look-up);
    /// `states[n]` is stream n's state (nil: not stored) and `dirty[n]`
    /// whether it changed since it was read.
    private var names = ByteInterner()
    private var states: [StreamState?] = []
    private var dirty: [Bool] = []
    private var dirtyCount = 0
    /// Written out and forgotten at this many streams, so memory stays
    /// bounded however many events run through.
    let limit: Int
    /// The last few names looked up, by their hash, and their numbers: the
    /// rules ask for the same two or three streams several times per event
    /// (read, check, write). A name's hash is taken once per look-up and
    /// serves both this list and the table; a match here costs one compare
    /// of the bytes, where comparing the `String`s cost several.
    private var recent: [(hash: UInt32, number: Int32)] = []
    private var nextRecent = 0

    /// Writes one stream's state under its name's bytes.
    typealias Write = (UnsafeRawBufferPointer, StreamState) throws -> Void

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The state of `name`: cached, or read by `load` and cached (the
    /// cache written out by `write` first when it is full).
    mutating func state(_ name: String, load: (String) throws -> StreamState?, write: Write) throws -> StreamState? {
        try Self.withKey(name) { key, hash in
            if let number = cached(key, hash: hash) { return states[number] }
            let found = try load(name)
            try insert(key, hash: hash, found, dirty: false, write: write)
            return found
        }
    }

    /// Sets the state of `name`, to be written by ``flush(_:)``.
    mutating func set(_ name: String, _ state: StreamState, write: Write) throws {
        try Self.withKey(name) { key, hash in
            guard let number = cached(key, hash: hash) else { return try insert(key, hash: hash, state, dirty: true, write: write) }
            states[number] = state
            if !dirty[number] {
                dirty[number] = true
                dirtyCount += 1
            }
        }
    }

    /// Writes every changed state, in the order of the names' bytes (the
    /// order LMDB inserts fastest), and empties the cache.
    mutating func flush(_ write: Write) throws {
        if dirtyCount > 0 {
            for number in names.sortedOrder() where dirty[Int(number)] {
                guard let state = states[Int(number)] else { continue }
                try names.withBytes(number) { key in try write(key, state) }
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

    /// Calls `body` with the bytes of `name` and their hash, taken once
    /// for both the recent streams and the table.
    private static func withKey<R>(_ name: String, _ body: (UnsafeRawBufferPointer, UInt32) throws -> R) rethrows -> R {
        var bytes = name
        return try bytes.withUTF8 { utf8 in
            let key = UnsafeRawBufferPointer(utf8)
            return try body(key, ByteInterner.hash(key))
        }
    }

    private mutating func remember(_ hash: UInt32, _ number: Int32) {
        if recent.count < 4 {
            recent.append((hash, number))
        } else {
            recent[nextRecent] = (hash, number)
            nextRecent = (nextRecent + 1) & 3
        }
    }

    /// The cache number of the name `key` (hashed as `hash`), if it is cached.
    private mutating func cached(_ key: UnsafeRawBufferPointer, hash: UInt32) -> Int? {
        for entry in recent where entry.hash == hash && names.holds(entry.number, key) { return Int(entry.number) }
        guard let found = names.find(key, hash: hash) else { return nil }
        remember(hash, found)
        return Int(found)
    }

    /// Caches `state` for the name `key` (not cached yet), writing the cache
    /// out first when it is full.
    private mutating func insert(_ key: UnsafeRawBufferPointer, hash: UInt32, _ state: StreamState?, dirty isDirty: Bool,
                                 write: Write) throws {
        if states.count >= limit { try flush(write) }
        let number = names.intern(key, hash: hash)
        precondition(Int(number) == states.count, "a stream cached twice")
        remember(hash, number)
        states.append(state)
        dirty.append(isDirty)
        if isDirty { dirtyCount += 1 }
    }
}
