import Crypto
import Foundation
import LedgerCore

/// Who may do what (docs/SERVER.md, "Roles and tokens").
public enum Role: String, Sendable, CaseIterable {
    /// Every read but `audit/explain`; personal identity numbers masked.
    case reader
    /// A reader's rights and `POST /v1/events`.
    case writer
    /// Every read, unmasked, `audit/explain`, and each event's canonical
    /// bytes in `subscribe` (what a replica needs).
    case auditor
    /// A server started without `--tokens` (loopback only): every right, as
    /// the user of this machine has with the command-line tool.
    case local

    public var mayWrite: Bool { self == .writer || self == .local }
    public var mayExplain: Bool { self == .auditor || self == .local }
    /// Whether personal identity numbers are shown in full (and canonical bytes sent).
    public var seesPersonalIDs: Bool { self == .auditor || self == .local }
    public var masking: PersonalIDMasking { seesPersonalIDs ? .shown : .masked }
}

/// The token file: one `ROLE SHA256-HEX` a line, where the hex is the
/// SHA-256 of the token the client sends; `#` comments and blank lines are
/// ignored. The server never holds the tokens themselves.
public struct TokenTable: Sendable {
    public struct Entry: Sendable {
        public var role: Role
        public var digest: [UInt8]
    }

    public private(set) var entries: [Entry] = []

    /// A line that is not `reader|writer|auditor` and 64 hex digits refuses
    /// the whole file, naming the line.
    public init(text: String, name: String) throws {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2 else {
                throw TokenFileError("\(name):\(number): expected ROLE SHA256-HEX (two words), found \(words.count)")
            }
            guard let role = Role(rawValue: String(words[0])), role != .local else {
                throw TokenFileError("\(name):\(number): \"\(words[0])\" is not a role: reader, writer or auditor")
            }
            guard let digest = Self.parseHex(words[1]), digest.count == 32 else {
                throw TokenFileError("\(name):\(number): the second word must be the SHA-256 of the token, 64 hexadecimal digits")
            }
            entries.append(Entry(role: role, digest: digest))
        }
        guard !entries.isEmpty else { throw TokenFileError("\(name): no tokens in the file") }
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenFileError("\(path): cannot read the token file")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), name: path)
    }

    /// The role of `token`, compared with every entry in constant time (no
    /// early exit, no comparison that stops at the first differing byte).
    public func role(of token: String) -> Role? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: Role?
        for entry in entries {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= entry.digest[index] ^ digest[index] }
            if difference == 0 && found == nil { found = entry.role }
        }
        return found
    }

    static func parseHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x61...0x66: return byte - 0x61 + 10
            case 0x41...0x46: return byte - 0x41 + 10
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

public struct TokenFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// How requests are authenticated: by the token table, or (without one, on
/// loopback only) every request is ``Role/local``.
public struct Authenticator: Sendable {
    public var tokens: TokenTable?
    public var allowsAnonymousRead: Bool

    public init(tokens: TokenTable?, allowsAnonymousRead: Bool) {
        self.tokens = tokens
        self.allowsAnonymousRead = allowsAnonymousRead
    }

    /// The role of a request with this `Authorization` header value.
    public func role(authorization: String?) throws(APIError) -> Role {
        guard let tokens else { return .local }
        guard let authorization, !authorization.isEmpty else {
            if allowsAnonymousRead { return .reader }
            throw .unauthorized("this server needs a token: send Authorization: Bearer TOKEN")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("the Authorization header must be Bearer TOKEN")
        }
        guard let role = tokens.role(of: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw .unauthorized("the token is not known to this server")
        }
        return role
    }
}
