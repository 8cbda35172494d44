import LedgerCore
import Projections

/// The rebuild's digest (SHA-256 over every entry's canonical bytes, in key
/// order) and the checksum's sum of the entries (``EntrySum``), computed on
/// a second thread while the writing thread stores the entries: it hands
/// over copies of each entry's key and value, 4,096 at a time, in the order
/// it stores them, and ``finish()`` waits for the last.
final class EntryDigest {
    struct Batch {
        var tables: [StateCodec.Table] = []
        /// Each entry's key and then its value.
        var bytes: [UInt8] = []
        /// Where each entry's key ends and its value ends, in `bytes`.
        var ends: [(key: Int, value: Int)] = []
    }

    static let batchSize = 4096

    private final class Sums: @unchecked Sendable {
        var hasher = SHA256Hasher()
        var canonical = ByteWriter(capacity: 1024)
        var sum = EntrySum()

        func add(_ batch: Batch) {
            batch.bytes.withUnsafeBytes { bytes in
                var start = 0
                for (table, end) in zip(batch.tables, batch.ends) {
                    let key = UnsafeRawBufferPointer(rebasing: bytes[start..<end.key])
                    let value = UnsafeRawBufferPointer(rebasing: bytes[end.key..<end.value])
                    sum.add(table, key: key, value: value)
                    canonical.bytes.removeAll(keepingCapacity: true)
                    StateCodec.append(table, key: key, value: value, to: &canonical)
                    hasher.update(canonical.bytes)
                    start = end.value
                }
            }
        }
    }

    private let sums = Sums()
    private let handoff: BatchHandoff<Batch>
    private var batch = Batch()
    private var finished = false

    init() {
        let sums = self.sums
        handoff = BatchHandoff(capacity: 8) { batch in
            sums.add(batch)
            return true
        }
    }

    deinit {
        // A writing stopped by an error: the second thread still ends.
        if !finished { handoff.finish() }
    }

    /// Takes the next entry, in key order.
    func add(_ table: StateCodec.Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        batch.tables.append(table)
        batch.bytes.append(contentsOf: key)
        let keyEnd = batch.bytes.count
        batch.bytes.append(contentsOf: value)
        batch.ends.append((keyEnd, batch.bytes.count))
        if batch.tables.count == Self.batchSize {
            handoff.put(batch)
            batch = Batch()
        }
    }

    /// The digest in hexadecimal and the sum, once every entry is taken.
    func finish() -> (digest: String, sum: EntrySum) {
        precondition(!finished, "the entry digest was finished already")
        if !batch.tables.isEmpty { handoff.put(batch) }
        batch = Batch()
        handoff.finish()
        finished = true
        return (HashChain.hex(sums.hasher.finalize()), sums.sum)
    }
}
