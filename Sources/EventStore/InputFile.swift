import Glibc

/// The bytes of one import source: a file mapped read-only, or standard
/// input read into memory. Mapping keeps a large file out of the heap, and
/// lets a write that must be retried (the map grew) read it again for free.
///
/// Sendable: nothing in it changes after `init`, and the bytes are only
/// read (the parser thread reads them while the writer owns the file).
public final class InputFile: @unchecked Sendable {
    public let name: String
    private let base: UnsafeMutableRawPointer?
    private let count: Int
    private let mapped: Bool

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Maps the file at `path`; `-` reads standard input.
    public init(path: String) throws {
        name = path
        if path == "-" {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw LedgerError.io("-: cannot read standard input: \(String(cString: strerror(errno)))")
                }
                if n == 0 { break }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let size = buffer.count
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
            buffer.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: size) }
            count = size
            base = memory
            mapped = false
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LedgerError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LedgerError.io("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw LedgerError.io("\(path): not a regular file") }
        count = Int(info.st_size)
        mapped = true
        if count == 0 {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw LedgerError.io("\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        madvise(address, count, MADV_SEQUENTIAL)
        base = address
    }

    /// Whether the bytes are a mapped file, whose pages ``releasePages(before:)``
    /// may drop: a later read maps them again from the file.
    public var isMapped: Bool { mapped && base != nil }

    /// Drops the mapped pages wholly before `offset`, from the page that
    /// holds `start` on, from this process's memory (they stay in the
    /// kernel's page cache; reading them again faults them back in,
    /// unchanged). An import releases what it has parsed since its last
    /// release, so a large file does not stay resident: the range starts
    /// where the last one ended, because dropping the whole prefix again
    /// each time walked page tables already empty, on the thread that
    /// parses (a quarter of its time at a million events). Nothing for bytes
    /// read into memory. A hint: failure changes nothing.
    func releasePages(from start: Int = 0, before offset: Int) {
        guard isMapped, let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = max(0, min(start, count)) / page * page
        let end = min(offset, count) / page * page
        if end > first { _ = madvise(base + first, end - first, MADV_DONTNEED) }
    }

    /// Bytes already in memory (a request body), named `name` in messages.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        let size = bytes.count
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        bytes.withUnsafeBytes { if size > 0 { memory.copyMemory(from: $0.baseAddress!, byteCount: size) } }
        count = size
        base = memory
        mapped = false
    }

    deinit {
        if mapped {
            if let base { munmap(base, count) }
        } else {
            base?.deallocate()
        }
    }
}
