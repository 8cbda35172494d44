import Audit
import Foundation
import LedgerCore
import Policy
import Testing

/// A date for an expectation; a mistyped one fails the test, not the runner.
func day(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CalendarDate {
    guard let date = CalendarDate.parse(text) else {
        Issue.record("\"\(text)\" is not a date", sourceLocation: sourceLocation)
        return CalendarDate(dayNumber: .min)
    }
    return date
}

/// The seed's fixture text with one edit (the first occurrence of `old`),
/// parsed as a policy file.
func editedSeed(_ old: String, _ new: String) throws -> Result<Policy, PolicyError> {
    var edited = String(decoding: try fixtureBytes("Fixtures/policy/seed/policy.json"), as: UTF8.self)
    guard let range = edited.range(of: old) else { throw TestFailure("the seed fixture does not contain \(old)") }
    edited.replaceSubrange(range, with: new)
    do {
        return .success(try PolicyLoader.parse(Array(edited.utf8), source: "edited.json"))
    } catch let error as PolicyError {
        return .failure(error)
    }
}

/// The error a one-edit variant of the seed is refused with, as `FILE: PATH: message`.
func refusal(_ old: String, _ new: String) throws -> String? {
    switch try editedSeed(old, new) {
    case .success: return nil
    case .failure(let error): return error.description
    }
}

@Suite("Policy as data")
struct PolicyTests {
    @Test("the embedded seed policy is the fixture file, byte for byte (run Tools/embed-policy after editing it)")
    func embeddedSeedEqualsFixture() throws {
        #expect(Array(EmbeddedSeedPolicy.text.utf8) == (try fixtureBytes("Fixtures/policy/seed/policy.json")))
    }

    @Test("the seed's programmes and their subjects are the catalogue append-time validation uses")
    func seedCatalogue() {
        let policy = Policy.seed
        #expect(policy.programmes.map(\.code).sorted() == ProgrammeCatalogue.seed.codes)
        for code in ProgrammeCatalogue.seed.codes {
            #expect(policy.programme(code)?.subjects == ProgrammeCatalogue.seed.programme(code)?.subjects, "\(code)")
        }
    }

    @Test("the seed's bound on one event's amount is the one append-time validation uses, in both policy files")
    func seedAmountBound() throws {
        #expect(Policy.seed.amountBound == AmountBound.seed)
        #expect(AmountBound.seed.entry(on: day("2016-06-01")).max == Money(fen: 1_000_000_000_000))
        let amended = try Policy.load(directory: packageRoot + "/Fixtures/policy/amended")
        #expect(amended.amountBound == AmountBound.seed)
    }

    @Test("the seed's numbers (docs/POLICY.md), each with its unit, date, clause and basis")
    func seedNumbers() throws {
        let seed = Policy.seed
        let on = day("2016-06-01")
        #expect(try seed.value(of: .loanCapIndividual, on: on).money == Money(fen: 10_000_000))
        #expect(try seed.value(of: .loanCapGraduate, on: on).money == Money(fen: 15_000_000))
        #expect(try seed.value(of: .loanCapEnterprise, on: on).money == Money(fen: 400_000_000))
        let margin = try seed.value(of: .discountRateMargin, on: on)
        #expect(margin.integer == 300 && margin.unit == .basisPoints && margin.clause == "十一" && margin.basis == .seed)
        #expect(try seed.value(of: .graduateLoanWindow, on: on).integer == 2)
        let term = try seed.value(of: ParameterName("difficulty-subsidy-term"), on: on)
        #expect(term.integer == 36 && term.unit == .months && term.clause == "十七" && term.from == day("2015-01-01"))
        #expect(try seed.value(of: ParameterName("graduate-hire-subsidy-term"), on: on).integer == 12)
        #expect(try seed.value(of: ParameterName("retirement-extension-window"), on: on).integer == 5)
        let local = try seed.value(of: ParameterName("startup-subsidy-amount"), on: on)
        #expect(local.basis == .localStandard && local.unit == .yuanPerPerson)
        let si = try #require(seed.programme("si-difficulty"))
        #expect(si.term == ParameterName("difficulty-subsidy-term") && si.retirementExtension != nil && !si.onceOnly)
        #expect(si.certification == CertificationRequirement(kind: "employment-difficulty", graduatedInYearOf: nil))
        let graduate = try #require(seed.programme("si-graduate"))
        #expect(graduate.enterpriseSizes == ["micro", "small"] && graduate.certification?.graduatedInYearOf == .firstCoveredMonth)
        #expect(seed.programme("startup-once")?.onceOnly == true && seed.programme("job-seeking")?.onceOnly == true)
        #expect(seed.clauseHeading("十一") == "(十一) 支持创业担保贷款发展 · Supporting start-up guarantee loans")
    }

    @Test("the amended policy: each cap changes on the day its document applies, not a day before")
    func amendedCaps() throws {
        let amended = try Policy.load(directory: packageRoot + "/Fixtures/policy/amended")
        func individual(_ text: String) throws -> String { try amended.value(of: .loanCapIndividual, on: day(text)).money.yuan }
        func enterprise(_ text: String) throws -> String { try amended.value(of: .loanCapEnterprise, on: day(text)).money.yuan }
        #expect(try individual("2018-11-15") == "100000.00")
        #expect(try individual("2018-11-16") == "150000.00")
        #expect(try individual("2020-04-14") == "150000.00")
        #expect(try individual("2020-04-15") == "200000.00")
        #expect(try individual("2023-09-11") == "200000.00")
        #expect(try individual("2023-09-12") == "300000.00")
        #expect(try enterprise("2018-11-15") == "4000000.00")
        #expect(try enterprise("2018-11-16") == "3000000.00")
        #expect(try enterprise("2023-09-12") == "4000000.00")
        let entry = try amended.value(of: .loanCapIndividual, on: day("2020-04-15"))
        #expect(entry.basis == .national && entry.source == "财金〔2020〕21号" && entry.clause == nil)
        // Everything else is the seed's.
        #expect(try amended.value(of: .loanCapGraduate, on: day("2024-01-01")).money.yuan == "150000.00")
        #expect(amended.programmes == Policy.seed.programmes)
    }

    @Test("a date before any entry is in force is an error naming the file and the parameter")
    func notInForce() throws {
        #expect(throws: PolicyError.self) { try Policy.seed.value(of: .loanCapIndividual, on: day("2014-12-31")) }
        do {
            _ = try Policy.seed.value(of: .loanCapIndividual, on: day("2014-12-31"))
        } catch let error as PolicyError {
            #expect(error.description == "Fixtures/policy/seed/policy.json (built in): parameters.loan-cap-individual: "
                + "no entry in force on 2014-12-31: the first applies from 2015-01-01; add an entry that covers that date")
        }
        // … and the audit of a loan issued then stops with it.
        let history = [H.person("p1", "P1", born: "1980-01-01", on: "2014-01-02"),
                       H.loan("l1", "L1", person: "P1", principal: "50000", maturity: "2016-06-01", on: "2014-06-01")]
        do {
            _ = try audit(history)
            Issue.record("audited a 2014 loan against a policy that starts in 2015")
        } catch let error as AuditError {
            #expect(error.description.hasPrefix("Fixtures/policy/seed/policy.json (built in): parameters.loan-cap-individual: no entry in force on 2014-06-01"))
        }
    }

    @Test("retirement dates: birth date plus the group's age, 29 February to 28 February in a common year")
    func retirementDates() throws {
        let seed = Policy.seed
        let on = day("2016-01-01")
        #expect(try seed.retirementDate(born: day("1964-02-29"), group: .femaleCadre, on: on).date == day("2019-02-28"))
        #expect(try seed.retirementDate(born: day("1956-02-29"), group: .male, on: on).date == day("2016-02-29"))
        #expect(try seed.retirementDate(born: day("1966-08-12"), group: .femaleWorker, on: on).date == day("2016-08-12"))
        let late = try seed.retirementDate(born: day("1965-03-10"), group: .male, on: on)
        #expect(late.date == day("2025-03-10") && late.pendingReform?.from == day("2025-01-01") && !late.reformNote.isEmpty)
        #expect(try seed.retirementDate(born: day("1964-12-31"), group: .male, on: on).pendingReform == nil)
    }

    @Test("the loader is strict: each mistake is refused with the file and the JSON path")
    func strictLoader() throws {
        // A misspelt key.
        #expect(try refusal(#""value": "100000", "unit": "yuan""#, #""value": "100000", "untis": "yuan""#)
            == #"edited.json: parameters.loan-cap-individual[0].untis: unknown key; did you mean "unit"?; a parameter entry has "from", "value", "unit", "clause", "basis", "source", "text", "note""#)
        // A missing unit.
        #expect(try refusal(#""value": 36, "unit": "months", "#, #""value": 36, "#)
            == #"edited.json: parameters.difficulty-subsidy-term[0].unit: missing; a parameter entry needs "from", "value", "unit", "clause", "basis""#)
        // An unknown unit.
        #expect(try refusal(#""value": 36, "unit": "months", "#, #""value": 36, "unit": "month", "#)?
            .hasPrefix(#"edited.json: parameters.difficulty-subsidy-term[0].unit: "month" is not a unit"#) == true)
        // A wrong type: months as a string, an amount as a number, a fraction, a boolean.
        #expect(try refusal(#""value": 36,"#, #""value": "36","#)
            == #"edited.json: parameters.difficulty-subsidy-term[0].value: must be a JSON integer, found a string"#)
        #expect(try refusal(#""value": "100000","#, #""value": 100000,"#)
            == #"edited.json: parameters.loan-cap-individual[0].value: must be an amount in yuan written as a string, such as "100000", found the integer 100000"#)
        #expect(try refusal(#""value": 36,"#, #""value": 36.0,"#)
            == #"edited.json: parameters.difficulty-subsidy-term[0].value: must be a JSON integer, found the number 36.0"#)
        #expect(try refusal(#""onceOnly": true"#, #""onceOnly": 1"#)
            == #"edited.json: programmes[3].onceOnly: must be true or false, found the integer 1"#)
        // An unknown programme field.
        #expect(try refusal(#""onceOnly": true, "perPersonCap": null}"#, #""onceOnly": true, "perPersonCap": null, "onceOnyl": true}"#)
            == #"edited.json: programmes[3].onceOnyl: unknown key; did you mean "onceOnly"?; a programme has "code", "name", "clause", "subjects", "certification", "enterpriseSizes", "term", "retirementExtension", "onceOnly", "perPersonCap", "nameEnglish", "note""#)
        // A misspelt parameter name.
        #expect(try refusal(#""loan-cap-individual": ["#, #""loan-cap-individal": ["#)
            == #"edited.json: parameters.loan-cap-individual: missing; the audit rules need it, in yuan; did you mean "loan-cap-individal"?"#)
        // A programme naming a parameter in the wrong unit.
        #expect(try refusal(#""term": "graduate-hire-subsidy-term""#, #""term": "graduate-loan-window""#)
            == #"edited.json: programmes[2].term: parameter "graduate-loan-window" is in years; a programme's term needs months"#)
        // Entries out of date order.
        #expect(try refusal(#"对个体创业者的贷款额度上限统一调整为10万元"}"#,
                            #"对个体创业者的贷款额度上限统一调整为10万元"}, {"from": "2014-01-01", "value": "1", "unit": "yuan", "clause": "十一", "basis": "seed"}"#)
            == #"edited.json: parameters.loan-cap-individual[1].from: 2014-01-01 is not after the previous entry's 2015-01-01; entries go in ascending date order"#)
        // A clause that is not in clauses.
        #expect(try refusal(#""clause": "十七", "subjects": ["person"]"#, #""clause": "十八", "subjects": ["person"]"#)?.hasPrefix(#"edited.json: programmes[0].clause: "十八" is not in clauses"#) == true)
        // A bad date and an unknown certification kind.
        #expect(try refusal(#""from": "2025-01-01""#, #""from": "2025-02-30""#)
            == #"edited.json: retirement.pendingReform.from: "2025-02-30" is not a calendar date YYYY-MM-DD"#)
        #expect(try refusal(#"{"kind": "entrepreneurship-training"}"#, #"{"kind": "entrepreneur-training"}"#)?
            .hasPrefix(#"edited.json: programmes[3].certification.kind: "entrepreneur-training" is not one of"#) == true)
        // A seed number without its clause.
        #expect(try refusal(#""value": 300, "unit": "basis-points", "clause": "十一""#, #""value": 300, "unit": "basis-points", "clause": null"#)
            == #"edited.json: parameters.discount-rate-margin[0].clause: is null; only a national rule outside the seed may have no clause"#)
        // Not JSON at all.
        #expect(try refusal(#""format": 1,"#, #""format": 1,,"#)?.hasPrefix("edited.json: is not valid JSON") == true)
        // A key given twice in one object: a JSON reader would keep one silently.
        #expect(try refusal(#""value": "100000", "unit": "yuan""#, #""value": "100000", "value": "150000", "unit": "yuan""#)
            == #"edited.json: parameters.loan-cap-individual[0].value: appears twice in the same object; keep one"#)
        #expect(try refusal(#""format": 1,"#, #""format": 1, "format": 1,"#) == #"edited.json: format: appears twice in the same object; keep one"#)
        // A value kept for the record must say it is a local standard.
        #expect(try refusal(#""basis": "local-standard","#, #""basis": "seed","#)?.hasPrefix("edited.json: parameters.startup-subsidy-amount: no rule or programme uses this parameter") == true)
    }

    @Test("--policy DIR without a policy.json names the file")
    func missingFile() {
        do {
            _ = try Policy.load(directory: "/nonexistent/policy-dir")
            Issue.record("loaded a policy from nowhere")
        } catch {
            #expect("\(error)" == "/nonexistent/policy-dir/policy.json: cannot be read (missing, or not a readable file)")
        }
    }
}
