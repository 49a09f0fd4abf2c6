import Foundation
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// The review page, `index.html` in the preview folder: one self-contained HTML file (inline
/// CSS, no script, no external asset) a person reads before approving a campaign.
///
/// It opens with the number of messages, the manifest hash and the validation warnings, then
/// the input files' hashes, a summary table (one row per letter: recipient, the values of the
/// fields the template prints, subject, size, warnings, its `.eml`) and the letters themselves:
/// envelope, headers, the header lines as sent, and the body, every recipient's value in a
/// `<mark>` so what differs between letters stands out. Every text from the campaign is
/// HTML-escaped.
///
/// Past ``fullLimit`` letters the page shows every row of the summary (compact: recipient
/// linked to its `.eml`, subject, size, warnings), a sample of letters (the first few and
/// evenly spaced ones) and, per field, its distinct values with counts; rows stop at a byte
/// budget so the page stays under 10 MB whatever the count (the files are the full record).
///
/// Streamed: the summary rows and the letters go to two part files in the folder as the
/// letters come; the head, which needs the manifest hash known only at the end, is written
/// with the parts copied after it into `index.html`, and the parts removed. Memory holds the
/// distinct-value counts (capped) and one letter, not the rows.
final class ReviewPage {
    /// Up to this many letters the page shows every letter in full.
    static let fullLimit = 500
    /// Letters shown in full past `fullLimit`: the first `sampleHead`, then evenly spaced ones.
    static let sampleHead = 5
    static let sampleSize = 25
    /// The summary rows' share of the page; a row past it is not listed (the page says how many).
    static let rowBudget = 9_300_000
    /// Distinct values counted per field, and listed per field.
    static let distinctTracked = 1_000
    static let distinctListed = 20

    private let session: PreviewWriter.Session
    private let prepared: PreparedCampaign
    private let total: Int
    private let large: Bool
    private let sample: Set<Int>
    /// The fields the template prints, in first-use order, the address column left out
    /// (the recipient is its own column).
    private let fields: [String]
    /// Warnings about a recipient's address (a second row of it left out), by address.
    private let warningsByAddress: [String: [String]]
    private let rows: BufferedFile
    private let letters: BufferedFile
    private var written = 0
    private var omittedRows = 0
    private var letterCount = 0
    private var distinct: [[String: Int]]
    private var untracked: [Int]
    /// Longest subject shown in a compact row, from the per-row share of the budget.
    private let subjectLimit: Int

    static let rowsPart = ".index-rows.part"
    static let lettersPart = ".index-letters.part"

    /// - Parameter total: the number of letters (the campaign's count; a test may say more).
    init(session: PreviewWriter.Session, prepared: PreparedCampaign, total: Int? = nil) throws {
        self.session = session
        self.prepared = prepared
        let total = total ?? prepared.recipientCount
        self.total = total
        large = total > Self.fullLimit
        var sample: Set<Int> = []
        if large {
            sample = Set(1...Self.sampleHead)
            let spaced = Self.sampleSize - Self.sampleHead
            for step in 0..<spaced { sample.insert(Self.sampleHead + 1 + step * (total - Self.sampleHead - 1) / max(1, spaced - 1)) }
        }
        self.sample = sample
        var fields: [String] = []
        for use in prepared.template.fieldUses where !use.isSection && use.name != RecipientList.emailColumn && !fields.contains(use.name) {
            fields.append(use.name)
        }
        self.fields = fields
        var byAddress: [String: [String]] = [:]
        for warning in prepared.warnings {
            if let range = warning.message.range(of: " is already listed at ") {
                byAddress[String(warning.message[..<range.lowerBound]).lowercased(), default: []].append(warning.description)
            }
        }
        warningsByAddress = byAddress
        distinct = Array(repeating: [:], count: fields.count)
        untracked = Array(repeating: 0, count: fields.count)
        // A compact row without its subject is about 65 bytes and twice the address: at
        // 100,000 letters the subject has no room; at 10,000 it has 120 characters.
        let room = Self.rowBudget / max(1, total) - 150
        subjectLimit = room < 20 ? 0 : min(120, room)
        rows = try session.create(Self.rowsPart)
        letters = try session.create(Self.lettersPart)
    }

    /// Adds the `index`-th letter (from 1), written to `file`.
    func add(index: Int, recipient: Recipient, message: ComposedMessage, file: String) throws {
        written = index
        var warnings: [String] = warningsByAddress[recipient.address.normalized] ?? []
        if message.requiresSMTPUTF8 { warnings.append("needs a server that offers SMTPUTF8 (a non-ASCII address)") }
        let values = fields.map { recipient.fields[$0] ?? "" }
        let shown = !large || sample.contains(index)
        if large { count(values) }
        try writeRow(index: index, recipient: recipient, message: message, file: file, values: values, warnings: warnings, linked: shown)
        if shown { try writeLetter(index: index, recipient: recipient, message: message, file: file, warnings: warnings) }
    }

    /// Writes `index.html` with the manifest hash and removes the parts.
    ///
    /// - Parameter unlisted: attached files left out of the inputs table (`manifest.json` lists them).
    func finish(manifestHash: String, inputs: [ReviewManifest.Input], unlisted: Int = 0) throws {
        try rows.flush()
        try letters.flush()
        let page = try session.create("index.html")
        try page.write(head(manifestHash: manifestHash, inputs: inputs, unlisted: unlisted))
        try page.append(contentsOf: rows.path)
        var middle = "</tbody></table></div>\n"
        if omittedRows > 0 {
            middle +=
                "<p class=\"note\">\(omittedRows) more rows are not listed here, to keep this page under 10 MB; every letter is a file in this folder, and <code>manifest.json</code> lists them all.</p>\n"
        }
        middle += "</section>\n<section id=\"letters\">\n<h2>"
        middle += large ? "A sample of \(letterCount) letters of \(total): the first \(Self.sampleHead), then evenly spaced" : "All \(total) letters"
        middle += "</h2>\n"
        try page.write(middle)
        try page.append(contentsOf: letters.path)
        try page.write("</section>\n</body>\n</html>\n")
        try page.flush()
        unlink(rows.path)
        unlink(letters.path)
    }

    // MARK: - Parts

    private func count(_ values: [String]) {
        for (column, value) in values.enumerated() {
            if distinct[column][value] != nil || distinct[column].count < Self.distinctTracked {
                distinct[column][value, default: 0] += 1
            } else {
                untracked[column] += 1
            }
        }
    }

    private func writeRow(
        index: Int, recipient: Recipient, message: ComposedMessage, file: String,
        values: [String], warnings: [String], linked: Bool
    ) throws {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        if large {
            if rows.size >= Self.rowBudget {
                omittedRows += 1
                return
            }
            // Compact: no closing tags, no classes, the row's number from a CSS counter.
            out += "<tr><td><a href=\"".utf8
            Self.escape(file, into: &out)
            out += "\">".utf8
            Self.escape(recipient.key, into: &out)
            out += "</a>".utf8
            if linked { out += " <a href=\"#letter-\(index)\">↓</a>".utf8 }
            if subjectLimit > 0 {
                out += "<td>".utf8
                Self.escape(Self.truncated(message.subject, subjectLimit), into: &out)
            }
            out += "<td>\(message.data.count)<td>".utf8
            if !warnings.isEmpty { Self.escape(warnings.joined(separator: "; "), into: &out) }
            out += "\n".utf8
        } else {
            out += "<tr><td><a href=\"#letter-\(index)\">\(index)</a><td>".utf8
            Self.escape(recipient.key, into: &out)
            for value in values {
                out += "<td>".utf8
                Self.escape(value, into: &out)
            }
            out += "<td>".utf8
            Self.escape(message.subject, into: &out)
            out += "<td class=\"n\">\(message.data.count)<td>".utf8
            if !warnings.isEmpty { out += "<span class=\"warn\">".utf8; Self.escape(warnings.joined(separator: "; "), into: &out); out += "</span>".utf8 }
            out += "<td><a href=\"".utf8
            Self.escape(file, into: &out)
            out += "\">.eml</a>\n".utf8
        }
        try rows.write(out)
    }

    private func writeLetter(index: Int, recipient: Recipient, message: ComposedMessage, file: String, warnings: [String]) throws {
        letterCount += 1
        let marked = prepared.template.marked(recipient, addressColumns: prepared.campaign.addressColumns)
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        out += "<article class=\"letter\" id=\"letter-\(index)\">\n<h3>\(index). ".utf8
        Self.escape(recipient.key, into: &out)
        out += "</h3>\n".utf8
        for warning in warnings {
            out += "<p class=\"warn\">".utf8
            Self.escape(warning, into: &out)
            out += "</p>\n".utf8
        }
        out += "<table class=\"envelope\"><tr><th>MAIL FROM<td>".utf8
        Self.escape("<\(message.envelopeFrom)>", into: &out)
        out += "\n".utf8
        for rcpt in message.envelopeRecipients {
            out += "<tr><th>RCPT TO<td>".utf8
            Self.escape("<\(rcpt)>", into: &out)
            out += "\n".utf8
        }
        out += "</table>\n<table class=\"headers\">\n".utf8
        for header in marked.headers {
            out += "<tr><th>".utf8
            Self.escape(header.name, into: &out)
            out += "<td>".utf8
            Self.mark(header.value, into: &out)
            if header.name.lowercased() == "bcc" { out += " <span class=\"note\">(envelope only, not in the message)</span>".utf8 }
            out += "\n".utf8
        }
        out += "<tr><th>Message-ID<td>".utf8
        Self.escape(message.messageID, into: &out)
        out += "\n<tr><th>Date<td><span class=\"note\">the time of sending</span>\n</table>\n".utf8
        out += "<details><summary>Header lines as sent (encoded)</summary><pre>".utf8
        Self.escape(Self.headerBlock(message.data), into: &out)
        out += "</pre></details>\n<pre class=\"body\">".utf8
        Self.mark(marked.body, into: &out)
        out += "</pre>\n<p class=\"meta\"><a href=\"".utf8
        Self.escape(file, into: &out)
        out += "\">".utf8
        Self.escape(file, into: &out)
        out += "</a> · \(message.data.count) bytes · letter sha256 <code>\(ReviewManifest.letterHash(message))</code></p>\n</article>\n".utf8
        try letters.write(out)
    }

    private func head(manifestHash: String, inputs: [ReviewManifest.Input], unlisted: Int) -> [UInt8] {
        let name = prepared.campaign.name
        var out: [UInt8] = []
        out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Review: ".utf8
        Self.escape(name, into: &out)
        out += " (\(written) messages)</title>\n<style>\n\(Self.style)</style>\n</head>\n<body>\n<header>\n<h1>Review: ".utf8
        Self.escape(name, into: &out)
        out +=
            "</h1>\n<p class=\"facts\"><strong id=\"count\">\(written) message\(written == 1 ? "" : "s")</strong> · manifest hash <code id=\"manifest-hash\">\(manifestHash)</code></p>\n"
            .utf8
        out +=
            "<p>Nothing has been sent. Every letter below is exactly what would be sent (only its Date is set when it is sent). To approve these letters, and only these: <code>herald approve "
            .utf8
        Self.escape(prepared.campaign.file, into: &out)
        out +=
            " \(manifestHash)</code>; any change to what the letters are or whom they go to (the template, a list, an attached file, a setting of the campaign that changes a letter) changes the hash.</p>\n"
            .utf8
        var warnings = prepared.warnings.map(\.description)
        if let plaintext = prepared.campaign.smtp.plaintextWarning { warnings.insert(plaintext, at: 0) }
        if warnings.isEmpty {
            out += "<p id=\"warnings\" class=\"ok\">No validation warnings.</p>\n".utf8
        } else {
            out += "<section id=\"warnings\" class=\"warn\"><h2>\(warnings.count) validation warning\(warnings.count == 1 ? "" : "s")</h2><ul>\n".utf8
            for warning in warnings.prefix(200) {
                out += "<li>".utf8
                Self.escape(warning, into: &out)
                out += "</li>\n".utf8
            }
            if warnings.count > 200 { out += "<li>and \(warnings.count - 200) more (herald validate lists them all)</li>\n".utf8 }
            out += "</ul></section>\n".utf8
        }
        out += "<table class=\"inputs\"><caption>Inputs</caption><tr><th>role<th>file<th>sha256\n".utf8
        for input in inputs {
            out += "<tr><td>\(input.role)<td>".utf8
            Self.escape(input.path, into: &out)
            out += "<td><code>\(input.sha256)</code>\n".utf8
        }
        if unlisted > 0 { out += "<tr><td colspan=\"3\">and \(unlisted) more attached files, listed in <code>manifest.json</code>\n".utf8 }
        out += "</table>\n</header>\n".utf8
        if large && !fields.isEmpty {
            out +=
                "<section id=\"distinct\">\n<h2>Values per field</h2>\n<p class=\"note\">The fields the template prints, each with its most frequent values and how many letters carry each (up to \(Self.distinctListed) per field).</p>\n"
                .utf8
            for (column, field) in fields.enumerated() {
                let counts = distinct[column].sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                out += "<table class=\"distinct\"><caption>".utf8
                Self.escape(field, into: &out)
                let exact = untracked[column] == 0
                out +=
                    " (\(exact ? "\(counts.count)" : "more than \(Self.distinctTracked)") distinct value\(counts.count == 1 && exact ? "" : "s"))</caption><tr><th>value<th>letters\n"
                    .utf8
                for (value, count) in counts.prefix(Self.distinctListed) {
                    out += "<tr><td>".utf8
                    if value.isEmpty { out += "<span class=\"note\">(empty)</span>".utf8 } else { Self.escape(Self.truncated(value, 120), into: &out) }
                    out += "<td class=\"n\">\(count)\n".utf8
                }
                if counts.count > Self.distinctListed || !exact {
                    let rest = counts.dropFirst(Self.distinctListed).reduce(0) { $0 + $1.value } + untracked[column]
                    out += "<tr><td class=\"note\">other values<td class=\"n\">\(rest)\n".utf8
                }
                out += "</table>\n".utf8
            }
            out += "</section>\n".utf8
        }
        out += "<section id=\"summary\">\n<h2>Summary</h2>\n".utf8
        if large {
            out +=
                "<p class=\"note\">One row per letter, linked to its <code>.eml</code>; ↓ goes to a letter shown below.\(subjectLimit == 0 ? " Subjects are left out of the rows at this size (the sample letters and the files have them)." : subjectLimit < 120 ? " Subjects are cut at \(subjectLimit) characters." : "")</p>\n"
                .utf8
            out +=
                "<div class=\"scroll\"><table class=\"summary compact\"><thead><tr><th>recipient\(subjectLimit > 0 ? "<th>subject" : "")<th>size<th>warnings</thead>\n<tbody>\n"
                .utf8
        } else {
            out += "<div class=\"scroll\"><table class=\"summary\"><thead><tr><th>#<th>recipient".utf8
            for field in fields {
                out += "<th>".utf8
                Self.escape(field, into: &out)
            }
            out += "<th>subject<th>size<th>warnings<th>file</thead>\n<tbody>\n".utf8
        }
        return out
    }

    // MARK: - Text

    /// Appends `text` HTML-escaped (`&`, `<`, `>`, both quotes): safe in text and in quoted attributes.
    static func escape(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += "&amp;".utf8
            case UInt8(ascii: "<"): out += "&lt;".utf8
            case UInt8(ascii: ">"): out += "&gt;".utf8
            case UInt8(ascii: "\""): out += "&quot;".utf8
            case UInt8(ascii: "'"): out += "&#39;".utf8
            default: out.append(byte)
            }
        }
    }

    /// A marked text with each value in a `<mark>` titled with its field.
    static func mark(_ text: MarkedLetter.Text, into out: inout [UInt8]) {
        for piece in text.pieces {
            switch piece {
            case .text(let text):
                escape(text, into: &out)
            case .field(let name, let value):
                out += "<mark title=\"".utf8
                escape(name, into: &out)
                out += "\">".utf8
                escape(value, into: &out)
                out += "</mark>".utf8
            }
        }
    }

    /// At most `limit` characters, with an ellipsis when cut.
    static func truncated(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        return limit == 0 ? "" : String(text.prefix(limit - 1)) + "…"
    }

    /// The message's header lines, up to the blank line, LF line ends.
    static func headerBlock(_ data: [UInt8]) -> String {
        var end = data.count
        if data.count >= 4 {
            for index in 0...(data.count - 4) where data[index] == 0x0D && data[index + 1] == 0x0A && data[index + 2] == 0x0D && data[index + 3] == 0x0A {
                end = index
                break
            }
        }
        return String(decoding: data[..<end].filter { $0 != 0x0D }, as: UTF8.self)
    }

    static let style = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 80em; padding: 0 1em; color: #1b1b1b; }
        h1 { margin-bottom: .2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
        code { font-size: 13px; word-break: break-all; }
        table { border-collapse: collapse; margin: .5em 0; }
        th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: 600; padding: .3em 0; }
        mark { background: #fff09a; padding: 0 .1em; border-radius: 2px; }
        .warn { color: #8a3b00; } .ok { color: #2a6a2a; } .note { color: #666; font-size: 90%; }
        .facts { font-size: 110%; }
        table.distinct { display: inline-table; margin-right: 1.5em; vertical-align: top; }
        article.letter { border: 1px solid #bbb; border-radius: 6px; padding: .3em 1em 1em; margin: 1.2em 0; }
        table.envelope th, table.headers th { width: 9em; }
        pre { white-space: pre-wrap; background: #fafafa; border: 1px solid #eee; padding: .6em; font: 13px/1.4 ui-monospace, monospace; }
        pre.body { font: 14px/1.5 Georgia, serif; }
        .meta { font-size: 90%; color: #555; }
        div.scroll { overflow-x: auto; }
        table.summary { font-size: 13px; } table.summary td { white-space: nowrap; }
        article.letter table.headers td { white-space: pre-wrap; }
        table.compact tbody { counter-reset: row; }
        table.compact tbody td:first-child::before { counter-increment: row; content: counter(row) ". "; color: #888; }
        table.compact tbody td:last-child { color: #8a3b00; }

        """
}
