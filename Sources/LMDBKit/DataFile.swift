import Glibc

/// Why an environment's `data.mdb` cannot be mapped: found by reading the
/// file before LMDB does, so that a damaged file is reported, not crashed on
/// (LMDB maps the file, and touching a page past its end is a bus error)
/// and not written to (LMDB takes an empty file for a new environment and
/// writes meta pages into it).
public struct DataFileDamage: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was found, in a sentence naming the file.
    public let finding: String

    public var description: String { finding }
}

/// What the meta pages of a sound `data.mdb` say (see ``DataFile/inspect(directory:)``).
public struct DataFileSummary: Sendable, Equatable {
    public let fileSizeBytes: Int
    public let pageSizeBytes: Int
    /// The meta page LMDB will use (0 or 1): the one with the higher transaction id.
    public let newestMeta: Int
    /// The transaction that wrote the newest meta page.
    public let lastTransaction: UInt64
    /// The highest page number the newest meta page says is in use.
    public let lastPage: UInt64
    /// Pages up to `lastPage` that lie past the end of the file. LMDB does
    /// not write a page that was taken and freed again in one transaction,
    /// so the file may end early; each such page must be on the free list.
    public let unwrittenFreePages: Int
}

/// Reads the two meta pages of an LMDB data file with `pread`, as
/// `mdb_env_read_header` does, and checks that the file holds every page the
/// newest of them can reach.
///
/// The layout read here is LMDB 0.9's on a 64-bit little-endian machine
/// (`mdb.c`): a page starts with a 16-byte header (page number u64, pad
/// u16, flags u16, lower u16, upper u16); page 0 and page `psize` are meta
/// pages (flag `P_META`), whose `MDB_meta` follows the header: magic u32
/// (0xBEEFC0DE), data version u32 (1), map address u64, map size u64, the
/// free and main databases' `MDB_db` (48 bytes each; the free one's first
/// u32 is the page size), the last page number u64, and the transaction id
/// u64. LMDB uses the meta page with the higher transaction id.
///
/// The file may be shorter than `(lastPage + 1) × psize`: LMDB does not write
/// a page taken and freed in the same transaction, and says so ("the file may
/// be shorter if the freeDB lists the final pages"). So when pages are
/// missing at the end, the free database is walked (by `pread`, never
/// mapped) and every missing page must be on it; otherwise the file is
/// truncated.
public enum DataFile {
    static let magic: UInt32 = 0xBEEF_C0DE
    static let dataVersion: UInt32 = 1
    static let pageHeaderBytes = 16
    static let metaBytes = 16 + 136
    static let flagBranch: UInt16 = 0x01
    static let flagLeaf: UInt16 = 0x02
    static let flagOverflow: UInt16 = 0x04
    static let flagMeta: UInt16 = 0x08
    static let nodeBigData: UInt16 = 0x01
    static let invalidPage = UInt64.max
    /// Upper bound on the free-database pages read: a free list larger than
    /// this is not walked, and a file with missing pages is then refused.
    static let freeListPageLimit = 1 << 20

    /// Checks the environment's `data.mdb` in `directory` and returns what its
    /// meta pages say, or throws what is wrong with it.
    public static func inspect(directory: String) throws(DataFileDamage) -> DataFileSummary {
        let path = directory + "/data.mdb"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DataFileDamage(finding: "\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw DataFileDamage(finding: "\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw DataFileDamage(finding: "\(path) is not a regular file")
        }
        var file = Reader(fd: fd, path: path, sizeBytes: Int(status.st_size))
        return try file.summary()
    }

    /// One open data file, read by offset.
    struct Reader {
        let fd: Int32
        let path: String
        let sizeBytes: Int

        /// `count` bytes at `offset`, or nil where the file ends first.
        func bytes(at offset: Int, count: Int) throws(DataFileDamage) -> [UInt8]? {
            guard offset >= 0, count >= 0, offset <= sizeBytes, count <= sizeBytes - offset else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let got = buffer.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return pread(fd, base + done, count - done, off_t(offset + done))
                }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    let reason = got < 0 ? String(cString: strerror(errno)) : "the file ended early"
                    throw DataFileDamage(finding: "\(path) cannot be read at byte \(offset + done): \(reason)")
                }
                done += got
            }
            return buffer
        }

        mutating func summary() throws(DataFileDamage) -> DataFileSummary {
            if sizeBytes == 0 {
                throw DataFileDamage(finding: "\(path) is empty (0 bytes): no LMDB meta page, so no ledger")
            }
            let first = try meta(at: 0, index: 0)
            let pageSize = Int(first.pageSize)
            guard pageSize >= 256, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
                throw DataFileDamage(finding: "\(path): its first meta page gives a page size of \(first.pageSize) bytes, which LMDB never writes")
            }
            let second = try meta(at: pageSize, index: 1)
            let newest = second.txnid > first.txnid ? second : first
            let newestIndex = second.txnid > first.txnid ? 1 : 0
            let wholePages = UInt64(sizeBytes / pageSize)
            guard newest.lastPage >= 1, newest.lastPage < UInt64(Int.max / pageSize) else {
                throw DataFileDamage(finding: "\(path): meta page \(newestIndex) gives \(newest.lastPage) as its last page, which LMDB never writes")
            }
            for (name, root) in [("free", newest.freeRoot), ("main", newest.mainRoot)] where root != invalidPage {
                guard root >= 2, root <= newest.lastPage else {
                    throw DataFileDamage(finding: "\(path): meta page \(newestIndex) puts the root of the \(name) database at page \(root), outside pages 2 to \(newest.lastPage)")
                }
            }
            var unwritten = 0
            if newest.lastPage >= wholePages {
                let missing = wholePages...newest.lastPage
                let free = try freePages(root: newest.freeRoot, wholePages: wholePages, within: missing, newest: newest, pageSize: pageSize)
                if let absent = missing.first(where: { !free.contains($0) }) {
                    throw truncated(newest, pageSize: pageSize, "page \(absent), past the end, is not on the free list")
                }
                unwritten = missing.count
            }
            return DataFileSummary(fileSizeBytes: sizeBytes, pageSizeBytes: pageSize, newestMeta: newestIndex,
                                   lastTransaction: newest.txnid, lastPage: newest.lastPage, unwrittenFreePages: unwritten)
        }

        func truncated(_ newest: Meta, pageSize: Int, _ detail: String) -> DataFileDamage {
            let needed = (newest.lastPage + 1) * UInt64(pageSize)
            return DataFileDamage(finding: "\(path) is truncated: it is \(sizeBytes) bytes, but its newest meta page "
                                  + "(transaction \(newest.txnid)) uses pages up to \(newest.lastPage) of \(pageSize) bytes "
                                  + "(\(needed) bytes), and the free list does not account for the missing ones (\(detail))")
        }

        struct Meta {
            var pageSize: UInt32
            var freeRoot: UInt64
            var freeDepth: UInt16
            var freePages: UInt64
            var mainRoot: UInt64
            var lastPage: UInt64
            var txnid: UInt64
        }

        func meta(at offset: Int, index: Int) throws(DataFileDamage) -> Meta {
            guard let page = try bytes(at: offset, count: metaBytes) else {
                let which = index == 0 ? "first" : "second"
                throw DataFileDamage(finding: "\(path) is truncated: it is \(sizeBytes) bytes, too short for LMDB's \(which) meta page (bytes \(offset) to \(offset + metaBytes))")
            }
            let flags = u16(page, 10)
            let magicFound = u32(page, 16)
            guard flags & flagMeta != 0, magicFound == magic else {
                if index == 0 {
                    let start = page.prefix(16).map { byte in
                        let digits = String(byte, radix: 16)
                        return digits.count == 1 ? "0" + digits : digits
                    }.joined(separator: " ")
                    throw DataFileDamage(finding: "\(path) is not an LMDB file: its first page is not an LMDB meta page "
                                         + "(magic number 0x\(String(magicFound, radix: 16, uppercase: true)), not 0xBEEFC0DE; it begins \(start))")
                }
                throw DataFileDamage(finding: "\(path): its second meta page, at byte \(offset), is not an LMDB meta page "
                                     + "(magic number 0x\(String(magicFound, radix: 16, uppercase: true)), not 0xBEEFC0DE)")
            }
            let version = u32(page, 20)
            guard version == dataVersion else {
                throw DataFileDamage(finding: "\(path) has LMDB data version \(version) in meta page \(index); this program reads version \(dataVersion)")
            }
            return Meta(pageSize: u32(page, 40), freeRoot: u64(page, 80), freeDepth: u16(page, 46),
                        freePages: u64(page, 48) &+ u64(page, 56) &+ u64(page, 64),
                        mainRoot: u64(page, 128), lastPage: u64(page, 136), txnid: u64(page, 144))
        }

        /// The pages in `wanted` that the free database (rooted at `root`)
        /// lists. Every page of the free database itself must be in the file.
        func freePages(root: UInt64, wholePages: UInt64, within wanted: ClosedRange<UInt64>, newest: Meta,
                       pageSize: Int) throws(DataFileDamage) -> Set<UInt64> {
            var found = Set<UInt64>()
            guard root != invalidPage else { return found }
            var pending: [(page: UInt64, depth: Int)] = [(root, 1)]
            var visited = 0
            let limit = min(Int(clamping: newest.freePages), freeListPageLimit)
            func lost(_ what: String) -> DataFileDamage { truncated(newest, pageSize: pageSize, what) }
            while let (number, depth) = pending.popLast() {
                visited += 1
                guard visited <= limit, depth <= Int(newest.freeDepth) else { throw lost("more free-list pages than its meta page counts") }
                guard number >= 2, number < wholePages,
                      let page = try bytes(at: Int(number) * pageSize, count: pageSize) else {
                    throw lost("free-list page \(number) is past the end of the file")
                }
                let flags = u16(page, 10)
                let lower = Int(u16(page, 12))
                guard lower >= pageHeaderBytes, lower <= pageSize else { throw lost("free-list page \(number) is malformed") }
                let keys = (lower - pageHeaderBytes) / 2
                for index in 0..<keys {
                    let node = Int(u16(page, pageHeaderBytes + 2 * index))
                    guard node >= lower, node + 8 <= pageSize else { throw lost("free-list page \(number) is malformed") }
                    let low = UInt64(u16(page, node)), high = UInt64(u16(page, node + 2)), nodeFlags = u16(page, node + 4)
                    let keySize = Int(u16(page, node + 6))
                    if flags & flagBranch != 0 {
                        pending.append((low | high << 16 | UInt64(nodeFlags) << 32, depth + 1))
                        continue
                    }
                    guard flags & flagLeaf != 0 else { throw lost("free-list page \(number) is neither a branch nor a leaf") }
                    let dataSize = Int(low | high << 16)
                    let dataStart = node + 8 + keySize
                    let list: [UInt8]
                    if nodeFlags & nodeBigData != 0 {
                        guard dataStart + 8 <= pageSize else { throw lost("free-list page \(number) is malformed") }
                        let overflow = u64(page, dataStart)
                        let pagesSpanned = UInt64((pageHeaderBytes + dataSize + pageSize - 1) / pageSize)
                        guard overflow >= 2, overflow + pagesSpanned <= wholePages,
                              let bytes = try bytes(at: Int(overflow) * pageSize + pageHeaderBytes, count: dataSize) else {
                            throw lost("free-list overflow page \(overflow) is past the end of the file")
                        }
                        list = bytes
                    } else {
                        guard dataStart + dataSize <= pageSize else { throw lost("free-list page \(number) is malformed") }
                        list = Array(page[dataStart..<(dataStart + dataSize)])
                    }
                    // An ID list: a count, then that many page numbers.
                    guard list.count >= 8 else { throw lost("a free-list entry is malformed") }
                    let count = u64(list, 0)
                    guard count <= UInt64(list.count / 8 - 1) else { throw lost("a free-list entry is malformed") }
                    for slot in 0..<Int(count) {
                        let free = u64(list, 8 + 8 * slot)
                        if wanted.contains(free) { found.insert(free) }
                    }
                }
            }
            return found
        }

        func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16 }
        func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(u32(bytes, at)) | UInt64(u32(bytes, at + 4)) << 32 }
    }
}
