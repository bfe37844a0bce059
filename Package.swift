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
        .library(name: "LienThongSigning", targets: ["LienThongSigning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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

        // Pure value types shared by every layer: strict JSON, base64url, identifiers.
        .target(name: "LienThongCore", swiftSettings: strict),
        // JWS and agency keys, with OpenSSL's libcrypto behind them.
        .target(name: "LienThongSigning", dependencies: ["LienThongCore", "CLibCrypto"], swiftSettings: strict),
        // HTTP through libcurl.
        .target(name: "LienThongHTTP", dependencies: ["CCurl"], swiftSettings: strict),

        .executableTarget(
            name: "lienthong",
            dependencies: [
                "LienThongCore", "LienThongSigning", "LienThongHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "lienthong-bench",
            dependencies: [
                "LienThongCore", "LienThongSigning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "LienThongCoreTests", dependencies: ["LienThongCore"], swiftSettings: strict),
        .testTarget(name: "LienThongSigningTests", dependencies: ["LienThongSigning", "LienThongCore"], swiftSettings: strict),
        .testTarget(name: "LienthongCLITests", dependencies: ["lienthong", "LienThongSigning", "LienThongCore"], swiftSettings: strict),
    ]
)
