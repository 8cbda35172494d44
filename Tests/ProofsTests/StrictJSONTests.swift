import Testing
@testable import Proofs

/// Bundles are read strictly: what a person sees in the file is what is checked.
@Suite struct StrictJSONTests {
    @Test func readsWhatItIsGiven() throws {
        let value = try StrictJSON.parse(#" {"a": [1, 2.50, -0, 1e3, true, false, null], "b": {"c": "\u00e9\ud83d\ude00\n"}} "#)
        #expect(value["a"]?.array == [.number("1"), .number("2.50"), .number("-0"), .number("1e3"), .bool(true), .bool(false), .null])
        #expect(value["b"]?["c"]?.string == "é😀\n")
        #expect(value["a"]?.array?.first?.count == 1)
        #expect(value["a"]?.array?[1].count == nil)
        #expect(value["a"]?.array?[4].count == nil)
        #expect(try StrictJSON.parse("18446744073709551615").count == UInt64.max)
        #expect(try StrictJSON.parse("18446744073709551616").count == nil)
    }

    @Test("refused", arguments: [
        #"{"a": 1, "a": 2}"#, #"{"a": 1, "\u0061": 2}"#, #"{"a": 1} x"#, "[1,]", "{,}", "01", "1.", "-", ".5", "1e",
        "\"tab\tinside\"", #""\x""#, #""\ud800""#, "[" + String(repeating: "[", count: 70) + String(repeating: "]", count: 71),
        "", "tru", "{\"a\" 1}", "[1 2]",
        // Past the sixteen members searched one by one, into the set of keys.
        "{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k3\":0}",
        "{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k19\":0}",
        "{" + (0..<16).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k15\":0}",
    ])
    func refused(text: String) {
        #expect(throws: JSONFormatError.self) { try StrictJSON.parse(text) }
    }

    @Test("an object of forty distinct keys keeps them all, in order")
    func manyKeys() throws {
        let keys = (0..<40).map { "k\($0)" }
        let value = try StrictJSON.parse("{" + keys.map { "\"\($0)\":true" }.joined(separator: ",") + "}")
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == keys)
    }

    @Test func sameDataIgnoresMemberOrderOnly() throws {
        let a = try StrictJSON.parse(#"{"x": 1, "y": [1, {"p": "q", "r": 2}]}"#)
        #expect(a.sameData(as: try StrictJSON.parse(#"{"y": [1, {"r": 2, "p": "q"}], "x": 1}"#)))
        #expect(!a.sameData(as: try StrictJSON.parse(#"{"x": 1.0, "y": [1, {"p": "q", "r": 2}]}"#)))
        #expect(!a.sameData(as: try StrictJSON.parse(#"{"x": 1, "y": [{"p": "q", "r": 2}, 1]}"#)))
        #expect(!a.sameData(as: try StrictJSON.parse(#"{"x": 1, "y": [1, {"p": "q", "r": 2}], "z": null}"#)))
    }
}
