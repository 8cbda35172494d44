import LedgerCore
import Projections
import Reports
import Testing

@Suite("Totals over many budget lines")
struct WideTotalTests {
    @Test("region roll-ups and programme totals past 64-bit fen are given exactly, never an error")
    func regionsPastInt64() throws {
        var balances = Balances()
        var line = BudgetLine()
        line.appropriated = Money(fen: 5_000_000_000_000_000_000)  // 5 × 10^16 yuan
        line.paidByProgramme["training"] = Money(fen: 5_000_000_000_000_000_000)
        balances.lines[BudgetLineKey(fund: "f", region: "220102", fiscalYear: 2016)] = line
        balances.lines[BudgetLineKey(fund: "f", region: "220104", fiscalYear: 2016)] = line
        let regions = try BalanceReports.table(balances, by: .region, masking: .masked).renderJSON()
        #expect(regions.contains("{\"region\":\"220000\",\"level\":\"province\",\"received\":\"100000000000000000.00\","
            + "\"paid\":\"100000000000000000.00\",\"recovered\":\"0.00\",\"available\":\"0.00\"}"), "\(regions)")
        let programmes = try BalanceReports.table(balances, by: .program, masking: .masked)
        #expect(programmes.renderJSON().contains("\"paid\":\"100000000000000000.00\""))
        let funds = BalanceReports.funds(balances)
        #expect(funds.renderTable().contains("100000000000000000.00"))
    }
}
