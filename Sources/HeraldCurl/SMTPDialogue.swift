/// The SMTP conversation of one message as libcurl carried it out: which command each
/// server reply answers, with the server's own words.
///
/// libcurl reports a refused `MAIL FROM` or `RCPT TO` only as a code and its own wording
/// ("RCPT failed: 550"), and nothing about which recipient was refused. Herald sees the
/// commands libcurl sends (`CURLINFO_HEADER_OUT`, through the debug callback) and every
/// reply line (the header callback), in order, on the transfer's thread; this type pairs
/// them. Pure: fed lines, tested without a server.
///
/// Secrets: an `AUTH` command and the answers to `334` challenges are recorded as
/// `.auth`/`.other` without their text.
struct SMTPDialogue {
    /// What a reply answers.
    enum Command: Equatable {
        case greeting, ehlo, helo, startTLS, auth, mail
        case rcpt(String)
        case data
        /// The message body and its final `.`: the reply after 354.
        case endOfData
        case quit
        case other
    }

    /// A complete (possibly multi-line) reply: its code and its text joined on one line.
    struct Reply: Equatable {
        var code: Int
        /// `550 5.1.1 <x@y>: Recipient address rejected`; a multi-line reply's lines are
        /// joined with a space, each without its code.
        var text: String
        /// The RFC 3463 enhanced status code (`5.1.1`) when the reply carries one.
        var enhancedStatus: String? {
            let words = text.split(separator: " ", maxSplits: 2)
            guard words.count >= 2 else { return nil }
            let parts = words[1].split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let first = parts[0].first, "245".contains(first), parts[0].count == 1,
                parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) })
            else { return nil }
            return String(words[1])
        }

        /// True when a refusal of `RCPT TO:<recipient>` is about something else: the sender
        /// (RFC 3463 X.1.7/X.1.8, "Sender address rejected"), the client or the HELO name.
        /// Postfix, by default, answers its sender, client and HELO restrictions at RCPT,
        /// naming the object first: `554 5.7.1 <sender@org.example>: Sender address rejected: …`.
        func concernsSession(recipient: String) -> Bool {
            if let status = enhancedStatus, status.hasSuffix(".1.7") || status.hasSuffix(".1.8") { return true }
            let lower = text.lowercased()
            for phrase in ["sender address rejected", "helo command rejected", "client host rejected"] where lower.contains(phrase) {
                return true
            }
            // `<object>: …` after the code and enhanced status, naming another object.
            var rest = text.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            if let status = enhancedStatus, rest.hasPrefix(status) { rest = String(rest.dropFirst(status.count).drop { $0 == " " }) }
            guard rest.hasPrefix("<"), let close = rest.firstIndex(of: ">"),
                rest[rest.index(after: close)...].hasPrefix(":")
            else { return false }
            let object = rest[rest.index(after: rest.startIndex)..<close].lowercased()
            return object != recipient.lowercased()
        }
    }

    /// The command the next reply answers.
    private(set) var pending: Command = .greeting
    /// Replies in the order received, with what they answered.
    private(set) var replies: [(command: Command, reply: Reply)] = []
    /// Lines of the reply being received.
    private var lines: [String] = []

    /// A new connection starts with the server's greeting; a reused one with our `MAIL FROM`.
    init() {}

    /// A command line libcurl sent (`CURLINFO_HEADER_OUT`).
    mutating func sent(_ line: String) {
        let upper = line.prefix(12).uppercased()
        if upper.hasPrefix("EHLO") {
            pending = .ehlo
        } else if upper.hasPrefix("HELO") {
            pending = .helo
        } else if upper.hasPrefix("STARTTLS") {
            pending = .startTLS
        } else if upper.hasPrefix("AUTH") {
            pending = .auth
        } else if upper.hasPrefix("MAIL FROM:") {
            pending = .mail
        } else if upper.hasPrefix("RCPT TO:") {
            var address = line.dropFirst(8).drop { $0 == " " }
            while let last = address.last, last == "\r" || last == "\n" || last == " " { address = address.dropLast() }
            if address.hasPrefix("<"), let close = address.firstIndex(of: ">") {
                address = address[address.index(after: address.startIndex)..<close]
            }
            pending = .rcpt(String(address))
        } else if upper.hasPrefix("DATA") {
            pending = .data
        } else if upper.hasPrefix("QUIT") {
            pending = .quit
        } else {
            pending = .other
        }  // answers to AUTH challenges land here, unrecorded
    }

    /// One reply line from the server; returns the completed reply on its last line.
    @discardableResult
    mutating func received(_ line: SMTPReply) -> (command: Command, reply: Reply, lines: [String])? {
        var text = line.text
        if text.count >= 4 { text = String(text.dropFirst(4)) } else { text = "" }
        lines.append(text)
        guard line.isFinal else { return nil }
        let all = lines
        lines = []
        let joined = all.filter { !$0.isEmpty }.joined(separator: " ")
        let reply = Reply(code: line.code, text: joined.isEmpty ? "\(line.code)" : "\(line.code) \(joined)")
        let answered = pending
        replies.append((answered, reply))
        if answered == .data && reply.code == 354 { pending = .endOfData } else if answered == .greeting || answered == .endOfData { pending = .other }
        return (answered, reply, all)
    }

    /// The reply to `MAIL FROM`, if one came.
    var mailReply: Reply? { replies.last { $0.command == .mail }?.reply }

    /// Each recipient's reply, in the order the recipients were given.
    var recipientReplies: [(address: String, reply: Reply)] {
        replies.compactMap { entry in
            if case .rcpt(let address) = entry.command { return (address, entry.reply) }
            return nil
        }
    }

    /// The reply after the end of the message (the one that accepts or refuses it).
    var endOfDataReply: Reply? { replies.last { $0.command == .endOfData }?.reply }

    /// The reply to the `DATA` command itself.
    var dataReply: Reply? { replies.last { $0.command == .data }?.reply }

    /// True once `RCPT TO` was sent for this message.
    var sentRecipients: Bool { replies.contains { if case .rcpt = $0.command { return true } else { return false } } }

    /// True when STARTTLS was accepted on this transfer's connection.
    var startedTLS: Bool { replies.contains { $0.command == .startTLS && $0.reply.code == 220 } }

    /// The last complete reply.
    var lastReply: (command: Command, reply: Reply)? { replies.last }
}
