@testable import EventStore
import LedgerCore
import LedgerTestSupport
@testable import Projections
import Testing

/// The form a rebuild gives each snapshot (docs/FORMAT.md, "Snapshots are
/// written"): the first whole, each later one a delta when the deltas since
/// the last whole snapshot, this one's included, take at most a quarter of
/// its bytes (4 × deltas ≤ whole), whole otherwise. ``Ledger/SnapshotWriting``
/// decides while it writes; this oracle weighs each delta in full first,
/// from a copy of the state, as the rule reads.
@Suite("Rebuild snapshots: the form the quarter rule gives")
struct SnapshotFormTests {
    static let programmes = ["social-insurance", "post-subsidy", "training"]

    @Test("each snapshot is a delta exactly when the rule allows one, and a delta holds exactly the changes", arguments: [UInt64(1), 2, 3, 4])
    func quarterRule(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var state = CompactBalances()
        let programmes = Self.programmes.map { state.programmes.intern($0) }
        let writing = Ledger.SnapshotWriting()
        var wholeBytes = 0, deltaBytes = 0
        var deltas = 0, wholes = 0, emptyChanges = 0
        for snapshot in 0..<120 {
            // Some intervals change no holder at all; the others a few or many.
            let count = random.below(4) == 0 ? 0 : random.below(random.below(2) == 0 ? 40 : 2_000)
            if count == 0 { emptyChanges += 1 }
            for _ in 0..<count {
                let isPerson = random.below(4) != 0
                var change = CompactBalances.HolderChange(isPerson: isPerson, programme: programmes[random.below(programmes.count)], sign: 1)
                change.granted = Int64(1 + random.below(100_000))
                change.grants = 1
                if isPerson {
                    change.firstMonth = Int32(24_180 + random.below(120))
                    change.lastMonth = change.firstMonth + Int32(random.below(3))
                }
                var name = (isPerson ? "P" : "E") + String(random.below(isPerson ? 3_000 : 300))
                try name.withUTF8 { try state.holder(change, name: UnsafeRawBufferPointer($0)) }
            }
            // The fold's own part: lines and loans, of any size (the writer
            // copies them as they are), now and then large enough to leave
            // no room at all.
            var part = Ledger.SnapshotWriting.LinesAndLoans()
            part.wholeLines.raw(Array(repeating: 0x11, count: random.below(200)))
            part.wholeLoans.raw(Array(repeating: 0x44, count: random.below(200)))
            part.deltaLines.raw(Array(repeating: 0x21, count: random.below(8) == 0 ? random.below(wholeBytes / 3 + 1) : random.below(60)))
            part.deltaLoans.raw(Array(repeating: 0x24, count: random.below(60)))
            // The delta as the rule weighs it.
            var copy = state
            var delta = ByteWriter()
            delta.u8(StateCodec.SnapshotKind.packedDelta.rawValue)
            delta.raw(part.deltaLines.bytes)
            copy.forEachChange(packed: true) { table, key, value in
                StateCodec.appendDeltaItem(table, key: key, value: value, to: &delta)
            }
            delta.raw(part.deltaLoans.bytes)
            let expectDelta = wholeBytes > 0 && 4 * (deltaBytes + delta.bytes.count) <= wholeBytes
            let bytes = writing.snapshot(part, holders: &state)
            let kind = try #require(bytes.first)
            if expectDelta {
                try #require(kind == StateCodec.SnapshotKind.packedDelta.rawValue, "snapshot \(snapshot): a delta of \(delta.bytes.count) bytes after \(deltaBytes) against \(wholeBytes)")
                #expect(bytes == delta.bytes, "snapshot \(snapshot): the delta's bytes")
                deltaBytes += bytes.count
                deltas += 1
            } else {
                try #require(kind == StateCodec.SnapshotKind.packedFull.rawValue, "snapshot \(snapshot): a delta of \(delta.bytes.count) bytes after \(deltaBytes) against \(wholeBytes) is not allowed")
                #expect(Array(bytes.prefix(1 + part.wholeLines.bytes.count).dropFirst()) == part.wholeLines.bytes)
                #expect(Array(bytes.suffix(part.wholeLoans.bytes.count)) == part.wholeLoans.bytes)
                wholeBytes = bytes.count
                deltaBytes = 0
                wholes += 1
            }
            // Either way the changes are forgotten.
            #expect(state.holders.changedPeople.isEmpty && state.holders.changedEnterprises.isEmpty)
        }
        #expect(deltas >= 10 && wholes >= 10 && emptyChanges >= 10, "\(deltas) deltas, \(wholes) whole, \(emptyChanges) without changes")
    }
}
