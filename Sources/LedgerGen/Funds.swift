/// Budget lines: appropriations, transfers and the solvency bookkeeping that
/// keeps every payout covered (see the invariants on `Generator`).
extension Generator {
    func line(_ fund: Fund, _ region: Int) -> Int { fund.rawValue * Catalog.regionCount + region }

    /// What a line is expected to pay in a year before any history exists:
    /// measured per unit of scale on this model and spread by population.
    func firstYearEstimate(_ fund: Fund, _ region: Int) -> Int64 {
        let perUnitYuan: Double
        switch fund {
        case .employmentSpecial: perUnitYuan = 26_000_000
        case .unemploymentInsurance: perUnitYuan = 6_000_000
        case .guarantee: perUnitYuan = 0
        }
        let share: Double
        if region < Catalog.countyCount {
            share = Double(Catalog.countyWeights[region]) / Double(Catalog.countyWeightTotal)
        } else if region < Catalog.province {
            share = fund == .employmentSpecial ? 0.02 : 0
        } else {
            return 0
        }
        return roundUp(Int64(perUnitYuan * scale * share * 100), to: 1_000_000)
    }

    func roundUp(_ fen: Int64, to unit: Int64) -> Int64 { (fen + unit - 1) / unit * unit }

    /// The most one event may carry under the seed policy
    /// (`max-event-amount`, 10,000,000,000 yuan): larger sums, which the
    /// biggest histories reach on a county's line, go out as several events.
    static let maxEventFen: Int64 = 1_000_000_000_000

    func appropriate(_ fund: Fund, _ region: Int, _ fen: Int64, month m: Int, supplementary: Bool) {
        if fen > Self.maxEventFen {
            appropriate(fund, region, Self.maxEventFen, month: m, supplementary: supplementary)
            appropriate(fund, region, fen - Self.maxEventFen, month: m, supplementary: supplementary)
            return
        }
        let year = m / 12
        writer.begin("fund.appropriated", day: Cal.firstDay(ofMonth: m))
        writer.string("fund", Catalog.fundNames[fund.rawValue])
        writer.string("region", regionCode(region))
        writer.integer("fiscalYear", year)
        writer.amount("amount", fen: fen)
        referenceCount += 1
        let head = region < Catalog.countyCount ? Catalog.prefectureOf[region]
            : region < Catalog.province ? region - Catalog.prefectureBase : 4
        writer.numbered("reference", Catalog.financeHeads[head], year: year, Catalog.closeBracket,
                        referenceCount % 499 + 1, width: 1, supplementary ? Catalog.supplementaryTail : Catalog.documentTail)
        count(.fundAppropriated)
        writer.end()
        available[line(fund, region)] += fen
    }

    @discardableResult
    func transfer(_ fund: Fund, from: Int, to: Int, _ fen: Int64, month m: Int) -> Int {
        precondition(from != to)
        if fen > Self.maxEventFen {
            transfer(fund, from: from, to: to, Self.maxEventFen, month: m)
            return transfer(fund, from: from, to: to, fen - Self.maxEventFen, month: m)
        }
        let year = m / 12
        let number = writer.begin("fund.transferred", day: Cal.firstDay(ofMonth: m))
        writer.string("fund", Catalog.fundNames[fund.rawValue])
        writer.string("fromRegion", regionCode(from))
        writer.string("toRegion", regionCode(to))
        writer.integer("fiscalYear", year)
        writer.amount("amount", fen: fen)
        referenceCount += 1
        writer.numbered("reference", Catalog.financeHeads[4], year: year, Catalog.closeBracket,
                        referenceCount % 499 + 1, width: 1, Catalog.transferTail)
        count(.fundTransferred)
        writer.end()
        available[line(fund, from)] -= fen
        available[line(fund, to)] += fen
        return number
    }

    /// Makes sure the line holds `fen` before a payout: a supplementary
    /// appropriation, or a transfer down from the province, effective on the
    /// first of the month.
    func ensure(_ fund: Fund, _ region: Int, _ fen: Int64, month m: Int) {
        let i = line(fund, region)
        guard available[i] < fen else { return }
        let short = fen - available[i]
        let topUp = roundUp(max(short, expected[i] / 3, 100_000_00), to: 10_000_00)
        if region != Catalog.province && rng.chance(0.5) {
            ensure(fund, Catalog.province, topUp, month: m)
            transfer(fund, from: Catalog.province, to: region, topUp, month: m)
        } else {
            appropriate(fund, region, topUp, month: m, supplementary: true)
        }
    }

    /// Books a payout on a line, topping it up first when needed. Call before
    /// writing the payout's line so the top-up comes first in the file.
    func spend(_ fund: Fund, _ region: Int, _ fen: Int64, month m: Int) {
        ensure(fund, region, fen, month: m)
        let i = line(fund, region)
        available[i] -= fen
        paidThisYear[i] += fen
    }

    /// January 1st: the year's budgets. Counties get most of their expected
    /// spending appropriated locally and the rest transferred from the province.
    func startFiscalYear(_ year: Int, month m: Int) {
        for i in 0..<available.count {
            paidLastYear[i] = paidThisYear[i]
            paidThisYear[i] = 0
            available[i] = 0
            credited[i] = 0
        }
        for fund in [Fund.employmentSpecial, .unemploymentInsurance, .guarantee] {
            var provincial: [Int64] = Array(repeating: 0, count: Catalog.regionCount)
            var provinceTotal: Int64 = 0
            for r in 0..<Catalog.province {
                let i = line(fund, r)
                let last = paidLastYear[i]
                let e = last > 0 ? roundUp(last * Int64(rng.int(1100, 1300)) / 1000, to: 10_000_00) : firstYearEstimate(fund, r)
                expected[i] = e
                guard e > 0 else { continue }
                if r < Catalog.countyCount {
                    let local = roundUp(e * 6 / 10, to: 10_000_00)
                    appropriate(fund, r, local, month: m, supplementary: false)
                    provincial[r] = roundUp(e - local, to: 10_000_00)
                    provinceTotal += provincial[r]
                } else {
                    appropriate(fund, r, e, month: m, supplementary: false)
                }
            }
            let p = line(fund, Catalog.province)
            expected[p] = fund == .employmentSpecial ? 6_000_000_00 : 0
            if provinceTotal + expected[p] > 0 {
                appropriate(fund, Catalog.province, roundUp(provinceTotal + expected[p], to: 10_000_00), month: m, supplementary: false)
            }
            for r in 0..<Catalog.countyCount where provincial[r] > 0 {
                transfer(fund, from: Catalog.province, to: r, provincial[r], month: m)
            }
        }
        // A budget clerk keys an appropriation twice; the copy is reversed.
        if rng.chance(0.5) {
            let r = pickCounty()
            // One event, so that the reversal takes back all of it.
            let fen = min(roundUp(max(expected[line(.employmentSpecial, r)] / 4, 10_000_00), to: 10_000_00), Self.maxEventFen)
            let number = writer.lines + 1
            appropriate(.employmentSpecial, r, fen, month: m, supplementary: false)
            available[line(.employmentSpecial, r)] -= fen // never counted on
            reverse(target: number, day: Cal.firstDay(ofMonth: m) + rng.int(3, 20), reason: Catalog.reasonDuplicateEntry)
        }
    }

    /// The first of each month: mid-year reallocations between counties of a
    /// prefecture, and planted overdrafts. Written before any payout of the
    /// month, so the file-order balance is the business-date balance.
    func monthStart(_ m: Int) {
        let monthOfYear = m % 12
        if monthOfYear == 9 {
            // October: counties with money to spare hand some to a neighbour.
            for r in 0..<Catalog.countyCount where rng.chance(0.15) {
                let i = line(.employmentSpecial, r)
                guard available[i] > 2 * 100_000_00 else { continue }
                let target = neighbour(of: r)
                let fen = available[i] / 4 / 10_000_00 * 10_000_00
                if fen > 0 { transfer(.employmentSpecial, from: r, to: target, fen, month: m) }
            }
        }
        while pendingOverdrafts > 0 {
            pendingOverdrafts -= 1
            let r = pickCounty()
            let i = line(.employmentSpecial, r)
            // What the line holds in business-date order on the 1st: the
            // file-order balance plus credits; the transfer takes `extra` more.
            let extra = Int64(rng.int(1, 40)) * 5_000_00
            let holds = max(available[i] + credited[i], 0)
            plant(.fundOverdraft) // counted first: the transfer below is the very next line
            transfer(.employmentSpecial, from: r, to: neighbour(of: r), holds + extra, month: m)
        }
    }

    /// Another county of the same prefecture.
    func neighbour(of r: Int) -> Int {
        let pref = Catalog.prefectureOf[r]
        let members = (0..<Catalog.countyCount).filter { Catalog.prefectureOf[$0] == pref && $0 != r }
        return members[rng.below(members.count)]
    }
}
