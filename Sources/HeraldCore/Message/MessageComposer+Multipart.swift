/// The MIME structure of a letter with an HTML alternative or attachments.
///
/// ```
/// multipart/mixed                    (only with attachments)
///   multipart/alternative            (only with HTML)
///     text/plain; charset=utf-8
///     text/html; charset=utf-8
///   application/pdf …                (each attachment, base64)
/// ```
///
/// Boundaries come from the Message-ID (``MIMEBoundary``), so composing a letter again gives
/// the same bytes. A text part is 7bit when it is ASCII, short-lined and holds no `=_` (the
/// start of every Herald boundary), else quoted-printable: no part can hold a boundary.
extension MessageComposer {
    /// Appends the message's `Content-Type` header line(s), the blank line and the multipart
    /// body to `out` (the header lines so far): the attachments' encoded lines are copied once,
    /// straight into the message, so composing a letter holds its attachments twice at most
    /// (as read or kept by ``AttachmentStore``, and in the message).
    ///
    /// - Parameters:
    ///   - text: the text/plain part, line ends normalised.
    ///   - html: the whole HTML document, or nil for no alternative.
    static func multipart(
        text: NormalizedBody, html: String?, attachments: [AttachmentPart],
        messageID: String, into out: inout [UInt8]
    ) {
        // The first part: the text, or the alternative of text and HTML.
        var firstHeaders: [UInt8] = []
        var firstBody: [UInt8] = []
        if let html {
            let boundary = MIMEBoundary.make(messageID: messageID, role: "alternative")
            firstHeaders = contentTypeLine("multipart/alternative", boundary: boundary)
            firstBody += "--\(boundary)\r\n".utf8
            textPart(text, type: "text/plain", into: &firstBody)
            firstBody += "--\(boundary)\r\n".utf8
            textPart(NormalizedBody(html), type: "text/html", into: &firstBody)
            firstBody += "--\(boundary)--\r\n".utf8
        } else {
            // The text alone: its headers go with the message's (or the mixed part's) own.
            let plain = isPlain(text)
            textHeaders(type: "text/plain", plain: plain, into: &firstHeaders)
            encodeText(text, plain: plain, into: &firstBody)
        }
        guard !attachments.isEmpty else {
            out += firstHeaders
            out += "\r\n".utf8
            out += firstBody
            return
        }
        let boundary = MIMEBoundary.make(messageID: messageID, role: "mixed")
        let delimiter = Array("--\(boundary)\r\n".utf8)
        out.reserveCapacity(
            out.count + firstHeaders.count + firstBody.count + 256
                + attachments.reduce(0) { $0 + $1.encoded.count + $1.headers.count + delimiter.count + 2 })
        out += contentTypeLine("multipart/mixed", boundary: boundary)
        out += "\r\n".utf8
        out += delimiter
        out += firstHeaders
        out += "\r\n".utf8
        out += firstBody
        for attachment in attachments {
            out += delimiter
            out += attachment.headers
            out += "\r\n".utf8
            out += attachment.encoded
        }
        out += "--\(boundary)--\r\n".utf8
    }

    /// `Content-Type: TYPE;` and the boundary on a folded line (one line would pass 78 characters).
    private static func contentTypeLine(_ type: String, boundary: String) -> [UInt8] {
        Array("Content-Type: \(type);\r\n boundary=\"\(boundary)\"\r\n".utf8)
    }

    /// A text part: its headers, a blank line, its encoded text (ending in CRLF).
    private static func textPart(_ text: NormalizedBody, type: String, into out: inout [UInt8]) {
        let plain = isPlain(text)
        textHeaders(type: type, plain: plain, into: &out)
        out += "\r\n".utf8
        encodeText(text, plain: plain, into: &out)
    }

    /// 7bit when ASCII, short-lined and free of `=_`; else quoted-printable.
    private static func isPlain(_ text: NormalizedBody) -> Bool {
        text.isASCII && text.longestLine <= HeaderEncoder.maximumLineLength && !holdsBoundaryStart(text.bytes)
    }

    private static func textHeaders(type: String, plain: Bool, into out: inout [UInt8]) {
        out += "Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: ".utf8
        out += (plain ? "7bit\r\n" : "quoted-printable\r\n").utf8
    }

    private static func encodeText(_ text: NormalizedBody, plain: Bool, into out: inout [UInt8]) {
        if plain { out += text.bytes } else { out += text.bytes.withUnsafeBufferPointer { QuotedPrintable.encode($0) } }
    }

    /// True when `bytes` hold `=_`, which every boundary starts with (``MIMEBoundary``).
    static func holdsBoundaryStart(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            while i + 1 < buffer.count {
                if buffer[i] == UInt8(ascii: "=") && buffer[i + 1] == UInt8(ascii: "_") { return true }
                i += 1
            }
            return false
        }
    }
}
