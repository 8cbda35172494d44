import LedgerCore

extension CompactBalances {
    /// The people and enterprises of a rebuild's last whole packed snapshot,
    /// kept so that the next whole one copies every entry unchanged since
    /// rather than writing it afresh.
    ///
    /// At province scale a whole snapshot holds hundreds of thousands of
    /// person × programme entries, and between two of them only a fifth or
    /// so change (more, and a delta would have been written instead).
    /// Writing an entry reads its months and approval days from wherever
    /// they lie in memory; copying the bytes it had is a sequential read.
    /// The bytes come out the same either way: an entry's stored item
    /// depends only on its key and its figures.
    public struct HoldersWritten {
        /// The bytes the snapshot was written into: the people items, then
        /// the enterprise items, lie in them where the spans say. They are
        /// kept by reference, not copied (``writePackedHolders(into:reusing:)``).
        fileprivate var bytes: [UInt8] = []
        /// Where each entry's item lies in `bytes`, by entry number
        /// (`count` 0: the entry had none).
        fileprivate var people: [Span] = [], enterprises: [Span] = []
        /// Entries changed since that snapshot, as deltas since wrote them
        /// (a number may repeat).
        fileprivate var changedPeople: [Int32] = [], changedEnterprises: [Int32] = []

        public init() {}

        /// Notes the changes `state` holds, before a delta snapshot writes
        /// and forgets them.
        public mutating func noteChanges(of state: CompactBalances) {
            changedPeople += state.holders.changedPeople
            changedEnterprises += state.holders.changedEnterprises
        }
    }

    fileprivate struct Span {
        var start = 0, count = 0
    }

    /// Appends the people and enterprise items of a packed whole snapshot,
    /// what ``writePackedBytes(into:)`` writes for a state holding only the
    /// holders' tables (``whenHoldersCatchUp(_:)``): the entries unchanged
    /// since `written`'s snapshot (and not changed since the last
    /// ``forEachChange(packed:_:)``) are copied from it. `written` then
    /// holds this snapshot's items. `trailer` (a snapshot's loans) is
    /// appended after them, and `written` then keeps `w`'s bytes by
    /// reference, not by a copy: a caller that goes on writing into `w`
    /// makes them copy themselves (a rebuild writes its next snapshot into
    /// another buffer). Changes are not forgotten.
    public mutating func writePackedHolders(into w: inout ByteWriter, reusing written: inout HoldersWritten, trailer: [UInt8] = []) {
        var key = ByteWriter(capacity: 160), value = ByteWriter(capacity: 1024)
        let people = personOrder(holders.personEntries.indices.filter(personPresent))
        let peopleSpans = written.bytes.withUnsafeBytes { old in
            Self.splice(people, entries: holders.personEntries.count, old: written.people, from: old,
                        changed: [written.changedPeople, holders.changedPeople], into: &w) { e, out in
                personKey(e, into: &key)
                personValue(e, packed: true, into: &value)
                Self.appendItem(.people, &key, &value, to: &out)
            }
        }
        let enterprises = enterpriseOrder(holders.enterpriseEntries.indices.filter(enterprisePresent))
        let enterpriseSpans = written.bytes.withUnsafeBytes { old in
            Self.splice(enterprises, entries: holders.enterpriseEntries.count, old: written.enterprises, from: old,
                        changed: [written.changedEnterprises, holders.changedEnterprises], into: &w) { e, out in
                enterpriseKey(e, into: &key)
                enterpriseValue(e, into: &value)
                Self.appendItem(.enterprises, &key, &value, to: &out)
            }
        }
        w.raw(trailer)
        written = HoldersWritten()
        written.bytes = w.bytes
        written.people = peopleSpans
        written.enterprises = enterpriseSpans
    }

    private static func appendItem(_ table: StateCodec.Table, _ key: inout ByteWriter, _ value: inout ByteWriter, to out: inout ByteWriter) {
        key.bytes.withUnsafeBytes { k in value.bytes.withUnsafeBytes { v in StateCodec.append(table, key: k, value: v, to: &out) } }
        key.bytes.removeAll(keepingCapacity: true)
        value.bytes.removeAll(keepingCapacity: true)
    }

    /// Appends the items of the entries `order` lists (in that order) to
    /// `section`: an entry with an item in `old` (at `spans`) and in none
    /// of the `changed` lists is copied from there, runs of such entries
    /// adjacent in `old` in one copy; any other is written by `write`.
    /// Returns where each entry's item now lies in `section`.
    private static func splice(_ order: [Int], entries: Int, old spans: [Span], from old: UnsafeRawBufferPointer,
                               changed: [[Int32]], into section: inout ByteWriter,
                               write: (Int, inout ByteWriter) -> Void) -> [Span] {
        var stale = [Bool](repeating: false, count: entries)
        for list in changed { for e in list { stale[Int(e)] = true } }
        var placed = [Span](repeating: Span(), count: entries)
        // A run of items still to copy from `old`.
        var run = Span()
        func copyRun() {
            guard run.count > 0 else { return }
            section.raw(UnsafeRawBufferPointer(rebasing: old[run.start..<(run.start + run.count)]))
            run = Span()
        }
        for e in order {
            if e < spans.count && !stale[e] && spans[e].count > 0 {
                let item = spans[e]
                placed[e] = Span(start: section.bytes.count + run.count, count: item.count)
                if run.count > 0 && run.start + run.count == item.start {
                    run.count += item.count
                } else {
                    copyRun()
                    run = item
                }
                continue
            }
            copyRun()
            let start = section.bytes.count
            write(e, &section)
            placed[e] = Span(start: start, count: section.bytes.count - start)
        }
        copyRun()
        return placed
    }
}
