import Testing
@testable import Proofs

/// Base64 against RFC 4648 §10 and against its own strictness: every byte
/// string has exactly one accepted text.
@Suite struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8), "\(encoded)")
        }
    }

    @Test func everyByteAndLengthRoundTrips() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        for length in 0...bytes.count {
            let slice = bytes[..<length]
            let text = Base64.encode(slice)
            #expect(text.utf8.count == (length + 2) / 3 * 4)
            #expect(Base64.decode(text) == Array(slice), "length \(length)")
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.decode(Substring("xxZm9vxx").dropFirst(2).dropLast(2)) == Array("foo".utf8))
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm9vY", "Zg===", // length not a multiple of four
        "=Zg=", "Z=g=", "Zg==Zm9v", "Zm=v", "====", "Z===", // padding misplaced
        "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\r\n", // white space
        "Zm-v", "Zm_v", "Zm9!", "Zm9é", // outside the standard alphabet
        "Zh==", "Zm9=", "AB==", "AAB=", // non-zero unused bits
    ])
    func refusesNonCanonicalText(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    /// Every last group ("xx==" and "xxx="): what is accepted re-encodes to
    /// itself, and exactly one text is accepted per byte string.
    @Test func lastGroupsAreCanonical() {
        let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var accepted = 0
        for a in symbols {
            for b in symbols {
                let two = String(decoding: [a, b, UInt8(ascii: "="), UInt8(ascii: "=")], as: UTF8.self)
                if let bytes = Base64.decode(two) {
                    accepted += 1
                    #expect(bytes.count == 1 && Base64.encode(bytes) == two)
                }
                for c in symbols {
                    let three = String(decoding: [a, b, c, UInt8(ascii: "=")], as: UTF8.self)
                    if let bytes = Base64.decode(three) {
                        accepted += 1
                        #expect(bytes.count == 2 && Base64.encode(bytes) == three)
                    }
                }
            }
        }
        #expect(accepted == 256 + 65536)
    }
}
