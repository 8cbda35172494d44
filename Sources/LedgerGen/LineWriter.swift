#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds JSON Lines by hand into one large buffer and writes it to a file
/// descriptor in big chunks. Every value the generator writes is known to
/// need no JSON escaping (no quote, backslash or control character), so
/// bytes are copied as they are.
///
/// Each event is `{"id":…,"type":…,"effective":…,"data":{…}}`; `begin` writes
/// everything up to the opening of `data`, the field methods add members, and
/// `end` closes the line, counts it and stops the program cleanly once the
/// requested number of lines is out.
final class LineWriter {
    private let capacityBytes = 1 << 23
    private let flushAtBytes = (1 << 23) - 8192
    private let buffer: UnsafeMutablePointer<UInt8>
    private var position = 0
    private let fd: Int32
    private var firstField = true

    /// Lines written so far; the id of the next event is `g-` and this + 1.
    private(set) var lines = 0
    /// Stop after exactly this many lines.
    let limitLines: Int
    /// Called once the limit is reached, after the output is flushed.
    var onLimit: () -> Void = {}

    init(fd: Int32, limitLines: Int) {
        self.fd = fd
        self.limitLines = limitLines
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacityBytes)
    }

    func flush() {
        var offset = 0
        while offset < position {
            let n = write(fd, buffer + offset, position - offset)
            if n < 0 {
                if errno == EINTR { continue }
                fail("write failed: errno \(errno)")
            }
            offset += n
        }
        position = 0
    }

    // MARK: Raw pieces

    @inline(__always) private func byte(_ b: UInt8) {
        buffer[position] = b
        position += 1
    }

    @inline(__always) func raw(_ s: StaticString) {
        s.withUTF8Buffer { p in
            (buffer + position).update(from: p.baseAddress!, count: p.count)
            position += p.count
        }
    }

    @inline(__always) func raw(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { p in
            (buffer + position).update(from: p.baseAddress!, count: p.count)
            position += p.count
        }
    }

    /// A non-negative integer, left-padded with zeros to `width` digits.
    @inline(__always) func digits(_ value: Int, width: Int = 1) {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        let length = max(count, width)
        var v = value
        var i = position + length - 1
        while i >= position {
            buffer[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            i -= 1
        }
        position += length
    }

    @inline(__always) private func key(_ name: StaticString) {
        if firstField { firstField = false } else { byte(44) }
        byte(34)
        raw(name)
        byte(34)
        byte(58)
    }

    private func dateBody(_ day: Int) {
        let c = Cal.civil(day)
        digits(c.y, width: 4); byte(45); digits(c.m, width: 2); byte(45); digits(c.d, width: 2)
    }

    // MARK: Events

    /// Opens an event line and returns its number (the id is `g-` + 8 digits).
    @discardableResult
    func begin(_ type: StaticString, day: Int) -> Int {
        let number = lines + 1
        raw("{\"id\":\"g-")
        digits(number, width: 8)
        raw("\",\"type\":\"")
        raw(type)
        raw("\",\"effective\":\"")
        dateBody(day)
        raw("\",\"data\":{")
        firstField = true
        return number
    }

    func end() {
        raw("}}\n")
        lines += 1
        if position >= flushAtBytes { flush() }
        if lines >= limitLines {
            flush()
            onLimit()
        }
    }

    // MARK: Fields

    func string(_ name: StaticString, _ value: StaticString) {
        key(name); byte(34); raw(value); byte(34)
    }

    func text(_ name: StaticString, _ value: [UInt8]) {
        key(name); byte(34); raw(value); byte(34)
    }

    /// An identifier: a prefix and a zero-padded number, e.g. `P00001234`.
    func id(_ name: StaticString, _ prefix: StaticString, _ number: Int, width: Int) {
        key(name); byte(34); raw(prefix); digits(number, width: width); byte(34)
    }

    /// Text made of a fixed part, a year and a padded number (vouchers, approvals).
    func numbered(_ name: StaticString, _ head: [UInt8], year: Int, _ middle: [UInt8], _ number: Int, width: Int, _ tail: [UInt8]) {
        key(name); byte(34); raw(head); digits(year, width: 4); raw(middle); digits(number, width: width); raw(tail); byte(34)
    }

    func integer(_ name: StaticString, _ value: Int) {
        key(name); digits(value)
    }

    func date(_ name: StaticString, _ day: Int) {
        key(name); byte(34); dateBody(day); byte(34)
    }

    func month(_ name: StaticString, _ monthIndex: Int) {
        key(name); byte(34); digits(monthIndex / 12, width: 4); byte(45); digits(monthIndex % 12 + 1, width: 2); byte(34)
    }

    /// An amount in fen written as yuan: "1500" or "1500.50".
    func amount(_ name: StaticString, fen: Int64) {
        precondition(fen > 0, "amounts are positive")
        key(name); byte(34)
        digits(Int(fen / 100))
        let cents = Int(fen % 100)
        if cents != 0 { byte(46); digits(cents, width: 2) }
        byte(34)
    }
}

func fail(_ message: String) -> Never {
    var text = Array("subsidy-ledger-gen: \(message)\n".utf8)
    _ = text.withUnsafeMutableBufferPointer { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func printError(_ message: String) {
    var text = Array(message.utf8)
    _ = text.withUnsafeMutableBufferPointer { write(2, $0.baseAddress, $0.count) }
}
