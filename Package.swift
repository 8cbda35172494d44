// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: CLMDB <- LMDBKit <- EventStore <- CLI, and
// LedgerCore (pure domain, no I/O) <- EventStore. Only LMDBKit imports CLMDB.
let package = Package(
    name: "subsidy-ledger",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "subsidy-ledger", targets: ["SubsidyLedgerCLI"]),
        .executable(name: "subsidy-ledger-gen", targets: ["LedgerGen"]),
        .library(name: "EventStore", targets: ["EventStore"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "Projections", targets: ["Projections"]),
        // For the fuzz targets in Fuzz/ (the statement reader).
        .library(name: "Reports", targets: ["Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDBKit", dependencies: ["CLMDB"]),
        .target(name: "LedgerCore"),
        .target(name: "Projections", dependencies: ["LedgerCore"]),
        // Merkle tree arithmetic, proofs, checkpoints and signed notes: what an
        // auditor's offline check needs, and nothing that touches a ledger.
        .target(name: "Proofs", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Policy", dependencies: ["LedgerCore"]),
        .target(name: "Audit", dependencies: ["LedgerCore", "Policy"]),
        .target(name: "Reports", dependencies: [
            "LedgerCore", "Projections",
            .product(name: "CSV", package: "CSV.swift"),
        ]),
        // `report html`: one self-contained page (inline CSS and SVG charts) of
        // fund usage, performance and audit findings for budget officers.
        .target(name: "HtmlReport", dependencies: ["LedgerCore", "Projections", "Reports", "Audit", "Policy"]),
        .target(
            name: "EventStore",
            dependencies: [
                "LMDBKit", "LedgerCore", "Projections", "Proofs",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "SubsidyLedgerCLI",
            dependencies: [
                "EventStore", "LedgerCore", "Projections", "Reports", "Policy", "Audit", "Proofs", "HtmlReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "LedgerGen"),
        // Benchmarks (Tools/bench-*): the project's own modules, and swift-crypto
        // directly for the bare SHA-256 chain that `verify` is measured against.
        .executableTarget(name: "LedgerBench", dependencies: [
            "EventStore", "LedgerCore", "LMDBKit", "Projections", "Proofs",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "LedgerTestSupport", path: "Tests/Support"),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "LedgerCore", "LMDBKit", "LedgerTestSupport"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Policy", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "ProofsTests", dependencies: ["Proofs"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Projections", "LedgerCore"]),
        .testTarget(name: "HtmlReportTests", dependencies: ["HtmlReport", "Reports", "Projections", "LedgerCore", "Audit", "Policy"]),
        // CLITests fold, audit and render in memory as an oracle for the CLI's answers.
        .testTarget(name: "CLITests", dependencies: [
            "SubsidyLedgerCLI", "LedgerGen", "LedgerTestSupport", "LedgerCore", "Projections", "Reports",
            "Audit", "Policy", "EventStore", "Proofs", "LMDBKit", "HtmlReport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
