import Foundation

/// Addresses that bounced permanently, which a person can read and edit: the text of the
/// suppression file (`suppressed.txt` beside the delivery log, shared by the campaigns whose
/// logs are in that folder and that say `[bounces] suppress = true`).
///
/// One address per line, then tab-separated: when, which campaign, the status and the
/// diagnostic that put it there. `#` lines are comments; blank lines and lines that are not
/// entries are kept as they are by every edit. Pure: the file is read and written by
/// `SuppressionFile` (HeraldStorage).
public struct SuppressionList: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Lowercased.
        public var address: String
        public var time: String
        public var campaign: String
        public var dsnStatus: String
        public var diagnostic: String

        public init(address: String, time: String, campaign: String, dsnStatus: String, diagnostic: String) {
            self.address = address.lowercased()
            self.time = time
            self.campaign = campaign
            self.dsnStatus = dsnStatus
            self.diagnostic = diagnostic
        }

        /// The entry's line, without its newline: tabs and line breaks in a field become spaces.
        public var line: String {
            [address, time, campaign, dsnStatus, diagnostic]
                .map { String($0.map { $0 == "\t" || $0.isNewline ? " " : $0 }) }
                .joined(separator: "\t")
        }
    }

    /// What a new file starts with.
    public static let header = """
        # Herald suppression list: addresses with a permanent bounce (herald bounces, [bounces] suppress = true).
        # One per line: address, time, campaign, status, diagnostic, separated by tabs.
        # Delete a line, or run `herald suppressed remove CAMPAIGN ADDRESS`, to write to the address again.

        """

    /// The file's lines as read (without their newlines).
    public private(set) var lines: [String]

    public init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
    }

    /// The entries, in file order (a line whose first field has no `@` is not one).
    public var entries: [Entry] {
        lines.compactMap(Self.entry)
    }

    public func contains(_ address: String) -> Bool {
        let wanted = address.lowercased()
        return lines.contains { Self.entry($0)?.address == wanted }
    }

    /// The text without the entries for `address`, every other line as it was; nil when the
    /// address is not in the list.
    public func removing(_ address: String) -> String? {
        let wanted = address.lowercased()
        let kept = lines.filter { Self.entry($0)?.address != wanted }
        guard kept.count < lines.count else { return nil }
        return kept.map { $0 + "\n" }.joined()
    }

    static func entry(_ line: String) -> Entry? {
        let trimmed = line.drop { $0 == " " }
        guard !trimmed.hasPrefix("#") else { return nil }
        let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let address = fields.first?.trimmingCharacters(in: .whitespaces), address.contains("@") else { return nil }
        func field(_ index: Int) -> String { index < fields.count ? fields[index] : "" }
        return Entry(address: address, time: field(1), campaign: field(2), dsnStatus: field(3), diagnostic: field(4))
    }
}

extension SuppressionList.Entry {
    /// The entry a `bounced` record puts on the list, or nil when it puts none: only a
    /// permanent failure of the row's own address suppresses that address. A report about a
    /// `Cc` or `Bcc` of the letter suppresses nothing (that address is in every letter's
    /// envelope, so any recipient could forge a report on it), and a delay is no reason.
    public init?(permanentBounce record: DeliveryRecord) {
        guard record.status == .bounced else { return nil }
        let recipient = record.recipient.lowercased()
        guard (record.dsnRecipient?.lowercased() ?? recipient) == recipient else { return nil }
        self.init(
            address: recipient, time: record.time, campaign: record.campaign,
            dsnStatus: record.dsnStatus ?? "", diagnostic: record.diagnosticCode ?? "")
    }
}
