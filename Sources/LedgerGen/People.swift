/// People, certifications, enterprises and the subsidy programmes.
extension Generator {
    struct Person {
        var number: Int32
        var region: Int
        var birth: Int
        var retire: Int
        var day: Int // registration day
    }

    enum Group { case male, femaleWorker, femaleCadre }

    // MARK: Registration and certification

    /// Registers a person born in [birthYearLo, birthYearHi]; `femaleShare` in per mille.
    func registerPerson(_ m: Int, region: Int, birthYearLo: Int, birthYearHi: Int, femaleShare: Int = 500,
                        group forced: Group? = nil, notBefore: Int = Int.min) -> Person {
        personCount += 1
        let day = pick(m, 1, 25, notBefore: notBefore)
        let group: Group
        if let forced {
            group = forced
        } else if rng.below(1000) < femaleShare {
            group = rng.chance(0.12) ? .femaleCadre : .femaleWorker
        } else {
            group = .male
        }
        let birth = rng.int(Cal.day(birthYearLo, 1, 1), Cal.day(birthYearHi, 12, 31))
        let age = group == .male ? 60 : group == .femaleWorker ? 50 : 55
        writer.begin("person.registered", day: day)
        writer.id("person", "P", personCount, width: 8)
        writer.date("birthDate", birth)
        writer.string("sex", group == .male ? "M" : "F")
        switch group {
        case .femaleCadre: writer.string("retirementGroup", "female-cadre")
        case .femaleWorker: if rng.chance(0.1) { writer.string("retirementGroup", "female-worker") }
        case .male: if rng.chance(0.05) { writer.string("retirementGroup", "male") }
        }
        count(.personRegistered)
        writer.end()
        return Person(number: Int32(personCount), region: region, birth: birth, retire: Cal.addYears(birth, age), day: day)
    }

    /// Certifies a person; returns the day. Occasionally the clerk keys the
    /// same certification twice and reverses the copy.
    @discardableResult
    func certify(_ person: Int32, _ kind: StaticString, _ m: Int, notBefore: Int, graduation: Int? = nil, validUntil: Int? = nil) -> Int {
        let day = pick(m, 1, 26, notBefore: notBefore)
        let copies = rng.chance(0.003) ? 2 : 1
        var last = 0
        for _ in 0..<copies {
            last = writer.begin("person.certified", day: day)
            writer.id("person", "P", Int(person), width: 8)
            writer.string("kind", kind)
            if let graduation { writer.date("graduationDate", graduation) }
            if let validUntil { writer.date("validUntil", validUntil) }
            count(.personCertified)
            writer.end()
        }
        if copies == 2 { reverse(target: last, day: day, reason: Catalog.reasonDuplicateEntry) }
        return day
    }

    @discardableResult
    func registerEnterprise(_ m: Int, region: Int, size: Int? = nil) -> Enterprise {
        enterpriseCount += 1
        let s: Int
        if let size {
            s = size
        } else {
            let r = rng.below(100)
            s = r < 45 ? 0 : r < 80 ? 1 : r < 95 ? 2 : 3
        }
        let day = pick(m, 1, 25)
        writer.begin("enterprise.registered", day: day)
        writer.id("enterprise", "E", enterpriseCount, width: 7)
        writer.string("size", ["micro", "small", "medium", "large"][s])
        writer.string("region", regionCode(region))
        count(.enterpriseRegistered)
        writer.end()
        let e = Enterprise(number: Int32(enterpriseCount), size: UInt8(s), region: UInt8(region), created: Int32(day), hasLoan: false)
        if enterprises.count < enterpriseCapacity {
            enterprises.append(e)
        } else {
            enterprises[rng.below(enterprises.count)] = e
        }
        return e
    }

    /// An enterprise known to the ledger, of one of `sizes` when given.
    func someEnterprise(_ m: Int, sizes: ClosedRange<Int>? = nil) -> Enterprise {
        if !enterprises.isEmpty {
            for _ in 0..<8 {
                let e = enterprises[rng.below(enterprises.count)]
                if sizes == nil || sizes!.contains(Int(e.size)) { return e }
            }
        }
        let region = pickCounty()
        if let sizes { return registerEnterprise(m, region: region, size: rng.int(sizes.lowerBound, sizes.upperBound)) }
        return registerEnterprise(m, region: region)
    }

    // MARK: Grants

    /// Writes one grant (after booking the payout) and returns its event number.
    @discardableResult
    func grant(_ prog: Prog, person: Int32 = -1, enterprise: Int32 = -1, period: (Int, Int)? = nil,
               fen: Int64, fund: Fund = .employmentSpecial, region: Int, day: Int, withApproval: Bool = false) -> (event: Int, grant: Int) {
        let m = Cal.month(ofDay: day)
        spend(fund, region, fen, month: m)
        grantCount += 1
        let year = m / 12
        let number = writer.begin("subsidy.granted", day: day)
        fireArmed()
        writer.id("grant", "G", grantCount, width: 9)
        writer.string("program", Catalog.programNames[prog.rawValue])
        if person >= 0 { writer.id("person", "P", Int(person), width: 8) }
        if enterprise >= 0 { writer.id("enterprise", "E", Int(enterprise), width: 7) }
        if let period {
            writer.month("periodStart", period.0)
            writer.month("periodEnd", period.1)
        }
        writer.amount("amount", fen: fen)
        writer.string("fund", Catalog.fundNames[fund.rawValue])
        writer.string("region", regionCode(region))
        writer.integer("fiscalYear", year)
        if withApproval || rng.chance(0.3) { approval("approval", region: region, year: year) }
        if rng.chance(0.96) { voucher() }
        count(.subsidyGranted)
        writer.end()
        return (number, grantCount)
    }

    /// After a grant: now and then part of it is recovered a few months later.
    func maybeRecover(grant: Int, fen: Int64, day: Int, fund: Fund, region: Int, probability: Double) {
        guard rng.chance(probability) else { return }
        let share = rng.chance(0.5) ? fen : max(fen * Int64(rng.int(20, 80)) / 100 / 100 * 100, 1)
        let m = Cal.month(ofDay: day)
        pendingRecoveries.append(PendingRecovery(
            grant: Int32(grant), fen: share, month: Int32(m + rng.int(1, 5)), minDay: Int32(day),
            line: Int32(line(fund, region)), fiscalYear: Int32(m / 12)))
    }

    func stepRecoveries(_ m: Int) {
        var i = 0
        while i < pendingRecoveries.count {
            let p = pendingRecoveries[i]
            guard p.month == Int32(m) else { i += 1; continue }
            let day = payDay(m, notBefore: Int(p.minDay))
            writer.begin("subsidy.recovered", day: day)
            writer.id("grant", "G", Int(p.grant), width: 9)
            writer.amount("amount", fen: p.fen)
            writer.text("reason", Catalog.recoveryReasons[rng.below(Catalog.recoveryReasons.count)])
            if rng.chance(0.8) { voucher() }
            count(.subsidyRecovered)
            writer.end()
            if Int(p.fiscalYear) == m / 12 { credited[Int(p.line)] += p.fen }
            pendingRecoveries[i] = pendingRecoveries[pendingRecoveries.count - 1]
            pendingRecoveries.removeLast()
        }
    }

    // MARK: New people each month

    func newPeople(_ m: Int) {
        let year = m / 12
        let monthOfYear = m % 12 + 1
        for _ in 0..<rng.count(55 * scale) { newDifficultyPerson(m, postAllowance: false) }
        for _ in 0..<rng.count(25 * scale) { newDifficultyPerson(m, postAllowance: true) }
        if (3...6).contains(monthOfYear) || (9...11).contains(monthOfYear) {
            for _ in 0..<rng.count(70 * scale) { newJobSeeker(m, year: year) }
        }
        if monthOfYear >= 7 {
            for _ in 0..<rng.count(25 * scale) { newGraduateHire(m, year: year) }
        }
        for _ in 0..<rng.count(18 * scale) { newStartup(m, year: year) }
    }

    /// An employment-difficulty person (a "4050" worker, often) on flexible
    /// employment social-insurance subsidy, or on a public-welfare post
    /// (post allowance, usually with the social-insurance subsidy as well).
    func newDifficultyPerson(_ m: Int, postAllowance: Bool, stock: Bool = false) {
        let year = m / 12
        let region = pickCounty()
        let plantKind: Rule? = !stock && breachHere() ? [Rule.termLimit, .pastRetirement, .eligibility][rng.below(3)] : nil
        // Ages: most are 35 to just under retirement; a planted past-retirement
        // case is someone who retires within months.
        let female = rng.chance(0.55)
        let group: Group = female ? (rng.chance(0.1) ? .femaleCadre : .femaleWorker) : .male
        let age = group == .male ? 60 : group == .femaleWorker ? 50 : 55
        var loYear = year - age + 1, hiYear = year - 35
        if plantKind == .pastRetirement { hiYear = year - age; loYear = hiYear } else if plantKind == .termLimit { loYear = year - age + 8 }
        let person = registerPerson(m, region: region, birthYearLo: loYear, birthYearHi: hiYear, group: group)
        var certDay = certify(person.number, "registered-unemployed", m, notBefore: person.day,
                              validUntil: rng.chance(0.4) ? Cal.addYears(person.day, 1) : nil)
        var validUntil = Int(Int32.max)
        if plantKind != .eligibility {
            let limited = rng.chance(0.3)
            let until = limited ? Cal.addYears(certDay, 5) : nil
            certDay = certify(person.number, "employment-difficulty", m, notBefore: certDay, validUntil: until)
            if let until { validUntil = until }
        }
        if rng.chance(0.02) { certify(person.number, "disabled", m, notBefore: certDay) }

        let chunk = postAllowance || rng.chance(0.7) ? 1 : 3
        let lag = chunk == 1 ? 0 : 1
        let firstPay = m + chunk - 1 + lag
        let maxMonth = Cal.month(ofDay: person.retire - 1) // last month whose first day is before retirement
        // Exempt from the 36-month term only when clearly so: retirement less
        // than five years after the earliest possible first approval.
        let exempt = person.retire < Cal.addYears(Cal.firstDay(ofMonth: firstPay), 5)
        var length: Int
        var plants: UInt8 = 0
        if plantKind == .pastRetirement {
            length = max(maxMonth - m + 1, 0) + rng.int(1, 3)
            plants = SpellPlant.pastRetirement
        } else if plantKind == .termLimit {
            length = 36 + rng.int(1, 3)
            plants = SpellPlant.term
        } else if plantKind == .eligibility {
            length = chunk // one grant without the certification it needs
            plants = SpellPlant.eligibility
        } else if stock {
            length = min(rng.int(1, 30), maxMonth - m + 1) // the rest of a spell begun before the ledger
        } else if exempt && rng.chance(0.7) {
            length = maxMonth - m + 1 // extended to retirement (clause 十七)
            if validUntil == Int(Int32.max) { plants = SpellPlant.toRetirement }
        } else {
            length = min(rng.int(6, 36), maxMonth - m + 1)
        }
        if plantKind != .pastRetirement { length = min(length, maxMonth - m + 1) }
        guard length > 0 else { return }
        let programs: [Prog] = postAllowance ? (rng.chance(0.6) ? [.postAllowance, .siDifficulty] : [.postAllowance]) : [.siDifficulty]
        for prog in programs {
            let monthly = prog == .postAllowance ? standard(rng.chance(0.5) ? 1000 : 1200, region: region, year: year)
                : standard([380, 450, 520, 600][rng.below(4)], region: region, year: year)
            spells.append(Spell(
                person: person.number, enterprise: -1, region: UInt8(region), prog: UInt8(prog.rawValue),
                chunk: UInt8(chunk), lag: UInt8(lag), nextStart: Int32(m), endMonth: Int32(m + length - 1),
                minDay: Int32(certDay), validUntil: Int32(clamping: validUntil), monthlyFen: monthly,
                startMonth: Int32(m), plants: plants, lastWorkingMonth: Int32(maxMonth)))
        }
    }

    /// A graduating student: certified as a college graduate of this year and
    /// paid the one-off job-seeking and start-up subsidy.
    func newJobSeeker(_ m: Int, year: Int) {
        let region = pickCounty()
        let person = registerPerson(m, region: region, birthYearLo: year - 24, birthYearHi: year - 21)
        let plantKind: Rule? = breachHere() ? (rng.chance(0.5) ? .onceOnly : .eligibility) : nil
        // A planted ineligible case graduated last year.
        let gradYear = plantKind == .eligibility ? year - 1 : year
        let graduation = Cal.day(gradYear, 6, rng.int(15, 30))
        let certDay = certify(person.number, "college-graduate", m, notBefore: person.day, graduation: graduation)
        let day = payDay(m, notBefore: certDay)
        let fen = standard(1000, region: 0, year: 2015)
        if plantKind == .eligibility { arm(.eligibility) }
        let g = grant(.jobSeeking, person: person.number, fen: fen, region: region, day: day)
        if plantKind == .onceOnly {
            arm(.onceOnly)
            grant(.jobSeeking, person: person.number, fen: fen, region: region, day: payDay(m, notBefore: day))
        } else {
            maybeRecover(grant: g.grant, fen: fen, day: day, fund: .employmentSpecial, region: region, probability: 0.003)
        }
        if plantKind == nil {
            remember(OneOff(person: person.number, prog: UInt8(Prog.jobSeeking.rawValue), region: UInt8(region), day: Int32(day)))
            rememberGraduate(Graduate(person: person.number, region: UInt8(region), graduation: Int32(graduation),
                                      certified: Int32(certDay), year: Int32(year)))
        }
    }

    func remember(_ o: OneOff) {
        if oneOffs.count < 512 { oneOffs.append(o) } else { oneOffs[rng.below(oneOffs.count)] = o }
    }

    func rememberGraduate(_ g: Graduate) {
        let capacity = max(100, Int(2_000 * scale))
        if graduates.count < capacity { graduates.append(g) } else { graduates[rng.below(graduates.count)] = g }
    }

    /// Takes a remembered graduate satisfying `ok`, if one turns up quickly.
    func takeGraduate(_ ok: (Graduate) -> Bool) -> Graduate? {
        guard !graduates.isEmpty else { return nil }
        for _ in 0..<6 {
            let i = rng.below(graduates.count)
            if ok(graduates[i]) {
                let g = graduates[i]
                graduates[i] = graduates[graduates.count - 1]
                graduates.removeLast()
                return g
            }
        }
        return nil
    }

    /// A small or micro enterprise hires a graduate of this year: the
    /// social-insurance subsidy for up to 12 months, paid to the enterprise
    /// in one grant once the months are over (so every grant's first month
    /// lies in the graduation year).
    func newGraduateHire(_ m: Int, year: Int) {
        let plantEligibility = breachHere()
        let g: Graduate
        if let found = takeGraduate({ $0.year == Int32(year) && Int($0.graduation) < Cal.firstDay(ofMonth: m + 1) }) {
            g = found
        } else {
            let region = pickCounty()
            let person = registerPerson(m, region: region, birthYearLo: year - 24, birthYearHi: year - 21)
            let graduation = Cal.day(year, 6, rng.int(15, 30))
            let certDay = certify(person.number, "college-graduate", m, notBefore: person.day, graduation: graduation)
            g = Graduate(person: person.number, region: UInt8(region), graduation: Int32(graduation), certified: Int32(certDay), year: Int32(year))
        }
        let enterprise = plantEligibility ? someEnterprise(m, sizes: 2...3) : someEnterprise(m, sizes: 0...1)
        let months = rng.chance(0.75) ? 12 : rng.int(4, 11)
        let monthly = standard([520, 580, 640][rng.below(3)], region: Int(enterprise.region), year: year)
        spells.append(Spell(
            person: g.person, enterprise: enterprise.number, region: enterprise.region, prog: UInt8(Prog.siGraduate.rawValue),
            chunk: UInt8(months), lag: UInt8(rng.int(1, 2)), nextStart: Int32(m), endMonth: Int32(m + months - 1),
            minDay: max(g.certified, enterprise.created), validUntil: Int32.max, monthlyFen: monthly,
            startMonth: Int32(m), plants: plantEligibility ? SpellPlant.eligibility : 0))
    }

    /// Someone passes entrepreneurship training, starts a business and gets
    /// the one-time start-up subsidy; about half also borrow.
    func newStartup(_ m: Int, year: Int) {
        let region = pickCounty()
        let person = registerPerson(m, region: region, birthYearLo: year - 50, birthYearHi: year - 22, femaleShare: 420)
        let plantKind: Rule? = breachHere() ? (rng.chance(0.5) ? .onceOnly : .eligibility) : nil
        var day = person.day
        if plantKind != .eligibility {
            day = certify(person.number, "entrepreneurship-training", m, notBefore: day)
        }
        if rng.chance(0.05) { day = certify(person.number, "veteran", m, notBefore: day) }
        let fen = standard(5000, region: 0, year: 2015)
        let payday = payDay(m, notBefore: day)
        if plantKind == .eligibility { arm(.eligibility) }
        let g = grant(.startupOnce, person: person.number, fen: fen, region: region, day: payday, withApproval: true)
        switch plantKind {
        case .eligibility?: break
        case .onceOnly?:
            arm(.onceOnly)
            grant(.startupOnce, person: person.number, fen: fen, region: region, day: payDay(m, notBefore: payday))
        default:
            maybeRecover(grant: g.grant, fen: fen, day: payday, fund: .employmentSpecial, region: region, probability: 0.004)
        }
        if plantKind == nil {
            remember(OneOff(person: person.number, prog: UInt8(Prog.startupOnce.rawValue), region: UInt8(region), day: Int32(payday)))
        }
        if plantKind == nil && rng.chance(0.5) {
            issuePersonLoan(m, person: person.number, region: region, category: 0, notBefore: payday)
        }
    }

    // MARK: Monthly grants of running spells

    func stepSpells(_ m: Int) {
        var i = 0
        while i < spells.count {
            var sp = spells[i]
            let periodEnd = min(Int(sp.nextStart) + Int(sp.chunk) - 1, Int(sp.endMonth))
            guard periodEnd + Int(sp.lag) == m else { i += 1; continue }
            let prog = Prog(rawValue: Int(sp.prog))!
            let fen = sp.monthlyFen * Int64(periodEnd - Int(sp.nextStart) + 1)
            let first = Cal.firstDay(ofMonth: m)
            let lo = max(first + 1, Int(sp.minDay))
            let hi = min(Cal.lastDay(ofMonth: m), first + 27, Int(sp.validUntil))
            if lo > hi {
                // The certification has lapsed: the spell ends.
                spells[i] = spells[spells.count - 1]
                spells.removeLast()
                continue
            }
            let day = rng.int(lo, hi)
            let period = (Int(sp.nextStart), periodEnd)
            let region = Int(sp.region)
            if sp.plants & SpellPlant.eligibility != 0 { arm(.eligibility) }
            if sp.plants & SpellPlant.term != 0 && periodEnd - Int(sp.startMonth) + 1 > 36 { arm(.termLimit) }
            if sp.plants & SpellPlant.pastRetirement != 0 && periodEnd > Int(sp.lastWorkingMonth) { arm(.pastRetirement) }
            if rng.chance(0.001) {
                // Keyed with a wrong amount, reversed, then granted again correctly.
                let wrong = grant(prog, person: sp.person, enterprise: sp.enterprise, period: period, fen: fen + 100_00, region: region, day: day)
                reverse(target: wrong.event, day: day, reason: Catalog.reasonWrongAmount)
                credited[line(.employmentSpecial, region)] += fen + 100_00
                grant(prog, person: sp.person, enterprise: sp.enterprise, period: period, fen: fen, region: region, day: day)
            } else {
                let g = grant(prog, person: sp.person, enterprise: sp.enterprise, period: period, fen: fen, region: region, day: day)
                // (A spell that already carries a planted breach gets no second one.)
                if prog != .siGraduate && sp.plants & (SpellPlant.term | SpellPlant.pastRetirement | SpellPlant.eligibility) == 0
                    && breachHere() {
                    plantGrantBreach(m, spell: sp, period: period, fen: fen, day: day, lastDay: hi)
                } else {
                    maybeRecover(grant: g.grant, fen: sp.monthlyFen, day: day, fund: .employmentSpecial, region: region,
                                 probability: prog == .siGraduate ? 0.01 : 0.003)
                }
            }
            sp.nextStart = Int32(periodEnd + 1)
            if sp.nextStart > sp.endMonth {
                if sp.plants & SpellPlant.toRetirement != 0 && retirees.count < 512 {
                    retirees.append(Retiree(person: sp.person, prog: sp.prog, region: sp.region,
                                            firstPastMonth: sp.lastWorkingMonth + 1, monthlyFen: sp.monthlyFen))
                }
                spells[i] = spells[spells.count - 1]
                spells.removeLast()
            } else {
                spells[i] = sp
                i += 1
            }
        }
    }

    /// A planted breach next to a person's monthly grant (about one grant in
    /// 1000/`breachPermille`): the same months paid again, a second one-off
    /// subsidy, a post allowance without the certification, a month past
    /// retirement, or next month's overdraft. Counted when written.
    func plantGrantBreach(_ m: Int, spell sp: Spell, period: (Int, Int), fen: Int64, day: Int, lastDay: Int) {
        let prog = Prog(rawValue: Int(sp.prog))!
        let region = Int(sp.region)
        // Weights: duplicate 3, once-only 2, eligibility 2, past retirement 2, overdraft 1 (in tenths).
        switch [0, 0, 0, 1, 1, 2, 2, 3, 3, 4][rng.below(10)] {
        case 1:
            // ONCE-ONLY: a second start-up subsidy, or a second job-seeking one in the same year.
            if let i = oneOffs.indices.first(where: { oneOffs[$0].prog == UInt8(Prog.startupOnce.rawValue)
                    || Cal.year(ofDay: Int(oneOffs[$0].day)) == m / 12 }) {
                let o = oneOffs.remove(at: i)
                let p = Prog(rawValue: Int(o.prog))!
                arm(.onceOnly)
                grant(p, person: o.person, fen: standard(p == .startupOnce ? 5000 : 1000, region: 0, year: 2015),
                      region: Int(o.region), day: payDay(m, notBefore: Int(o.day)))
                return
            }
        case 2:
            // ELIGIBILITY: a post allowance for a young graduate, who holds no
            // employment-difficulty certification (and is far from retirement).
            if let i = oneOffs.indices.first(where: { oneOffs[$0].prog == UInt8(Prog.jobSeeking.rawValue) }) {
                let o = oneOffs.remove(at: i)
                arm(.eligibility)
                grant(.postAllowance, person: o.person, period: (m, m), fen: standard(1000, region: Int(o.region), year: m / 12),
                      region: Int(o.region), day: payDay(m, notBefore: Int(o.day)))
                return
            }
        case 3:
            // PAST-RETIREMENT: one more month paid to someone whose subsidy ended at retirement.
            if let i = retirees.indices.first(where: { Int(retirees[$0].firstPastMonth) <= m }) {
                let r = retirees.remove(at: i)
                let month = Int(r.firstPastMonth)
                arm(.pastRetirement)
                grant(Prog(rawValue: Int(r.prog))!, person: r.person, period: (month, month), fen: r.monthlyFen,
                      region: Int(r.region), day: payDay(m))
                return
            }
        case 4:
            pendingOverdrafts += 1
            return
        default:
            break
        }
        // DUPLICATE-PERIOD: the same months paid again.
        arm(.duplicatePeriod)
        grant(prog, person: sp.person, enterprise: sp.enterprise, period: period, fen: fen, region: region, day: rng.int(day, lastDay))
    }

    // MARK: Programmes paid to enterprises and institutions

    func enterpriseProgrammes(_ m: Int) {
        let year = m / 12
        let monthOfYear = m % 12 + 1
        for _ in 0..<rng.count(15 * scale) { registerEnterprise(m, region: pickCounty()) }

        // Internship: trainee living allowances, paid monthly for the whole batch.
        for _ in 0..<rng.count(8 * scale) {
            let e = someEnterprise(m)
            let trainees = rng.int(1, 12)
            let monthly = standard(1100, region: Int(e.region), year: year) * Int64(trainees)
            let months = rng.int(3, 12)
            internships.append(Internship(enterprise: e.number, region: e.region, nextMonth: Int32(m), endMonth: Int32(m + months - 1),
                                          minDay: e.created, monthlyFen: monthly))
        }
        stepInternships(m)

        // Vocational training: paid to training institutions per course, sometimes naming the enterprise trained for.
        for _ in 0..<rng.count(15 * scale) {
            let county = pickCounty()
            let region = rng.chance(0.2) ? Catalog.prefectureBase + Catalog.prefectureOf[county] : county
            let fen = Int64(rng.int(6, 160)) * 2_500_00
            let span = rng.int(1, 3)
            let e: Enterprise? = rng.chance(0.2) ? someEnterprise(m) : nil
            let day = payDay(m, notBefore: Int(e?.created ?? 0))
            let fund: Fund = year >= 2017 && rng.chance(0.25) ? .unemploymentInsurance : .employmentSpecial
            if breachHere() { pendingOverdrafts += 1 } // next month a county transfers out more than it holds
            let g = grant(.training, enterprise: e?.number ?? -1, period: (m - span, m - 1), fen: fen, fund: fund, region: region, day: day)
            maybeRecover(grant: g.grant, fen: fen / 10, day: day, fund: fund, region: region, probability: 0.01)
        }

        // Job stabilization (unemployment insurance), once a year, May to August.
        if (5...8).contains(monthOfYear) {
            for _ in 0..<rng.count(40 * scale) {
                let e = someEnterprise(m)
                let base = [12_000, 40_000, 180_000, 600_000][Int(e.size)]
                let fen = Int64(base * rng.int(50, 150) / 100) * 100
                grant(.stabilization, enterprise: e.number, period: ((year - 1) * 12, (year - 1) * 12 + 11), fen: fen,
                      fund: .unemploymentInsurance, region: Int(e.region), day: payDay(m, notBefore: Int(e.created)), withApproval: true)
            }
        }

        // Incubator bases.
        for _ in 0..<rng.count(1.5 * scale) {
            let e = someEnterprise(m)
            let fen = Int64(rng.int(10, 100)) * 10_000_00
            grant(.incubator, enterprise: e.number, fen: fen, region: Int(e.region), day: payDay(m, notBefore: Int(e.created)), withApproval: true)
        }

        // Employment and start-up services bought by each county, quarterly in arrears.
        if monthOfYear % 3 == 1 {
            for county in 0..<Catalog.countyCount where rng.chance(min(1, scale)) {
                let fen = Int64(Double(rng.int(30, 200)) * max(scale, 1).squareRoot() * Double(Catalog.countyWeights[county]) / 60) * 1_000_00
                grant(.service, period: (m - 3, m - 1), fen: max(fen, 10_000_00), region: county, day: payDay(m))
            }
        }

        // Entrepreneurial-city awards, paid by the province in December.
        if monthOfYear == 12 {
            for _ in 0..<rng.int(1, 2) {
                grant(.cityAward, fen: Int64(rng.int(5, 30)) * 100_000_00, region: Catalog.province, day: payDay(m), withApproval: true)
            }
        }
    }

    func stepInternships(_ m: Int) {
        var i = 0
        while i < internships.count {
            var it = internships[i]
            guard Int(it.nextMonth) == m else { i += 1; continue }
            let region = Int(it.region)
            let day = payDay(m, notBefore: Int(it.minDay))
            if rng.chance(0.002) {
                // Paid to the wrong enterprise record: reversed, not reissued this month.
                let wrong = grant(.internship, enterprise: it.enterprise, period: (m, m), fen: it.monthlyFen, region: region, day: day)
                reverse(target: wrong.event, day: payDay(m, notBefore: day), reason: Catalog.reasonWrongEnterprise)
                credited[line(.employmentSpecial, region)] += it.monthlyFen
            } else {
                let g = grant(.internship, enterprise: it.enterprise, period: (m, m), fen: it.monthlyFen, region: region, day: day)
                maybeRecover(grant: g.grant, fen: it.monthlyFen, day: day, fund: .employmentSpecial, region: region, probability: 0.004)
            }
            it.nextMonth += 1
            if it.nextMonth > it.endMonth {
                internships[i] = internships[internships.count - 1]
                internships.removeLast()
            } else {
                internships[i] = it
                i += 1
            }
        }
    }
}
