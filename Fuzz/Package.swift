// swift-tools-version:6.0
// libFuzzer harnesses for Herald: a separate package so that the sanitizer flags and
// `-parse-as-library` never touch the main build or CI. See README.md; run with `make fuzz`.
import PackageDescription

// A path dependency is named by its folder (the package identity), not by its `name:`. The
// repository may be checked out under any folder name, even `fuzz`, which is this package's own
// identity; so `make` points HERALD_SOURCE at a link named `herald` (`.build-fuzz/herald` → `..`).
let source = Context.environment["HERALD_SOURCE"] ?? ".."
let herald = String(
    (source == ".." ? Context.packageDirectory.split(separator: "/").dropLast().last : source.split(separator: "/").last)
        ?? "herald"
).lowercased()

// Each harness defines `LLVMFuzzerTestOneInput` (with `@_cdecl`) and a `@main` that starts libFuzzer's
// driver through FuzzMain, since SwiftPM aliases `main` to the module's own entry point.
let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "HeraldFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: source),
        // The same TOML parser Herald uses, for FuzzCampaign to compare the key locator with.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // `herald_fuzz_main`: calls `LLVMFuzzerRunDriver` with the harness's `LLVMFuzzerTestOneInput`.
        .target(name: "FuzzMain"),
        // Recipient CSV parser.
        .executableTarget(
            name: "FuzzCSV",
            dependencies: ["FuzzMain", .product(name: "HeraldCore", package: herald)],
            swiftSettings: harness
        ),
        // Template + CSV → prepare → compose, with the composer's 7-bit/CRLF/998 contract checked.
        .executableTarget(
            name: "FuzzCompose",
            dependencies: ["FuzzMain", .product(name: "HeraldCore", package: herald)],
            swiftSettings: harness
        ),
        // Delivery log reader (FileJournal.load on a real file).
        .executableTarget(
            name: "FuzzLog",
            dependencies: [
                "FuzzMain",
                .product(name: "HeraldCore", package: herald),
                .product(name: "HeraldStorage", package: herald),
            ],
            swiftSettings: harness
        ),
        // Bounce mailbox messages: BounceMessage and its delivery-status parser, total on any bytes.
        .executableTarget(
            name: "FuzzDSN",
            dependencies: ["FuzzMain", .product(name: "HeraldCore", package: herald)],
            swiftSettings: harness
        ),
        // A Markdown body's HTML skeleton (Ink) and its field check, against a browser-like tokenizer.
        .executableTarget(
            name: "FuzzHTML",
            dependencies: ["FuzzMain", .product(name: "HeraldCore", package: herald)],
            swiftSettings: harness
        ),
        // An attachment's file name in its part headers: 78 octets, read back exactly (RFC 2231).
        .executableTarget(
            name: "FuzzFileName",
            dependencies: ["FuzzMain", .product(name: "HeraldCore", package: herald)],
            swiftSettings: harness
        ),
        // The TOML campaign file: a Campaign or diagnostics with lines; the key locator against TOMLKit.
        .executableTarget(
            name: "FuzzCampaign",
            dependencies: [
                "FuzzMain",
                .product(name: "HeraldCore", package: herald),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: harness
        ),
    ],
    swiftLanguageModes: [.v6]
)
