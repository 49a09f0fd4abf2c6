import Foundation

/// Writes preview files: private (0700 folder, 0600 files), since letters hold personal data.
enum PreviewWriter {
    /// Creates the folder, or empties it of earlier `.eml` previews so no stale letter is reviewed.
    static func prepareFolder(_ folder: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in try manager.contentsOfDirectory(atPath: folder) where name.hasSuffix(".eml") {
            try manager.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// A file-name-safe form of an address.
    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "@.-_+".contains($0) ? $0 : "_" })
    }
}
