import Foundation

/// A message read from the bounce mailbox, taken apart: whether it is a delivery report, an
/// auto-reply or something else, what it reports per recipient, and every clue to which
/// letter it concerns.
///
/// Pure and total: any bytes give a value. Attribution is not done here (that needs the
/// log: `BounceAttribution`); this only gathers the evidence, and keeps apart where each
/// Message-ID was found, since only a letter's own Message-ID in the returned headers or
/// in `In-Reply-To`/`References` identifies it.
public struct BounceMessage: Sendable {
    /// What kind of message it is.
    public enum Kind: String, Sendable, Equatable {
        /// RFC 3464 `multipart/report; report-type=delivery-status` with per-recipient groups.
        case deliveryReport = "delivery report"
        /// A bounce in one of the common non-standard text shapes (Exim, old Exchange, …):
        /// a failure statement with a reply or status code, from a mailer daemon.
        case textBounce = "text bounce"
        /// An automatic reply (vacation, out of office): never a bounce.
        case autoReply = "auto-reply"
        /// Anything else: a person's reply, spam, a newsletter. Never a bounce.
        case other
    }

    public var kind: Kind
    /// Which non-standard shape matched (`exim`, `exchange`, `generic`), for text bounces.
    public var shape: String?
    /// The per-recipient reports; empty unless `kind` is a report or a text bounce.
    public var recipients: [RecipientStatus]
    /// The bounce's own `Message-ID`, angle brackets included.
    public var messageID: String?
    /// The bounce's own `Date` header, as written.
    public var date: String?
    public var subject: String?
    public var from: String?
    /// Message-IDs of the returned letter: from `text/rfc822-headers`, a `message/rfc822`
    /// part, or header lines quoted in a text bounce's body.
    public var returnedMessageIDs: [String]
    /// Message-IDs in the bounce's own `In-Reply-To` and `References`.
    public var referencedMessageIDs: [String]
    /// The addresses the bounce was delivered to (`Delivered-To`, `X-Original-To`,
    /// `Envelope-To`, `To`): where a VERP token is looked for.
    public var deliveredTo: [String]
    /// Why it counts as an auto-reply, or would if it were not a report (e.g. `Auto-Submitted: auto-replied`).
    public var autoReplySigns: [String]

    /// Takes a raw message (RFC 5322 bytes, CRLF or LF line ends) apart.
    public init(bytes: some Collection<UInt8>) {
        let message = MIMEPart(bytes: bytes)
        messageID = message.field("message-id").flatMap { Self.messageIDs(in: $0).first }
        date = message.field("date")
        subject = message.field("subject").map(EncodedWords.decode)
        from = message.field("from").map(EncodedWords.decode)
        referencedMessageIDs = (message.fields("in-reply-to") + message.fields("references")).flatMap(Self.messageIDs(in:))
        deliveredTo = ["delivered-to", "x-original-to", "envelope-to", "to"].flatMap { message.fields($0) }
            .flatMap(Self.addresses(in:))
        autoReplySigns = Self.autoReplySigns(of: message, subject: subject)
        returnedMessageIDs = []
        recipients = []
        shape = nil
        kind = .other

        let parts = message.allParts
        for part in parts.dropFirst() {
            switch part.mediaType {
            case "text/rfc822-headers", "text/rfc822-header":
                returnedMessageIDs += MIMEPart(bytes: part.decodedBody + [0x0A, 0x0A]).fields("message-id").flatMap(Self.messageIDs(in:))
            case "message/rfc822", "message/global", "message/global-headers":
                let returned = MIMEPart(bytes: part.decodedBody)
                returnedMessageIDs += returned.fields("message-id").flatMap(Self.messageIDs(in:))
            default: break
            }
        }

        let isReport =
            message.mediaType == "multipart/report"
            && (message.parameter("report-type")?.lowercased() ?? "").hasSuffix("delivery-status")
        if isReport {
            for part in parts where part.mediaType == "message/delivery-status" || part.mediaType == "message/global-delivery-status" {
                recipients += RecipientStatus.parseDeliveryStatus(part.decodedBody)
            }
        }
        if !recipients.isEmpty {
            // A report is a report even with `Auto-Submitted: auto-replied`, which MTAs put on
            // their DSNs (RFC 3834 §5); the vacation-only markers still win.
            kind = autoReplySigns.contains(where: Self.isVacationMarker) ? .autoReply : .deliveryReport
        } else if let text = TextBounce.read(message: message, parts: parts), !autoReplySigns.contains(where: Self.isVacationMarker) {
            kind = .textBounce
            shape = text.shape
            recipients = text.recipients
            returnedMessageIDs += text.quotedMessageIDs
        } else if !autoReplySigns.isEmpty {
            kind = .autoReply
        }
        returnedMessageIDs = Self.unique(returnedMessageIDs)
        referencedMessageIDs = Self.unique(referencedMessageIDs)
    }

    /// Failures and delays reported; empty when the message reports none.
    public var failures: [RecipientStatus] {
        guard kind == .deliveryReport || kind == .textBounce else { return [] }
        return recipients.filter { $0.outcome != nil }
    }
}

extension BounceMessage {
    /// Every `<…>` in a header value (Message-ID, In-Reply-To, References), as written.
    static func messageIDs(in value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            rest = rest[open...]
            guard let close = rest.firstIndex(of: ">") else { break }
            let id = rest[...close]
            if id.contains("@"), !id.contains(where: \.isWhitespace) { ids.append(String(id)) }
            rest = rest[rest.index(after: close)...]
        }
        return ids
    }

    /// Addresses in an address header: `<addr>` forms, else bare words with an `@`; lowercased.
    static func addresses(in value: String) -> [String] {
        let bracketed = messageIDs(in: value).map { String($0.dropFirst().dropLast()) }
        if !bracketed.isEmpty { return bracketed.map { $0.lowercased() } }
        return value.split(whereSeparator: { $0 == "," || $0.isWhitespace })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'();:")) }
            .filter { $0.contains("@") }.map { $0.lowercased() }
    }

    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0.lowercased()).inserted }
    }

    /// Markers only vacation and autoresponder programs set; mail servers never put them on
    /// bounces. A vacation-like subject is not one: a bounce repeats the letter's subject.
    static func isVacationMarker(_ sign: String) -> Bool {
        sign.hasPrefix("X-Autoreply") || sign.hasPrefix("X-Autorespond") || sign.hasPrefix("Precedence")
    }

    /// The RFC 3834 and customary signs of an automatic reply. A vacation-like subject counts
    /// only beside another sign (a person may well write "Out of office" in a subject).
    static func autoReplySigns(of message: MIMEPart, subject: String?) -> [String] {
        var signs: [String] = []
        if let value = message.field("auto-submitted") {
            let keyword = value.prefix { $0 != ";" && !$0.isWhitespace }.lowercased()
            if keyword != "no" && !keyword.isEmpty { signs.append("Auto-Submitted: \(keyword)") }
        }
        if let value = message.field("x-autoreply") { signs.append("X-Autoreply: \(value)") }
        if let value = message.field("x-autorespond") { signs.append("X-Autorespond: \(value)") }
        if let value = message.field("precedence"), value.lowercased().hasPrefix("auto_reply") {
            signs.append("Precedence: \(value)")
        }
        if !signs.isEmpty, let subject, Self.isVacationSubject(subject) { signs.append("Subject: \(subject)") }
        return signs
    }

    static let vacationSubjectWords = [
        "out of office", "out of the office", "automatic reply", "autoreply", "auto-reply",
        "vacation", "abwesenheit", "absence", "absent", "congés", "auto:",
    ]

    static func isVacationSubject(_ subject: String) -> Bool {
        let lowered = subject.lowercased()
        return vacationSubjectWords.contains { lowered.contains($0) }
    }
}
