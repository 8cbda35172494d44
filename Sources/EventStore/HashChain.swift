import CSHA256
import Crypto
import Glibc
import LedgerCore

/// The tamper-evident chain: hash(N) = SHA-256(hash(N−1) ‖ canonical(N)),
/// hash(0) = 32 zero bytes. Writing down (N, hash(N)) commits to the whole
/// history up to N.
///
/// Every read checks one link per record it passes. On a processor with the
/// SHA instructions the links are hashed by the CSHA256 module: no
/// allocation, whole blocks read where they lie in the memory map, two links
/// at a time. Elsewhere swift-crypto's hand-tuned code is faster than portable
/// C, so it hashes them (``SHA256Hasher/usesHardware`` chooses).
public enum HashChain {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The link hash of one record.
    public static func link(previous: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer) -> [UInt8] {
        guard previous.count == 32, let previousBytes = previous.baseAddress else { preconditionFailure("a chain hash is 32 bytes") }
        guard SHA256Hasher.usesHardware else {
            var hasher = SHA256()
            hasher.update(bufferPointer: previous)
            hasher.update(bufferPointer: canonical)
            return Array(hasher.finalize())
        }
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress {
                csha256_link(previousBytes.assumingMemoryBound(to: UInt8.self), canonical.baseAddress, canonical.count, base)
            }
        }
        return digest
    }

    /// Whether `stored` is the link hash of `canonical` after `previous`
    /// (no allocation: for checks on every record a read passes).
    public static func linkMatches(previous: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer,
                                   stored: UnsafeRawBufferPointer) -> Bool {
        guard previous.count == 32, stored.count == 32, let previousBytes = previous.baseAddress, let storedBytes = stored.baseAddress
        else { return false }
        guard SHA256Hasher.usesHardware else {
            var hasher = SHA256()
            hasher.update(bufferPointer: previous)
            hasher.update(bufferPointer: canonical)
            return hasher.finalize().withUnsafeBytes { digest in
                guard let digestBytes = digest.baseAddress else { return false }
                return memcmp(digestBytes, storedBytes, 32) == 0
            }
        }
        return csha256_link_matches(previousBytes.assumingMemoryBound(to: UInt8.self), canonical.baseAddress, canonical.count,
                                    storedBytes.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// The position of the first of `records` (stored records: hash ‖
    /// canonical bytes) whose stored hash is not its link after the one
    /// before it (after `previous` for the first), or nil when all link.
    /// A record too short to hold a hash and a header counts as not linking.
    ///
    /// The links are hashed two at a time: each record's previous hash is
    /// stored in the record before it, so the links do not wait for each
    /// other, and two hashes interleaved keep the SHA instructions busy.
    public static func firstBrokenLink(in records: UnsafeBufferPointer<UnsafeRawBufferPointer>,
                                       after previous: UnsafeRawBufferPointer) -> Int? {
        guard previous.count == 32, let previousBytes = previous.baseAddress else { return records.isEmpty ? nil : 0 }
        let minimum = EventCodec.hashBytes + EventCodec.contentOffset
        // The stored hash before record `index`, and its canonical bytes.
        func before(_ index: Int) -> UnsafePointer<UInt8>? {
            let base = index == 0 ? previousBytes : records[index - 1].baseAddress
            return base?.assumingMemoryBound(to: UInt8.self)
        }
        let pairs = SHA256Hasher.usesHardware
        var index = 0
        while index < records.count {
            let a = records[index]
            guard a.count > minimum, let aBase = a.baseAddress, let aPrevious = before(index) else { return index }
            let aHash = aBase.assumingMemoryBound(to: UInt8.self)
            if pairs, index + 1 < records.count, records[index + 1].count > minimum, let bBase = records[index + 1].baseAddress {
                let bHash = bBase.assumingMemoryBound(to: UInt8.self)
                let matches = csha256_link_matches2(aPrevious, aBase + 32, a.count - 32, aHash,
                                                    aHash, bBase + 32, records[index + 1].count - 32, bHash)
                if matches & 1 == 0 { return index }
                if matches & 2 == 0 { return index + 1 }
                index += 2
            } else {
                let linked = linkMatches(previous: UnsafeRawBufferPointer(start: aPrevious, count: 32),
                                         canonical: UnsafeRawBufferPointer(rebasing: a[32...]),
                                         stored: UnsafeRawBufferPointer(rebasing: a[0..<32]))
                if !linked { return index }
                index += 1
            }
        }
        return nil
    }

    public static func link(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        previous.withUnsafeBytes { p in canonical.withUnsafeBytes { c in link(previous: p, canonical: c) } }
    }

    /// Lower-case hexadecimal.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses 64 hexadecimal digits.
    public static func parseHex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 64 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

/// SHA-256 over bytes given in parts, without allocating when the processor
/// has the SHA instructions (the state is then a value on the caller's
/// stack); through swift-crypto otherwise. For the digests the read path
/// computes per record or per entry (the projections' digest and checksum).
public struct SHA256Hasher {
    private var context = csha256_context()
    private var library: SHA256?

    public init() {
        if Self.usesHardware {
            csha256_init(&context)
        } else {
            library = SHA256()
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if var hasher = library {
            // Taken out first, so the digest object is not shared (and not copied) while it changes.
            library = nil
            hasher.update(bufferPointer: bytes)
            library = hasher
        } else {
            csha256_update(&context, bytes.baseAddress, bytes.count)
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest; the hasher is not to be used after it.
    public mutating func finalize() -> [UInt8] {
        withDigest { Array($0) }
    }

    /// The digest handed to `body` without an array (valid only inside it).
    public mutating func withDigest<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let library {
            return try library.finalize().withUnsafeBytes { try body($0) }
        }
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { raw in
            if let base = raw.baseAddress { csha256_final(&context, base.assumingMemoryBound(to: UInt8.self)) }
        }
        return try withUnsafeBytes(of: &digest) { try body($0) }
    }

    /// Whether the processor's SHA instructions are in use (else swift-crypto).
    public static var usesHardware: Bool { csha256_uses_hardware() != 0 }
}
