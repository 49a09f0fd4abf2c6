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
        if let problem = quoteProblem(source) { throw ValidationFailure([problem.diagnostic(file: file)]) }
        let reader = try RecipientReader(file: file, text: source)
        var problems = reader.headerProblems
        var recipients: [Recipient] = []
        while let row = reader.next() {
            switch row {
            case .recipient(let recipient): recipients.append(recipient)
            case .problem(let problem): problems.append(problem)
            }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return RecipientList(file: file, columns: reader.columns, recipients: recipients)
    }

    /// Physical line breaks inside a row's quoted fields (CRLF counts once), so that
    /// each row can be reported at the line where it starts.
    static func lineBreaks(in row: [String]) -> Int {
        row.reduce(0) { count, field in
            var breaks = 0
            var previousCR = false
            for scalar in field.unicodeScalars {
                if scalar == "\n" {
                    if !previousCR { breaks += 1 }; previousCR = false
                } else if scalar == "\r" {
                    breaks += 1; previousCR = true
                } else {
                    previousCR = false
                }
            }
            return count + breaks
        }
    }

    /// A quoting mistake that a lenient CSV reader would silently turn into shifted or swallowed rows.
    enum QuoteProblem: Equatable {
        case unterminated(line: Int)
        case textAfterClosingQuote(line: Int)

        func diagnostic(file: String) -> Diagnostic {
            switch self {
            case .unterminated(let line):
                return Diagnostic(
                    .badData, file: file, line: line,
                    "a quoted field opened here is never closed; close it with '\"' (write a quote inside a field as \"\")")
            case .textAfterClosingQuote(let line):
                return Diagnostic(
                    .badData, file: file, line: line,
                    "text follows a closing quote; quote the whole field and write a quote inside it as \"\"")
            }
        }
    }

    /// Scans the raw text for quoting mistakes, tracking physical lines.
    static func quoteProblem(_ text: String) -> QuoteProblem? {
        var scanner = QuoteScanner()
        for scalar in text.unicodeScalars {
            if let problem = scanner.feed(scalar) { return problem }
        }
        return scanner.finish()
    }
}

/// Finds quoting mistakes in CSV text fed one scalar at a time, tracking physical lines, so
/// that a file can be checked while it is streamed.
struct QuoteScanner {
    private var line = 1
    private var inQuotes = false
    private var justClosed = false
    private var openedAt = 0
    private var atFieldStart = true
    private var previous: Unicode.Scalar?

    /// Takes the next scalar; returns the first problem found.
    mutating func feed(_ scalar: Unicode.Scalar) -> RecipientList.QuoteProblem? {
        defer { previous = scalar }
        if scalar == "\n" && previous != "\r" { line += 1 }
        if scalar == "\r" { line += 1 }
        if inQuotes {
            if scalar == "\"" { inQuotes = false; justClosed = true }
            return nil
        }
        switch scalar {
        case "\"":
            if atFieldStart { inQuotes = true; openedAt = line } else if justClosed { inQuotes = true }  // "" inside a quoted field: an escaped quote
            atFieldStart = false
        case ",", "\n", "\r":
            atFieldStart = true
        default:
            if justClosed { return .textAfterClosingQuote(line: line) }
            atFieldStart = false
        }
        justClosed = false
        return nil
    }

    /// At the end of the text: a quote still open is a problem.
    func finish() -> RecipientList.QuoteProblem? {
        inQuotes ? .unterminated(line: openedAt) : nil
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
