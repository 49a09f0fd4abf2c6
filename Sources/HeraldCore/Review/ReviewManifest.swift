import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The frozen record of what a review saw: the SHA-256 of every input (the campaign's
/// covered settings, the template, each recipient list) and of every letter as it would be
/// sent, and one hash over all of it, the **manifest hash**, which a person approves.
///
/// The manifest hash is SHA-256 of these UTF-8 lines, each ending in LF, in this order:
///
/// ```
/// herald-manifest/2
/// campaign NAME
/// input ROLE SHA256          one per input: campaign (its covered settings, ``settings(of:)``),
///                            template (the default, then each language's in language order,
///                            each file once), then each recipients list in campaign order
/// letter SHA256 KEY RCPT…    one per letter in sending order: its hash, its log key, its envelope (RCPT TO, space-separated)
/// count N
/// ```
///
/// A letter's hash is SHA-256 of the message bytes handed to the server with the `Date`
/// header's value left out (``ComposedMessage/dateRange``): the date is the time of composing,
/// the one part that differs between a preview and a send of the same inputs. Everything
/// else a recipient receives (headers, Message-ID, body, and any attachment, which is part of
/// the message) is covered. Paths are not hashed (only shown), so the same campaign previewed
/// from another folder has the same hash. The attached files are listed in `manifest.json`
/// (``attachments``, each file's SHA-256, to name the one that changed) but are not lines of
/// the hashed text: each letter's hash already covers the bytes of what it attaches.
///
/// The hash is computed the same way with or without files being written: `preview` streams
/// it beside the `.eml` files, `send --approve`, `approve` and the daemon recompute it
/// (``compute(_:visit:)``), holding one letter at a time.
public struct ReviewManifest: Sendable, Codable, Equatable {
    /// The first line of the hashed text, and the `format` key of `manifest.json`.
    public static let format = "herald-manifest/2"

    /// One input file.
    public struct Input: Sendable, Codable, Equatable {
        /// `campaign`, `template`, `recipients`, or `attachment` (listed apart, ``attachments``).
        public var role: String
        /// The path as the campaign resolves it; an attachment's absolute and real (``absolutePath(_:)``). Shown, not hashed.
        public var path: String
        public var sha256: String
        /// For the campaign: the covered settings whose hash `sha256` is (``settings(of:)``),
        /// so a refusal can name the setting that changed.
        public var settings: [String]?

        public init(role: String, path: String, sha256: String, settings: [String]? = nil) {
            self.role = role
            self.path = path
            self.sha256 = sha256
            self.settings = settings
        }
    }

    /// One letter.
    public struct Letter: Sendable, Codable, Equatable {
        /// The delivery log's key for it (the address, lowercased; `#2`… with `allow_duplicates`).
        public var recipient: String
        /// `RCPT TO`, the row's own address first.
        public var envelope: [String]
        public var sha256: String
        /// Its `.eml` in the preview folder, when written.
        public var file: String?

        public init(recipient: String, envelope: [String], sha256: String, file: String? = nil) {
            self.recipient = recipient
            self.envelope = envelope
            self.sha256 = sha256
            self.file = file
        }
    }

    public var format: String
    public var campaign: String
    public var inputs: [Input]
    public var letters: [Letter]
    public var count: Int
    public var manifestSHA256: String
    /// The files the letters attach, each once, in the order first attached (role
    /// `attachment`); nil in a manifest of letters without attachments.
    public var attachments: [Input]?
    /// Set in an approval record (`LOG.approval`): when it was approved, RFC 3339.
    public var approvedAt: String?

    enum CodingKeys: String, CodingKey {
        case format, campaign, inputs, letters, count, attachments
        case manifestSHA256 = "manifest_sha256"
        case approvedAt = "approved_at"
    }

    /// An input file that could not be read to hash it.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var code: Int32

        public var description: String { "\(path): cannot be read to hash it: \(String(cString: strerror(code)))" }
    }

    /// True for 64 hex digits (either case): the shape of a manifest hash.
    public static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
    }

    /// The campaign's inputs and their hashes, in manifest order: the campaign's covered
    /// settings (not its file's bytes, see ``settings(of:)``), the template and each language's
    /// (`[templates]`, in language order), each list.
    public static func inputs(of campaign: Campaign) throws(Unreadable) -> [Input] {
        let settings = settings(of: campaign)
        var inputs = [
            Input(role: "campaign", path: campaign.file, sha256: settingsHash(settings), settings: settings),
            Input(role: "template", path: campaign.templatePath, sha256: try fileHash(campaign.templatePath)),
        ]
        // Each language's template (`[templates]`), in language order, each file once: so a
        // refusal names the one that changed (its letters' hashes cover it either way).
        var templates: Set<String> = [campaign.templatePath]
        for language in campaign.languageTemplates.keys.sorted() {
            let path = campaign.languageTemplates[language]!
            if templates.insert(path).inserted { inputs.append(Input(role: "template", path: path, sha256: try fileHash(path))) }
        }
        for list in campaign.recipientPaths {
            inputs.append(Input(role: "recipients", path: list, sha256: try fileHash(list)))
        }
        return inputs
    }

    /// SHA-256 of a file's bytes, read in chunks (a list of 100,000 rows is never held whole).
    public static func fileHash(_ path: String) throws(Unreadable) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Unreadable(path: path, code: errno) }
        defer { close(descriptor) }
        let hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Unreadable(path: path, code: errno)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hasher.finalizeHex()
    }

    /// A letter's hash: its bytes without the `Date` header's value and without its
    /// `DKIM-Signature` field, the two parts that depend on the time of composing.
    public static func letterHash(_ message: ComposedMessage) -> String {
        let hasher = SHA256Hasher()
        var start = message.signatureRange?.upperBound ?? 0
        if let range = message.dateRange, range.lowerBound >= start {
            hasher.update(message.data[start..<range.lowerBound])
            start = range.upperBound
        }
        hasher.update(message.data[start...])
        return hasher.finalizeHex()
    }

    /// The manifest hash built as the letters come, holding none of them.
    public final class Builder {
        private let hasher = SHA256Hasher()
        public let campaign: String
        public let inputs: [Input]
        public private(set) var count = 0

        public init(campaign: String, inputs: [Input]) {
            self.campaign = campaign
            self.inputs = inputs
            var head = "\(ReviewManifest.format)\ncampaign \(campaign)\n"
            for input in inputs { head += "input \(input.role) \(input.sha256)\n" }
            hasher.update(head)
        }

        /// Adds the next letter (in sending order) and returns its manifest entry.
        @discardableResult
        public func add(key: String, message: ComposedMessage, file: String? = nil) -> Letter {
            let letter = Letter(
                recipient: key, envelope: message.envelopeRecipients.map(\.description),
                sha256: ReviewManifest.letterHash(message), file: file)
            hasher.update("letter \(letter.sha256) \(key) \(letter.envelope.joined(separator: " "))\n")
            count += 1
            return letter
        }

        /// The manifest hash; the builder is spent.
        public func finish() -> String {
            hasher.update("count \(count)\n")
            return hasher.finalizeHex()
        }
    }

    /// What a recomputation found: the inputs, how many letters, the manifest hash, the attached files.
    public struct Summary: Sendable, Equatable {
        public var inputs: [Input]
        public var count: Int
        public var manifestSHA256: String
        /// Each attached file once, with its hash when the letters were composed.
        public var attachments: [Input] = []
    }

    /// The attached files of the letters as they come, each hashed once (for `manifest.json`
    /// and to name a file that changed; the letters' own hashes cover the bytes sent).
    ///
    /// Each is listed by its absolute real path (``absolutePath(_:)``), not as the campaign
    /// resolved it from the working folder: a preview run from one folder and a send, `approve`
    /// or daemon run from another then name the same file alike, so the one that changed is named.
    public final class AttachmentInputs {
        public private(set) var inputs: [Input] = []
        /// The hashes by path as the campaign resolved it (what the send pipeline reads).
        public private(set) var byPath: [String: String] = [:]
        /// By the paths' bytes: a name in NFC and in NFD are two files, each listed and hashed.
        private var seen: Set<[UInt8]> = []

        public init() {}

        /// Notes a letter's attached files, hashing those not seen before.
        public func note(_ paths: [String]) throws(Unreadable) {
            for path in paths where !seen.contains(Array(path.utf8)) {
                let hash = try fileHash(path)
                inputs.append(Input(role: "attachment", path: absolutePath(path), sha256: hash))
                byPath[path] = hash
                seen.insert(Array(path.utf8))
            }
        }
    }

    /// `path` made absolute and real, whatever the working folder: its folder resolved
    /// (symbolic links, `..`) by `realpath`, its name kept; lexically joined to the working
    /// folder when the folder cannot be resolved.
    public static func absolutePath(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        if let resolved = realpath(folder.isEmpty ? "." : folder, nil) {
            defer { free(resolved) }
            return (String(cString: resolved) as NSString).appendingPathComponent(name)
        }
        if path.hasPrefix("/") { return Campaign.lexicallyNormalized(path) }
        return Campaign.lexicallyNormalized(FileManager.default.currentDirectoryPath + "/" + path)
    }

    /// The date letters are composed with for hashing: any date gives the same hash.
    static let hashingDate = Date(timeIntervalSince1970: 0)

    /// Recomputes the manifest of a checked campaign from its current files, one letter at a
    /// time, writing nothing: what `send --approve`, `approve` and the daemon compare with the
    /// approved hash.
    ///
    /// - Parameter visit: called with each letter's entry, in order (to write or compare it).
    /// - Throws: ``Unreadable`` for an input that cannot be read, `PreparedCampaign.ListChanged`
    ///   for a list edited since the check, `ValidationFailure` for a letter that no longer composes.
    public static func compute(_ prepared: PreparedCampaign, visit: (Letter) -> Void = { _ in }) throws -> Summary {
        try compute(prepared, binding: nil, visit: visit).summary
    }

    /// Recomputes the manifest as ``compute(_:visit:)`` does and, in the same pass, what each
    /// letter must be when it is handed over (``ApprovedLetters``), as it is sent for
    /// `occurrence` (a recurring campaign's letters carry it in their Message-ID, which the
    /// manifest leaves out: those letters are composed twice, once for each).
    public static func bind(
        _ prepared: PreparedCampaign, occurrence: String?,
        visit: (Letter) -> Void = { _ in }
    ) throws -> (summary: Summary, approved: ApprovedLetters) {
        let result = try compute(prepared, binding: occurrence.map { .some($0) } ?? .some(nil), visit: visit)
        return (result.summary, result.approved!)
    }

    /// The one pass behind ``compute(_:visit:)`` and ``bind(_:occurrence:visit:)``;
    /// `binding` nil: no handover digests kept.
    private static func compute(
        _ prepared: PreparedCampaign, binding: String??,
        visit: (Letter) -> Void
    ) throws -> (summary: Summary, approved: ApprovedLetters?) {
        let builder = Builder(campaign: prepared.campaign.name, inputs: try inputs(of: prepared.campaign))
        let attachments = AttachmentInputs()
        var digests: [String: ApprovedLetters.Digest] = [:]
        var failure: (any Error)?
        try prepared.forEachRecipient { recipient in
            do {
                let message = try prepared.compose(recipient, date: hashingDate)
                try attachments.note(prepared.attachmentPaths(of: recipient))
                let letter = builder.add(key: recipient.key, message: message)
                if let occurrence = binding {
                    let sent = occurrence == nil ? message : try prepared.compose(recipient, date: hashingDate, occurrence: occurrence)
                    digests[recipient.key] = ApprovedLetters.digest(key: recipient.key, message: sent)
                }
                visit(letter)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        let summary = Summary(
            inputs: builder.inputs, count: builder.count, manifestSHA256: builder.finish(),
            attachments: attachments.inputs)
        let approved = binding.map { occurrence in
            ApprovedLetters(
                campaign: prepared.campaign.name, manifestSHA256: summary.manifestSHA256, occurrence: occurrence,
                digests: digests, attachments: attachments.byPath)
        }
        return (summary, approved)
    }
}
