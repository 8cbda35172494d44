import LedgerCore
import Reports
import Testing

/// Statements the statement target (Fuzz/, docs/FUZZING.md) found accepted
/// though they are not what they seem: the CSV reader passes over broken
/// quoting without a word, and records after it were merged, cut or lost.
@Suite("Statements found by fuzzing")
struct StatementFuzzRegressionTests {
    func problems(_ text: String) -> [String] {
        do {
            let statement = try TreasuryStatement.parse(Array(text.utf8), file: "s.csv")
            return ["accepted \(statement.lines.count) line(s)"]
        } catch {
            return error.problems.map(\.description)
        }
    }

    /// As the target found it: the quote opened in the ignored memo column
    /// was never closed, the rest of the file became that memo, and the
    /// statement was accepted with one line: the second payment (with its bad
    /// amount) was never seen.
    @Test("a quote never closed in an ignored column no longer swallows the payments after it")
    func unclosedQuoteInIgnoredColumn() {
        let found = "date,voucher,fund,region,amount,memo\n2016-01-10,V1,employment-special,220102,1500,\"two\r\nspecial,22,,,\n \t \n2016-01-10,V2,emploount\n2016-01l,220102,abc,\n"
        #expect(problems(found) == ["s.csv:2: quotes: a quoted field starts here and is never closed: is a closing quote missing?"])
        let plain = "date,voucher,fund,region,amount,memo\n2016-01-10,V1,f,220102,1500,\"open\n2016-01-11,V2,f,220102,2500,\n2016-01-12,V3,f,220102,3500,\n"
        #expect(problems(plain) == ["s.csv:2: quotes: a quoted field starts here and is never closed: is a closing quote missing?"])
    }

    /// Text after a closing quote was dropped (`"V1"2` read as `V1"`), and the
    /// field went on to the next quote, taking the line ends with it.
    @Test("text after a closing quote is refused, naming its line")
    func textAfterClosingQuote() {
        let found = "date,voucher,fund,region,amount,memo\n2016-01-10,V1,employment-special,220102,1500,\"two\rinl\"\05\n\n\n,,,,,\n \t \n2016-01-10,V2,emplo\u{01}\0\0\0\0\0\0\u{08}ecial,220102,abc,\n"
        #expect(problems(found) == [#"s.csv:3: quotes: text after the closing quote of a quoted field; inside quotes, write a quote twice ("")"#])
        let voucher = "date,voucher,fund,region,amount\n2016-01-10,\"V1\"2,f,220102,1500\n2016-01-11,V2,f,220102,2500\n"
        #expect(problems(voucher) == [#"s.csv:2: quotes: text after the closing quote of a quoted field; inside quotes, write a quote twice ("")"#])
        let space = "date,voucher,fund,region,amount\r\n2016-01-10,\"V1\" ,f,220102,1500\r\n"
        #expect(problems(space) == [#"s.csv:2: quotes: text after the closing quote of a quoted field; inside quotes, write a quote twice ("")"#])
    }

    @Test("well-formed quoting still reads: doubled quotes, line breaks and commas inside quotes, a quote inside an unquoted field")
    func wellFormedQuoting() throws {
        let text = "date,voucher,fund,region,amount,memo\r\n"
            + "2016-01-10,\"V \"\"1\"\"\",f,220102,1500,\"a,b\r\nc\"\r\n"
            + "2016-01-11,V\"2,f,220102,\"2500\",\"\"\r\n"
            + "2016-01-12,V3,f,220102,3500,\"\"\"\""
        let statement = try TreasuryStatement.parse(Array(text.utf8), file: "s.csv")
        #expect(statement.lines.map(\.voucher) == ["V \"1\"", "V\"2", "V3"])
        #expect(statement.lines.map(\.line) == [2, 4, 5])
        #expect(statement.lines.map(\.amount.fen) == [150_000, 250_000, 350_000])
    }
}
