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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDBKit", dependencies: ["CLMDB"]),
        // SHA-256 without allocation, with the x86-64 SHA extensions when the
        // processor has them: the hash chain every read checks per record.
        .target(name: "CSHA256"),
        // A cache prefetch hint for the folds' look-ups (one inline C function).
        .target(name: "CPrefetch"),
        .target(name: "LedgerCore", dependencies: ["CPrefetch"]),
        .target(name: "Projections", dependencies: ["LedgerCore", "CPrefetch"]),
        // Merkle tree arithmetic, proofs, checkpoints and signed notes: what an
        // auditor's offline check needs, and nothing that touches a ledger.
        .target(name: "Proofs", dependencies: ["CSHA256", .product(name: "Crypto", package: "swift-crypto")]),
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
                "LMDBKit", "LedgerCore", "Projections", "Proofs", "CSHA256", "CPrefetch",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The follow client: a server-sent-events reader over HTTP/1.1 on
        // POSIX sockets, for `follow` and its read replicas.
        .target(name: "Follow", dependencies: ["EventStore", "LedgerCore", "Proofs", "Reports"]),
        // What the commands and the HTTP service both answer, and its JSON:
        // one implementation of each read and of the import's summary.
        .target(name: "LedgerQueries", dependencies: ["EventStore", "LedgerCore", "Projections", "Reports", "Policy", "Audit", "Proofs"]),
        // The HTTP service (`subsidy-ledger serve`): routes, roles and the
        // serial writer over the same library code the CLI's commands use.
        .target(
            name: "LedgerServer",
            dependencies: [
                "EventStore", "LedgerCore", "Projections", "Reports", "Policy", "Audit", "Proofs", "LedgerQueries",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // docs/openapi.json (a link to it), compiled into the program.
            resources: [.embedInCode("Resources/openapi.json")]
        ),
        .executableTarget(
            name: "SubsidyLedgerCLI",
            dependencies: [
                "EventStore", "LedgerCore", "Projections", "Reports", "Policy", "Audit", "Proofs", "LedgerQueries", "LedgerServer", "Follow", "HtmlReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "LedgerGen"),
        // Benchmarks (Tools/bench-*): the project's own modules, and swift-crypto
        // directly for the bare SHA-256 chain that `verify` is measured against.
        .executableTarget(name: "LedgerBench", dependencies: [
            "EventStore", "Follow", "LedgerCore", "LMDBKit", "Projections", "Proofs",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "LedgerTestSupport", path: "Tests/Support"),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "EventStoreTests", dependencies: [
            "EventStore", "LedgerCore", "LMDBKit", "LedgerTestSupport", "CSHA256",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Policy", "LedgerCore", "LedgerTestSupport"]),
        .testTarget(name: "ProofsTests", dependencies: ["Proofs", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "FollowTests", dependencies: ["Follow", "EventStore", "LedgerCore", "Proofs", "LedgerTestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Projections", "LedgerCore"]),
        .testTarget(name: "HtmlReportTests", dependencies: ["HtmlReport", "Reports", "Projections", "LedgerCore", "Audit", "Policy"]),
        // CLITests fold, audit and render in memory as an oracle for the CLI's answers.
        .testTarget(name: "CLITests", dependencies: [
            "SubsidyLedgerCLI", "LedgerGen", "LedgerTestSupport", "LedgerCore", "Projections", "Reports",
            "Audit", "Policy", "EventStore", "Proofs", "LMDBKit", "LedgerServer", "HtmlReport", "LedgerQueries", "Follow",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
