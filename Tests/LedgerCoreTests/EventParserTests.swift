import Foundation
import Testing
import LedgerCore

@Suite("Parsing input lines")
struct EventParserTests {
    /// A valid grant line with one field replaced (or removed with nil).
    func grant(_ key: String, _ value: String?) -> String {
        var fields: [(String, String)] = [
            ("grant", "\"G1\""), ("program", "\"si-difficulty\""), ("person", "\"P1\""),
            ("periodStart", "\"2016-01\""), ("periodEnd", "\"2016-03\""), ("amount", "\"1500\""),
            ("fund", "\"employment-special\""), ("region", "\"220102\""), ("fiscalYear", "2016"),
        ]
        if let index = fields.firstIndex(where: { $0.0 == key }) {
            if let value { fields[index].1 = value } else { fields.remove(at: index) }
        } else if let value {
            fields.append((key, value))
        }
        let data = fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        return "{\"id\":\"e-1\",\"type\":\"subsidy.granted\",\"effective\":\"2016-04-01\",\"data\":{\(data)}}"
    }

    func error(_ line: String) -> FieldError? {
        if case .failure(let error) = parseLine(line) { return error }
        return nil
    }

    @Test("every event type of the fixture parses, and its stored bytes decode to the same event")
    func everyTypeRoundTrips() throws {
        let lines = try fixtureLines("tests/every-type.jsonl")
        var seen = Set<EventType>()
        for line in lines {
            let event = try parseLine(line).get()
            seen.insert(event.type)
            let content = EventCodec.encodeContent(event)
            let canonical = EventCodec.canonicalBytes(seq: 7, recordedMicros: 1_000_000, content: content)
            let record = [UInt8](repeating: 0xAB, count: 32) + canonical
            let stored = try record.withUnsafeBytes { try EventCodec.decode(record: $0) }
            #expect(stored.event == event)
            #expect(stored.seq == 7)
            #expect(stored.recordedMicros == 1_000_000)
            #expect(stored.hash == [UInt8](repeating: 0xAB, count: 32))
        }
        #expect(seen == Set(EventType.allCases))
    }

    @Test("amounts are exact fen, whatever the number of decimals")
    func amounts() throws {
        let event = try parseLine(grant("amount", "\"1500.5\"")).get()
        #expect(event.data.money(.amount) == Money(fen: 150_050))
    }

    @Test("key order and whitespace do not matter; the same fields are the same content")
    func keyOrder() throws {
        let a = try parseLine(#"{"id":"x","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"}}"#).get()
        let b = try parseLine(#" { "data" : { "principal" : "5.00" , "loan" : "L" } , "effective":"2016-01-01", "type":"loan.repaid" ,"id":"x" } "#).get()
        #expect(EventCodec.encodeContent(a) == EventCodec.encodeContent(b))
    }

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        let event = try parseLine(grant("approval", #""\u5409\u6797 \"A\" \ud83d\ude00""#)).get()
        #expect(event.data.string(.approval) == "吉林 \"A\" 😀")
    }

    @Test("bad amounts name the field and say what is valid",
          arguments: [
            ("1500", "not a JSON number"), ("\"1500.505\"", "more than two decimals"), ("\"-1\"", "not an amount"),
            ("\"01\"", "not an amount"), ("\"1e3\"", "not an amount"), ("\" 1\"", "not an amount"),
            ("\"0\"", "greater than zero"), ("\"99999999999999999999\"", "too large"), ("1500.5", "not a JSON number"),
          ])
    func badAmounts(value: String, phrase: String) throws {
        let failure = try #require(error(grant("amount", value)))
        #expect(failure.field == "data.amount")
        #expect(failure.message.contains(phrase), "\(failure.message)")
    }

    @Test("each kind of bad line is refused with its field",
          arguments: [
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"},"extra":1}"#, "extra"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5","note":"x"}}"#, "data.note"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5","person":"P"}}"#, "data.person"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L"}}"#, "data.principal"),
            (#"{"id":"e","type":"loan.paid","effective":"2016-01-01","data":{"loan":"L"}}"#, "type"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-02-30","data":{"loan":"L","principal":"5"}}"#, "effective"),
            (#"{"id":"e e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"}}"#, "id"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","loan":"M","principal":"5"}}"#, "data.loan"),
            (#"{"id":"e","id":"f","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"}}"#, "id"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"}"#, "json"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5",}}"#, "json"),
            (#"["id"]"#, "json"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L","principal":"5"}} x"#, "json"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":"loan"}"#, "data"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":7,"principal":"5"}}"#, "data.loan"),
            (#"{"id":"e","type":"person.registered","effective":"2016-01-01","data":{"person":"P","birthDate":"1960-01-01","sex":"X"}}"#, "data.sex"),
            (#"{"id":"e","type":"person.registered","effective":"2016-01-01","data":{"person":"P","birthDate":"2016-01-02","sex":"M"}}"#, "data.birthDate"),
            (#"{"id":"e","type":"person.certified","effective":"2016-01-01","data":{"person":"P","kind":"college-graduate"}}"#, "data.graduationDate"),
            (#"{"id":"e","type":"person.certified","effective":"2016-01-01","data":{"person":"P","kind":"veteran","validUntil":"2015-12-31"}}"#, "data.validUntil"),
            (#"{"id":"e","type":"fund.transferred","effective":"2016-01-01","data":{"fund":"f","fromRegion":"220100","toRegion":"220100","fiscalYear":2016,"amount":"1"}}"#, "data.toRegion"),
            (#"{"id":"e","type":"fund.appropriated","effective":"2016-01-01","data":{"fund":"f","region":"22010","fiscalYear":2016,"amount":"1"}}"#, "data.region"),
            (#"{"id":"e","type":"fund.appropriated","effective":"2016-01-01","data":{"fund":"f","region":"220100","fiscalYear":"2016","amount":"1"}}"#, "data.fiscalYear"),
            (#"{"id":"e","type":"loan.issued","effective":"2016-01-01","data":{"loan":"L","category":"individual","principal":"5","rateBp":435,"benchmarkBp":435,"maturity":"2017-01-01","bank":"B","region":"220102"}}"#, "data.person"),
            (#"{"id":"e","type":"loan.issued","effective":"2016-01-01","data":{"loan":"L","person":"P","enterprise":"E","category":"individual","principal":"5","rateBp":435,"benchmarkBp":435,"maturity":"2017-01-01","bank":"B","region":"220102"}}"#, "data.enterprise"),
            (#"{"id":"e","type":"loan.issued","effective":"2016-01-01","data":{"loan":"L","person":"P","category":"individual","principal":"5","rateBp":435,"benchmarkBp":435,"maturity":"2016-01-01","bank":"B","region":"220102"}}"#, "data.maturity"),
            (#"{"id":"e","type":"loan.issued","effective":"2016-01-01","data":{"loan":"L","person":"P","category":"individual","principal":"5","rateBp":4.35,"benchmarkBp":435,"maturity":"2017-01-01","bank":"B","region":"220102"}}"#, "data.rateBp"),
            (#"{"id":"e","type":"loan.interestDiscounted","effective":"2016-01-01","data":{"loan":"L","periodStart":"2016-03-01","periodEnd":"2016-02-01","amount":"1","fund":"f","region":"220102","fiscalYear":2016}}"#, "data.periodEnd"),
            (#"{"id":"e","type":"loan.interestDiscounted","effective":"2016-01-01","data":{"loan":"L","periodStart":"2016-01","periodEnd":"2016-02","amount":"1","fund":"f","region":"220102","fiscalYear":2016}}"#, "data.periodStart"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","expect":{"stream":"loan:M","version":0},"data":{"loan":"L","principal":"5"}}"#, "expect.stream"),
            (#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","expect":{"stream":"loan:L","version":-1},"data":{"loan":"L","principal":"5"}}"#, "expect.version"),
          ])
    func badLines(line: String, field: String) throws {
        let failure = try #require(error(line), "accepted: \(line)")
        #expect(failure.field == field, "\(failure)")
        #expect(!failure.message.isEmpty)
    }

    @Test("grants must name the subjects their programme needs")
    func grantSubjects() throws {
        #expect(error(grant("person", nil))?.field == "data.person")
        let graduate = grant("program", "\"si-graduate\"")
        #expect(error(graduate)?.field == "data.enterprise")
        #expect(error(grant("program", "\"no-such\""))?.field == "data.program")
        // A subject the programme does not need is allowed.
        #expect(error(grant("enterprise", "\"E1\"")) == nil)
        // training needs no subject at all.
        #expect(error(grant("program", "\"training\"").replacingOccurrences(of: "\"person\":\"P1\",", with: "")) == nil)
    }

    @Test("a grant period is both months or both dates, start before end")
    func grantPeriods() {
        #expect(error(grant("periodEnd", "\"2016-03-31\""))?.field == "data.periodEnd")
        #expect(error(grant("periodEnd", "\"2015-12\""))?.field == "data.periodEnd")
        #expect(error(grant("periodEnd", nil))?.field == "data.periodEnd")
        #expect(error(grant("periodStart", "\"2016-01-15\"").replacingOccurrences(of: "\"2016-03\"", with: "\"2016-03-14\"")) == nil)
    }

    @Test("invalid UTF-8 and raw control characters are refused")
    func encoding() throws {
        var bytes = Array(#"{"id":"e","type":"loan.repaid","effective":"2016-01-01","data":{"loan":"L"#.utf8)
        bytes += [0xFF]
        bytes += Array(#"","principal":"5"}}"#.utf8)
        let result: FieldError? = bytes.withUnsafeBytes { buffer -> FieldError? in
            do {
                _ = try EventParser().parse(buffer)
                return nil
            } catch let error as FieldError {
                return error
            } catch {
                return nil
            }
        }
        #expect(result?.field == "json")
        #expect(error(grant("approval", "\"a\tb\"")) != nil)
    }
}

