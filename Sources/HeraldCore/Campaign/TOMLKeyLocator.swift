/// Where each key of a TOML document is written, for diagnostics that name a line.
///
/// TOMLKit 0.6.0 gives a source position only with a parse error (`TOMLParseError.source`);
/// its tables and values carry none (toml++ underneath keeps them, but TOMLKit's C bridge does
/// not pass them on). So this reads the document's structure itself, as far as placing keys
/// needs: `[table]` and `[[array]]` headers, dotted keys (`smtp.url = …` at the top level,
/// `a."b.c" = …`), quoted keys, inline tables (`smtp = { url = "…" }`, nested ones too), and
/// every value it must step over without being fooled by its content: strings of all four
/// kinds (multi-line ones included), arrays across lines, comments.
///
/// Meant for text TOMLKit accepted; on anything else it still ends, knowing fewer lines.
struct TOMLKeyLocator {
    /// The line (from 1) where each key path is first written: a key's own assignment, or the
    /// header, dotted key or inline table that first mentions a table.
    let lines: [[String]: Int]

    init(_ text: String) {
        var scanner = Scanner(text)
        scanner.document()
        lines = scanner.lines
    }

    /// The line of `path`; for a key not written, the line of the nearest enclosing table that
    /// is (a missing `smtp.url` points at the `[smtp]` table); nil when neither is.
    func line(of path: [String]) -> Int? {
        var path = path[...]
        while !path.isEmpty {
            if let line = lines[Array(path)] { return line }
            path = path.dropLast()
        }
        return nil
    }

    /// The line where `key` is assigned inside `table` (nil for the top level), or where the table opens.
    func line(of key: String, in table: String?) -> Int? {
        line(of: (table.map { [$0] } ?? []) + [key])
    }
}

/// A single pass over a TOML document, recording the line of every key path.
private struct Scanner {
    private let text: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    /// The table the following key/value pairs belong to (the last header).
    private var table: [String] = []
    private(set) var lines: [[String]: Int] = [:]

    init(_ source: String) {
        text = Array(source.unicodeScalars)
    }

    private var current: Unicode.Scalar? { index < text.count ? text[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < text.count ? text[index + offset] : nil
    }

    private mutating func advance() {
        guard index < text.count else { return }
        if text[index] == "\n" { line += 1 }
        index += 1
    }

    private mutating func advance(while condition: (Unicode.Scalar) -> Bool) {
        while let scalar = current, condition(scalar) { advance() }
    }

    private mutating func skipSpaces() {
        advance { $0 == " " || $0 == "\t" || $0 == "\r" }
    }

    /// Spaces, line ends and comments, as allowed inside arrays (and inline tables, leniently).
    private mutating func skipBlank() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                advance()
            } else if scalar == "#" {
                skipComment()
            } else {
                return
            }
        }
    }

    private mutating func skipComment() {
        advance { $0 != "\n" }
    }

    /// Records `path` and each of its prefixes longer than `known` elements, where first seen.
    private mutating func record(_ path: [String], at line: Int, beyond known: Int) {
        guard known < path.count else { return }
        for end in (known + 1)...path.count where lines[Array(path[..<end])] == nil {
            lines[Array(path[..<end])] = line
        }
    }

    mutating func document() {
        while let scalar = current {
            let start = index
            switch scalar {
            case " ", "\t", "\r", "\n":
                advance()
            case "#":
                skipComment()
            case "[":
                header()
            default:
                keyValue(in: table, recording: true)
            }
            if index == start { advance() }  // never stuck on text that is not TOML
        }
    }

    /// `[a.b]` or `[[a.b]]`: the table that the next key/value pairs belong to.
    private mutating func header() {
        let headerLine = line
        advance()
        let isArray = current == "["
        if isArray { advance() }
        skipSpaces()
        let path = key()
        skipSpaces()
        if current == "]" { advance() }
        if isArray && current == "]" { advance() }
        guard !path.isEmpty else { return }
        table = path
        record(path, at: headerLine, beyond: 0)
    }

    /// `key = value`, where the key may be dotted; its path starts at `prefix`.
    private mutating func keyValue(in prefix: [String], recording: Bool) {
        let keyLine = line
        let parts = key()
        guard !parts.isEmpty else { return }
        let path = prefix + parts
        if recording { record(path, at: keyLine, beyond: prefix.count) }
        skipSpaces()
        guard current == "=" else { return }
        advance()
        skipSpaces()
        value(at: recording ? path : nil)
    }

    /// A dotted key, each part bare or quoted; empty when there is none here.
    private mutating func key() -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let part = simpleKey() else { break }
            parts.append(part)
            skipSpaces()
            guard current == "." else { break }
            advance()
        }
        return parts
    }

    private mutating func simpleKey() -> String? {
        switch current {
        case "\"":
            return basicString()
        case "'":
            return literalString()
        case let scalar? where Self.isBareKey(scalar):
            var name = String.UnicodeScalarView()
            while let scalar = current, Self.isBareKey(scalar) {
                name.append(scalar)
                advance()
            }
            return String(name)
        default:
            return nil
        }
    }

    /// TOML's bare keys are ASCII letters, digits, `-` and `_`; any other character that
    /// cannot end a key is taken too, so a newer TOML's keys still get their lines.
    private static func isBareKey(_ scalar: Unicode.Scalar) -> Bool {
        !" \t\r\n=.[]{},#\"'".unicodeScalars.contains(scalar)
    }

    /// Steps over one value; the keys of an inline table are recorded under `path` (nil: not recorded).
    private mutating func value(at path: [String]?) {
        switch current {
        case "\"":
            if peek(1) == "\"" && peek(2) == "\"" { multiLineString(quote: "\"") } else { _ = basicString() }
        case "'":
            if peek(1) == "'" && peek(2) == "'" { multiLineString(quote: "'") } else { _ = literalString() }
        case "[":
            array()
        case "{":
            inlineTable(at: path)
        default:
            // A number, a boolean or a date (which may hold a space): up to what ends a value.
            advance { !",]}#\n".unicodeScalars.contains($0) }
        }
    }

    private mutating func array() {
        advance()
        while let scalar = current {
            let start = index
            switch scalar {
            case "]":
                advance()
                return
            case ",", " ", "\t", "\r", "\n", "#":
                if scalar == "," { advance() } else { skipBlank() }
            default:
                // Elements are not keys: an inline table inside an array is stepped over.
                value(at: nil)
            }
            if index == start { advance() }
        }
    }

    private mutating func inlineTable(at path: [String]?) {
        advance()
        while let scalar = current {
            let start = index
            switch scalar {
            case "}":
                advance()
                return
            case ",", " ", "\t", "\r", "\n", "#":
                if scalar == "," { advance() } else { skipBlank() }
            default:
                keyValue(in: path ?? [], recording: path != nil)
            }
            if index == start { advance() }
        }
    }

    /// `"…"` on one line, escapes decoded (a quoted key's name must match TOMLKit's).
    private mutating func basicString() -> String {
        advance()
        var value = String.UnicodeScalarView()
        while let scalar = current, scalar != "\n" {
            advance()
            if scalar == "\"" { break }
            if scalar == "\\", let escaped = current {
                advance()
                value.append(contentsOf: unescape(escaped).unicodeScalars)
            } else {
                value.append(scalar)
            }
        }
        return String(value)
    }

    private mutating func unescape(_ escaped: Unicode.Scalar) -> String {
        switch escaped {
        case "b": return "\u{8}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "u", "U", "x":
            let digits = escaped == "u" ? 4 : escaped == "U" ? 8 : 2
            var hex = ""
            for _ in 0..<digits {
                guard let digit = current, digit.properties.isASCIIHexDigit else { break }
                hex.unicodeScalars.append(digit)
                advance()
            }
            return UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init).map(String.init) ?? ""
        default:
            return String(escaped)  // \" and \\
        }
    }

    /// `'…'` on one line, taken as written.
    private mutating func literalString() -> String {
        advance()
        var value = String.UnicodeScalarView()
        while let scalar = current, scalar != "\n" {
            advance()
            if scalar == "'" { break }
            value.append(scalar)
        }
        return String(value)
    }

    /// `"""…"""` or `'''…'''`, across lines; up to two more quotes right before the closing
    /// three belong to the content.
    private mutating func multiLineString(quote: Unicode.Scalar) {
        advance()
        advance()
        advance()
        while let scalar = current {
            if quote == "\"" && scalar == "\\" {
                advance()
                advance()
                continue
            }
            if scalar == quote && peek(1) == quote && peek(2) == quote {
                advance()
                advance()
                advance()
                var extra = 0
                while current == quote && extra < 2 {
                    advance()
                    extra += 1
                }
                return
            }
            advance()
        }
    }
}
