import CPrefetch
import Glibc

/// Names seen in the log (people, loans, funds, regions, programmes), each
/// stored once in one byte arena and known afterwards by a dense `Int32`.
///
/// Replays key their state by these numbers, so folding an event hashes a
/// few short byte strings and touches flat arrays; a `String` is made only
/// when a name is written out.
public struct ByteInterner: Sendable {
    @usableFromInline var arena: [UInt8] = []
    @usableFromInline var starts: [Int32] = [0]
    /// Open addressing: each slot holds a name's hash in its high 32 bits
    /// and its number + 1 in its low 32 bits (0 is an empty slot). With the
    /// hash beside the number, a probe that meets another name is told so
    /// by the slot alone, and a look-up in a table of millions of names
    /// touches the slot, the name's start and its bytes: three places in
    /// memory, not four.
    @usableFromInline var slots: [UInt64]
    @usableFromInline var mask: Int
    /// The numbers of the first names, by their bytes (see ``sortedOrder()``).
    private var sorted: [Int32] = []
    /// The name ``intern(_:)`` gave last (−1 before any).
    private var last: Int32 = -1

    public init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// How many distinct names are held.
    public var count: Int { starts.count - 1 }

    /// Eight bytes at a time, each word mixed by a multiply and a shift,
    /// the last few bytes in one load that overlaps the word before (or,
    /// for a name under eight bytes, two loads that may overlap each
    /// other), then a final mix so short keys spread over the table. Taking
    /// the tail a byte at a time cost more than the rest for the short
    /// names most look-ups are of (regions, ids of a dozen bytes). Only
    /// this process's tables use it: nothing stored depends on it.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let count = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: h) }
        var tail: UInt64
        if count >= 8 {
            var index = 0
            while index &+ 8 <= count {
                h = (h ^ base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                index &+= 8
            }
            tail = index == count ? 0 : base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            tail = UInt64(base.loadUnaligned(as: UInt32.self)) << 32
                | UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
        } else if count > 0 {
            tail = UInt64(base.load(as: UInt8.self)) << 16
                | UInt64(base.load(fromByteOffset: count >> 1, as: UInt8.self)) << 8
                | UInt64(base.load(fromByteOffset: count &- 1, as: UInt8.self))
        } else {
            tail = 0
        }
        h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    /// The number of `bytes`, adding it when new.
    public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        // The same name again (a fund, a region in a run of events) is
        // told by its bytes alone, without hashing them.
        if last >= 0 && holds(last, bytes) { return last }
        last = intern(bytes, hash: Self.hash(bytes))
        return last
    }

    /// ``intern(_:)`` for a caller that has already hashed `bytes` with ``hash(_:)``.
    public mutating func intern(_ bytes: UnsafeRawBufferPointer, hash h: UInt32) -> Int32 {
        if let found = find(bytes, hash: h) { return found }
        // New: the first empty slot on its probe.
        var slot = Int(h) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        let index = Int32(count)
        arena.append(contentsOf: bytes)
        starts.append(Int32(arena.count))
        slots[slot] = UInt64(h) << 32 | UInt64(UInt32(index + 1))
        if count * 2 > slots.count { grow() }
        return index
    }

    /// Asks for the places a look-up of a name with hash `h` (``hash(_:)``)
    /// reads, one step of three at a time, for a caller that looks up many
    /// names in turn (``CompactBalances``' holders): step 0 the slot,
    /// step 1 the name's start, step 2 its bytes. Each step reads what the
    /// one before asked for, so a caller asks for step 0 a few names ahead
    /// of step 1, and for that a few ahead of step 2. Only the first slot
    /// of the probe is followed. A hint: it changes nothing.
    @inlinable @inline(__always)
    public func prefetch(hash h: UInt32, step: Int) {
        if step == 0 {
            slots.withUnsafeBufferPointer { cprefetch($0.baseAddress! + (Int(h) & mask)) }
            return
        }
        guard let number = likelyNumber(hash: h) else { return }
        let index = Int(number)
        starts.withUnsafeBufferPointer { starts in
            if step == 1 {
                cprefetch(starts.baseAddress! + index)
            } else {
                arena.withUnsafeBytes { arena in
                    if let base = arena.baseAddress { cprefetch(base + Int(starts[index])) }
                }
            }
        }
    }

    /// The number in the first slot of the probe for hash `h`, if that
    /// slot holds a name with this hash: for a caller that asks for what
    /// belongs to the name (its state in a table of its own) before it
    /// looks the name up. Most often the name's number; the bytes are not
    /// compared, so it is a guess, good only for a prefetch.
    @inlinable @inline(__always)
    public func likelyNumber(hash h: UInt32) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            let entry = slots[Int(h) & mask]
            guard entry != 0, UInt32(truncatingIfNeeded: entry >> 32) == h else { return nil }
            return Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: entry)) &- 1
        }
    }

    /// The number of `bytes` if it was interned.
    public func find(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        find(bytes, hash: Self.hash(bytes))
    }

    /// ``find(_:)`` for a caller that has already hashed `bytes` with ``hash(_:)``.
    public func find(_ bytes: UnsafeRawBufferPointer, hash h: UInt32) -> Int32? {
        // The table, the names' starts and their bytes taken once for the
        // whole probe, not once per slot.
        slots.withUnsafeBufferPointer { slots in
            starts.withUnsafeBufferPointer { starts in
                arena.withUnsafeBytes { arena in
                    var slot = Int(h) & mask
                    while true {
                        let entry = slots[slot]
                        if entry == 0 { return nil }
                        if UInt32(truncatingIfNeeded: entry >> 32) == h {
                            let index = Int(UInt32(truncatingIfNeeded: entry)) &- 1
                            let start = Int(starts[index])
                            if Int(starts[index &+ 1]) &- start == bytes.count
                                && (bytes.count == 0 || memcmpEqual(arena.baseAddress! + start, bytes.baseAddress!, bytes.count)) {
                                return Int32(index)
                            }
                        }
                        slot = (slot &+ 1) & mask
                    }
                }
            }
        }
    }

    public mutating func intern(_ text: String) -> Int32 {
        var copy = text
        return copy.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    /// Whether name `number` is `bytes`.
    @inline(__always)
    public func holds(_ number: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        equals(Int(number), bytes)
    }

    @inline(__always)
    private func equals(_ index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = Int(starts[index]), end = Int(starts[index + 1])
        guard end - start == bytes.count else { return false }
        return arena.withUnsafeBytes { all in
            bytes.count == 0 || memcmpEqual(all.baseAddress! + start, bytes.baseAddress!, bytes.count)
        }
    }

    private mutating func grow() {
        let old = slots
        let size = old.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for entry in old where entry != 0 {
            var slot = Int(UInt32(truncatingIfNeeded: entry >> 32)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    /// Every number, ordered by its name's bytes (a name before any longer
    /// name it is a prefix of). Names are only ever added, so the order of
    /// the ones sorted before is kept and only the new ones are sorted and
    /// merged in.
    public mutating func sortedOrder() -> [Int32] {
        let known = sorted.count
        guard known < count else { return sorted }
        var fresh = (Int32(known)..<Int32(count)).map { $0 }
        let precedes: (Int32, Int32) -> Bool = { [arena, starts] a, b in
            arena.withUnsafeBytes { all in
                let aStart = Int(starts[Int(a)]), aEnd = Int(starts[Int(a) + 1])
                let bStart = Int(starts[Int(b)]), bEnd = Int(starts[Int(b) + 1])
                let common = min(aEnd - aStart, bEnd - bStart)
                if common > 0 {
                    let order = memcmp(all.baseAddress! + aStart, all.baseAddress! + bStart, common)
                    if order != 0 { return order < 0 }
                }
                return aEnd - aStart < bEnd - bStart
            }
        }
        fresh.sort(by: precedes)
        var merged = [Int32]()
        merged.reserveCapacity(count)
        var i = 0, j = 0
        while i < sorted.count && j < fresh.count {
            if precedes(fresh[j], sorted[i]) {
                merged.append(fresh[j])
                j += 1
            } else {
                merged.append(sorted[i])
                i += 1
            }
        }
        merged.append(contentsOf: sorted[i...])
        merged.append(contentsOf: fresh[j...])
        sorted = merged
        return merged
    }

    /// The name of number `index`.
    public func string(_ index: Int32) -> String {
        let start = Int(starts[Int(index)]), end = Int(starts[Int(index) + 1])
        return String(decoding: arena[start..<end], as: UTF8.self)
    }

    /// Calls `body` with the bytes of number `index`.
    public func withBytes<T>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let start = Int(starts[Int(index)]), end = Int(starts[Int(index) + 1])
        return try arena.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// A map from a 64-bit key (two packed name numbers) to a dense `Int32`,
/// by open addressing: what `Dictionary` does, without hashing a `String`
/// or a `Hasher` per look-up.
public struct PackedKeyIndex: Sendable {
    @usableFromInline var keys: [UInt64]
    @usableFromInline var values: [Int32]
    @usableFromInline var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    @inlinable @inline(__always)
    static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The value of `key`, or `make()`'s value stored under it when new.
    @inline(__always)
    public mutating func value(for key: UInt64, orInsert make: () -> Int32) -> Int32 {
        var slot = Self.slot(key, mask)
        while values[slot] >= 0 {
            if keys[slot] == key { return values[slot] }
            slot = (slot + 1) & mask
        }
        let value = make()
        keys[slot] = key
        values[slot] = value
        count += 1
        if count * 2 > keys.count { grow() }
        return value
    }

    /// Asks for the slot a look-up of `key` reads first (a hint, see
    /// ``ByteInterner/prefetch(hash:step:)``).
    @inlinable @inline(__always)
    public func prefetch(key: UInt64) {
        let slot = Self.slot(key, mask)
        keys.withUnsafeBufferPointer { cprefetch($0.baseAddress! + slot) }
        values.withUnsafeBufferPointer { cprefetch($0.baseAddress! + slot) }
    }

    public func value(for key: UInt64) -> Int32? {
        var slot = Self.slot(key, mask)
        while values[slot] >= 0 {
            if keys[slot] == key { return values[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = keys.count * 2
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: -1, count: size)
        mask = size - 1
        for index in 0..<oldKeys.count where oldValues[index] >= 0 {
            var slot = Self.slot(oldKeys[index], mask)
            while values[slot] >= 0 { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            values[slot] = oldValues[index]
        }
    }
}
