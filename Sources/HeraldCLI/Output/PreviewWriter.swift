import Foundation
import HeraldStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Writes preview files: private (0700 folder, 0600 files), since letters hold personal data.
///
/// A preview folder is Herald's only while it holds nothing else: a record of what a preview
/// wrote (`.herald-preview.json`: the campaign's name and the file names) lets the next preview
/// of the same campaign remove exactly those files. A folder holding anything else, or another
/// campaign's preview, is refused before a file is written or deleted.
enum PreviewWriter {
    /// The record of a preview, kept in its folder.
    static let markerName = ".herald-preview.json"

    struct Marker: Codable, Equatable {
        var campaign: String
        var files: [String]

        /// The record's text up to its first file name, written before any letter.
        static func opening(campaign: String) -> String {
            "{\n  \"campaign\" : \(quoted(campaign)),\n  \"files\" : ["
        }

        /// A JSON string literal.
        static func quoted(_ text: String) -> String {
            // Ignorable: encoding a single String to JSON cannot fail (no non-finite numbers, no custom encoder).
            String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        }

        /// Reads a record, completing one that a preview cut short left open (its list of
        /// files unterminated): every file it names was started, so the next preview clears them.
        static func read(_ data: Data) -> Marker? {
            // Ignorable: a file that does not decode is not a preview's marker, and nil says so
            // (the folder is then refused as not an earlier preview, never cleared).
            if let marker = try? JSONDecoder().decode(Marker.self, from: data) { return marker }
            var text = String(decoding: data, as: UTF8.self)
            while text.last?.isWhitespace == true || text.last == "," { text.removeLast() }
            return try? JSONDecoder().decode(Marker.self, from: Data((text + "]}").utf8))
        }
    }

    /// One letter to write: its file name in the folder and its bytes.
    struct Letter {
        var name: String
        var bytes: [UInt8]
    }

    /// Why a folder cannot take this preview: a usage error (64); nothing was written or deleted.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// A file-system call that failed, in words.
    struct IOFailure: Error, CustomStringConvertible {
        var description: String

        init(_ path: String, _ what: String, errno number: Int32) {
            description = "\(path): \(what): \(String(cString: strerror(number)))"
        }
    }

    /// A folder checked for a preview of `campaign`.
    struct Folder {
        var path: String
        /// False when Herald has to create it.
        var exists: Bool
        /// Files an earlier preview of this campaign wrote and that are still there.
        var earlier: [String]
    }

    /// Checks that `path` can take a preview of `campaign`, reading only.
    ///
    /// - Throws: `Refusal` for a regular file, another campaign's preview, a folder holding
    ///   files Herald did not write or an unreadable record; `IOFailure` when it cannot be read.
    static func inspect(_ path: String, campaign: String) throws -> Folder {
        guard !path.isEmpty else {
            // `--out "$UNSET"`: an empty path would silently mean the current folder.
            throw Refusal(description: "--out is empty; give the preview folder's path (Herald creates it when missing)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOTDIR {
                throw Refusal(description: "\(path): part of this path is a file, not a folder; give --out a folder (Herald creates it when missing)")
            }
            guard errno == ENOENT else { throw IOFailure(path, "cannot look at the preview folder", errno: errno) }
            return Folder(path: path, exists: false, earlier: [])
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw Refusal(description: "\(path) is a file, not a folder; give --out a folder (Herald creates it when missing)")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw IOFailure(path, "cannot list the preview folder", errno: EACCES)
        }
        var marker = Marker(campaign: campaign, files: [])
        if entries.contains(markerName) {
            let markerPath = (path as NSString).appendingPathComponent(markerName)
            guard let data = FileManager.default.contents(atPath: markerPath),
                let decoded = Marker.read(data)
            else {
                throw Refusal(
                    description:
                        "\(markerPath) is not a preview record Herald can read; nothing was written or deleted. Empty the folder, or choose another --out")
            }
            guard decoded.campaign == campaign else {
                throw Refusal(
                    description:
                        "\(path) holds the preview of campaign \"\(decoded.campaign)\", not of \"\(campaign)\"; nothing was written or deleted. Choose another --out, or remove that preview first"
                )
            }
            marker = decoded
        }
        let listed = Set(marker.files)
        var earlier: [String] = []
        var foreign: [String] = []
        for name in entries.sorted() where name != markerName {
            if listed.contains(name) && isRegularFile((path as NSString).appendingPathComponent(name)) {
                earlier.append(name)
            } else {
                foreign.append(name)
            }
        }
        if !foreign.isEmpty {
            let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? " and \(foreign.count - 3) more" : "")
            throw Refusal(
                description: "\(path) holds files Herald did not write (\(shown)); nothing was written or deleted. Empty the folder, or choose another --out")
        }
        return Folder(path: path, exists: true, earlier: earlier)
    }

    /// Creates the folder (0700) or removes the earlier preview's files from it, then writes
    /// the record and the letters (0600).
    static func replace(_ folder: Folder, campaign: String, with letters: [Letter]) throws {
        let session = try Session(folder, campaign: campaign)
        for letter in letters { try session.add(letter) }
        try session.finish()
    }

    /// A preview being written letter by letter, so that a 100,000-letter preview never holds
    /// its letters in memory.
    ///
    /// The record is written first and each letter's name is added to it before the letter
    /// itself, so the record always lists every file written: a preview cut short (a crash, a
    /// full disk) leaves a folder the next preview still recognises as its own and clears.
    final class Session {
        private let folder: String
        private let marker: Int32
        private var count = 0

        /// Prepares the folder and starts the record.
        init(_ folder: Folder, campaign: String) throws {
            if !folder.exists {
                do throws(PrivateFolder.Failure) { try PrivateFolder.create(folder.path) } catch {
                    throw IOFailure(error.path, "cannot create the preview folder", errno: error.code)
                }
            }
            for name in folder.earlier {
                let file = (folder.path as NSString).appendingPathComponent(name)
                if unlink(file) != 0 && errno != ENOENT { throw IOFailure(file, "cannot remove the earlier preview", errno: errno) }
            }
            self.folder = folder.path
            let path = (folder.path as NSString).appendingPathComponent(markerName)
            marker = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard marker >= 0 else { throw IOFailure(path, "cannot write", errno: errno) }
            try append(Marker.opening(campaign: campaign))
        }

        deinit { close(marker) }

        /// Adds one letter: its name to the record, then its file.
        func add(_ letter: Letter) throws {
            try append((count == 0 ? "\n  " : ",\n  ") + Marker.quoted(letter.name))
            count += 1
            try write(letter.bytes, to: (folder as NSString).appendingPathComponent(letter.name), fresh: true)
        }

        /// Adds a file of the preview's own (the review page, the manifest, their parts) to
        /// the record, then creates it, empty, for streaming into.
        func create(_ name: String) throws -> BufferedFile {
            try append((count == 0 ? "\n  " : ",\n  ") + Marker.quoted(name))
            count += 1
            let path = (folder as NSString).appendingPathComponent(name)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw IOFailure(path, "cannot write", errno: errno) }
            return BufferedFile(descriptor: descriptor, path: path)
        }

        /// The path of a file in the folder.
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

        /// Closes the record.
        func finish() throws {
            try append(count == 0 ? "]\n}\n" : "\n]\n}\n")
        }

        private func append(_ text: String) throws {
            if let code = Array(text.utf8).withUnsafeBytes({ writeAll(marker, $0) }) {
                throw IOFailure((folder as NSString).appendingPathComponent(markerName), "cannot write", errno: code)
            }
        }
    }

    /// Writes a private (0600) file, replacing one of the same name (or, when `fresh`,
    /// refusing one that appeared meanwhile). Never through a symbolic link.
    static func write(_ bytes: [UInt8], to path: String, fresh: Bool = false) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (fresh ? O_EXCL : O_TRUNC), 0o600)
        guard descriptor >= 0 else { throw IOFailure(path, "cannot write", errno: errno) }
        defer { close(descriptor) }
        if let code = bytes.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            throw IOFailure(path, "cannot write", errno: code)
        }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// A file-name-safe form of an address.
    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "@.-_+".contains($0) ? $0 : "_" })
    }
}
