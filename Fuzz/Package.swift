// swift-tools-version:6.1
// libFuzzer targets, one executable per decoder that reads a peer's or an operator's bytes. They live in a
// package of their own because they have no `main`: libFuzzer provides it. Build and run with `.ci/fuzz`.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "lienthong-fuzz",
    dependencies: [.package(name: "lienthong", path: "..")],
    targets: [
        // Fixed keys and the one entry-point shape every target shares.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "LienThongCore", package: "lienthong"), .product(name: "LienThongSigning", package: "lienthong")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzJSON", dependencies: ["FuzzSupport", .product(name: "LienThongCore", package: "lienthong")], swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzBase64URL", dependencies: ["FuzzSupport", .product(name: "LienThongCore", package: "lienthong")], swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzJWS",
            dependencies: ["FuzzSupport", .product(name: "LienThongSigning", package: "lienthong")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzPage",
            dependencies: [
                "FuzzSupport", .product(name: "LienThongFeed", package: "lienthong"), .product(name: "LienThongMerge", package: "lienthong"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzRequestToken",
            dependencies: ["FuzzSupport", .product(name: "LienThongFeed", package: "lienthong")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzSchema", dependencies: ["FuzzSupport", .product(name: "LienThongSchema", package: "lienthong")], swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzConfig",
            dependencies: ["FuzzSupport", .product(name: "LienThongConfig", package: "lienthong")],
            swiftSettings: strict
        ),
    ]
)
