import Foundation

/// A campaign file, parsed and checked: what to send, to whom, through which server, logged where.
///
/// Paths are resolved against the campaign file's folder, so a campaign can be run
/// from anywhere (cron starts jobs in `$HOME`).
public struct Campaign: Sendable, Equatable {
    /// The campaign's name: part of every Message-ID and the key of its delivery log.
    public var name: String
    /// Path of the campaign file itself, as given.
    public var file: String
    public var templatePath: String
    public var recipientPaths: [String]
    public var logPath: String
    /// The raw `schedule` value, as written.
    public var schedule: String?
    /// The `schedule` value, parsed in `timezone` (checked when the file is parsed).
    public var parsedSchedule: Schedule?
    /// The IANA time zone of a cron schedule (`timezone`, default UTC).
    public var timezone: String?
    /// How late a missed firing may still be sent when the daemon starts (`catch_up_seconds`, default 3600).
    public var catchUpSeconds: Int = 3600
    public var smtp: SMTPSettings
    /// Retries of transient failures within one run (`[retry]`).
    public var retry: RetryPolicy
    /// Connections at once, messages per connection, rate ceiling (`[limits]`).
    public var limits: SendLimits = .default
    /// `[bounces]`: the mailbox `herald bounces` reads; nil when the campaign has none.
    public var bounces: BounceSettings?
    /// Recipient-list columns that may supply an address in `To`, `Cc`, `Bcc`, `Reply-To`
    /// (`address_columns`); each value is checked as an address. `email` always may.
    public var addressColumns: [String] = []
    /// Give every row its own letter when an address is listed twice (`allow_duplicates`),
    /// keyed `address#2`, …; a campaign-file key because it changes the log's keys, which
    /// every command and the daemon must read alike.
    public var allowDuplicates = false
    /// Templates by language (`[templates]`), resolved paths; a recipient whose `language`
    /// column names one of these languages (lowercased) gets that template, any other the
    /// default `templatePath`.
    public var languageTemplates: [String: String] = [:]
    /// `[html]`: whether a Markdown letter may load remote images (`remote_images`), and the
    /// default template's language (`language`), its HTML part's `lang`.
    public var html = HTMLPolicy()
    /// The recipient-list column that chooses a letter's language.
    public static let languageColumn = "language"
    /// Sign every letter with DKIM (`[dkim]`); nil: letters go unsigned. The key file is read
    /// by `PreparedCampaign.load`, once per campaign.
    public var dkim: DKIMSettings?
    /// Send only what a person approved (`require_approval`): `herald send --approve HASH`, or
    /// the daemon once `herald approve` recorded an approval, each checked against the review
    /// manifest of the current inputs (``ReviewManifest``).
    public var requireApproval = false
    /// The most one letter's attachments may take as sent, base64 line ends included
    /// (`[attachments] max_bytes_per_letter`, default ``defaultMaxAttachmentBytesPerLetter``):
    /// checked for every letter before anything is sent.
    public var maxAttachmentBytesPerLetter = Campaign.defaultMaxAttachmentBytesPerLetter
    /// 10 MiB: a common relay limit for a whole message.
    public static let defaultMaxAttachmentBytesPerLetter = 10 << 20
    /// The largest `max_bytes_per_letter` accepted: a letter is held whole in memory while composed.
    public static let maxAttachmentBytesPerLetterCeiling = 1 << 30

    public init(
        name: String, file: String, templatePath: String, recipientPaths: [String], logPath: String,
        schedule: String? = nil, smtp: SMTPSettings, retry: RetryPolicy = .default
    ) {
        self.name = name
        self.file = file
        self.templatePath = templatePath
        self.recipientPaths = recipientPaths
        self.logPath = logPath
        self.schedule = schedule
        self.smtp = smtp
        self.retry = retry
    }
}

extension Campaign {
    /// Resolves `path` against the folder holding `campaignFile`, leaving absolute paths alone.
    public static func resolvePath(_ path: String, against campaignFile: String) -> String {
        if path.utf8.first == UInt8(ascii: "/") { return path }
        let folder = (campaignFile as NSString).deletingLastPathComponent
        let joined = folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
        return lexicallyNormalized(joined)
    }

    /// `Campaigns/../Templates/x` → `Templates/x`: removes `.` and `dir/..` by text alone
    /// (Foundation's `standardizingPath` leaves relative paths untouched on Linux).
    ///
    /// Split and compared as bytes, as the kernel reads a path: a `/` followed by a combining
    /// mark is one Swift `Character`, which a `String` split would not cut at.
    static func lexicallyNormalized(_ path: String) -> String {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let absolute = path.utf8.first == slash
        var parts: [ArraySlice<UInt8>] = []
        let bytes = Array(path.utf8)
        for part in bytes.split(separator: slash) {
            if part.elementsEqual([dot]) { continue }
            if part.elementsEqual([dot, dot]), let last = parts.last, !last.elementsEqual([dot, dot]) { parts.removeLast(); continue }
            if part.elementsEqual([dot, dot]), absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = String(decoding: Array(parts.joined(separator: [slash])), as: UTF8.self)
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// True when `name` is safe as a folder name and inside a Message-ID.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first != ".", name.count <= 64 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return name.allSatisfy { allowed.contains($0) }
    }
}
