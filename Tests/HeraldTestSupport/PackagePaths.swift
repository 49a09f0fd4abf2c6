import Foundation

/// Locations inside the package, found from this source file so tests run from any folder.
public enum PackagePaths {
    /// The package root (the folder holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func path(_ relative: String) -> String {
        (root as NSString).appendingPathComponent(relative)
    }

    /// The `herald` executable built by `swift build` (or $HERALD_BIN).
    public static var herald: String {
        if let override = ProcessInfo.processInfo.environment["HERALD_BIN"], !override.isEmpty { return override }
        return path(".build/debug/herald")
    }

    public static var python: String {
        ProcessInfo.processInfo.environment["HERALD_PYTHON"] ?? "python3"
    }
}

/// A fresh private folder under the system temp dir, removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "herald") {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try! FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    public func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: file(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
