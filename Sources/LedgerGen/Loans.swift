/// Guarantee loans (clause 十一): issue, quarterly interest discounts,
/// repayments, defaults, compensation by the guarantee fund, recoveries and
/// write-offs. Each loan's events are written in non-decreasing effective
/// order (`lastDay`), so its totals hold in file and in business-date order.
extension Generator {
    /// The People's Bank one-year benchmark lending rate in force on `day`, in bp.
    func benchmarkBp(_ day: Int) -> Int {
        let changes: [(Int, Int)] = [
            (Cal.day(2015, 10, 24), 435), (Cal.day(2015, 8, 26), 460), (Cal.day(2015, 6, 28), 485),
            (Cal.day(2015, 5, 11), 510), (Cal.day(2015, 3, 1), 535), (Cal.day(2014, 11, 22), 560),
            (Cal.day(2012, 7, 6), 600), (Cal.day(2012, 6, 8), 631),
        ]
        for (from, bp) in changes where day >= from { return bp }
        return 656
    }

    enum LoanPlant { case none, cap, rate, writeOffActive, writeOffExcess }

    func newLoans(_ m: Int) {
        let year = m / 12
        for _ in 0..<rng.count(25 * scale) {
            let region = pickCounty()
            let person = registerPerson(m, region: region, birthYearLo: year - 52, birthYearHi: year - 22, femaleShare: 400)
            var day = certify(person.number, "entrepreneurship-training", m, notBefore: person.day)
            if rng.chance(0.3) { day = certify(person.number, "registered-unemployed", m, notBefore: day, validUntil: Cal.addYears(day, 1)) }
            issuePersonLoan(m, person: person.number, region: region, category: 0, notBefore: day)
        }
        for _ in 0..<rng.count(8 * scale) {
            let monthStart = Cal.firstDay(ofMonth: m)
            if let g = takeGraduate({ $0.year >= Int32(year - 1) && Int($0.graduation) < monthStart }) {
                issuePersonLoan(m, person: g.person, region: Int(g.region), category: 1, notBefore: Int(g.certified))
            } else {
                let region = pickCounty()
                let person = registerPerson(m, region: region, birthYearLo: year - 25, birthYearHi: year - 22)
                let graduation = Cal.day(year - 1, 6, rng.int(15, 30))
                let day = certify(person.number, "college-graduate", m, notBefore: person.day, graduation: graduation)
                issuePersonLoan(m, person: person.number, region: region, category: 1, notBefore: day)
            }
        }
        for _ in 0..<rng.count(4 * scale) {
            let e = enterpriseForLoan(m)
            let plant = loanPlant()
            var principal = Int64(rng.int(5, 40)) * 100_000_00
            var category: UInt8 = 2
            if plant == .cap {
                principal = Int64(rng.int(41, 50)) * 100_000_00
            } else if plant == .none && breachHere() {
                // Booked as an individual loan although the borrower is an enterprise.
                category = 0
                principal = Int64(rng.int(3, 10)) * 100_000_00
                self.plant(.loanCategory)
            }
            issueLoan(m, borrower: e.number, isPerson: false, category: category, region: Int(e.region), principal: principal,
                      notBefore: Int(e.created), plant: plant)
        }
    }

    /// A loan-level planted breach, if this loan gets one.
    func loanPlant() -> LoanPlant {
        guard breachHere() else { return .none }
        switch rng.below(4) {
        case 0: return .cap
        case 1: return .rate
        case 2: return .writeOffActive
        default: return .writeOffExcess
        }
    }

    /// A small or micro enterprise without a loan: half are new, half known.
    func enterpriseForLoan(_ m: Int) -> Enterprise {
        if rng.chance(0.5) && !enterprises.isEmpty {
            for _ in 0..<6 {
                let i = rng.below(enterprises.count)
                if enterprises[i].size <= 1 && !enterprises[i].hasLoan {
                    enterprises[i].hasLoan = true
                    return enterprises[i]
                }
            }
        }
        var e = registerEnterprise(m, region: pickCounty(), size: rng.chance(0.6) ? 0 : 1)
        e.hasLoan = true
        if let i = enterprises.lastIndex(where: { $0.number == e.number }) { enterprises[i].hasLoan = true }
        return e
    }

    /// A loan to a person: `category` 0 individual, 1 graduate.
    func issuePersonLoan(_ m: Int, person: Int32, region: Int, category: UInt8, notBefore: Int) {
        var plant = loanPlant()
        var cat = category
        var principal: Int64
        if category == 1 {
            principal = Int64([5, 8, 10, 10, 12, 15, 15][rng.below(7)]) * 10_000_00
        } else {
            principal = Int64([3, 5, 5, 8, 10, 10, 10][rng.below(7)]) * 10_000_00
        }
        if plant == .cap {
            principal = category == 1 ? Int64(rng.int(16, 25)) * 10_000_00 : Int64(rng.int(11, 20)) * 10_000_00
        } else if plant == .none && category == 0 && breachHere() {
            // The wrong category: a graduate loan without a graduate
            // certification, or an enterprise loan to a person.
            cat = rng.chance(0.5) ? 1 : 2
            principal = Int64(rng.int(3, 10)) * 10_000_00
            self.plant(.loanCategory)
            plant = .none
        }
        issueLoan(m, borrower: person, isPerson: true, category: cat, region: region, principal: principal,
                  notBefore: notBefore, plant: plant)
    }

    func issueLoan(_ m: Int, borrower: Int32, isPerson: Bool, category: UInt8, region: Int, principal: Int64,
                   notBefore: Int, plant: LoanPlant) {
        let day = pick(m, 2, 28, notBefore: notBefore)
        let benchmark = benchmarkBp(day)
        var spread = isPerson ? [0, 0, 0, 0, 50, 100, 150, 200, 300][rng.below(9)] : [0, 50, 100, 200, 300][rng.below(5)]
        switch plant {
        case .cap: self.plant(.loanCap)
        case .rate:
            if isPerson { spread = [350, 400, 450, 500][rng.below(4)] }
        case .writeOffActive, .writeOffExcess, .none: break
        }
        let years = isPerson && rng.chance(0.3) ? 3 : 2
        let maturity = Cal.addYears(day, years)
        loanCount += 1
        writer.begin("loan.issued", day: day)
        writer.id("loan", "L", loanCount, width: 7)
        if isPerson {
            writer.id("person", "P", Int(borrower), width: 8)
        } else {
            writer.id("enterprise", "E", Int(borrower), width: 7)
        }
        writer.string("category", ["individual", "graduate", "enterprise"][Int(category)])
        writer.amount("principal", fen: principal)
        writer.integer("rateBp", benchmark + spread)
        writer.integer("benchmarkBp", benchmark)
        writer.date("maturity", maturity)
        let banks = Catalog.banks[Catalog.prefectureOf[region]]
        writer.text("bank", banks[rng.below(banks.count)])
        writer.string("region", regionCode(region))
        count(.loanIssued)
        writer.end()

        var loan = Loan(number: Int32(loanCount), borrower: borrower, isPerson: isPerson, category: category, region: UInt8(region),
                        principal: principal, rateBp: Int32(benchmark + spread), issue: Int32(day), maturity: Int32(maturity),
                        lastDay: Int32(day), nextDiscountStart: Int32(day), stopDay: Int32(maturity - 1), halfDiscount: !isPerson)
        let maturityMonth = Cal.month(ofDay: maturity)
        let roll = rng.below(1000)
        if roll < 40 || plant == .writeOffExcess {
            loan.fate = 2
            loan.fateMonth = Int32(rng.chance(0.5) ? rng.int(m + 6, maturityMonth - 1) : maturityMonth + rng.int(1, 3))
        } else if roll < 100 {
            loan.fate = 1
            loan.fateMonth = Int32(rng.int(m + 6, maturityMonth - 2))
        }
        if rng.chance(0.3) && (loan.fate == 0 || Int(loan.fateMonth) > m + 12) {
            loan.partialMonth = Int32(m + 12)
        }
        if plant == .writeOffActive {
            loan.plantWriteOffMonth = Int32(rng.int(m + 3, min(m + 10, maturityMonth - 1)))
            if loan.fate == 2 && Int(loan.fateMonth) <= Int(loan.plantWriteOffMonth) { loan.fate = 0 }
            if Int(loan.partialMonth) == Int(loan.plantWriteOffMonth) { loan.partialMonth = -1 }
            if loan.fate == 1 && Int(loan.fateMonth) <= Int(loan.plantWriteOffMonth) { loan.fate = 0 }
        }
        loan.writeOffPlanned = plant == .writeOffExcess || (plant == .none && rng.chance(0.6))
        loan.writeOffExcess = plant == .writeOffExcess
        loan.plantRate = plant == .rate && isPerson
        loans.append(loan)
    }

    // MARK: Monthly steps

    func stepLoans(_ m: Int) {
        var i = 0
        while i < loans.count {
            var loan = loans[i]
            stepLoan(&loan, m)
            if loan.discountsDone && loan.closed {
                loans[i] = loans[loans.count - 1]
                loans.removeLast()
            } else {
                loans[i] = loan
                i += 1
            }
        }
    }

    enum LoanAction { case none, partial, earlyRepay, maturityRepay, defaulted, compensate, recover, writeOff, plantedWriteOff }

    func stepLoan(_ loan: inout Loan, _ m: Int) {
        let first = Cal.firstDay(ofMonth: m)
        let last = Cal.lastDay(ofMonth: m)
        let maturityMonth = Cal.month(ofDay: Int(loan.maturity))
        var action = LoanAction.none
        var actionDay = rng.int(first + 1, min(first + 27, last))
        if !loan.closed {
            switch loan.stage {
            case 0:
                if Int(loan.plantWriteOffMonth) == m {
                    action = .plantedWriteOff
                } else if Int(loan.partialMonth) == m {
                    action = .partial
                } else if loan.fate == 1 && Int(loan.fateMonth) == m {
                    action = .earlyRepay
                } else if loan.fate == 0 && m == maturityMonth {
                    action = .maturityRepay
                    actionDay = Int(loan.maturity) - (rng.chance(0.7) ? 0 : rng.int(0, 3))
                } else if loan.fate == 2 && Int(loan.fateMonth) == m {
                    action = .defaulted
                }
            case 1:
                if Int(loan.nextActionMonth) == m { action = .compensate }
            default:
                if Int(loan.nextActionMonth) == m { action = loan.recoveriesLeft > 0 ? .recover : .writeOff }
            }
        }
        let discountDue = !loan.discountsDone && m % 3 == 0
        let discountDay = rng.int(first + 4, first + 24)
        if discountDue && (action == .none || discountDay <= actionDay) {
            payDiscount(&loan, m, plannedDay: discountDay)
            act(&loan, action, m, plannedDay: actionDay)
        } else {
            act(&loan, action, m, plannedDay: actionDay)
            if discountDue { payDiscount(&loan, m, plannedDay: discountDay) }
        }
        if Int(loan.nextDiscountStart) > Int(loan.stopDay) { loan.discountsDone = true }
    }

    /// Interest due over [a, b] in fen, as docs/RULES.md DISCOUNT-EXCESS defines it.
    func interestDueFen(_ loan: Loan, from a: Int, to b: Int) -> Int64 {
        var lo = max(a, Int(loan.issue))
        var hi = min(b, Int(loan.maturity) - 1)
        // (lo and hi are the first and last day that bear interest.)
        if loan.defaultDay > 0 { hi = min(hi, Int(loan.defaultDay) - 1) }
        guard lo <= hi else { return 0 }
        // Outstanding is piecewise constant between the (at most two) repayments.
        var sum: Int64 = 0
        var breaks = [hi + 1]
        if loan.rep1Day > 0 && Int(loan.rep1Day) > lo && Int(loan.rep1Day) <= hi { breaks.append(Int(loan.rep1Day)) }
        if loan.rep2Day > 0 && Int(loan.rep2Day) > lo && Int(loan.rep2Day) <= hi { breaks.append(Int(loan.rep2Day)) }
        breaks.sort()
        for end in breaks {
            if end > lo {
                var outstanding = loan.principal
                if loan.rep1Day > 0 && Int(loan.rep1Day) <= lo { outstanding -= loan.rep1Fen }
                if loan.rep2Day > 0 && Int(loan.rep2Day) <= lo { outstanding -= loan.rep2Fen }
                if outstanding > 0 { sum += outstanding * Int64(end - lo) }
                lo = end
            }
        }
        sum *= Int64(loan.rateBp)
        return (sum + 1_800_000) / 3_600_000
    }

    func payDiscount(_ loan: inout Loan, _ m: Int, plannedDay: Int) {
        let quarterEnd = Cal.firstDay(ofMonth: m) - 1
        var start = Int(loan.nextDiscountStart)
        let end = min(quarterEnd, Int(loan.stopDay))
        guard start <= end else { return }
        var overlap = false, excess = false
        if breachHere() {
            if rng.chance(0.5) && start > Int(loan.issue) + 20 {
                // Starts inside the period already discounted.
                start = max(Int(loan.issue), start - rng.int(10, 45))
                overlap = true
            } else {
                excess = true
            }
        }
        let due = interestDueFen(loan, from: start, to: end)
        var fen = loan.halfDiscount ? due / 2 : due
        if excess && due > 0 { fen = due + max(due * Int64(rng.int(5, 30)) / 100, 100) }
        loan.nextDiscountStart = Int32(end + 1)
        guard fen > 0 else { return }
        let day = max(plannedDay, Int(loan.lastDay))
        loan.lastDay = Int32(day)
        let region = Int(loan.region)
        spend(.employmentSpecial, region, fen, month: m)
        writer.begin("loan.interestDiscounted", day: day)
        if overlap { plant(.discountOverlap) }
        if excess { plant(.discountExcess) }
        if loan.plantRate { plant(.discountRate) }
        writer.id("loan", "L", Int(loan.number), width: 7)
        writer.date("periodStart", start)
        writer.date("periodEnd", end)
        writer.amount("amount", fen: fen)
        writer.string("fund", Catalog.fundNames[Fund.employmentSpecial.rawValue])
        writer.string("region", regionCode(region))
        writer.integer("fiscalYear", m / 12)
        if rng.chance(0.95) { voucher() }
        count(.loanInterestDiscounted)
        writer.end()
    }

    func act(_ loan: inout Loan, _ action: LoanAction, _ m: Int, plannedDay: Int) {
        guard action != .none else { return }
        let day = max(plannedDay, Int(loan.lastDay))
        let region = Int(loan.region)
        let outstanding = loan.principal - loan.repaid
        switch action {
        case .none:
            return
        case .partial:
            let fen = min(outstanding - 100_00, loan.principal * Int64(rng.int(2, 5)) / 10 / 1_000_00 * 1_000_00)
            guard fen > 0 else { return }
            let number = repay(loan, fen, day)
            if rng.chance(0.03) {
                reverse(target: number, day: day, reason: Catalog.reasonBounced)
            } else {
                loan.repaid += fen
                loan.rep1Day = Int32(day)
                loan.rep1Fen = fen
            }
        case .earlyRepay, .maturityRepay:
            guard outstanding > 0 else { loan.closed = true; return }
            repay(loan, outstanding, day)
            loan.repaid += outstanding
            loan.rep2Day = Int32(day)
            loan.rep2Fen = outstanding
            loan.stopDay = min(loan.stopDay, Int32(day - 1))
            loan.closed = true
        case .defaulted:
            guard outstanding > 0 else { loan.closed = true; return }
            writer.begin("loan.defaulted", day: day)
            writer.id("loan", "L", Int(loan.number), width: 7)
            count(.loanDefaulted)
            writer.end()
            loan.stage = 1
            loan.defaultDay = Int32(day)
            loan.stopDay = min(loan.stopDay, Int32(day - 1))
            loan.nextActionMonth = Int32(m + rng.int(1, 2))
        case .compensate:
            spend(.guarantee, region, outstanding, month: m)
            writer.begin("guarantee.compensated", day: day)
            writer.id("loan", "L", Int(loan.number), width: 7)
            writer.amount("amount", fen: outstanding)
            writer.string("fund", Catalog.fundNames[Fund.guarantee.rawValue])
            writer.string("region", regionCode(region))
            writer.integer("fiscalYear", m / 12)
            if rng.chance(0.95) { voucher() }
            count(.guaranteeCompensated)
            writer.end()
            loan.compensated = outstanding
            loan.stage = 2
            loan.recoveriesLeft = UInt8(rng.int(0, 2))
            loan.nextActionMonth = Int32(m + rng.int(2, 8))
            if loan.recoveriesLeft == 0 && !loan.writeOffPlanned { loan.closed = true }
        case .recover:
            let room = loan.compensated - loan.recovered
            let fen = min(room - 100_00, loan.compensated * Int64(rng.int(5, 25)) / 100 / 100 * 100)
            if fen > 0 {
                writer.begin("guarantee.recovered", day: day)
                writer.id("loan", "L", Int(loan.number), width: 7)
                writer.amount("amount", fen: fen)
                writer.string("fund", Catalog.fundNames[Fund.guarantee.rawValue])
                writer.string("region", regionCode(region))
                writer.integer("fiscalYear", m / 12)
                count(.guaranteeRecovered)
                writer.end()
                loan.recovered += fen
                credited[line(.guarantee, region)] += fen
            }
            loan.recoveriesLeft -= 1
            loan.nextActionMonth = Int32(m + (loan.recoveriesLeft > 0 ? rng.int(2, 8) : rng.int(6, 14)))
            if loan.recoveriesLeft == 0 && !loan.writeOffPlanned { loan.closed = true }
        case .writeOff:
            var fen = loan.compensated - loan.recovered
            if loan.writeOffExcess {
                fen += max(loan.principal * Int64(rng.int(5, 20)) / 100 / 100 * 100, 100_00)
                plant(.writeoffBasis)
            }
            if fen > 0 { writeOff(loan, fen, day) }
            loan.closed = true
        case .plantedWriteOff:
            plant(.writeoffBasis)
            writeOff(loan, max(loan.principal * Int64(rng.int(10, 30)) / 100 / 100 * 100, 100_00), day)
        }
        loan.lastDay = Int32(day)
    }

    @discardableResult
    func repay(_ loan: Loan, _ fen: Int64, _ day: Int) -> Int {
        let number = writer.begin("loan.repaid", day: day)
        writer.id("loan", "L", Int(loan.number), width: 7)
        writer.amount("principal", fen: fen)
        count(.loanRepaid)
        writer.end()
        return number
    }

    func writeOff(_ loan: Loan, _ fen: Int64, _ day: Int) {
        let year = Cal.year(ofDay: day)
        writer.begin("guarantee.writtenOff", day: day)
        writer.id("loan", "L", Int(loan.number), width: 7)
        writer.amount("amount", fen: fen)
        approvalCount += 1
        writer.numbered("approval", Catalog.writeOffHead, year: year, Catalog.closeBracket, approvalCount % 97 + 1, width: 1, Catalog.writeOffTail)
        count(.guaranteeWrittenOff)
        writer.end()
    }
}
