// swift-tools-version:6.0
// libFuzzer harnesses for Herald: a separate package so that the sanitizer flags and
// `-parse-as-library` never touch the main build or CI. See README.md; run with `make fuzz`.
import PackageDescription

// A path dependency is named by its folder (the package identity), not by its `name:`:
// the repository may be checked out under any folder name.
let herald = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "main").lowercased()

// Each harness defines `LLVMFuzzerTestOneInput` (with `@_cdecl`) and a `@main` that starts libFuzzer's
// driver through FuzzMain, since SwiftPM aliases `main` to the module's own entry point.
let harness: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "HeraldFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
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
    ],
    swiftLanguageModes: [.v6]
)
