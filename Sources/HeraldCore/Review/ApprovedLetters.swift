/// What each letter of an approved campaign must be when it is handed to the server: the
/// approval bound to the bytes that leave, not only to the files as they were when it was checked.
///
/// `send --approve` and the daemon recompute the manifest before anything is sent; the
/// letters are then composed again as they go, and an attached file read again (a large one
/// is not kept between letters) may have been replaced meanwhile, keeping its size and
/// modification time. So the send pipeline hands no letter over without first hashing it
/// (``matches(key:message:)``): its review hash, its `RCPT TO` and its `MAIL FROM` must be the
/// ones computed when the approval was checked. A letter that differs is not sent, and the
/// run stops there (``Mismatch``). Only built while an approval is in force, so a campaign
/// sent without one pays nothing.
public final class ApprovedLetters: Sendable {
    /// SHA-256 of a letter's handover line (``digest(key:message:)``), as four words.
    public struct Digest: Sendable, Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64)

        init(hex: String) {
            var values: [UInt64] = [0, 0, 0, 0]
            for (index, byte) in hex.utf8.prefix(64).enumerated() {
                let nibble: UInt64 = byte <= 0x39 ? UInt64(byte - 0x30) : UInt64((byte | 0x20) - 0x61 + 10)
                values[index / 16] = values[index / 16] << 4 | nibble
            }
            words = (values[0], values[1], values[2], values[3])
        }

        public static func == (a: Digest, b: Digest) -> Bool { a.words == b.words }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
        }
    }

    /// A letter that is not the approved one, found just before it would have been handed over.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public var campaign: String
        /// The letter's log key.
        public var recipient: String
        /// The attached files whose bytes differ from the approval check's: (path, sha256 then, now).
        public var changedFiles: [(path: String, then: String, now: String)]
        /// The approved manifest hash.
        public var manifestSHA256: String

        public var description: String {
            var lines: [String] = []
            for file in changedFiles {
                lines.append(
                    "\(campaign): the attachment \(file.path) changed since the approval was checked (sha256 \(file.then.prefix(12))… then, \(file.now.prefix(12))… now)"
                )
            }
            let why = changedFiles.isEmpty ? "its bytes or envelope differ from the approved letter's" : "it would carry the changed file"
            lines.append(
                "\(campaign): the letter to \(recipient) is not the approved one (manifest hash \(manifestSHA256)): \(why); it was not sent, nor any letter after it. The letters before it were sent and logged; review again (herald preview), then approve the new hash"
            )
            return lines.joined(separator: "\n")
        }
    }

    public let campaign: String
    public let manifestSHA256: String
    /// The occurrence the letters are sent for (a recurring campaign's firing), nil otherwise.
    public let occurrence: String?
    private let digests: [String: Digest]
    /// Each attached file's hash when the approval was checked, by path.
    private let attachments: [String: String]

    init(campaign: String, manifestSHA256: String, occurrence: String?, digests: [String: Digest], attachments: [String: String]) {
        self.campaign = campaign
        self.manifestSHA256 = manifestSHA256
        self.occurrence = occurrence
        self.digests = digests
        self.attachments = attachments
    }

    /// How many letters are bound.
    public var count: Int { digests.count }

    /// The handover digest of a letter: SHA-256 of its manifest line (review hash, log key,
    /// `RCPT TO`) and its `MAIL FROM`, so a letter's bytes, recipients and envelope sender are all bound.
    static func digest(key: String, message: ComposedMessage) -> Digest {
        let hasher = SHA256Hasher()
        hasher.update("letter \(ReviewManifest.letterHash(message)) \(key) \(message.envelopeRecipients.map(\.description).joined(separator: " "))\n")
        hasher.update("from \(message.envelopeFrom.description)\n")
        return Digest(hex: hasher.finalizeHex())
    }

    /// True when `message`, about to be handed over as the letter logged under `key`, is the approved one.
    public func matches(key: String, message: ComposedMessage) -> Bool {
        guard let approved = digests[key] else { return false }
        return Self.digest(key: key, message: message) == approved
    }

    /// Why the letter to `recipient` is not the approved one: each of its attached files
    /// whose bytes now differ from the approval check's (read again here; only on a mismatch).
    public func mismatch(_ recipient: Recipient, in prepared: PreparedCampaign) -> Mismatch {
        var changed: [(path: String, then: String, now: String)] = []
        for path in prepared.attachmentPaths(of: recipient) {
            let now: String
            do { now = try ReviewManifest.fileHash(path) } catch { now = "unreadable" }
            if let then = attachments[path], then != now { changed.append((path, then, now)) }
        }
        return Mismatch(campaign: campaign, recipient: recipient.key, changedFiles: changed, manifestSHA256: manifestSHA256)
    }
}
