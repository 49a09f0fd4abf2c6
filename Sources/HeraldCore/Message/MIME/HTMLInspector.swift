/// Reads a Markdown letter's rendered HTML (Ink's output, a placeholder where each field value
/// goes) the way a browser's tokenizer does, and names everything that would make the letter
/// do more than show text: a field where escaping cannot keep it text, and the template's own
/// scripts, frames, remote resources and non-web links.
///
/// Why on the rendered HTML and by a tokenizer: the same markup reaches it whether the author
/// wrote Markdown (`[x](…)`, `![](…)`) or raw HTML, and an attribute is judged by its name and
/// its decoded value as a browser reads them, not by the characters the template happens to
/// use (`[x]( {{url}})`, `&#32;`, `<a href=" {{url}}">`). A field is allowed in text, in a
/// quoted attribute that is only text (`alt`, `title`, …), and in a link's address after the
/// template's own literal `https://`, `http://`, `mailto:` or `#`; anywhere else it is refused,
/// whatever the values, so nothing depends on checking each row.
struct HTMLInspector {
    /// One thing the HTML must not hold.
    struct Problem: Sendable, Equatable {
        /// The field's placeholder number, or nil for the template's own markup.
        var field: Int?
        /// For the template's own markup: what is refused (`<script>`, `href`), for the report.
        var subject: String
        var reason: String
    }

    /// A scalar of the HTML, or a whole placeholder.
    private enum Unit: Equatable {
        case char(Unicode.Scalar)
        case field(Int)
    }

    /// An attribute as the tokenizer read it.
    private struct Attribute {
        var name: String
        var value: [Unit]
        var quoted: Bool
        var fieldInName: Int?
    }

    let policy: HTMLPolicy
    private let units: [Unit]
    private var index = 0
    private(set) var problems: [Problem] = []

    /// Inspects `html` under `policy`.
    static func problems(in html: String, policy: HTMLPolicy) -> [Problem] {
        var inspector = HTMLInspector(html, policy: policy)
        inspector.run()
        return inspector.problems
    }

    private init(_ html: String, policy: HTMLPolicy) {
        self.policy = policy
        var units: [Unit] = []
        units.reserveCapacity(html.unicodeScalars.count)
        var number: Int?
        for scalar in html.unicodeScalars {
            if scalar == LetterTemplate.placeholderOpen { number = 0; continue }
            if let current = number {
                if scalar == LetterTemplate.placeholderClose {
                    units.append(.field(current))
                    number = nil
                } else if ("0"..."9").contains(scalar) {
                    number = current * 10 + Int(scalar.value - 48)
                }
                continue
            }
            units.append(.char(scalar))
        }
        self.units = units
    }

    private init(units: [Unit], policy: HTMLPolicy) {
        self.policy = policy
        self.units = units
    }

    // MARK: What is refused

    /// Elements that run script, embed other documents, load style sheets or change how the
    /// letter's addresses resolve: refused wherever they stand.
    static let refusedElements: [String: String] = [
        "script": "runs script", "noscript": "belongs with script",
        "style": "is a style sheet (write inline style attributes)", "link": "loads a resource (a style sheet, a font) from elsewhere",
        "iframe": "is a frame", "frame": "is a frame", "frameset": "is a frame", "fencedframe": "is a frame", "portal": "is a frame",
        "object": "embeds another document", "embed": "embeds another document", "applet": "embeds a program",
        "base": "changes where every link of the letter goes", "meta": "can redirect or refresh the letter",
        "svg": "is an SVG island (its own links, animations and script)", "math": "is a MathML island (its own links)",
        "template": "holds markup a script would use",
    ]

    /// Attributes a browser reads as an address to go to when clicked.
    static let linkAttributes: Set<String> = ["href", "action", "formaction", "cite", "longdesc", "usemap", "itemtype", "xml:base", "xlink:href"]

    /// Attributes a browser reads as an address to load from while showing the letter.
    static let resourceAttributes: Set<String> = [
        "src", "srcset", "imagesrcset", "poster", "background", "data", "lowsrc", "dynsrc",
        "codebase", "archive", "classid", "icon", "manifest", "profile", "attributionsrc",
    ]

    /// Attributes that are only text to a browser: a field may stand anywhere in their quoted value.
    static let textAttributes: Set<String> = [
        "alt", "title", "class", "id", "name", "lang", "dir", "width", "height", "align", "valign", "colspan", "rowspan", "abbr",
        "summary", "datetime", "start", "value", "label", "placeholder", "headers", "scope", "border", "cellpadding", "cellspacing",
        "bgcolor", "color", "size", "face", "type", "rel", "target", "hreflang", "reversed", "span", "nowrap", "hspace", "vspace",
        "translate", "role",
    ]

    /// Schemes a link may have: the web and mail.
    static let linkSchemes: Set<String> = ["https", "http", "mailto"]

    /// What a field's address must start with, in the template's own characters, for the
    /// template (not the field) to choose the link's scheme.
    static let fixedStarts = ["https://", "http://", "mailto:", "#"]

    // MARK: Tokenizer

    private var current: Unit? { index < units.count ? units[index] : nil }

    private func char(at offset: Int) -> Unicode.Scalar? {
        guard index + offset < units.count, case .char(let scalar) = units[index + offset] else { return nil }
        return scalar
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{0C}"
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private mutating func run() {
        while let unit = current {
            switch unit {
            case .field:
                index += 1
            case .char(let scalar):
                guard scalar == "<" else { index += 1; continue }
                if let number = fieldAfterTagOpen() {
                    problems.append(Problem(field: number, subject: "<", reason: Self.afterTagOpen))
                    index += 1
                } else if char(at: 1) == "!" && char(at: 2) == "-" && char(at: 3) == "-" {
                    comment()
                } else if char(at: 1) == "!" || char(at: 1) == "?" {
                    skip(past: ">", what: "an HTML declaration (<!…>, <?…>, CDATA, DOCTYPE)")
                } else if char(at: 1) == "/", let next = char(at: 2), Self.isASCIILetter(next) {
                    index += 2
                    _ = tag()
                } else if char(at: 1) == "/" {
                    // `</>` and `</` before anything but a letter: a bogus comment up to `>`, as a browser reads it.
                    skip(past: ">", what: "a bogus comment (</ before anything but a letter)")
                } else if let next = char(at: 1), Self.isASCIILetter(next) {
                    index += 1
                    let (name, attributes) = tag()
                    check(element: name, attributes: attributes)
                    if ["script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"].contains(name) {
                        rawText(until: name)
                    } else if name == "plaintext" {
                        rawText(until: "\u{0}")
                    }
                } else {
                    index += 1
                }
            }
        }
    }

    /// `<!-- … -->`, ended as a browser ends it: `<!-->` and `<!--->` are whole comments, and
    /// `--!>` closes one too (else markup after them would go unread). A conditional comment
    /// (`<!--[if mso]>`) is markup Outlook reads, refused.
    ///
    /// A field anywhere in a comment is refused (a value such as `--` can end it early, and what
    /// it hid goes live), and the comment's own content is inspected as if it were live markup:
    /// a mail client may end a comment elsewhere than a browser does.
    private mutating func comment() {
        index += 4
        if char(at: 0) == ">" { index += 1; return }
        if char(at: 0) == "-" && char(at: 1) == ">" { index += 2; return }
        var body: [Unit] = []
        while let unit = current {
            if case .char("-") = unit, char(at: 1) == "-", char(at: 2) == ">" { index += 3; break }
            if case .char("-") = unit, char(at: 1) == "-", char(at: 2) == "!", char(at: 3) == ">" { index += 4; break }
            if case .field(let number) = unit {
                problems.append(
                    Problem(
                        field: number, subject: "<!--",
                        reason:
                            "stands inside an HTML comment, where a value such as -- or > can end the comment early and make what it hides live; move the field out of the comment"
                    ))
            }
            body.append(unit)
            index += 1
        }
        if Self.text(Array(body.prefix(8))).lowercased().hasPrefix("[if") {
            problems.append(
                Problem(field: nil, subject: "<!--[if", reason: "has a conditional comment, markup that Outlook reads and other checks cannot see; remove it"))
        }
        var inner = HTMLInspector(units: body.filter { if case .char = $0 { true } else { false } }, policy: policy)
        inner.run()
        for found in inner.problems {
            problems.append(
                Problem(
                    field: found.field, subject: found.subject,
                    reason: found.reason + " (inside an HTML comment, which a mail client may end early and show live: remove it from the comment too)"))
        }
    }

    /// The field right after a literal `<`, `</`, `<!` or `<?` (the `<` at `index`), or nil.
    ///
    /// Why refused whatever the value: there a browser reads the value as a tag's name (`img
    /// src=x onerror=…`, even a valid address `svg/onload=…//@x.example`) or as a comment or
    /// declaration that hides what follows; escaping cannot help, since a tag name needs no
    /// `<` of its own, and Ink passes `<`+field+`>` through as raw HTML.
    private func fieldAfterTagOpen() -> Int? {
        for offset in [1, 2] {
            guard index + offset < units.count else { return nil }
            if case .field(let number) = units[index + offset] { return number }
            guard offset == 1, let next = char(at: 1), next == "/" || next == "!" || next == "?" else { return nil }
        }
        return nil
    }

    /// The refusal of a field right after `<`, with how to write an address instead.
    static let afterTagOpen =
        "stands right after a literal <, where a browser reads the value as a tag (it can run script, load an image or hide text; an address written <{{email}}> vanishes from the HTML part); write the address as a link, [{{email}}](mailto:{{email}}), or leave out the angle brackets"

    /// Skips a bogus comment or declaration up to `terminator`; a field in it is refused (a
    /// value could end it early, or make it swallow what follows).
    private mutating func skip(past terminator: Unicode.Scalar, what: String) {
        while let unit = current {
            index += 1
            if unit == .char(terminator) { return }
            if case .field(let number) = unit {
                problems.append(
                    Problem(
                        field: number, subject: "<!",
                        reason: "stands inside \(what), where a value could end it early and make what it hides live; move the field out of it"))
            }
        }
    }

    /// The content of a raw-text element up to its end tag; a field in it is refused for
    /// `<script>` and `<style>` (escaping means nothing there).
    private mutating func rawText(until name: String) {
        let end = Array("</\(name)".unicodeScalars)
        while current != nil {
            var matches = true
            for (offset, scalar) in end.enumerated() {
                guard let found = char(at: offset), String(found).lowercased() == String(scalar) else { matches = false; break }
            }
            if matches { return }
            if case .field(let number) = current!, name == "script" || name == "style" {
                problems.append(Problem(field: number, subject: "<\(name)>", reason: "stands inside a <script> or <style> element"))
            }
            index += 1
        }
    }

    /// A tag from its name to its `>`: the lowercased name and the attributes.
    private mutating func tag() -> (String, [Attribute]) {
        var name = ""
        while let unit = current {
            if case .char(let scalar) = unit {
                if Self.isSpace(scalar) || scalar == "/" || scalar == ">" { break }
                name.unicodeScalars.append(scalar)
            } else if case .field(let number) = unit {
                problems.append(Problem(field: number, subject: "tag", reason: "stands inside an HTML tag, outside a quoted attribute value"))
            }
            index += 1
        }
        var attributes: [Attribute] = []
        while let unit = current {
            switch unit {
            case .char(">"):
                index += 1
                return (name.lowercased(), attributes)
            case .char(let scalar) where Self.isSpace(scalar) || scalar == "/":
                index += 1
            default:
                attributes.append(attribute())
            }
        }
        // The page's frame follows the letter: a tag left open would take the frame's markup into it.
        problems.append(
            Problem(
                field: nil, subject: "<\(name.lowercased())>",
                reason: "has a <\(name.lowercased())> tag that is never closed (no > after it, or an attribute's quote left open); close it"))
        return (name.lowercased(), attributes)
    }

    /// One attribute: its name, then `=` and a quoted or unquoted value.
    private mutating func attribute() -> Attribute {
        var attribute = Attribute(name: "", value: [], quoted: false)
        var first = true
        while let unit = current {
            if case .char(let scalar) = unit {
                if Self.isSpace(scalar) || scalar == "/" || scalar == ">" || (scalar == "=" && !first) { break }
                attribute.name.unicodeScalars.append(scalar)
            } else if case .field(let number) = unit {
                attribute.fieldInName = attribute.fieldInName ?? number
            }
            first = false
            index += 1
        }
        attribute.name = attribute.name.lowercased()
        var lookahead = 0
        while let scalar = char(at: lookahead), Self.isSpace(scalar) { lookahead += 1 }
        guard char(at: lookahead) == "=" else { return attribute }
        index += lookahead + 1
        while let scalar = char(at: 0), Self.isSpace(scalar) { index += 1 }
        if let quote = char(at: 0), quote == "\"" || quote == "'" {
            attribute.quoted = true
            index += 1
            while let unit = current {
                index += 1
                if unit == .char(quote) { break }
                attribute.value.append(unit)
            }
        } else {
            while let unit = current {
                if case .char(let scalar) = unit, Self.isSpace(scalar) || scalar == ">" { break }
                attribute.value.append(unit)
                index += 1
            }
        }
        return attribute
    }

    // MARK: Checks

    private mutating func check(element: String, attributes: [Attribute]) {
        if let why = Self.refusedElements[element] {
            problems.append(
                Problem(
                    field: nil, subject: "<\(element)>",
                    reason: "has a <\(element)> element, which \(why); a letter loads nothing from elsewhere and runs no script: remove it"))
        }
        for attribute in attributes {
            check(attribute, of: element)
        }
    }

    private mutating func check(_ attribute: Attribute, of element: String) {
        let name = attribute.name
        if let number = attribute.fieldInName {
            problems.append(Problem(field: number, subject: "tag", reason: "stands inside an HTML tag, outside a quoted attribute value"))
            return
        }
        if name.unicodeScalars.contains(where: { $0 == "\"" || $0 == "'" || $0 == "<" || $0 == "`" }) {
            problems.append(
                Problem(
                    field: nil, subject: "<\(element)>",
                    reason:
                        "has a malformed <\(element)> tag (an attribute named \(name)): Ink does not read a link's title, [text](address \"title\"); write the address alone"
                ))
            return
        }
        let fields = attribute.value.compactMap { unit -> Int? in if case .field(let number) = unit { number } else { nil } }
        if let number = fields.first, !attribute.quoted {
            problems.append(Problem(field: number, subject: name, reason: "stands inside an HTML tag, outside a quoted attribute value"))
            return
        }
        if name.hasPrefix("on") && name.count > 2 {
            if let number = fields.first {
                problems.append(
                    Problem(
                        field: number, subject: name,
                        reason: "stands in the event handler \(name), which a browser runs as script (character references decoded first)"))
            } else {
                problems.append(
                    Problem(
                        field: nil, subject: name, reason: "has an event handler (\(name) on <\(element)>), which is script; a letter runs no script: remove it"
                    ))
            }
            return
        }
        let written = Self.text(attribute.value)
        if name == "style" {
            if let number = fields.first {
                problems.append(
                    Problem(field: number, subject: name, reason: "stands in a style attribute, which a browser reads as CSS (it can load from elsewhere)"))
            } else if let found = Self.remoteCSS(written) {
                problems.append(
                    Problem(
                        field: nil, subject: name,
                        reason: "has a style attribute on <\(element)> with \(found), which can load from elsewhere; use plain CSS properties only"))
            }
            return
        }
        if name == "ping" {
            problems.append(
                Problem(field: fields.first, subject: name, reason: "has a ping attribute, which reports every click to an address (tracking): remove it"))
            return
        }
        if Self.linkAttributes.contains(name) {
            checkLink(attribute, of: element, fields: fields, written: written)
        } else if Self.resourceAttributes.contains(name) {
            checkResource(attribute, of: element, fields: fields, written: written)
        } else if let number = fields.first, !(Self.textAttributes.contains(name) || name.hasPrefix("aria-") || name.hasPrefix("data-")) {
            problems.append(
                Problem(
                    field: number, subject: name,
                    reason:
                        "stands in the attribute \(name), which a browser may read as code or an address; a field may stand in text, in a text attribute (alt, title, …) or in a link's address after its https://"
                ))
        }
    }

    /// A link: the template's own scheme must be the web's or mail's; a field may only follow a literal start that fixes it.
    private mutating func checkLink(_ attribute: Attribute, of element: String, fields: [Int], written: String) {
        let name = attribute.name
        if written.hasPrefix("<") {
            let verb = fields.isEmpty ? "has" : "stands in"
            problems.append(
                Problem(
                    field: fields.first, subject: name,
                    reason: "\(verb) a link address in angle brackets, [text](<address>), which Ink keeps as a literal <; write [text](address)"))
            return
        }
        if let number = fields.first {
            let lowered = Self.text(Array(attribute.value.prefix { if case .char = $0 { true } else { false } })).lowercased()
            guard Self.fixedStarts.contains(where: { lowered.hasPrefix($0) }) else {
                problems.append(
                    Problem(
                        field: number, subject: name,
                        reason:
                            "stands where it could choose the scheme of a link's address (javascript:), even after spaces or character references; write the address's beginning in the template, e.g. https://example.org/{{page}}"
                    ))
                return
            }
        }
        switch Self.scheme(written) {
        case .some(.some(let scheme)) where !Self.linkSchemes.contains(scheme):
            problems.append(
                Problem(
                    field: nil, subject: name,
                    reason: "has a link to a \(scheme): address (on <\(element)>); a letter links only to https:, http: or mailto: addresses"))
        case .some(nil):
            problems.append(
                Problem(field: nil, subject: name, reason: "has a link address whose scheme is hidden in a character reference; write it plainly (https://…)"))
        default:
            break
        }
    }

    /// A resource loaded while the letter is shown: only `data:` and `cid:`, or a remote
    /// image when `[html] remote_images` allows it.
    private mutating func checkResource(_ attribute: Attribute, of element: String, fields: [Int], written: String) {
        let name = attribute.name
        // An image: <img src/srcset>, or a <picture>'s <source srcset> (a <video>'s <source src> is not one).
        let remoteImage = policy.remoteImages && ((element == "img" && (name == "src" || name == "srcset")) || (element == "source" && name == "srcset"))
        if let number = fields.first {
            let start = Self.text(Array(attribute.value.prefix { if case .char = $0 { true } else { false } })).lowercased()
            let fixed = start.hasPrefix("https://") || start.hasPrefix("http://")
            if remoteImage && name == "src" && fixed { return }
            if remoteImage {
                problems.append(
                    Problem(
                        field: number, subject: name,
                        reason:
                            "stands where it could choose the address an image loads from; write the address's beginning in the template, e.g. https://example.org/{{image}}"
                    ))
                return
            }
            // Otherwise the resource itself is refused below: it loads from elsewhere.
        }
        // A srcset is a list of candidates, any of which a browser may load: each address is checked.
        let addresses = Self.candidateLists.contains(name) ? Self.srcsetAddresses(Self.decodeReferences(written)) : [written]
        let allowed =
            fields.isEmpty && !addresses.isEmpty
            && addresses.allSatisfy { address in
                let scheme = Self.candidateLists.contains(name) ? Self.scheme(decoded: address) : Self.scheme(address)
                if case .some(.some(let found)) = scheme, found == "data" || found == "cid" { return true }
                if remoteImage, case .some(.some(let found)) = scheme, found == "https" || found == "http" { return true }
                return false
            }
        if allowed { return }
        let what = element == "img" ? "image" : "resource"
        let allow = element == "img" ? "; to allow remote images, set remote_images = true in the campaign's [html] table" : ""
        problems.append(
            Problem(
                field: nil, subject: name,
                reason:
                    "has <\(element) \(name)=…>, which loads \(element == "img" ? "an" : "a") \(what) from elsewhere when the letter is opened (a remote \(what) can tell the sender who read the letter, and when)\(allow)"
            ))
    }

    // MARK: Values

    /// The characters of a value, a field as nothing.
    private static func text(_ units: [Unit]) -> String {
        var text = String.UnicodeScalarView()
        for case .char(let scalar) in units { text.append(scalar) }
        return String(text)
    }

    /// The scheme of an address as a browser reads it: character references decoded, leading
    /// and trailing spaces and controls stripped, tabs and line breaks removed. Nil for an
    /// address without a scheme (relative); `.some(nil)` when a reference Herald does not
    /// decode stands before the scheme's colon.
    static func scheme(_ written: String) -> String?? {
        scheme(decoded: decodeReferences(written))
    }

    /// The scheme of an address whose character references are already decoded, as ``scheme(_:)``.
    static func scheme(decoded: String) -> String?? {
        var scalars = Array(decoded.unicodeScalars)
        while let first = scalars.first, first.value <= 0x20 { scalars.removeFirst() }
        scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }
        var scheme = ""
        for scalar in scalars {
            if scalar == ":" { return scheme.isEmpty ? nil : .some(scheme.lowercased()) }
            if scalar == "&" { return .some(nil) }
            let schemeCharacter = isASCIILetter(scalar) || ("0"..."9").contains(scalar) || scalar == "+" || scalar == "-" || scalar == "."
            guard schemeCharacter, !(scheme.isEmpty && !isASCIILetter(scalar)) else { return nil }
            scheme.unicodeScalars.append(scalar)
        }
        return nil
    }

    /// Attributes whose value is a list of image candidates (`url 2x, url 640w`).
    static let candidateLists: Set<String> = ["srcset", "imagesrcset"]

    /// The address of each candidate of a (decoded) `srcset`, split as the HTML standard's
    /// "parse a srcset attribute" does: candidates are separated by commas, an address runs to
    /// the next ASCII space (trailing commas dropped, which end the candidate), and its
    /// descriptors run to the next comma outside parentheses.
    static func srcsetAddresses(_ value: String) -> [String] {
        let scalars = Array(value.unicodeScalars)
        var addresses: [String] = []
        var i = 0
        while true {
            while i < scalars.count, isSpace(scalars[i]) || scalars[i] == "," { i += 1 }
            guard i < scalars.count else { return addresses }
            var address = String.UnicodeScalarView()
            while i < scalars.count, !isSpace(scalars[i]) { address.append(scalars[i]); i += 1 }
            var endsCandidate = false
            while address.last == "," { address.removeLast(); endsCandidate = true }
            addresses.append(String(address))
            guard !endsCandidate else { continue }
            var depth = 0
            while i < scalars.count {
                let scalar = scalars[i]
                i += 1
                if scalar == "(" { depth = 1 } else if scalar == ")" { depth = 0 } else if scalar == ",", depth == 0 { break }
            }
        }
    }

    /// Named references a browser decodes that can hide a scheme's letters, its colon or a break.
    private static let namedReferences: [String: String] = [
        "colon": ":", "Tab": "\t", "NewLine": "\n", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
        "nbsp": "\u{A0}", "lpar": "(", "rpar": ")", "bsol": "\\", "sol": "/", "period": ".", "commat": "@", "num": "#",
    ]

    /// `&#…;`, `&#x…;` (the semicolon optional, as browsers read attributes) and the named
    /// references above decoded; any other `&` kept as it is.
    static func decodeReferences(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&", i + 1 < scalars.count else { out.append(scalars[i]); i += 1; continue }
            if scalars[i + 1] == "#" {
                var j = i + 2
                let hex = j < scalars.count && (scalars[j] == "x" || scalars[j] == "X")
                if hex { j += 1 }
                var value: UInt32 = 0
                var digits = 0
                while j < scalars.count, let digit = Int(String(scalars[j]), radix: hex ? 16 : 10) {
                    value = min(value &* (hex ? 16 : 10) &+ UInt32(digit), 0x110000)
                    digits += 1
                    j += 1
                }
                if digits > 0 {
                    if j < scalars.count && scalars[j] == ";" { j += 1 }
                    out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                    i = j
                    continue
                }
            } else {
                var j = i + 1
                var name = ""
                while j < scalars.count, isASCIILetter(scalars[j]) { name.unicodeScalars.append(scalars[j]); j += 1 }
                if j < scalars.count, scalars[j] == ";", let decoded = namedReferences[name] {
                    out.append(contentsOf: decoded.unicodeScalars)
                    i = j + 1
                    continue
                }
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }

    /// What in a style attribute could load from elsewhere or hide it (`url(`, `@import`, an escape), or nil.
    static func remoteCSS(_ written: String) -> String? {
        let css = decodeReferences(written).lowercased()
        if css.contains("\\") { return "a CSS escape (\\)" }
        for function in ["url(", "image(", "image-set(", "expression(", "@import", "behavior", "binding", "src("] where css.contains(function) {
            return function
        }
        return nil
    }
}
