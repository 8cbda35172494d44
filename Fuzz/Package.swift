// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for subsidy-ledger (docs/FUZZING.md). A package of its
// own so that `swift build` and `swift test` in the repository never build
// them: they link libFuzzer's main and only build with
//   swift build -c release -Xswiftc -sanitize=fuzzer,address
// which Tools/fuzz runs. Each target's main.swift hands its check to
// libFuzzer (LLVMFuzzerRunDriver), since SwiftPM gives every executable a
// main of its own. The ledger package is the directory above, by path.

// A package found by path is known by its directory's name (lower case),
// whatever the checkout is called.
let root = #filePath.split(separator: "/").dropLast(2).last.map(String.init) ?? "subsidy-ledger"
let ledger = root.lowercased()

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["CFuzzer", "FuzzSupport"] + products.map { .product(name: $0, package: ledger) })
}

let package = Package(
    name: "subsidy-ledger-fuzz",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fuzz-parser", targets: ["FuzzParser"]),
        .executable(name: "fuzz-decoder", targets: ["FuzzDecoder"]),
        .executable(name: "fuzz-statement", targets: ["FuzzStatement"]),
    ],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(name: "CFuzzer"),
        // What the targets share: the failure report, an event written back
        // as an input line, a statement written back as CSV, and an
        // independent strict reader of RFC 4180 records.
        .target(name: "FuzzSupport", dependencies: [
            .product(name: "LedgerCore", package: ledger),
            .product(name: "Reports", package: ledger),
        ]),
        fuzzTarget("FuzzParser", ["LedgerCore"]),
        fuzzTarget("FuzzDecoder", ["LedgerCore"]),
        fuzzTarget("FuzzStatement", ["LedgerCore", "Reports"]),
    ],
    swiftLanguageModes: [.v6]
)
