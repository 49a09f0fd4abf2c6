import Foundation

/// What a delivery report says about one recipient of the returned letter: one per-recipient
/// group of an RFC 3464 `message/delivery-status`, or the same facts read from the text of a
/// non-standard bounce.
public struct RecipientStatus: Sendable, Equatable {
    /// The address the report is about (`Final-Recipient`, its `rfc822;` type dropped), lowercased.
    public var finalRecipient: String?
    /// `Original-Recipient`, as the sender gave it, when reported.
    public var originalRecipient: String?
    /// `Action`: `failed`, `delayed`, `delivered`, `relayed` or `expanded`, lowercased.
    public var action: String?
    /// `Status`: the RFC 3463 enhanced status code, e.g. `5.1.1`.
    public var status: String?
    /// `Diagnostic-Code` as written, type included (e.g. `smtp; 550 5.1.1 User unknown`).
    public var diagnosticCode: String?
    /// `Remote-MTA` with its `dns;` type dropped: the server that gave the answer.
    public var remoteMTA: String?

    public init(
        finalRecipient: String? = nil, originalRecipient: String? = nil, action: String? = nil,
        status: String? = nil, diagnosticCode: String? = nil, remoteMTA: String? = nil
    ) {
        self.finalRecipient = finalRecipient
        self.originalRecipient = originalRecipient
        self.action = action
        self.status = status
        self.diagnosticCode = diagnosticCode
        self.remoteMTA = remoteMTA
    }

    /// How this report counts for the letter: 5.x.x is a permanent failure, 4.x.x a delay (the
    /// reporting server is still trying); 2.x.x (delivered, relayed, expanded) is no failure.
    /// Without a status code the `Action` decides (`failed`, `delayed`).
    public var outcome: BounceOutcome? {
        if let first = status?.first {
            switch first {
            case "5": return .bounced
            case "4": return .delayed
            default: return nil
            }
        }
        switch action {
        case "failed": return .bounced
        case "delayed": return .delayed
        default: return nil
        }
    }

    /// Parses the body of a `message/delivery-status` part: groups of header-like fields
    /// separated by empty lines, the first about the message, each later one about a recipient.
    /// Returns the per-recipient groups (those with a `Final-Recipient` or an `Action`).
    public static func parseDeliveryStatus(_ bytes: [UInt8]) -> [RecipientStatus] {
        var recipients: [RecipientStatus] = []
        var rest = ArraySlice(bytes)
        while !rest.isEmpty {
            // Skip blank lines between groups, then parse one group as a header block.
            while let first = rest.first, first == 0x0D || first == 0x0A || first == 0x20 || first == 0x09 {
                rest = rest.dropFirst()
            }
            if rest.isEmpty { break }
            let (fields, bodyStart) = MIMEPart.parseFields(Array(rest))
            rest = rest.dropFirst(bodyStart)
            guard !fields.isEmpty else { break }
            func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
            guard value("final-recipient") != nil || value("action") != nil else { continue }
            recipients.append(
                RecipientStatus(
                    finalRecipient: value("final-recipient").map { typed($0).lowercased() },
                    originalRecipient: value("original-recipient").map { typed($0) },
                    action: value("action").map { $0.lowercased().components(separatedBy: " ").first ?? $0 },
                    status: value("status").map { $0.prefix { !$0.isWhitespace && $0 != "(" } }.map(String.init),
                    diagnosticCode: value("diagnostic-code"),
                    remoteMTA: value("remote-mta").map { typed($0) }))
        }
        return recipients
    }

    /// `type; value` → `value` (an address-type or MTA-name-type prefix dropped), trimmed of
    /// the angle brackets some servers add.
    static func typed(_ field: String) -> String {
        var value = Substring(field)
        if let semicolon = value.firstIndex(of: ";") { value = value[value.index(after: semicolon)...] }
        var result = value.trimmingCharacters(in: .whitespaces)
        if result.hasPrefix("<"), result.hasSuffix(">") { result = String(result.dropFirst().dropLast()) }
        return result
    }
}

/// How a report counts for a letter in the delivery log.
public enum BounceOutcome: String, Sendable, Equatable {
    /// A permanent failure (5.x.x): the letter will not arrive.
    case bounced
    /// A transient failure (4.x.x): a server on the way is still trying.
    case delayed
}
