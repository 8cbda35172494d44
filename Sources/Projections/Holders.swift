import CPrefetch
import LedgerCore

extension CompactBalances {
    /// One event's effect on a person × programme or enterprise × programme
    /// entry: what a grant adds (or its reversal takes back) and what a
    /// recovery of it adds. The holder's name travels beside it.
    struct HolderChange {
        var isPerson: Bool
        var programme: Int32
        /// 1, or −1 for a reversal: the direction months and approval days are counted in.
        var sign: Int64
        var granted: Int64 = 0
        var recovered: Int64 = 0
        var grants: Int = 0
        /// Months covered, as month indexes; none while `firstMonth > lastMonth`.
        var firstMonth: Int32 = 1
        var lastMonth: Int32 = 0
        var countsApproval = false
        var approvalDay: Int32 = 0
        /// Where the name lies in a batch's bytes (``HolderWorker``).
        var nameStart = 0
        var nameCount = 0

        init(isPerson: Bool, programme: Int32, sign: Int64) {
            self.isPerson = isPerson
            self.programme = programme
            self.sign = sign
        }
    }

    /// The person × programme and enterprise × programme tables: most of a
    /// large state, and the part no budget line or loan depends on, so a
    /// rebuild folds them on a thread of their own (``HolderWorker``).
    struct Holders {
        var people = ByteInterner(capacity: 1 << 12)
        var enterprises = ByteInterner()
        var personIndex = PackedKeyIndex(capacity: 1 << 12)
        var personEntries: [PersonEntry] = []
        var enterpriseIndex = PackedKeyIndex()
        var enterpriseEntries: [EnterpriseEntry] = []
        /// Entries changed since the changes were last written or forgotten, each once.
        var personChanged: [Bool] = [], enterpriseChanged: [Bool] = []
        var changedPeople: [Int32] = [], changedEnterprises: [Int32] = []

        /// The entry of `name` under `programme`, made empty when new, and
        /// marked changed.
        @inline(__always)
        mutating func entry(person isPerson: Bool, name: UnsafeRawBufferPointer, programme: Int32) -> (index: Int, isNew: Bool) {
            entry(person: isPerson, holder: isPerson ? people.intern(name) : enterprises.intern(name), programme: programme)
        }

        /// The entry of holder number `holder` under `programme`, made
        /// empty when new, and marked changed.
        @inline(__always)
        mutating func entry(person isPerson: Bool, holder: Int32, programme: Int32) -> (index: Int, isNew: Bool) {
            if isPerson {
                return Self.entry(holder, programme, index: &personIndex, entries: &personEntries,
                                  changed: &personChanged, changedList: &changedPeople) { PersonEntry(person: $0, programme: programme) }
            }
            return Self.entry(holder, programme, index: &enterpriseIndex, entries: &enterpriseEntries,
                              changed: &enterpriseChanged, changedList: &changedEnterprises) { EnterpriseEntry(enterprise: $0, programme: programme) }
        }

        /// The key of holder `holder`'s entry under `programme` in its table's index.
        @inline(__always)
        static func key(_ holder: Int32, _ programme: Int32) -> UInt64 {
            UInt64(UInt32(bitPattern: holder)) << 32 | UInt64(UInt32(bitPattern: programme))
        }

        /// One table's look-up: the entry of the holder under the programme
        /// (`make` builds a new one from the number), the mark.
        @inline(__always)
        static func entry<Entry>(_ holder: Int32, _ programme: Int32, index: inout PackedKeyIndex,
                                 entries: inout [Entry], changed: inout [Bool], changedList: inout [Int32],
                                 make: (Int32) -> Entry) -> (index: Int, isNew: Bool) {
            let key = Self.key(holder, programme)
            let count = Int32(entries.count)
            let found = index.value(for: key) { count }
            if found == count {
                entries.append(make(holder))
                changed.append(false)
            }
            if !changed[Int(found)] {
                changed[Int(found)] = true
                changedList.append(found)
            }
            return (Int(found), found == count)
        }

        /// Adds `change` to entry `e` of its table.
        @inline(__always)
        mutating func apply(_ change: HolderChange, at e: Int) throws {
            guard change.isPerson else {
                enterpriseEntries[e].granted &+= change.granted
                enterpriseEntries[e].recovered &+= change.recovered
                enterpriseEntries[e].grants += change.grants
                return
            }
            personEntries[e].granted &+= change.granted
            personEntries[e].recovered &+= change.recovered
            personEntries[e].grants += change.grants
            if change.firstMonth <= change.lastMonth {
                for month in change.firstMonth...change.lastMonth {
                    try Self.count(&personEntries[e].months, YearMonth(index: month), change.sign)
                }
            }
            if change.countsApproval {
                try Self.count(&personEntries[e].approvals, CalendarDate(dayNumber: change.approvalDay), change.sign)
            }
        }

        @inline(__always)
        static func count<V>(_ set: inout CountedSet<V>, _ value: V, _ sign: Int64) throws {
            if sign < 0 && set.count(of: value) == 0 { throw Unsupported(reason: "a reversal takes back what was never counted") }
            set.add(value, Int(sign))
        }

        mutating func forgetChanges() {
            for index in changedPeople { personChanged[Int(index)] = false }
            for index in changedEnterprises { enterpriseChanged[Int(index)] = false }
            changedPeople = []
            changedEnterprises = []
        }
    }

    /// Folds the holders' tables on a thread of its own while the fold that
    /// feeds it goes on with budget lines and loans: the changes go over in
    /// batches, in log order, with copies of the holders' names (so nothing
    /// points into a read transaction; the fold fills each batch, see
    /// ``CompactBalances/holder(_:name:)``), and ``finish()`` waits for the
    /// last. Tasks on the tables as they stand between two batches (a
    /// rebuild's snapshots) run on the same thread, in the same order.
    final class HolderWorker: @unchecked Sendable {
        enum Work {
            case changes(Batch)
            case task((inout Holders) throws -> Void)
        }

        struct Batch {
            var changes: [HolderChange] = []
            var names: [UInt8] = []

            init() { changes.reserveCapacity(HolderWorker.batchSize) }

            /// Adds a change and a copy of its holder's name; true when the batch is full.
            @inline(__always)
            mutating func add(_ change: HolderChange, name: UnsafeRawBufferPointer) -> Bool {
                var change = change
                change.nameStart = names.count
                change.nameCount = name.count
                names.append(contentsOf: name)
                changes.append(change)
                return changes.count == HolderWorker.batchSize
            }
        }

        static let batchSize = 4096
        /// Batches that may wait: enough for the fold to go on through most
        /// of a snapshot interval while a task (writing a snapshot) runs.
        static let capacity = 64
        /// The worker's until ``finish()`` returns.
        var holders = Holders()
        private var handoff: BatchHandoff<Work>!
        /// The first change the tables refused, or the error of a task
        /// (written by the worker, read after `finish`).
        private var failure: (any Error)?

        init() {
            handoff = BatchHandoff(capacity: Self.capacity) { [unowned self] work in
                switch work {
                case .changes(let batch):
                    return apply(batch)
                case .task(let task):
                    do {
                        try task(&holders)
                        return true
                    } catch {
                        failure = error
                        return false
                    }
                }
            }
        }

        func put(_ batch: Batch) { handoff.put(.changes(batch)) }

        func put(task: @escaping (inout Holders) throws -> Void) { handoff.put(.task(task)) }

        /// Waits until every batch and task put is done, and throws the
        /// first change refused or task failed, if any.
        func finish() throws {
            handoff.finish()
            if let failure { throw failure }
        }

        private func apply(_ batch: Batch) -> Bool {
            do {
                try Self.apply(batch, to: &holders)
                return true
            } catch {
                failure = error as? Unsupported ?? Unsupported(reason: "\(error)")
                return false
            }
        }

        /// How many changes ahead each pass of ``apply(_:to:made:)`` asks for
        /// what it reads next.
        static let ahead = 8

        /// The batch's changes applied in order, the tables taken once for
        /// the whole batch: reaching them through the worker for each change
        /// cost a dynamic exclusivity check per change, a tenth of the
        /// worker's instructions.
        ///
        /// At province scale each change misses the cache at every step:
        /// the name's slot, start and bytes in the interner, the entry's
        /// slot in the index, the entry. Done one change at a time, each
        /// miss waits for the one before. So the batch goes through in
        /// passes, the holders' numbers first, then the entries, then the
        /// changes, each pass asking for the places of the changes a few
        /// ahead (``ByteInterner/prefetch(hash:step:)``) while it works on
        /// the current one. The numbers and entries are made in the same
        /// order as one change at a time would make them. A change the
        /// tables refuse leaves the batch's later names and entries made,
        /// where one change at a time would have stopped before them; a
        /// refusal stops the fold, and its tables are not used.
        ///
        /// `made` is called with each entry the batch makes, as it is made
        /// and before any change is applied to it (a fold over a stored
        /// state loads the entry's stored figures there; by default nothing).
        static func apply(_ batch: Batch, to holders: inout Holders,
                          made: (inout Holders, Int, HolderChange, UnsafeRawBufferPointer) throws -> Void = { _, _, _, _ in }) throws {
            let count = batch.changes.count
            let ahead = Self.ahead
            try batch.names.withUnsafeBytes { names in
                try batch.changes.withUnsafeBufferPointer { changes in
                    let hashes = (0..<count).map { ByteInterner.hash(Self.name(changes[$0], in: names)) }
                    var numbers = [Int32](repeating: 0, count: count)
                    for i in 0..<count {
                        for step in 0..<3 where i + (3 - step) * ahead < count {
                            let j = i + (3 - step) * ahead
                            Self.prefetchName(changes[j], hash: hashes[j], step: step, in: &holders)
                        }
                        let name = Self.name(changes[i], in: names)
                        numbers[i] = changes[i].isPerson ? holders.people.intern(name, hash: hashes[i])
                            : holders.enterprises.intern(name, hash: hashes[i])
                    }
                    var entries = [Int32](repeating: 0, count: count)
                    for i in 0..<count {
                        if i + ahead < count {
                            let key = Holders.key(numbers[i + ahead], changes[i + ahead].programme)
                            if changes[i + ahead].isPerson { holders.personIndex.prefetch(key: key) } else { holders.enterpriseIndex.prefetch(key: key) }
                        }
                        let (e, isNew) = holders.entry(person: changes[i].isPerson, holder: numbers[i], programme: changes[i].programme)
                        if isNew { try made(&holders, e, changes[i], Self.name(changes[i], in: names)) }
                        entries[i] = Int32(e)
                    }
                    for i in 0..<count {
                        if i + ahead < count && changes[i + ahead].isPerson {
                            Self.prefetchEntry(Int(entries[i + ahead]), months: false, in: &holders)
                        }
                        if i + ahead / 2 < count && changes[i + ahead / 2].isPerson {
                            Self.prefetchEntry(Int(entries[i + ahead / 2]), months: true, in: &holders)
                        }
                        try holders.apply(changes[i], at: Int(entries[i]))
                    }
                }
            }
        }

        @inline(__always)
        private static func name(_ change: HolderChange, in names: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: names[change.nameStart..<change.nameStart + change.nameCount])
        }

        @inline(__always)
        private static func prefetchName(_ change: HolderChange, hash: UInt32, step: Int, in holders: inout Holders) {
            if change.isPerson {
                holders.people.prefetch(hash: hash, step: step)
            } else {
                holders.enterprises.prefetch(hash: hash, step: step)
            }
        }

        /// Where a person entry holds its months: an array, one reference
        /// to the object that holds its count, capacity and pairs.
        private static let monthsOffset = MemoryLayout<PersonEntry>.offset(of: \PersonEntry.months)!

        /// Asks for person entry `e`, or (once it is in) for its months.
        /// The months' object is found by reading the reference's bits in
        /// place: taking the array as a value would retain it, which writes
        /// to the very object not yet in the cache.
        @inline(__always)
        private static func prefetchEntry(_ e: Int, months: Bool, in holders: inout Holders) {
            holders.personEntries.withUnsafeBufferPointer { all in
                let entry = UnsafeRawPointer(all.baseAddress! + e)
                guard months else { return cprefetch(entry) }
                let object = entry.load(fromByteOffset: monthsOffset, as: UInt.self)
                if let object = UnsafeRawPointer(bitPattern: object) {
                    cprefetch(object)
                    cprefetch(object + 64)
                }
            }
        }
    }
}
