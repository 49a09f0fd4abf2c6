/// A record as one line of JSON, written by hand on bytes.
///
/// The log is written once per intent and once per outcome, so this is on the send path:
/// a `JSONEncoder` per record cost more than composing the letter. The output is what
/// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes (keys in byte
/// order, absent optionals left out, `"`, `\` and control characters escaped), which
/// `DeliveryRecordJSONTests` checks against it on a random corpus; reading stays with `JSONDecoder`.
extension DeliveryRecord {
    /// One JSON object on one line, no trailing newline; keys sorted so lines diff well.
    public func jsonLine() -> String {
        var bytes: [UInt8] = []
        appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the record's JSON object (no newline) to `bytes`.
    public func appendJSON(to bytes: inout [UInt8]) {
        var writer = JSONObjectWriter(bytes: bytes)
        bytes = []
        // Keys in byte order, as `.sortedKeys` orders them.
        writer.number("attempt", attempt)
        if let bounceDate { writer.string("bounce_date", bounceDate) }
        if let bounceMessageID { writer.string("bounce_message_id", bounceMessageID) }
        writer.string("campaign", campaign)
        if let diagnosticCode { writer.string("diagnostic_code", diagnosticCode) }
        if let dsnRecipient { writer.string("dsn_recipient", dsnRecipient) }
        if let dsnStatus { writer.string("dsn_status", dsnStatus) }
        if let envelope { writer.strings("envelope", envelope) }
        if let error { writer.string("error", error) }
        if let imapUID { writer.number("imap_uid", imapUID) }
        if let imapUIDValidity { writer.number("imap_uidvalidity", imapUIDValidity) }
        writer.string("message_id", messageID)
        if let messageSHA256 { writer.string("message_sha256", messageSHA256) }
        if let note { writer.string("note", note) }
        if let occurrence { writer.string("occurrence", occurrence) }
        if let prev { writer.string("prev", prev) }
        writer.string("recipient", recipient)
        if let refused {
            writer.key("refused")
            writer.bytes.append(UInt8(ascii: "["))
            for (index, refusal) in refused.enumerated() {
                if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                var inner = JSONObjectWriter(bytes: writer.bytes)
                inner.string("recipient", refusal.recipient)
                inner.number("smtp_code", refusal.code)
                inner.string("smtp_reply", refusal.reply)
                writer.bytes = inner.finish()
            }
            writer.bytes.append(UInt8(ascii: "]"))
        }
        if let remoteMTA { writer.string("remote_mta", remoteMTA) }
        if let rowSHA256 { writer.string("row_sha256", rowSHA256) }
        if let smtpCode { writer.number("smtp_code", smtpCode) }
        if let smtpReply { writer.string("smtp_reply", smtpReply) }
        writer.string("status", status.rawValue)
        if let templateSHA256 { writer.string("template_sha256", templateSHA256) }
        writer.string("time", time)
        if let tlsCipher { writer.string("tls_cipher", tlsCipher) }
        if let tlsVersion { writer.string("tls_version", tlsVersion) }
        bytes = writer.finish()
    }
}

/// Writes one JSON object's members into a byte buffer.
struct JSONObjectWriter {
    var bytes: [UInt8]
    private var first = true

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.bytes.append(UInt8(ascii: "{"))
    }

    mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        Self.appendString(value, to: &bytes)
    }

    mutating func number(_ name: StaticString, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`-style or
    /// `\u00XX` escapes, everything else (non-ASCII included) as its UTF-8 bytes.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
