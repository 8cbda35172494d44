import LedgerCore
import Reports
import Testing

@Suite("Treasury statement CSV")
struct StatementParsingTests {
    func parse(_ text: String) throws(StatementError) -> TreasuryStatement {
        try TreasuryStatement.parse(Array(text.utf8), file: "s.csv")
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test("a byte-order mark, CRLF, quotes with commas and doubled quotes, and a blank trailing line")
    func edgeCases() throws {
        let text = "\u{FEFF}date,voucher,fund,region,amount\r\n"
            + "2016-01-10,\"V,001\",employment-special,220102,1500\r\n"
            + "2016-01-11,\"V \"\"2\"\"\",\"employment-special\",220102,\"0.05\"\r\n"
            + "\r\n"
        let statement = try parse(text)
        #expect(statement.lines.map(\.voucher) == ["V,001", "V \"2\""])
        #expect(statement.lines.map(\.amount) == [yuan("1500"), yuan("0.05")])
        #expect(statement.lines.map(\.line) == [2, 3])
        #expect(statement.lines[0].date.description == "2016-01-10")
        #expect(statement.lines[0].fund == "employment-special")
        #expect(statement.lines[0].region == "220102")
    }

    @Test("LF without a final line end; columns in another order; extra columns ignored")
    func orderAndExtraColumns() throws {
        let statement = try parse("memo,amount,region,fund,voucher,date\nfirst,12.5,220202,guarantee,V9,2016-03-01")
        #expect(statement.lines.count == 1)
        #expect(statement.lines[0].amount == yuan("12.50"))
        #expect(statement.lines[0].voucher == "V9")
        #expect(statement.lines[0].fund == "guarantee")
    }

    @Test("line numbers count the line breaks inside quoted fields; blank lines and empty records are skipped")
    func lineNumbers() {
        let text = "date,voucher,fund,region,amount,memo\n"
            + "2016-01-10,V1,employment-special,220102,1500,\"two\r\nlines\"\n"
            + "\n"
            + ",,,,,\n"
            + " \t \n"
            + "2016-01-10,V2,employment-special,220102,abc,\n"
        #expect(problems(text) == [
            #"s.csv:7: amount: "abc" is not an amount in yuan; write digits with at most two decimals and no sign, spaces, exponent or leading zero, such as "1500" or "1500.50""#,
        ])
    }

    @Test("a missing column is an error naming it, and nothing is read")
    func missingColumn() {
        #expect(problems("date,voucher,fund,region\n2016-01-10,V1,f,220102\n") == [
            #"s.csv:1: header: no "amount" column; the header must name the columns date,voucher,fund,region,amount (in any order), found "date","voucher","fund","region""#,
        ])
        #expect(problems("date,voucher,fund,region,amount,voucher\n") == [
            #"s.csv:1: header: the column "voucher" appears 2 times (columns 2, 6)"#,
        ])
        #expect(problems("") == ["s.csv:1: header: the file is empty; the first line must name the columns date,voucher,fund,region,amount"])
        #expect(problems("\u{FEFF}") == ["s.csv:1: header: the file is empty; the first line must name the columns date,voucher,fund,region,amount"])
    }

    @Test("a header alone is an empty statement")
    func headerOnly() throws {
        #expect(try parse("date,voucher,fund,region,amount\r\n").lines.isEmpty)
    }

    @Test("every malformed line is reported as FILE:LINE: field: reason, in line order, several per line if need be")
    func malformed() {
        let text = """
            date,voucher,fund,region,amount
            2016-02-30,V1,employment-special,220102,100
            2016-02-01,,employment-special,220102,100
            2016-02-01,V3,employment-special,22010,100
            2016-02-01,V4,employment-special,220102,0
            2016-02-01,V5,employment-special,220102,12.345
            2016-02-01,V6,employment-special,220102,-5
            2016-02-01,V7,employment-special,220102
            2016-02-01,V8,employment-special,220102,100
            16-2-1, V9,,2201020,1 000

            """
        #expect(problems(text) == [
            #"s.csv:2: date: "2016-02-30" is not a calendar date YYYY-MM-DD"#,
            "s.csv:3: voucher: is empty",
            #"s.csv:4: region: "22010" is not a six-digit GB/T 2260 region code such as "220102""#,
            #"s.csv:5: amount: "0" must be greater than zero"#,
            #"s.csv:6: amount: "12.345" has more than two decimals; amounts are in yuan to the fen, such as "1500.05""#,
            #"s.csv:7: amount: "-5" is not an amount in yuan; write digits with at most two decimals and no sign, spaces, exponent or leading zero, such as "1500" or "1500.50""#,
            "s.csv:8: fields: has 4 fields, the header has 5",
            #"s.csv:10: date: "16-2-1" is not a calendar date YYYY-MM-DD"#,
            #"s.csv:10: voucher: " V9" has spaces at its start or end"#,
            "s.csv:10: fund: is empty",
            #"s.csv:10: region: "2201020" is not a six-digit GB/T 2260 region code such as "220102""#,
            #"s.csv:10: amount: "1 000" is not an amount in yuan; write digits with at most two decimals and no sign, spaces, exponent or leading zero, such as "1500" or "1500.50""#,
        ])
    }

    @Test("an unclosed quote is reported where its record starts, with a hint")
    func unclosedQuote() {
        let text = "date,voucher,fund,region,amount\n2016-01-10,\"V1,employment-special,220102,100\n2016-01-11,V2,employment-special,220102,100\n"
        #expect(problems(text) == [
            "s.csv:2: quotes: a quoted field starts here and is never closed: is a closing quote missing?",
        ])
    }

    @Test("UTF-16 and invalid UTF-8 are refused, naming the line")
    func encoding() {
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "date".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        do {
            _ = try TreasuryStatement.parse(utf16, file: "s.csv")
            Issue.record("UTF-16 was accepted")
        } catch {
            #expect(error.description == "s.csv:1: encoding: the file is UTF-16 or UTF-32; save it as UTF-8")
        }
        let latin1 = Array("date,voucher,fund,region,amount\n2016-01-10,V1,f,220102,1\n2016-01-10,V".utf8) + [0xE9] + Array(",f,220102,1\n".utf8)
        do {
            _ = try TreasuryStatement.parse(latin1, file: "s.csv")
            Issue.record("Latin-1 was accepted")
        } catch {
            #expect(error.description == "s.csv:3: encoding: not valid UTF-8; save the statement as UTF-8")
        }
    }

    @Test("at most a hundred problems are listed; the rest are counted")
    func manyProblems() {
        let text = "date,voucher,fund,region,amount\n" + String(repeating: "2016-01-10,V,f,220102,x\n", count: 150)
        do {
            _ = try parse(text)
            Issue.record("accepted")
        } catch {
            #expect(error.total == 150)
            #expect(error.problems.count == TreasuryStatement.maxProblemsKept)
            #expect(error.description.hasSuffix("\n… and 50 more"))
        }
    }
}
