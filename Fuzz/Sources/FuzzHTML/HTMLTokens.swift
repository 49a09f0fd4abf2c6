/// HTML read roughly as a browser's tokenizer reads it (WHATWG §13.2.5, the parts a letter
/// can reach): start and end tags with their attributes (quoted, single-quoted or unquoted
/// values, character references decoded), comments, `<!…>` and `<?…>` as bogus comments,
/// and the raw-text elements whose content holds no tags. Independent of `HTMLSkeleton`'s
/// own walk, so that the two disagreeing is what the harness finds.
struct HTMLTokens {
    struct Attribute: Equatable {
        var name: String
        var value: String
    }

    /// Each tag as `name attr attr…`, end tags with their `/`: what a value must not change.
    private(set) var shape: [String] = []
    /// Every attribute of every start tag, in order.
    private(set) var attributes: [Attribute] = []

    static let rawText: Set<String> = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"]
    static let urlAttributes: Set<String> = ["href", "src", "action", "formaction", "xlink:href", "background", "poster", "data", "cite", "longdesc", "usemap", "lowsrc", "dynsrc", "ping"]

    init(_ html: String) {
        let s = Array(html.unicodeScalars)
        var i = 0
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\u{0C}" || c == "\r" }
        while i < s.count {
            guard s[i] == "<", i + 1 < s.count else { i += 1; continue }
            let next = s[i + 1]
            if next == "!" {
                if i + 3 < s.count, s[i + 2] == "-", s[i + 3] == "-" {
                    // A comment: ends at `-->` (or `<!-->`, `<!--->`).
                    var j = i + 4
                    if j < s.count, s[j] == ">" { i = j + 1; shape.append("#comment"); continue }
                    if j + 1 < s.count, s[j] == "-", s[j + 1] == ">" { i = j + 2; shape.append("#comment"); continue }
                    while j < s.count, !(j + 2 < s.count && s[j] == "-" && s[j + 1] == "-" && (s[j + 2] == ">" || (j + 3 < s.count && s[j + 2] == "!" && s[j + 3] == ">"))) { j += 1 }
                    i = j < s.count ? j + (s[j + 2] == ">" ? 3 : 4) : s.count
                } else {
                    var j = i + 2
                    while j < s.count, s[j] != ">" { j += 1 }
                    i = j + 1
                }
                shape.append("#comment")
                continue
            }
            if next == "?" {
                var j = i + 2
                while j < s.count, s[j] != ">" { j += 1 }
                i = j + 1
                shape.append("#comment")
                continue
            }
            let end = next == "/"
            let nameStart = i + (end ? 2 : 1)
            guard nameStart < s.count, isLetter(s[nameStart]) else {
                if end, nameStart < s.count, s[nameStart] == ">" { i = nameStart + 1; continue }
                if end, nameStart < s.count {
                    var j = nameStart
                    while j < s.count, s[j] != ">" { j += 1 }
                    i = j + 1
                    shape.append("#comment")
                    continue
                }
                i += 1
                continue
            }
            var j = nameStart
            var name = ""
            while j < s.count, !isSpace(s[j]), s[j] != "/", s[j] != ">" { name += String(s[j]).lowercased(); j += 1 }
            var tag = (end ? "/" : "") + name
            var names: Set<String> = []
            // Attributes.
            while j < s.count {
                while j < s.count, isSpace(s[j]) || s[j] == "/" { j += 1 }
                if j >= s.count || s[j] == ">" { break }
                var attribute = ""
                attribute += String(s[j]).lowercased()
                j += 1
                while j < s.count, !isSpace(s[j]), s[j] != "/", s[j] != ">", s[j] != "=" { attribute += String(s[j]).lowercased(); j += 1 }
                while j < s.count, isSpace(s[j]) { j += 1 }
                var value = ""
                if j < s.count, s[j] == "=" {
                    j += 1
                    while j < s.count, isSpace(s[j]) { j += 1 }
                    if j < s.count, s[j] == "\"" || s[j] == "'" {
                        let quote = s[j]
                        j += 1
                        var raw = ""
                        while j < s.count, s[j] != quote { raw.unicodeScalars.append(s[j]); j += 1 }
                        j += 1
                        value = Self.decodeReferences(raw)
                    } else {
                        var raw = ""
                        while j < s.count, !isSpace(s[j]), s[j] != ">" { raw.unicodeScalars.append(s[j]); j += 1 }
                        value = Self.decodeReferences(raw)
                    }
                }
                // A repeated attribute is dropped, as browsers do.
                if !end, names.insert(attribute).inserted {
                    tag += " " + attribute
                    attributes.append(Attribute(name: attribute, value: value))
                }
            }
            i = j + 1
            shape.append(tag)
            if !end, Self.rawText.contains(name) {
                // Raw text up to the matching end tag.
                let close = Array("</\(name)".unicodeScalars)
                var k = i
                while k < s.count {
                    if k + close.count <= s.count, String(String.UnicodeScalarView(s[k..<k + close.count])).lowercased() == String(String.UnicodeScalarView(close)),
                       k + close.count == s.count || isSpace(s[k + close.count]) || s[k + close.count] == ">" || s[k + close.count] == "/" { break }
                    k += 1
                }
                i = k
            }
        }
    }

    /// Named and numeric character references decoded (the few names a letter meets, and every
    /// number); an unknown one is left as written.
    static func decodeReferences(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "tab": "\t", "newline": "\n",
                                       "colon": ":", "nbsp": "\u{A0}", "sol": "/", "num": "#", "lpar": "(", "rpar": ")"]
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&" else { out.append(s[i]); i += 1; continue }
            var j = i + 1
            var body = ""
            while j < s.count, j - i < 40, s[j] != ";", s[j] != "&", s[j] != "<", !(s[j] == " ") { body.unicodeScalars.append(s[j]); j += 1 }
            let terminated = j < s.count && s[j] == ";"
            var decoded: Unicode.Scalar?
            if body.hasPrefix("#x") || body.hasPrefix("#X") {
                decoded = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { $0.value == 0 ? "\u{FFFD}" : $0 }
            } else if body.hasPrefix("#") {
                decoded = UInt32(body.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init).map { $0.value == 0 ? "\u{FFFD}" : $0 }
            } else if let value = named[body.lowercased()] {
                decoded = value.unicodeScalars.first
            }
            if let decoded {
                out.append(decoded)
                i = terminated ? j + 1 : j
            } else {
                out.append("&")
                i += 1
            }
        }
        return String(out)
    }

    /// A URL attribute's value as a browser reads its scheme: leading and trailing C0 controls
    /// and spaces stripped, tabs and newlines removed, lowercased.
    static func urlAsResolved(_ value: String) -> String {
        var scalars = Array(value.unicodeScalars)
        while let first = scalars.first, first.value <= 0x20 { scalars.removeFirst() }
        while let last = scalars.last, last.value <= 0x20 { scalars.removeLast() }
        scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(String.UnicodeScalarView(scalars)).lowercased()
    }
}
