import LedgerCore
import Reports
import Testing

@Suite("CSV safe to open in a spreadsheet")
struct CSVSafetyTests {
    @Test("a cell beginning with = + - @ tab or carriage return gets a leading '")
    func formulasNeutralised() {
        #expect(CSV.field("=1+2") == "'=1+2")
        #expect(CSV.field("+1") == "'+1")
        #expect(CSV.field("-cmd|' /C calc'!A0") == "'-cmd|' /C calc'!A0")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("\tx") == "'\tx")
        #expect(CSV.field("\rx") == "\"'\rx\"")
        #expect(CSV.field("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        #expect(CSV.field("-") == "'-")
        #expect(CSV.field("-.5") == "'-.5")
        #expect(CSV.field("-1.") == "'-1.")
    }

    @Test("plain numbers, negative amounts included, and ordinary text are unchanged")
    func numbersStay() {
        for text in ["-12.34", "-5", "-2000.50", "0.00", "1500.50", "e-0001", "a=b", "", "中国", "V2016-0001"] {
            #expect(CSV.field(text) == text)
        }
        #expect(CSV.field(Money(fen: -1234).yuan) == "-12.34")
    }

    @Test("a report's CSV neutralises a text cell and keeps its negative amount")
    func reportTable() {
        var table = ReportTable(name: "lines", columns: [.init("fund"), .init("available")])
        table.rows = [[.text("=cmd"), .money(Money(fen: -200050))]]
        #expect(table.renderCSV() == "fund,available\r\n'=cmd,-2000.50\r\n")
    }
}
