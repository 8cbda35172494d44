import LedgerCore
import LedgerTestSupport
@testable import Projections
import Testing

/// A rebuild folds the person × programme and enterprise × programme tables
/// on a second thread (``CompactBalances/withHoldersAside(_:)``). These
/// tests hold that path to the fold in place.
@Suite("Holders folded aside")
struct HoldersAsideTests {
    static let programmes = ["startup-once", "internship", "social-insurance", "post-subsidy"]

    /// Random grants, their reversals and recoveries, over a few hundred
    /// people and enterprises: each change with its holder's name.
    static func changes(count: Int, seed: UInt64, programmes: [Int32]) -> [(CompactBalances.HolderChange, String)] {
        var random = SplitMix(seed: seed)
        var granted: [(CompactBalances.HolderChange, String)] = []
        var changes: [(CompactBalances.HolderChange, String)] = []
        for _ in 0..<count {
            let roll = random.below(10)
            if roll == 0, !granted.isEmpty {
                // A reversal of an earlier grant, taken back exactly.
                var (change, name) = granted.remove(at: random.below(granted.count))
                change.sign = -1
                change.granted = -change.granted
                change.grants = -1
                changes.append((change, name))
                continue
            }
            let isPerson = random.below(4) != 0
            let name = (isPerson ? "P" : "E") + String(random.below(isPerson ? 400 : 60))
            var change = CompactBalances.HolderChange(isPerson: isPerson, programme: programmes[random.below(programmes.count)], sign: 1)
            if roll == 1 {
                change.recovered = Int64(1 + random.below(5000))
            } else {
                change.granted = Int64(1 + random.below(100_000))
                change.grants = 1
                if isPerson {
                    if random.below(3) != 0 {
                        change.firstMonth = Int32(24_180 + random.below(60))
                        change.lastMonth = change.firstMonth + Int32(random.below(12))
                    }
                    change.countsApproval = true
                    change.approvalDay = Int32(16_500 + random.below(1500))
                }
            }
            changes.append((change, name))
            if roll != 1 { granted.append((change, name)) }
        }
        return changes
    }

    /// Folds `changes` into `state`, each under its holder's name.
    static func fold(_ changes: ArraySlice<(CompactBalances.HolderChange, String)>, into state: inout CompactBalances) throws {
        for (change, name) in changes {
            var name = name
            try name.withUTF8 { try state.holder(change, name: UnsafeRawBufferPointer($0)) }
        }
    }

    /// An empty state that knows the programmes, and their numbers.
    static func state() -> (CompactBalances, [Int32]) {
        var state = CompactBalances()
        let numbers = programmes.map { state.programmes.intern($0) }
        return (state, numbers)
    }

    static func canonical(_ state: inout CompactBalances) -> [UInt8] {
        var bytes = ByteWriter()
        state.writeCanonicalBytes(into: &bytes)
        return bytes.bytes
    }

    @Test("the holders' tables folded aside, brought back every few batches, equal the tables folded in place", arguments: [UInt64(1), 2, 3])
    func sameTables(seed: UInt64) throws {
        var (inPlace, programmes) = Self.state()
        let changes = Self.changes(count: 30_000, seed: seed, programmes: programmes)
        try Self.fold(changes[...], into: &inPlace)
        var aside = Self.state().0
        var changesSinceBack = [Int]()
        try aside.withHoldersAside { aside in
            for (index, (change, name)) in changes.enumerated() {
                var name = name
                try name.withUTF8 { try aside.holder(change, name: UnsafeRawBufferPointer($0)) }
                if index % 7_001 == 7_000 {
                    // As a rebuild does at each snapshot: the state read
                    // mid-way is the one folded so far.
                    try aside.bringHoldersBack()
                    changesSinceBack.append(aside.holders.changedPeople.count + aside.holders.changedEnterprises.count)
                    aside.foldHoldersAside()
                }
            }
        }
        #expect(aside.aside == nil)
        #expect(changesSinceBack.count == 4 && changesSinceBack.allSatisfy { $0 > 0 })
        let expected = Self.canonical(&inPlace)
        #expect(expected.count > 10_000)
        let folded = Self.canonical(&aside)
        let same = folded == expected
        #expect(same, "\(folded.count) bytes against \(expected.count), first differing at \(zip(folded, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(folded.count, expected.count))")
        #expect(aside.holders.changedPeople == inPlace.holders.changedPeople)
        #expect(aside.holders.changedEnterprises == inPlace.holders.changedEnterprises)
    }

    struct Elsewhere: Error {}

    @Test("a change the holders refuse aside is thrown when they are brought back, and ahead of what the fold found after it")
    func refusal() throws {
        var (state, programmes) = Self.state()
        var taken = CompactBalances.HolderChange(isPerson: true, programme: programmes[0], sign: -1)
        taken.firstMonth = 24_200
        taken.lastMonth = 24_200
        var name = "P1"
        #expect(throws: CompactBalances.Unsupported.self) {
            try state.withHoldersAside { state in
                try name.withUTF8 { try state.holder(taken, name: UnsafeRawBufferPointer($0)) }
                throw Elsewhere()
            }
        }
        #expect(state.aside == nil)
        // Without a refusal, what the fold found is what is thrown.
        var granted = taken
        granted.sign = 1
        var clean = Self.state().0
        #expect(throws: Elsewhere.self) {
            try clean.withHoldersAside { clean in
                try name.withUTF8 { try clean.holder(granted, name: UnsafeRawBufferPointer($0)) }
                throw Elsewhere()
            }
        }
        // In place, the same change is refused at once.
        var inPlace = Self.state().0
        #expect(throws: CompactBalances.Unsupported.self) {
            try name.withUTF8 { try inPlace.holder(taken, name: UnsafeRawBufferPointer($0)) }
        }
    }
}
