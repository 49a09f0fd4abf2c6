import CSV

/// A parsed recipient CSV file: a header row naming the columns, then one recipient per row.
///
/// Parsing is strict where a lenient reader would guess: a row with the wrong number of
/// fields, an unterminated quote or a missing `email` column is a diagnostic naming the
/// file and line, never a silently shifted column.
public struct RecipientList: Sendable, Equatable {
    /// The column that every list must have: the recipient's address.
    public static let emailColumn = "email"

    public var file: String
    public var columns: [String]
    public var recipients: [Recipient]

    /// Parses CSV text (RFC 4180: comma-separated, `"` quoting, CRLF or LF line ends; a UTF-8 BOM is ignored).
    ///
    /// - Throws: `ValidationFailure` with every problem in the file, each as `file:line: field: …`.
    public static func parse(_ text: String, file: String) throws(ValidationFailure) -> RecipientList {
        var source = text
        if source.hasPrefix("\u{FEFF}") { source.removeFirst() }
        switch quoteProblem(source) {
        case .unterminated(let line)?:
            throw ValidationFailure([Diagnostic(.badData, file: file, line: line,
                                                "a quoted field opened here is never closed; close it with '\"' (write a quote inside a field as \"\")")])
        case .textAfterClosingQuote(let line)?:
            throw ValidationFailure([Diagnostic(.badData, file: file, line: line,
                                                "text follows a closing quote; quote the whole field and write a quote inside it as \"\"")])
        case nil:
            break
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: source, hasHeaderRow: false)
        } catch {
            throw ValidationFailure([Diagnostic(.badData, file: file, "cannot be read as CSV: \(error)")])
        }
        var problems: [Diagnostic] = []
        var line = 1
        guard let header = reader.next(), !(header.count == 1 && header[0].isEmpty) else {
            throw ValidationFailure([Diagnostic(.badData, file: file, line: 1, "has no header row; the first line must name the columns, one of them `email`")])
        }
        let columns = header.map { $0.trimmingSpaces }
        line += 1 + lineBreaks(in: header)
        var seen: Set<String> = []
        for column in columns {
            if column.isEmpty { problems.append(Diagnostic(.badData, file: file, line: 1, "the header row has an empty column name")) }
            else if !seen.insert(column).inserted {
                problems.append(Diagnostic(.badData, file: file, line: 1, field: column, "column appears twice in the header row"))
            }
        }
        guard let emailIndex = columns.firstIndex(of: emailColumn) else {
            problems.append(Diagnostic(.badData, file: file, line: 1, field: emailColumn, "the header row has no `email` column"))
            throw ValidationFailure(problems)
        }
        var recipients: [Recipient] = []
        while let row = reader.next() {
            let rowLine = line
            line += 1 + lineBreaks(in: row)
            if row.count == 1 && row[0].isEmpty { continue }  // blank line
            guard row.count == columns.count else {
                problems.append(Diagnostic(.badData, file: file, line: rowLine,
                                           "has \(row.count) fields but the header has \(columns.count); quote fields that contain commas"))
                continue
            }
            var fields: [String: String] = [:]
            for (column, value) in zip(columns, row) { fields[column] = value }
            do {
                let address = try EmailAddress(parsing: row[emailIndex].trimmingSpaces)
                recipients.append(Recipient(file: file, line: rowLine, fields: fields, address: address))
            } catch {
                problems.append(Diagnostic(.badData, file: file, line: rowLine, field: emailColumn,
                                           "\"\(row[emailIndex].debugVisible)\" \(error)"))
            }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return RecipientList(file: file, columns: columns, recipients: recipients)
    }

    /// Physical line breaks inside a row's quoted fields (CRLF counts once), so that
    /// each row can be reported at the line where it starts.
    static func lineBreaks(in row: [String]) -> Int {
        row.reduce(0) { count, field in
            var breaks = 0
            var previousCR = false
            for scalar in field.unicodeScalars {
                if scalar == "\n" { if !previousCR { breaks += 1 }; previousCR = false }
                else if scalar == "\r" { breaks += 1; previousCR = true }
                else { previousCR = false }
            }
            return count + breaks
        }
    }

    /// A quoting mistake that a lenient CSV reader would silently turn into shifted or swallowed rows.
    enum QuoteProblem: Equatable {
        case unterminated(line: Int)
        case textAfterClosingQuote(line: Int)
    }

    /// Scans the raw text for quoting mistakes, tracking physical lines.
    static func quoteProblem(_ text: String) -> QuoteProblem? {
        var line = 1
        var inQuotes = false
        var justClosed = false
        var openedAt = 0
        var atFieldStart = true
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            if scalar == "\n" && previous != "\r" { line += 1 }
            if scalar == "\r" { line += 1 }
            if inQuotes {
                if scalar == "\"" { inQuotes = false; justClosed = true }
                continue
            }
            switch scalar {
            case "\"":
                if atFieldStart { inQuotes = true; openedAt = line }
                else if justClosed { inQuotes = true }  // "" inside a quoted field: an escaped quote
                atFieldStart = false
            case ",", "\n", "\r":
                atFieldStart = true
            default:
                if justClosed { return .textAfterClosingQuote(line: line) }
                atFieldStart = false
            }
            justClosed = false
        }
        return inQuotes ? .unterminated(line: openedAt) : nil
    }
}

extension String {
    /// The string with control characters shown as escapes, safe to print in a diagnostic.
    public var debugVisible: String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out.count > 80 ? String(out.prefix(77)) + "…" : out
    }
}
