import Testing
import LedgerCore

/// Inputs the fuzz targets (Fuzz/, docs/FUZZING.md) found refused wrongly or
/// crashing, kept as they were found or cut down to what mattered.
@Suite("Inputs found by fuzzing the line parser")
struct ParserFuzzRegressionTests {
    func error(_ line: String) -> FieldError? {
        if case .failure(let error) = parseLine(line) { return error }
        return nil
    }

    /// A value is skipped by recursion; 60,000 nested arrays in a line of
    /// under 64 KiB (what import accepts) overflowed the stack and killed the
    /// process. Found by the parser target from a hand-made seed.
    @Test("arrays and objects nested past 64 levels are refused, wherever the parser skips a value")
    func deepNesting() {
        let deep = String(repeating: "[", count: 60_000)
        let lines = [
            #"{"id":"e-1","data":"# + deep,  // data before type is skipped first
            #"{"id":"e-1","type":"loan.repaid","effective":"2016-06-01","data":{"loan":"L-1","principal":"# + deep,
            #"{"id":"e-1","expect":{"stream":"# + deep,
            #"{"id":"e-1","data":"# + String(repeating: "{\"a\":", count: 30_000),
        ]
        for line in lines {
            let found = error(line)
            #expect(found?.field == "json", "\(String(describing: found))")
            #expect(found?.message.hasSuffix("arrays and objects nested more than 64 deep") == true, "\(String(describing: found))")
        }
        // 64 levels are read through (and refused for what they are).
        let sixtyFour = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(error(#"{"id":"e-1","data":"# + sixtyFour + "}")?.description == "data: must be an object, found an array")
        let sixtyFive = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(error(#"{"id":"e-1","data":"# + sixtyFive + "}")?.description == "json: not valid JSON at column 84: arrays and objects nested more than 64 deep")
    }

    /// A member named by the empty string gave `: unknown field`, an error
    /// that names no field. The first input is one the target found.
    @Test("an empty member name is named as \"\" in the error")
    func emptyMemberName() {
        #expect(error(#"{"":{:"#)?.description == #""": unknown field; a line has id, type, effective, data and optionally expect"#)
        #expect(error(#"{"id":"e-1","type":"loan.repaid","effective":"2016-06-01","data":{"loan":"L-1","":"1"}}"#)?.description
            == #"data."": unknown field"#)
        #expect(error(#"{"id":"e-1","type":"loan.repaid","effective":"2016-06-01","data":{"loan":"L-1","principal":"1"},"expect":{"":1}}"#)?.description
            == #"expect."": unknown field; expect has stream and version"#)
    }
}
