// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "lienthong",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lienthong", targets: ["lienthong"]),
        // One library per role. The fuzz targets in Fuzz/, a package of their own, use Core, Signing, Merge,
        // Feed and Config.
        .library(name: "LienThongCore", targets: ["LienThongCore"]),
        .library(name: "LienThongSigning", targets: ["LienThongSigning"]),
        .library(name: "LienThongMerge", targets: ["LienThongMerge"]),
        .library(name: "LienThongSchema", targets: ["LienThongSchema"]),
        .library(name: "LienThongConfig", targets: ["LienThongConfig"]),
        .library(name: "LienThongStore", targets: ["LienThongStore"]),
        .library(name: "LienThongFeed", targets: ["LienThongFeed"]),
        .library(name: "LienThongHTTP", targets: ["LienThongHTTP"]),
        .library(name: "LienThongMetrics", targets: ["LienThongMetrics"]),
        .library(name: "LienThongPublisher", targets: ["LienThongPublisher"]),
        .library(name: "LienThongPoller", targets: ["LienThongPoller"]),
        .library(name: "LienThongAgency", targets: ["LienThongAgency"]),
        .library(name: "LienThongDaemon", targets: ["LienThongDaemon"]),
        .library(name: "LienThongDemo", targets: ["LienThongDemo"]),
        .library(name: "LienThongDoctor", targets: ["LienThongDoctor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through Hummingbird; named so the publisher can bound connections per address.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // Child processes in tests and benchmarks, started with a clean signal mask.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // The store on PostgreSQL (docs/STORE.md, "Two backends").
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C bindings: only what Swift cannot import itself.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Pure value types shared by every layer: strict JSON, base64url, identifiers, Unix time and the clock.
        .target(name: "LienThongCore", swiftSettings: strict),
        // JWS and agency keys, with OpenSSL's libcrypto behind them.
        .target(name: "LienThongSigning", dependencies: ["LienThongCore", "CLibCrypto"], swiftSettings: strict),
        // Merge rules: version vectors, hybrid clocks, policies (pure: no I/O).
        .target(name: "LienThongMerge", dependencies: ["LienThongCore"], swiftSettings: strict),
        // Declared record shapes: schemas, their validation, the formats (CCCD, phone, email), linear-time patterns.
        .target(name: "LienThongSchema", dependencies: ["LienThongCore"], swiftSettings: strict),
        // The agency's configuration file.
        .target(
            name: "LienThongConfig",
            dependencies: ["LienThongCore", "LienThongMerge", "LienThongSchema", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // The shared store, on SQLite or PostgreSQL: records, siblings, history, cursors, own feed, quarantine,
        // audit (hash-chained: SHA-256 from libcrypto), the change log and the pull leases of a fleet.
        .target(
            name: "LienThongStore",
            dependencies: [
                "LienThongCore", "LienThongMerge", "CLibCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Feed protocol v1: pages, request tokens, and the page importer (verify, apply, quarantine, audit).
        .target(
            name: "LienThongFeed",
            dependencies: ["LienThongCore", "LienThongSigning", "LienThongMerge", "LienThongSchema", "LienThongStore"],
            swiftSettings: strict
        ),
        // HTTP through libcurl.
        .target(
            name: "LienThongHTTP",
            dependencies: ["LienThongCore", "CCurl", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        // The metrics at /metrics, counted by the publisher and the poller of one agency together.
        .target(
            name: "LienThongMetrics",
            dependencies: [
                "LienThongCore", .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The publisher: the Hummingbird application, grants and field reduction, rate and connection limits.
        .target(
            name: "LienThongPublisher",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongSchema", "LienThongStore", "LienThongFeed", "LienThongMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The poller: pulling peers' feeds through libcurl, backoff, the pull status it records.
        .target(
            name: "LienThongPoller",
            dependencies: ["LienThongCore", "LienThongSigning", "LienThongMerge", "LienThongSchema", "LienThongStore", "LienThongFeed", "LienThongMetrics", "LienThongHTTP"],
            swiftSettings: strict
        ),
        // The plan built from a configuration: what the publisher serves, which feeds are pulled, the keys read;
        // how records are shown to a person, personal data masked or its disclosure audited.
        .target(
            name: "LienThongAgency",
            dependencies: [
                "LienThongCore", "LienThongConfig", "LienThongSchema", "LienThongSigning", "LienThongStore", "LienThongHTTP", "LienThongPublisher",
                "LienThongPoller",
            ],
            swiftSettings: strict
        ),
        // The long-lived service: publisher and pull schedules under swift-service-lifecycle, systemd's notify
        // protocol and watchdog, reloads on SIGHUP, the journal log handler.
        .target(
            name: "LienThongDaemon",
            dependencies: [
                "LienThongCore", "LienThongConfig", "LienThongSigning", "LienThongStore", "LienThongFeed", "LienThongHTTP", "LienThongMetrics",
                "LienThongPublisher", "LienThongPoller", "LienThongAgency",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The three-agency demo (`lienthong demo`).
        .target(
            name: "LienThongDemo",
            dependencies: [
                "LienThongCore", "LienThongConfig", "LienThongSigning", "LienThongMerge", "LienThongStore", "LienThongFeed", "LienThongHTTP",
                "LienThongPublisher", "LienThongPoller", "LienThongAgency", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // `lienthong doctor`: every part an agency depends on, checked in order, read-only.
        .target(
            name: "LienThongDoctor",
            dependencies: ["LienThongCore", "LienThongConfig", "LienThongSigning", "LienThongStore", "LienThongFeed", "LienThongHTTP"],
            swiftSettings: strict
        ),
        // Seeded randomness, simulated histories, a scripted loopback server, and the feed fixtures (keys,
        // agencies, pages, stores) the feed, publisher and poller tests share; for tests and benchmarks only.
        .target(
            name: "LienThongTestSupport",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongMerge", "LienThongStore", "LienThongFeed", "LienThongHTTP", "LienThongPublisher",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "lienthong",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongHTTP", "LienThongConfig", "LienThongSchema", "LienThongStore", "LienThongMerge",
                "LienThongFeed", "LienThongPoller", "LienThongAgency", "LienThongDaemon", "LienThongDemo", "LienThongDoctor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Writes the recorded feeds in fixtures/feeds from fixed test-only keys and a fixed clock.
        .executableTarget(
            name: "lienthong-fixtures",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongMerge", "LienThongStore", "LienThongFeed", "LienThongPublisher", "LienThongHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lienthong-bench",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongMerge", "LienThongStore", "LienThongFeed", "LienThongHTTP", "LienThongPublisher",
                "LienThongPoller", "LienThongSchema", "LienThongTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The PostgreSQL baseline: the same rows written by a plain client.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "LienThongCoreTests", dependencies: ["LienThongCore"], swiftSettings: strict),
        .testTarget(name: "LienThongSchemaTests", dependencies: ["LienThongSchema", "LienThongCore"], swiftSettings: strict),
        .testTarget(name: "LienThongSigningTests", dependencies: ["LienThongSigning", "LienThongCore", "LienThongTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LienThongMergeTests",
            dependencies: ["LienThongMerge", "LienThongTestSupport", "LienThongCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienThongDaemonTests",
            dependencies: [
                "LienThongDaemon", "LienThongAgency", "LienThongPoller", "LienThongCore", "LienThongFeed", "LienThongHTTP", "LienThongStore",
                "LienThongPublisher", "LienThongSchema", "LienThongTestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "LienThongHTTPTests", dependencies: ["LienThongHTTP", "LienThongSigning", "LienThongTestSupport"], swiftSettings: strict),
        .testTarget(name: "LienThongConfigTests", dependencies: ["LienThongConfig", "LienThongCore", "LienThongMerge", "LienThongSchema"], swiftSettings: strict),
        .testTarget(
            name: "LienThongStoreTests",
            dependencies: ["LienThongStore", "LienThongMerge", "LienThongCore", "LienThongTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienThongFeedTests",
            dependencies: [
                "LienThongFeed", "LienThongSchema", "LienThongStore", "LienThongSigning", "LienThongMerge", "LienThongCore", "LienThongTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienThongPublisherTests",
            dependencies: [
                "LienThongPublisher", "LienThongFeed", "LienThongSchema", "LienThongStore", "LienThongSigning", "LienThongMerge", "LienThongCore", "LienThongHTTP",
                "LienThongTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienThongPollerTests",
            dependencies: [
                "LienThongPoller", "LienThongPublisher", "LienThongFeed", "LienThongStore", "LienThongSigning", "LienThongMerge", "LienThongCore",
                "LienThongHTTP", "LienThongTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienThongAgencyTests",
            dependencies: ["LienThongAgency", "LienThongSigning", "LienThongCore", "LienThongConfig", "LienThongStore", "LienThongTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LienthongCLITests",
            dependencies: [
                "lienthong", "LienThongSigning", "LienThongCore", "LienThongFeed", "LienThongMerge", "LienThongStore", "LienThongTestSupport",
                "LienThongHTTP", "LienThongConfig", "LienThongSchema", "LienThongPublisher", "LienThongPoller", "LienThongDaemon",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
