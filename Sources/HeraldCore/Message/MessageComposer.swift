import Foundation

/// Builds an RFC 5322 / MIME message from a rendered letter.
///
/// Contract: the output is 7-bit, has CRLF line ends only, no header line over 998
/// characters (and under 78 wherever a fold is possible), `Date`, a stable
/// `Message-ID`, `MIME-Version: 1.0`, `Content-Type: text/plain; charset=utf-8`, and a
/// transfer encoding safe for the body (7bit when it is short-lined ASCII, else
/// quoted-printable). `Bcc` goes to the envelope only.
public enum MessageComposer {
    /// A header problem, located on the template line that produced the header.
    public struct Problem: Error, Sendable, Equatable {
        public var templateLine: Int
        public var field: String
        /// True when the template itself is wrong, whatever the row: reported once, on the template's line.
        public var templateLevel: Bool
        public var message: String

        public init(templateLine: Int, field: String, templateLevel: Bool = false, message: String) {
            self.templateLine = templateLine
            self.field = field
            self.templateLevel = templateLevel
            self.message = message
        }
    }

    /// Headers Herald writes itself; a template may not set them.
    static let managedHeaders: Set<String> = ["date", "message-id", "mime-version", "content-type", "content-transfer-encoding"]
    static let addressHeaders: Set<String> = ["from", "to", "cc", "bcc", "reply-to", "sender"]
    static let singleHeaders: Set<String> = ["from", "to", "cc", "bcc", "reply-to", "sender", "subject"]

    /// Composes one message.
    ///
    /// A header that carries its line already encoded (``RenderedLetter/Header/encoded``,
    /// set by the template for a header that is the same in every letter) is written as it
    /// is; every other header is encoded here.
    ///
    /// - Parameters:
    ///   - campaign: the campaign name, part of the Message-ID.
    ///   - recipientKey: the recipient's log key, part of the Message-ID.
    ///   - date: the value of the `Date` header.
    /// - Throws: every header problem found.
    ///   - attachments: the letter's attached files, in order, read and encoded
    ///     (``AttachmentPart``); with any, or with an HTML body (``RenderedLetter/html``),
    ///     the message is multipart (``multipart(text:html:attachments:messageID:into:)``).
    ///
    /// This is where a message's final bytes are produced (``ComposedMessage/data``): a
    /// signature over the whole message (DKIM) belongs after this call.
    ///   - messageIDKey: the campaign's secret for its Message-IDs (``MessageIDKey``); nil: the unkeyed form.
    public static func compose(
        _ letter: RenderedLetter, campaign: String, recipientKey: String,
        date: Date, occurrence: String? = nil,
        attachments: [AttachmentPart] = [], messageIDKey: MessageIDKey? = nil
    ) throws(ComposeFailure) -> ComposedMessage {
        var problems: [Problem] = letter.problems
        var seen: [String] = []  // single headers met so far (seven at most: a list beats a set)
        var lines: [UInt8] = []
        lines.reserveCapacity(1024)
        var from: Mailbox?
        var envelope: [EmailAddress] = []
        var subject: String?

        for header in letter.headers {
            let lower = header.name.lowercased()
            func problem(_ message: String, templateLevel: Bool = false) {
                problems.append(
                    Problem(
                        templateLine: header.line, field: header.name.isEmpty ? "header" : header.name,
                        templateLevel: templateLevel, message: message))
            }
            let single = singleHeaders.contains(lower)
            if let found = header.problem {
                if single && !seen.contains(lower) { seen.append(lower) }
                problems.append(found)
                continue
            }
            guard isValidName(header.name) else {
                problem(
                    "\"\(header.value.debugVisible)\" is not a header line (`Name: value`); the header block ends at the first blank line",
                    templateLevel: true)
                continue
            }
            if managedHeaders.contains(lower) {
                problem("is written by Herald; remove it from the template", templateLevel: true)
                continue
            }
            if single {
                if seen.contains(lower) {
                    problem("appears twice", templateLevel: true)
                    continue
                }
                seen.append(lower)
            }
            if hasControlCharacter(header.value) {
                problem("holds a control character")
                continue
            }
            let before = lines.count
            defer {
                if lines.withUnsafeBufferPointer({ hasLine(longerThan: HeaderEncoder.maximumLineLength, in: UnsafeBufferPointer(rebasing: $0[before...])) }) {
                    problem("cannot be folded under \(HeaderEncoder.maximumLineLength) characters")
                }
            }
            if addressHeaders.contains(lower) {
                let mailboxes: [Mailbox]
                if let structured = header.mailboxes {
                    mailboxes = structured
                } else {
                    do { mailboxes = try Mailbox.parseList(header.value) } catch {
                        problem("\(error)")
                        continue
                    }
                }
                if lower == "from" {
                    guard mailboxes.count == 1 else { problem("must name exactly one sender", templateLevel: true); continue }
                    from = mailboxes[0]
                }
                if lower == "to" || lower == "cc" || lower == "bcc" { envelope += mailboxes.map(\.address) }
                if lower == "bcc" { continue }
                if let encoded = header.encoded { lines += encoded } else { encode(header, lowercased: lower, mailboxes: mailboxes, into: &lines) }
            } else {
                if lower == "subject" { subject = header.value }
                if let encoded = header.encoded { lines += encoded } else { encode(header, lowercased: lower, mailboxes: nil, into: &lines) }
            }
        }
        let firstLine = letter.headers.first?.line ?? 1
        for required in ["From", "To", "Subject"] where !seen.contains(required.lowercased()) {
            problems.append(
                Problem(
                    templateLine: firstLine, field: required, templateLevel: true,
                    message: "is missing from the template's header lines"))
        }
        guard problems.isEmpty, let from, let subject else { throw ComposeFailure(problems: problems) }

        let messageID = MessageID.make(
            campaign: campaign, recipientKey: recipientKey, domain: from.address.domain,
            occurrence: occurrence, key: messageIDKey)
        let body = NormalizedBody(letter.body)
        let plain = body.isASCII && body.longestLine <= HeaderEncoder.maximumLineLength
        lines += "Date: ".utf8
        let dateStart = lines.count
        lines += RFC5322Date.format(date).utf8
        let dateRange = dateStart..<lines.count
        lines += "\r\nMessage-ID: ".utf8
        lines += messageID.utf8
        if letter.html != nil || !attachments.isEmpty {
            let html = letter.html.map { fragment in
                HTMLFrame.page(fragment: fragment, title: subject, sender: from.displayName ?? from.address.description, language: letter.htmlLanguage)
            }
            lines += "\r\nMIME-Version: 1.0\r\n".utf8
            multipart(text: body, html: html, attachments: attachments, messageID: messageID, into: &lines)
            var message = ComposedMessage(
                envelopeFrom: from.address, envelopeRecipients: unique(envelope), messageID: messageID,
                subject: subject, data: lines)
            message.dateRange = dateRange
            return message
        }
        lines += "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ".utf8
        lines += (plain ? "7bit\r\n" : "quoted-printable\r\n").utf8
        var message = ComposedMessage(
            envelopeFrom: from.address, envelopeRecipients: unique(envelope), messageID: messageID,
            subject: subject, data: assemble(headers: lines, body: body, plain: plain))
        message.dateRange = dateRange
        return message
    }

    /// The header's folded line, as ``compose(_:campaign:recipientKey:date:occurrence:)``
    /// writes it; nil for a header it would refuse before encoding (a problem, a bad or
    /// managed name, a control character, an address list it cannot read).
    static func encodedLine(_ header: RenderedLetter.Header) -> [UInt8]? {
        let lower = header.name.lowercased()
        guard header.problem == nil, isValidName(header.name), !managedHeaders.contains(lower), !hasControlCharacter(header.value)
        else { return nil }
        var line: [UInt8] = []
        if addressHeaders.contains(lower) {
            guard let mailboxes = header.mailboxes ?? (try? Mailbox.parseList(header.value)) else { return nil }
            encode(header, lowercased: lower, mailboxes: mailboxes, into: &line)
        } else {
            encode(header, lowercased: lower, mailboxes: nil, into: &line)
        }
        return line
    }

    /// Appends the folded header: its mailboxes for an address header, else its value as unstructured text.
    private static func encode(_ header: RenderedLetter.Header, lowercased lower: String, mailboxes: [Mailbox]?, into lines: inout [UInt8]) {
        let room = HeaderEncoder.firstLineRoom(for: header.name)
        let atoms =
            mailboxes.map { HeaderEncoder.mailboxListAtoms($0, firstLimit: room) }
            ?? HeaderEncoder.unstructuredAtoms(header.value, firstLimit: room)
        HeaderEncoder.fold(name: canonicalName(header.name, lowercased: lower), atoms: atoms, into: &lines)
    }

    /// True when `value` holds a control character other than tab; they are all ASCII, so
    /// looking at bytes is looking at code points.
    static func hasControlCharacter(_ value: String) -> Bool {
        value.containsUTF8 { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }
    }

    /// The message's bytes: the header lines, a blank line, then the body as it is (7bit) or quoted-printable.
    static func assemble(headers: [UInt8], body: NormalizedBody, plain: Bool) -> [UInt8] {
        let encoded = plain ? body.bytes : body.bytes.withUnsafeBufferPointer { QuotedPrintable.encode($0) }
        var data: [UInt8] = []
        data.reserveCapacity(headers.count + 2 + encoded.count)
        data += headers
        data.append(0x0D)
        data.append(0x0A)
        data += encoded
        return data
    }

    /// True when a line of `text` is longer than `limit` bytes, its CRLF not counted (lines
    /// are what lies between CR LF pairs, as `components(separatedBy: "\r\n")` cuts them).
    static func hasLine(longerThan limit: Int, in text: Substring) -> Bool {
        hasLine(longerThan: limit, in: text.utf8)
    }

    /// The same on UTF-8 bytes.
    static func hasLine<Bytes: Sequence<UInt8>>(longerThan limit: Int, in bytes: Bytes) -> Bool {
        var length = 0
        var afterCR = false
        for byte in bytes {
            if byte == 0x0A && afterCR {
                if length - 1 > limit { return true }
                length = 0
                afterCR = false
                continue
            }
            length += 1
            if length > limit + 1 { return true }  // even without a CR at its end
            afterCR = byte == 0x0D
        }
        return length > limit
    }

    /// Converts CRLF, lone CR and lone LF to CRLF, ending with exactly one CRLF.
    /// SMTP needs CRLF everywhere, and libcurl only dot-stuffs lines that follow a CRLF.
    static func normalizeLineEnds(_ text: String) -> String {
        String(decoding: NormalizedBody(text).bytes, as: UTF8.self)
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 76 && name.utf8.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }
    }

    /// `reply-to` → `Reply-To`, keeping the template's spelling for headers Herald does not know.
    static func canonicalName(_ name: String, lowercased: String) -> String {
        switch lowercased {
        case "from": return "From"
        case "to": return "To"
        case "cc": return "Cc"
        case "reply-to": return "Reply-To"
        case "sender": return "Sender"
        case "subject": return "Subject"
        default: return name
        }
    }

    /// The addresses without repeats (the same `normalized` form), in order.
    private static func unique(_ addresses: [EmailAddress]) -> [EmailAddress] {
        guard addresses.count > 1 else { return addresses }  // most letters go to one address
        var seen: Set<String> = []
        return addresses.filter { seen.insert($0.normalized).inserted }
    }
}

/// Every header problem of one composed letter.
public struct ComposeFailure: Error, Sendable {
    public var problems: [MessageComposer.Problem]
}
