/// The simulated province, month by month.
///
/// Validity by construction (docs/EVENTS.md, append-time checks) rests on a few
/// invariants, each kept where the event is written:
/// - an entity's creating event is written before anything naming it, and
///   every later event naming it is effective on or after its creation day;
/// - loan events are written in non-decreasing effective order per loan, so
///   repayment, default, compensation and recovery totals hold both in file
///   order and in business-date order;
/// - money comes into a budget line only on the first day of a month
///   (appropriations, transfers) and leaves it only from the second day on
///   (grants, discounts, compensations), and a payout is written only after
///   the line holds enough in file order, not counting recoveries; together
///   this keeps every budget line solvent in business-date order, and in
///   every prefix of the file (no FUND-OVERDRAFT unless planted);
/// - a person's months under a programme come from one spell, never repeat,
///   stay within the term (or up to retirement where clause 十七 allows it) and
///   end before retirement; certifications are effective before the grants
///   that need them; loan discounts never exceed the interest due (docs/RULES.md).
///
/// Policy breaches (docs/RULES.md) appear only when `breachPermille` > 0, each one
/// deliberately planted and counted in `planted`.
final class Generator {
    struct Options {
        var events = 100_000
        var seed: UInt64 = 1
        var startYear = 2015
        var years = 5
        var breachPermille = 0
        var output: String?
        var summary = false
    }

    // MARK: Kinds

    enum Prog: Int {
        case siDifficulty = 0, postAllowance, siGraduate, startupOnce, jobSeeking
        case internship, training, stabilization, service, incubator, cityAward
    }

    enum Fund: Int { case employmentSpecial = 0, unemploymentInsurance, guarantee }

    enum Rule: Int, CaseIterable {
        case loanCap = 0, loanCategory, discountRate, discountExcess, discountOverlap, termLimit
        case pastRetirement, duplicatePeriod, onceOnly, eligibility, writeoffBasis, fundOverdraft
        var name: String {
            ["LOAN-CAP", "LOAN-CATEGORY", "DISCOUNT-RATE", "DISCOUNT-EXCESS", "DISCOUNT-OVERLAP", "TERM-LIMIT",
             "PAST-RETIREMENT", "DUPLICATE-PERIOD", "ONCE-ONLY", "ELIGIBILITY", "WRITEOFF-BASIS", "FUND-OVERDRAFT"][rawValue]
        }
    }

    static let typeNames: [StaticString] = [
        "person.registered", "person.certified", "enterprise.registered", "fund.appropriated",
        "fund.transferred", "subsidy.granted", "subsidy.recovered", "loan.issued",
        "loan.interestDiscounted", "loan.repaid", "loan.defaulted", "guarantee.compensated",
        "guarantee.recovered", "guarantee.writtenOff", "entry.reversed",
    ]
    enum T: Int {
        case personRegistered = 0, personCertified, enterpriseRegistered, fundAppropriated
        case fundTransferred, subsidyGranted, subsidyRecovered, loanIssued
        case loanInterestDiscounted, loanRepaid, loanDefaulted, guaranteeCompensated
        case guaranteeRecovered, guaranteeWrittenOff, entryReversed
    }

    // MARK: Per-entity state (only what later events need)

    /// A person's run of monthly grants under one programme.
    struct Spell {
        var person: Int32
        var enterprise: Int32 // -1: none
        var region: UInt8
        var prog: UInt8
        var chunk: UInt8 // months per grant
        var lag: UInt8 // months between the period's end and the payment
        var nextStart: Int32 // month index
        var endMonth: Int32
        var minDay: Int32 // no grant before this day (registration, certification)
        var validUntil: Int32 // no grant after this day (certification validity)
        var monthlyFen: Int64
        var startMonth: Int32
        /// Planted breaches this spell carries (`SpellPlant` bits).
        var plants: UInt8 = 0
        /// The last month whose first day is before the person's retirement.
        var lastWorkingMonth: Int32 = Int32.max
    }

    enum SpellPlant {
        static let term: UInt8 = 1, pastRetirement: UInt8 = 2, eligibility: UInt8 = 4
        /// Not a breach: the spell runs to retirement under clause 十七 and
        /// the certification has no end, so the person can later be used for
        /// a planted PAST-RETIREMENT grant.
        static let toRetirement: UInt8 = 8
    }

    /// A recent recipient of a one-off subsidy (job-seeking, start-up), kept
    /// for planted ONCE-ONLY and ELIGIBILITY grants.
    struct OneOff {
        var person: Int32
        var prog: UInt8
        var region: UInt8
        var day: Int32
    }

    /// Someone whose subsidy ran up to retirement, kept for planted PAST-RETIREMENT grants.
    struct Retiree {
        var person: Int32
        var prog: UInt8
        var region: UInt8
        var firstPastMonth: Int32
        var monthlyFen: Int64
    }

    struct Enterprise {
        var number: Int32
        var size: UInt8 // 0 micro, 1 small, 2 medium, 3 large
        var region: UInt8
        var created: Int32
        var hasLoan: Bool
    }

    /// A graduate known to the ledger, waiting for a graduate hire or loan.
    struct Graduate {
        var person: Int32
        var region: UInt8
        var graduation: Int32
        var certified: Int32 // day of the college-graduate certification
        var year: Int32
    }

    struct Loan {
        var number: Int32
        var borrower: Int32
        var isPerson: Bool
        var category: UInt8 // 0 individual, 1 graduate, 2 enterprise
        var region: UInt8
        var principal: Int64
        var repaid: Int64 = 0
        var rateBp: Int32
        var issue: Int32
        var maturity: Int32
        var lastDay: Int32
        var nextDiscountStart: Int32
        var stopDay: Int32 // last day that can bear a discount
        var discountsDone = false
        var halfDiscount: Bool
        // Live repayments (at most two are kept: a partial one and the final one).
        var rep1Day: Int32 = 0, rep1Fen: Int64 = 0
        var rep2Day: Int32 = 0, rep2Fen: Int64 = 0
        // The plan, fixed at issue.
        var partialMonth: Int32 = -1
        var fate: UInt8 = 0 // 0 repay at maturity, 1 repay early, 2 default
        var fateMonth: Int32 = -1
        var closed = false
        // Default handling.
        var stage: UInt8 = 0 // 0 normal, 1 defaulted, 2 compensated
        var defaultDay: Int32 = 0
        var nextActionMonth: Int32 = -1
        var recoveriesLeft: UInt8 = 0
        var writeOffPlanned = false
        var writeOffExcess = false
        var compensated: Int64 = 0
        var recovered: Int64 = 0
        // Planted breaches.
        var plantWriteOffMonth: Int32 = -1
        var plantRate = false
    }

    struct Internship {
        var enterprise: Int32
        var region: UInt8
        var nextMonth: Int32
        var endMonth: Int32
        var minDay: Int32
        var monthlyFen: Int64
    }

    struct PendingRecovery {
        var grant: Int32
        var fen: Int64
        var month: Int32
        var minDay: Int32
        var line: Int32 // budget line index of the grant
        var fiscalYear: Int32
    }

    // MARK: State

    let options: Options
    let writer: LineWriter
    var rng: Random
    let scale: Double
    let breach: Int

    var personCount = 0, enterpriseCount = 0, grantCount = 0, loanCount = 0
    var voucherYear = 0, voucherCount = 0, approvalCount = 0, referenceCount = 0

    var spells: [Spell] = []
    var loans: [Loan] = []
    var enterprises: [Enterprise] = []
    var graduates: [Graduate] = []
    var pendingRecoveries: [PendingRecovery] = []
    var internships: [Internship] = []
    var pendingOverdrafts = 0
    var oneOffs: [OneOff] = []
    var retirees: [Retiree] = []

    // Budget lines of the current fiscal year, by fund × region.
    var available = [Int64](repeating: 0, count: 3 * Catalog.regionCount)
    var paidThisYear = [Int64](repeating: 0, count: 3 * Catalog.regionCount)
    var paidLastYear = [Int64](repeating: 0, count: 3 * Catalog.regionCount)
    var expected = [Int64](repeating: 0, count: 3 * Catalog.regionCount)
    /// Money credited back to a line this year (recoveries, reversed payouts).
    var credited = [Int64](repeating: 0, count: 3 * Catalog.regionCount)

    var typeCounts = [Int](repeating: 0, count: 15)
    var planted = [Int](repeating: 0, count: Rule.allCases.count)
    var armed: [Rule] = []
    var firstMonth = 0
    var currentMonth = 0

    init(options: Options, writer: LineWriter) {
        self.options = options
        self.writer = writer
        rng = Random(seed: options.seed)
        breach = options.breachPermille
        // Events per unit of scale over a history of `years` years, measured
        // on this model (about 36,000 a year once spells and loans have
        // built up, less in the first year).
        let measured = [20_500.0, 54_000, 90_500, 127_500, 165_000]
        let years = options.years
        let unitEvents = years <= 5 ? measured[years - 1] : measured[4] + 37_500 * Double(years - 5)
        scale = max(Double(options.events) / unitEvents, 0.0005)
        enterprises.reserveCapacity(enterpriseCapacity)
    }

    var enterpriseCapacity: Int { max(200, Int(3_000 * scale)) }

    // MARK: Run

    func run() {
        firstMonth = options.startYear * 12
        var m = firstMonth
        while true {
            currentMonth = m
            simulate(month: m)
            m += 1
            if m - firstMonth > 12 * 200 { break } // a history past two centuries means a bug
        }
        writer.flush()
    }

    func simulate(month m: Int) {
        if m % 12 == 0 { startFiscalYear(m / 12, month: m) }
        monthStart(m)
        if m == firstMonth {
            // People already on a subsidy when the ledger starts are migrated in January.
            for _ in 0..<rng.count(80 * 12 * scale) { newDifficultyPerson(m, postAllowance: rng.chance(0.3), stock: true) }
        }
        newPeople(m)
        enterpriseProgrammes(m)
        stepSpells(m)
        newLoans(m)
        stepLoans(m)
        stepRecoveries(m)
    }

    // MARK: Days

    /// A day of month `m` in [from, to] (days of the month), not before
    /// `notBefore` and not after the month's end.
    func pick(_ m: Int, _ from: Int, _ to: Int, notBefore: Int = Int.min) -> Int {
        let first = Cal.firstDay(ofMonth: m)
        let last = Cal.lastDay(ofMonth: m)
        let lo = max(first + from - 1, notBefore)
        let hi = min(first + to - 1, last)
        precondition(lo <= last, "no day of month \(m) is on or after day \(notBefore)")
        return lo >= hi ? lo : rng.int(lo, hi)
    }

    /// A payout day: never the first of the month, when money comes in.
    func payDay(_ m: Int, notBefore: Int = Int.min) -> Int {
        pick(m, 2, 28, notBefore: max(notBefore, Cal.firstDay(ofMonth: m) + 1))
    }

    func count(_ type: T) { typeCounts[type.rawValue] += 1 }

    func plant(_ rule: Rule) { planted[rule.rawValue] += 1 }

    /// Counts a planted breach when the breaching line is actually begun:
    /// `arm` before a grant or discount (whose top-ups may come first and may
    /// be the last lines written), `fireArmed` right after its `begin`.
    func arm(_ rule: Rule) { armed.append(rule) }

    func fireArmed() {
        for rule in armed { plant(rule) }
        armed.removeAll(keepingCapacity: true)
    }

    /// True for a planted breach at this opportunity.
    func breachHere() -> Bool { breach > 0 && rng.permille(breach) }

    func voucher() {
        let year = Cal.year(ofDay: Cal.firstDay(ofMonth: currentMonth))
        if year != voucherYear {
            voucherYear = year
            voucherCount = 0
        }
        voucherCount += 1
        writer.numbered("voucher", Catalog.voucherHead, year: year, Catalog.dash, voucherCount, width: 6, Catalog.empty)
    }

    func approval(_ name: StaticString, region: Int, year: Int) {
        approvalCount += 1
        let head = region < Catalog.countyCount ? Catalog.prefectureOf[region]
            : region < Catalog.province ? region - Catalog.prefectureBase : 4
        writer.numbered(name, Catalog.approvalHeads[head], year: year, Catalog.closeBracket,
                        approvalCount % 997 + 1, width: 1, Catalog.documentTail)
    }

    func regionCode(_ r: Int) -> StaticString { Catalog.regionCodes[r] }

    func pickCounty() -> Int { rng.weighted(Catalog.countyCumulative) }

    /// A local standard in fen: the Changchun base for `year`, adjusted for the prefecture.
    func standard(_ baseYuan: Int, region: Int, year: Int) -> Int64 {
        let pref = region < Catalog.countyCount ? Catalog.prefectureOf[region] : 0
        let grown = baseYuan * (1000 + 40 * max(0, year - 2015)) / 1000
        return Int64(grown * Catalog.prefectureLevel[pref] / 1000) * 100
    }

    // MARK: Reversals

    func reverse(target: Int, day: Int, reason: [UInt8]) {
        writer.begin("entry.reversed", day: day)
        writer.id("target", "g-", target, width: 8)
        writer.text("reason", reason)
        count(.entryReversed)
        writer.end()
    }
}
