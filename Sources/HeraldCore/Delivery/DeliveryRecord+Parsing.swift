/// Reading a record on bytes: the log's own lines (one flat JSON object, keys as `appendJSON`
/// writes them) parsed in one pass, every other line left to `JSONDecoder`.
///
/// Why: a no-op `send`, `status` and `verify-log` read every line of the log, and a
/// `JSONDecoder` per line was most of their time (about 10 µs a record, 20 s for a log of a
/// million letters). The fast path accepts only what it can read exactly as `JSONDecoder`
/// would: an object of known keys, each once, with no whitespace, no `null`, no escape in a
/// string, integers without sign tricks, and the value types `DeliveryRecord` declares. On
/// anything else (a hand-edited line, a reply with a quote in it, an unknown key, a `refused`
/// list) it returns nil and `parse` asks `JSONDecoder`, so what is a record, and what it
/// says, does not change; `DeliveryRecordParsingTests` holds the two to each other.
extension DeliveryRecord {
    /// The record on a canonical line, or nil when the line is not one (then `JSONDecoder` decides).
    static func parseCanonical(_ bytes: UnsafeBufferPointer<UInt8>) -> DeliveryRecord? {
        var reader = CanonicalReader(bytes: bytes)
        return reader.record()
    }
}

/// The fast path of `DeliveryRecord.parseCanonical`: a cursor over one line's bytes.
private struct CanonicalReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    mutating func expect(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// A string without escapes or control characters; nil for anything else.
    mutating func string() -> String? {
        guard expect(Self.quote) else { return nil }
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == Self.quote {
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                return value
            }
            if byte == Self.backslash || byte < 0x20 { return nil }
            at += 1
        }
        return nil
    }

    /// A JSON integer that fits an `Int` with room to spare (at most 18 digits, no leading zero).
    mutating func integer() -> Int? {
        var negative = false
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") {
            negative = true
            at += 1
        }
        let start = at
        var value = 0
        while at < bytes.count, (0x30...0x39).contains(bytes[at]) {
            // Past 18 digits the decoder decides (it may overflow here).
            guard at - start < 18 else { return nil }
            value = value * 10 + Int(bytes[at] - 0x30)
            at += 1
        }
        let digits = at - start
        guard digits > 0, digits <= 18, digits == 1 || bytes[start] != 0x30 else { return nil }
        // A fraction or exponent follows: not an integer as written here.
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            return nil
        }
        return negative ? -value : value
    }

    mutating func strings() -> [String]? {
        guard expect(UInt8(ascii: "[")) else { return nil }
        var values: [String] = []
        if expect(UInt8(ascii: "]")) { return values }
        repeat {
            guard let value = string() else { return nil }
            values.append(value)
        } while expect(UInt8(ascii: ","))
        return expect(UInt8(ascii: "]")) ? values : nil
    }

    mutating func record() -> DeliveryRecord? {
        guard expect(UInt8(ascii: "{")) else { return nil }
        var time, campaign, recipient, messageID, statusText: String?
        var attempt: Int?
        var record = DeliveryRecord(time: "", campaign: "", recipient: "", messageID: "", status: .sending, attempt: 0)
        // One bit per key seen: a key twice is left to the decoder.
        var seen: UInt32 = 0
        if expect(UInt8(ascii: "}")) { return nil }
        repeat {
            guard let key = string(), expect(UInt8(ascii: ":")), let (bit, kind) = Self.field(key), seen & bit == 0 else { return nil }
            seen |= bit
            switch kind {
            case .integer:
                guard let value = integer() else { return nil }
                switch key {
                case "attempt": attempt = value
                case "smtp_code": record.smtpCode = value
                case "imap_uidvalidity": record.imapUIDValidity = value
                default: record.imapUID = value
                }
            case .strings:
                guard let value = strings() else { return nil }
                record.envelope = value
            case .string:
                guard let value = string() else { return nil }
                switch key {
                case "time": time = value
                case "campaign": campaign = value
                case "recipient": recipient = value
                case "message_id": messageID = value
                case "status": statusText = value
                case "smtp_reply": record.smtpReply = value
                case "error": record.error = value
                case "template_sha256": record.templateSHA256 = value
                case "row_sha256": record.rowSHA256 = value
                case "note": record.note = value
                case "occurrence": record.occurrence = value
                case "message_sha256": record.messageSHA256 = value
                case "tls_version": record.tlsVersion = value
                case "tls_cipher": record.tlsCipher = value
                case "prev": record.prev = value
                case "dsn_status": record.dsnStatus = value
                case "dsn_recipient": record.dsnRecipient = value
                case "diagnostic_code": record.diagnosticCode = value
                case "remote_mta": record.remoteMTA = value
                case "bounce_message_id": record.bounceMessageID = value
                default: record.bounceDate = value
                }
            }
        } while expect(UInt8(ascii: ","))
        guard expect(UInt8(ascii: "}")), at == bytes.count, let time, let campaign, let recipient, let messageID, let attempt,
            let statusText, let status = DeliveryStatus(rawValue: statusText)
        else { return nil }
        record.time = time
        record.campaign = campaign
        record.recipient = recipient
        record.messageID = messageID
        record.status = status
        record.attempt = attempt
        return record
    }

    enum Kind { case string, integer, strings }

    /// A key of the log's records: its bit (to see it once) and its value's kind; nil for any
    /// other key (`refused`, an unknown one), which the decoder reads.
    static func field(_ key: String) -> (UInt32, Kind)? {
        switch key {
        case "time": return (1 << 0, .string)
        case "campaign": return (1 << 1, .string)
        case "recipient": return (1 << 2, .string)
        case "message_id": return (1 << 3, .string)
        case "status": return (1 << 4, .string)
        case "attempt": return (1 << 5, .integer)
        case "smtp_code": return (1 << 6, .integer)
        case "imap_uidvalidity": return (1 << 7, .integer)
        case "imap_uid": return (1 << 8, .integer)
        case "envelope": return (1 << 9, .strings)
        case "smtp_reply": return (1 << 10, .string)
        case "error": return (1 << 11, .string)
        case "template_sha256": return (1 << 12, .string)
        case "row_sha256": return (1 << 13, .string)
        case "note": return (1 << 14, .string)
        case "occurrence": return (1 << 15, .string)
        case "message_sha256": return (1 << 16, .string)
        case "tls_version": return (1 << 17, .string)
        case "tls_cipher": return (1 << 18, .string)
        case "prev": return (1 << 19, .string)
        case "dsn_status": return (1 << 20, .string)
        case "dsn_recipient": return (1 << 21, .string)
        case "diagnostic_code": return (1 << 22, .string)
        case "remote_mta": return (1 << 23, .string)
        case "bounce_message_id": return (1 << 24, .string)
        case "bounce_date": return (1 << 25, .string)
        default: return nil
        }
    }
}
