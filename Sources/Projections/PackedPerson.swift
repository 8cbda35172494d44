import LedgerCore

/// The packed form of a person × programme value, which snapshots of kinds
/// 2 and 3 hold instead of the canonical one (docs/FORMAT.md).
///
/// In the canonical value every covered month and every approval day takes
/// eight bytes; a person paid month after month has dozens of each, and at
/// ten million events they are most of a snapshot's bytes. Packed, the
/// months are runs of consecutive months with the same count (a grant
/// period is one run) and the approval days are gaps from the day before,
/// as variable-length numbers: about a third of the size. The canonical
/// value is still what `projection-entries` holds and what the digest
/// hashes; the packed one is a storage form of the same figures.
extension StateCodec {
    /// The packed value's size in bytes.
    public static func packedPersonSize(months: borrowing CountedSet<YearMonth>, approvals: borrowing CountedSet<CalendarDate>) -> Int {
        packedPersonSize(runs: monthRuns(months), approvals: approvals)
    }

    /// The packed value's size, its month runs already counted.
    static func packedPersonSize(runs: Int, approvals: borrowing CountedSet<CalendarDate>) -> Int {
        var size = 8 + 8 + 4 + 4 + 12 * runs + 4
        approvals.withHeld { days in
            guard !days.isEmpty else { return }
            size += 4 + ByteCursor.varintSize(days[0].count)
            for index in 1..<days.count {
                size += ByteCursor.varintSize(UInt32(days[index].value.dayNumber - days[index - 1].value.dayNumber))
                size += ByteCursor.varintSize(days[index].count)
            }
        }
        return size
    }

    /// The number of maximal runs: consecutive months with the same count.
    static func monthRuns(_ months: borrowing CountedSet<YearMonth>) -> Int {
        months.withHeld { held in
            var runs = 0
            for index in held.indices
            where index == 0 || held[index].value.index != held[index - 1].value.index + 1 || held[index].count != held[index - 1].count {
                runs += 1
            }
            return runs
        }
    }

    /// Appends the packed value:
    ///
    ///     i64 granted, i64 recovered, u32 grants,
    ///     u32 runs, then per run: i32 first month, u32 length, u32 count
    ///     u32 days, then (when there are any) i32 first day, var count,
    ///         and per later day: var gap from the day before, var count
    ///
    /// Runs are maximal and ascending; days ascending, so every gap is ≥ 1.
    public static func appendPackedPerson(granted: Int64, recovered: Int64, grants: Int, months: borrowing CountedSet<YearMonth>,
                                          approvals: borrowing CountedSet<CalendarDate>, to w: inout ByteWriter) {
        let runs = monthRuns(months)
        w.write(count: packedPersonSize(runs: runs, approvals: approvals)) { out in
            out.i64(granted); out.i64(recovered); out.u32(UInt32(grants))
            out.u32(UInt32(runs))
            months.withHeld { held in
                var start = 0
                while start < held.count {
                    var end = start + 1
                    while end < held.count && held[end].value.index == held[end - 1].value.index + 1 && held[end].count == held[start].count {
                        end += 1
                    }
                    out.i32(held[start].value.index); out.u32(UInt32(end - start)); out.u32(held[start].count)
                    start = end
                }
            }
            out.u32(UInt32(approvals.count))
            approvals.withHeld { days in
                guard !days.isEmpty else { return }
                out.i32(days[0].value.dayNumber); out.varint(days[0].count)
                for index in 1..<days.count {
                    out.varint(UInt32(days[index].value.dayNumber - days[index - 1].value.dayNumber))
                    out.varint(days[index].count)
                }
            }
        }
    }

    public static func appendPackedPerson(_ entry: PersonProgramme, to w: inout ByteWriter) {
        appendPackedPerson(granted: entry.granted.fen, recovered: entry.recovered.fen, grants: entry.grants,
                           months: entry.monthCoverage, approvals: entry.approvals, to: &w)
    }

    /// Month indexes run from 0 (January of year 0) below this (years 0–9999).
    static let monthLimit: Int64 = 10_000 * 12

    /// Reads a packed value back. Refuses anything the writer never writes:
    /// runs that are empty, out of order, overlapping or not maximal, counts
    /// of zero, days out of order, bytes left over.
    public static func packedPerson(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> PersonProgramme {
        var r = ByteReader(bytes)
        var entry = PersonProgramme()
        entry.granted = Money(fen: try r.i64()); entry.recovered = Money(fen: try r.i64()); entry.grants = Int(try r.u32())
        var months: [CountedSet<YearMonth>.Held] = []
        var previous: (last: Int64, count: UInt32)?
        let runs = Int(try r.u32())
        // Each run takes 12 bytes, so nothing beyond what is left is reserved.
        months.reserveCapacity(min(runs, r.remaining / 12))
        for _ in 0..<runs {
            let first = Int64(try r.i32()), length = Int64(try r.u32()), count = try r.u32()
            guard length >= 1, count >= 1, first >= 0, first + length <= Self.monthLimit else {
                throw r.fail("an empty month run, or one outside the years 0–9999")
            }
            if let previous {
                guard first > previous.last, first > previous.last + 1 || count != previous.count else {
                    throw r.fail("month runs out of order, overlapping or not maximal")
                }
            }
            for month in first..<(first + length) {
                months.append(.init(value: YearMonth(index: Int32(month)), count: count))
            }
            previous = (first + length - 1, count)
        }
        entry.monthCoverage = CountedSet(sorted: months)
        let dayCount = Int(try r.u32())
        var days: [CountedSet<CalendarDate>.Held] = []
        if dayCount > 0 {
            // The first day takes 5 bytes at least, each later one 2.
            days.reserveCapacity(min(dayCount, r.remaining / 2))
            var day = Int64(try r.i32())
            for index in 0..<dayCount {
                if index > 0 {
                    let gap = Int64(try r.varint())
                    guard gap >= 1, day + gap <= Int64(Int32.max) else { throw r.fail("approval days out of order") }
                    day += gap
                }
                let count = try r.varint()
                guard count >= 1 else { throw r.fail("an approval day counted zero times") }
                days.append(.init(value: CalendarDate(dayNumber: Int32(day)), count: count))
            }
        }
        entry.approvals = CountedSet(sorted: days)
        guard r.remaining == 0 else { throw r.fail("\(r.remaining) bytes after the value") }
        return entry
    }
}
