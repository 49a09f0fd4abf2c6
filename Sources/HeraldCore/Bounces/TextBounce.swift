import Foundation

/// The common non-standard bounce shapes, read from their text: Exim's `Mail delivery
/// failed` (recipients in `X-Failed-Recipients`, the returned headers quoted after
/// `------ This is a copy of the message`), old Exchange's `Undeliverable:` (`<host #5.1.1
/// smtp;550 …>`), and any mailer-daemon message in that vein.
///
/// Recognised only with all three signs of a bounce: it comes from a mail system (a
/// mailer-daemon or postmaster sender, a null `Return-Path`, or `X-Failed-Recipients`), its
/// text says a delivery failed or is delayed, and the text gives a reply or status code
/// (or says outright that the error is permanent). A person's message that mentions a failed
/// delivery lacks the first; a vacation notice the last two.
struct TextBounce {
    var shape: String
    var recipients: [RecipientStatus]
    var quotedMessageIDs: [String]

    static let failurePhrases = [
        "could not be delivered", "couldn't be delivered", "did not reach", "cannot be reached",
        "undeliverable", "delivery has failed", "permanent error", "has not yet been delivered",
        "delivery failed", "delivery to the following recipient", "returned mail",
        "delivery incomplete", "failed permanently", "message not delivered", "delayed",
    ]
    static let delayPhrases = [
        "has not yet been delivered", "delivery attempts will continue", "will retry", "delayed",
        "delivery incomplete", "temporary failure",
    ]
    /// Lines where a quoted copy of the letter begins: the report's own text ends there.
    static let copyMarkers = [
        "------ this is a copy of the message", "----- original message", "original message headers",
        "------ the body of the message", "-----original message-----", "--- below this line is a copy",
    ]

    static func read(message: MIMEPart, parts: [MIMEPart]) -> TextBounce? {
        let fromMailSystem: Bool = {
            if message.field("x-failed-recipients") != nil { return true }
            if let path = message.field("return-path"), path.replacingOccurrences(of: " ", with: "") == "<>" { return true }
            let from = (message.field("from") ?? "").lowercased()
            return ["mailer-daemon", "postmaster", "mail delivery", "mail-daemon", "microsoftexchange"].contains { from.contains($0) }
        }()
        guard fromMailSystem else { return nil }
        let texts = parts.filter { $0.parts.isEmpty && ($0.mediaType == "text/plain" || $0.mediaType == "text/html") }
        guard let main = texts.first(where: { $0.mediaType == "text/plain" }) ?? texts.first else { return nil }
        let fullText = main.mediaType == "text/html" ? stripTags(main.text) : main.text
        let allLines = fullText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let copyStart =
            allLines.firstIndex { line in
                let lowered = line.trimmingCharacters(in: .whitespaces).lowercased()
                return copyMarkers.contains { lowered.hasPrefix($0) }
            } ?? allLines.count
        let report = Array(allLines[..<copyStart])
        let lowered = report.joined(separator: "\n").lowercased()
        let subject = (message.field("subject") ?? "").lowercased()
        guard failurePhrases.contains(where: { lowered.contains($0) || subject.contains($0) }) else { return nil }

        let code = firstCode(in: report)
        let permanentWords = lowered.contains("permanent error") || lowered.contains("failed permanently")
        let delayWords = delayPhrases.contains { lowered.contains($0) || subject.contains($0) }
        var status = code?.status
        if status == nil {
            if permanentWords { status = "5.0.0" } else if delayWords && !lowered.contains("could not be delivered") { status = "4.0.0" }
        }
        guard let status else { return nil }

        var addresses = message.fields("x-failed-recipients").flatMap { BounceMessage.addresses(in: $0) }
        if addresses.isEmpty {
            let own = Set(
                ((message.field("from") ?? "") + " " + (message.field("to") ?? "")).lowercased()
                    .split(whereSeparator: { $0 == "<" || $0 == ">" || $0.isWhitespace || $0 == "," }).map(String.init))
            if let found = failedAddress(in: report, excluding: own) { addresses = [found] }
        }
        let shape =
            message.field("x-failed-recipients") != nil || lowered.contains("mail delivery software")
            ? "exim"
            : (lowered.contains("did not reach some or all") || lowered.contains("#5.") || lowered.contains("#4.")) ? "exchange" : "generic"
        let remote = remoteMTA(in: report)
        let recipients = (addresses.isEmpty ? [String?.none] : addresses.map(Optional.some)).map { address in
            RecipientStatus(
                finalRecipient: address, action: status.hasPrefix("5") ? "failed" : "delayed", status: status,
                diagnosticCode: code?.line, remoteMTA: remote)
        }
        var quoted: [String] = []
        for text in texts {
            let body = text.mediaType == "text/html" ? stripTags(text.text) : text.text
            for line in body.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.lowercased().hasPrefix("message-id:") {
                    quoted += BounceMessage.messageIDs(in: String(trimmed.dropFirst("message-id:".count)))
                }
            }
        }
        return TextBounce(shape: shape, recipients: recipients, quotedMessageIDs: quoted)
    }

    /// The address the report says failed: the first one after its failure statement
    /// (`did not reach the following recipient(s):`, `could not be delivered to:`), on that
    /// line or below, skipping lines that quote the letter's headers (`To:`, `Cc:`, `Sent:`),
    /// where every address of the letter appears whether it failed or not. Nil when the text
    /// states no failure before an address: which address failed is then unknown, and a guess
    /// could silence a recipient whose letter arrived.
    static func failedAddress(in report: [String], excluding own: Set<String>) -> String? {
        var afterStatement = false
        for line in report {
            if isQuotedHeader(line) { continue }
            var text = Substring(line)
            if !afterStatement {
                let lowered = line.lowercased()
                guard let phrase = failurePhrases.compactMap({ lowered.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else { continue }
                afterStatement = true
                // The rest of the line after the phrase (an address on the statement's own line).
                let offset = lowered.distance(from: lowered.startIndex, to: phrase.upperBound)
                text = line.dropFirst(offset)
            }
            if let found = BounceMessage.addresses(in: String(text)).first(where: { !own.contains($0) }) { return found }
        }
        return nil
    }

    /// Header names a report quotes from the letter it returns.
    static let quotedHeaderNames: Set<String> = [
        "to", "cc", "bcc", "from", "sender", "reply-to", "subject", "sent", "date",
        "message-id", "return-path", "delivered-to", "envelope-to",
    ]

    /// A line such as `  To:      minister@austria.example`: a quoted header of the letter.
    static func isQuotedHeader(_ line: String) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == ">" }
        guard let colon = trimmed.firstIndex(of: ":") else { return false }
        return quotedHeaderNames.contains(trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// The first line with an enhanced status code (RFC 3463, `5.1.1`) or, failing that, a
    /// 4xx/5xx reply code; the status is the enhanced code, else the reply's class as `X.0.0`.
    /// The line is returned trimmed, after the line before it when that one ends in `:`
    /// (Exim writes `SMTP error from remote mail server after RCPT TO:<…>:` above the reply).
    static func firstCode(in lines: [String]) -> (status: String, line: String)? {
        func withLead(_ index: Int) -> String {
            var text = lines[index].trimmingCharacters(in: .whitespaces)
            if index > 0 {
                let before = lines[index - 1].trimmingCharacters(in: .whitespaces)
                if before.hasSuffix(":") { text = before + " " + text }
            }
            return text
        }
        for (index, line) in lines.enumerated() {
            if let status = enhancedCode(in: line) { return (status, withLead(index)) }
        }
        for (index, line) in lines.enumerated() {
            if let reply = replyCode(in: line) { return ("\(reply.first!).0.0", withLead(index)) }
        }
        return nil
    }

    /// `4.x.y` or `5.x.y` standing alone (not part of a longer number such as a date).
    static func enhancedCode(in line: String) -> String? {
        let chars = Array(line)
        var index = 0
        while index < chars.count {
            defer { index += 1 }
            guard chars[index] == "4" || chars[index] == "5" else { continue }
            if index > 0, chars[index - 1].isNumber || chars[index - 1] == "." { continue }
            var cursor = index + 1
            var groups: [String] = []
            while groups.count < 2, cursor < chars.count, chars[cursor] == "." {
                var digits = ""
                cursor += 1
                while cursor < chars.count, chars[cursor].isASCII, chars[cursor].isNumber, digits.count < 4 {
                    digits.append(chars[cursor])
                    cursor += 1
                }
                guard (1...3).contains(digits.count) else { break }
                groups.append(digits)
            }
            guard groups.count == 2 else { continue }
            if cursor < chars.count, chars[cursor].isNumber || (chars[cursor] == "." && cursor + 1 < chars.count && chars[cursor + 1].isNumber) { continue }
            return "\(chars[index]).\(groups[0]).\(groups[1])"
        }
        return nil
    }

    /// A three-digit 4xx/5xx reply code at a word's start followed by a space or `-`.
    static func replyCode(in line: String) -> String? {
        let chars = Array(line)
        for index in chars.indices where chars[index] == "4" || chars[index] == "5" {
            guard index + 3 < chars.count, chars[index + 1].isNumber, chars[index + 2].isNumber,
                chars[index + 3] == " " || chars[index + 3] == "-"
            else { continue }
            if index > 0, !(chars[index - 1] == " " || chars[index - 1] == "#" || chars[index - 1] == ";" || chars[index - 1] == "'") { continue }
            return String(chars[index...(index + 2)])
        }
        return nil
    }

    /// Exim's `host mx.example.org [192.0.2.1]`, or old Exchange's `<mx.example.org #5.1.1 …>`.
    static func remoteMTA(in lines: [String]) -> String? {
        for line in lines {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            for (index, word) in words.enumerated() {
                if word == "host", index + 2 < words.count, words[index + 2].hasPrefix("[") {
                    return words[index + 1]
                }
                if word.hasPrefix("<"), word.count > 1, index + 1 < words.count, words[index + 1].hasPrefix("#"),
                    word.dropFirst().contains(".")
                {
                    return String(word.dropFirst())
                }
            }
        }
        return nil
    }

    static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for char in html {
            if char == "<" { inTag = true } else if char == ">" { inTag = false; out.append(" ") } else if !inTag { out.append(char) }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&nbsp;", with: " ")
    }
}
