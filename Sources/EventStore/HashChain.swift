import Crypto
import Glibc

/// The tamper-evident chain: hash(N) = SHA-256(hash(N−1) ‖ canonical(N)),
/// hash(0) = 32 zero bytes. Writing down (N, hash(N)) commits to the whole
/// history up to N.
public enum HashChain {
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The link hash of one record.
    public static func link(previous: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bufferPointer: previous)
        hasher.update(bufferPointer: canonical)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// Whether `stored` is the link hash of `canonical` after `previous`
    /// (no allocation: for checks on every record a read passes).
    public static func linkMatches(previous: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer,
                                   stored: UnsafeRawBufferPointer) -> Bool {
        var hasher = SHA256()
        hasher.update(bufferPointer: previous)
        hasher.update(bufferPointer: canonical)
        return stored.count == 32 && hasher.finalize().withUnsafeBytes { memcmp($0.baseAddress!, stored.baseAddress!, 32) == 0 }
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
