/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4), as keys,
/// signatures and checkpoint roots are written.
///
/// Decoding is strict so that every byte string has exactly one accepted
/// text: the length must be a multiple of four, `=` may only close the last
/// group, nothing outside the alphabet (no whitespace, no line breaks) is
/// allowed, and the unused low bits of the last symbol must be zero. An
/// auditor comparing two proofs can then compare their texts.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each ASCII byte in the alphabet, or 0xFF for bytes outside it.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(value) }
        return table
    }()

    static let pad = UInt8(ascii: "=")

    /// The padded Base64 text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var group: [UInt8] = []
        group.reserveCapacity(3)
        func flush() {
            let b0 = group[0]
            let b1 = group.count > 1 ? group[1] : 0
            let b2 = group.count > 2 ? group[2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(group.count > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : pad)
            out.append(group.count > 2 ? alphabet[Int(b2 & 0x3F)] : pad)
            group.removeAll(keepingCapacity: true)
        }
        for byte in bytes {
            group.append(byte)
            if group.count == 3 { flush() }
        }
        if !group.isEmpty { flush() }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes that `text` encodes, or nil unless `text` is their one
    /// canonical padded encoding.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard symbols.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count / 4 * 3)
        let valid = symbols.withUnsafeBufferPointer { symbols in
            values.withUnsafeBufferPointer { table in
                var start = 0
                while start < symbols.count {
                    let isLast = start + 4 == symbols.count
                    // Padding: up to two `=` closing the last group, nowhere else.
                    var padding = 0
                    if isLast {
                        if symbols[start + 3] == pad { padding += 1 }
                        if padding == 1 && symbols[start + 2] == pad { padding += 1 }
                    }
                    let v0 = table[Int(symbols[start])]
                    let v1 = table[Int(symbols[start + 1])]
                    let v2 = padding < 2 ? table[Int(symbols[start + 2])] : 0
                    let v3 = padding < 1 ? table[Int(symbols[start + 3])] : 0
                    // Values are 0–63; 0xFF marks a byte outside the alphabet.
                    guard (v0 | v1 | v2 | v3) & 0xC0 == 0 else { return false }
                    out.append(v0 << 2 | v1 >> 4)
                    switch padding {
                    case 0:
                        out.append((v1 & 0x0F) << 4 | v2 >> 2)
                        out.append((v2 & 0x03) << 6 | v3)
                    case 1:
                        guard v2 & 0x03 == 0 else { return false }
                        out.append((v1 & 0x0F) << 4 | v2 >> 2)
                    default:
                        guard v1 & 0x0F == 0 else { return false }
                    }
                    start += 4
                }
                return true
            }
        }
        guard valid else { return nil }
        return out
    }
}
