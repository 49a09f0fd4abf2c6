// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v15)],  // Synchronization (Mutex, Atomic)
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .library(name: "HeraldCore", targets: ["HeraldCore"]),
        .library(name: "HeraldCurl", targets: ["HeraldCurl"]),
        .library(name: "HeraldStorage", targets: ["HeraldStorage"]),
        .library(name: "HeraldCLI", targets: ["HeraldCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/JohnSundell/Ink", exact: "0.6.0"),
        // DKIM signing: SHA-256, Ed25519 (Crypto) and RSA PKCS#1 v1.5 (_CryptoExtras), over BoringSSL.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
        // NIOThreadPool: libcurl's blocking calls run on a small pool of their own, never on Swift's cooperative pool.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System libraries: libcurl (SMTP and IMAP, with OpenSSL's libssl to read its TLS session)
        // and OpenSSL's libcrypto (SHA-256 only).
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev", "libssl-dev"])]
        ),
        .systemLibrary(
            name: "CHeraldCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Pure logic: recipients, campaign, rendering, MIME, DKIM signing, delivery log records. No network.
        .target(
            name: "HeraldCore",
            dependencies: [
                "CHeraldCrypto",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The libcurl adapters: the SMTP transport, the pre-flight probe and the IMAP bounce
        // mailbox, over one shared handle set-up (`CurlEasy`); the only module that imports CCurl.
        .target(
            name: "HeraldCurl",
            dependencies: ["HeraldCore", "CCurl", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        // The delivery log file and the campaign lock: the storage adapter, beside the transport.
        .target(
            name: "HeraldStorage",
            dependencies: ["HeraldCore"]
        ),
        // Commands and the composition root (`buildApplication`).
        .target(
            name: "HeraldCLI",
            dependencies: [
                "HeraldCore",
                "HeraldCurl",
                "HeraldStorage",
                // NIOThreadPool: the non-send commands' blocking work (files, fsync, libcurl) runs there.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "herald",
            dependencies: ["HeraldCLI"]
        ),
        // Helpers shared by the test targets: the real SMTP server, subprocesses, the Python oracle.
        .target(name: "HeraldTestSupport", dependencies: ["HeraldCore"], path: "Tests/HeraldTestSupport"),
        // Fixtures are read by path (PackagePaths), not as bundle resources.
        // CSV.swift: the oracle `CSVRowReader` (Herald's own CSV reader) is tested against.
        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldTestSupport", .product(name: "CSV", package: "CSV.swift")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "HeraldCurlTests", dependencies: ["HeraldCurl", "HeraldCore", "HeraldTestSupport"]),
        .testTarget(name: "HeraldStorageTests", dependencies: ["HeraldStorage", "HeraldCore", "HeraldTestSupport"]),
        .testTarget(name: "HeraldCLITests", dependencies: ["HeraldCLI", "HeraldCurl", "HeraldStorage", "HeraldCore", "HeraldTestSupport",
                                                         .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")]),
    ],
    swiftLanguageModes: [.v6]
)
