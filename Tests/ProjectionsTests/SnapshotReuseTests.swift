import LedgerCore
import LedgerTestSupport
@testable import Projections
import Testing

/// A rebuild's whole snapshot copies the people and enterprises unchanged
/// since the last whole one from it (``CompactBalances/writePackedHolders(into:reusing:)``).
/// These tests hold it to the snapshot written afresh.
@Suite("Whole snapshots reuse unchanged entries")
struct SnapshotReuseTests {
    @Test("the holders' part of each whole snapshot equals the one written afresh, with deltas between", arguments: [UInt64(1), 2, 3])
    func sameBytes(seed: UInt64) throws {
        var (state, programmes) = HoldersAsideTests.state()
        let changes = HoldersAsideTests.changes(count: 40_000, seed: seed, programmes: programmes)
        var random = SplitMix(seed: seed &+ 100)
        var written = CompactBalances.HoldersWritten()
        var wholes = 0, deltas = 0, copiedSome = false
        var next = 0
        while next < changes.count {
            let end = min(changes.count, next + 200 + random.below(3_000))
            try HoldersAsideTests.fold(changes[next..<end], into: &state)
            next = end
            // As a rebuild's snapshots: the first whole, then a delta or a
            // whole by turns the seed decides.
            if wholes > 0 && random.below(3) == 0 {
                written.noteChanges(of: state)
                state.forEachChange(packed: true) { _, _, _ in }
                deltas += 1
                continue
            }
            var afresh = ByteWriter()
            state.writePackedBytes(into: &afresh)
            let changed = state.holders.changedPeople.count + state.holders.changedEnterprises.count
            let present = state.holders.personEntries.indices.filter(state.personPresent).count
                + state.holders.enterpriseEntries.indices.filter(state.enterprisePresent).count
            if wholes > 0 && changed < present { copiedSome = true }
            var reused = ByteWriter()
            state.writePackedHolders(into: &reused, reusing: &written)
            state.forgetChanges()
            wholes += 1
            let same = reused.bytes == afresh.bytes
            let differing = zip(reused.bytes, afresh.bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(reused.bytes.count, afresh.bytes.count)
            #expect(same, "whole snapshot \(wholes): \(reused.bytes.count) bytes against \(afresh.bytes.count), first differing at \(differing)")
            if !same { return }
        }
        #expect(wholes >= 5 && deltas >= 2 && copiedSome, "\(wholes) whole, \(deltas) delta snapshots")
    }

    @Test("a delta written against a limit fits exactly when the whole delta does, and then is the delta forEachChange gives", arguments: [UInt64(4), 5, 6])
    func deltaAgainstLimit(seed: UInt64) throws {
        var (state, programmes) = HoldersAsideTests.state()
        let changes = HoldersAsideTests.changes(count: 20_000, seed: seed, programmes: programmes)
        var random = SplitMix(seed: seed &+ 200)
        var next = 0, fitted = 0, refused = 0
        while next < changes.count {
            let end = min(changes.count, next + 1 + random.below(2_500))
            try HoldersAsideTests.fold(changes[next..<end], into: &state)
            next = end
            // The delta as the changes give it, from a copy that then forgets them.
            var copy = state
            var expected = ByteWriter()
            copy.forEachChange(packed: true) { table, key, value in
                StateCodec.appendDeltaItem(table, key: key, value: value, to: &expected)
            }
            let size = expected.bytes.count
            // Limits at, around and far from the delta's size.
            for limit in [size, size - 1, size + 1, 0, -1, random.below(size + 2), size * 2] {
                var written = ByteWriter()
                written.u8(0xAB)
                let fits = state.writeHolderChanges(into: &written, limit: limit)
                #expect(fits == (size <= limit && limit >= 0), "limit \(limit), delta of \(size) bytes")
                if fits {
                    #expect(Array(written.bytes.dropFirst()) == expected.bytes, "limit \(limit)")
                    fitted += 1
                } else {
                    refused += 1
                }
            }
            // Nothing was forgotten: the same delta comes out again.
            var again = ByteWriter()
            #expect(state.writeHolderChanges(into: &again, limit: .max) && again.bytes == expected.bytes)
            state.forgetChanges()
        }
        #expect(fitted > 10 && refused > 10, "\(fitted) fitted, \(refused) refused")
    }
}
