import Synchronization

/// A template's letter shapes, one for each combination of field states met so far: the
/// template is rendered with Mustache once per shape, not once per letter.
///
/// What Mustache makes of a template depends on the values only through their states:
/// absent (missing or empty), `true`, `false` (any case), or text. Text is never looked
/// into: Herald renders as plain text (no escaping), a section over text opens and pushes
/// a value that has no fields of its own, and a variable prints the text as it is. So a
/// letter is its shape's skeleton with the texts put in place of the placeholders, exactly
/// what Mustache would have rendered from the values themselves.
///
/// That holds for the tags Herald's templates are made of: `{{name}}`, `{{{name}}}`,
/// `{{&name}}`, `{{#name}}`, `{{^name}}`, `{{/name}}` and comments, with plain names. A
/// template with any other tag (a dotted name, a transform such as `{{uppercased(name)}}`,
/// `{{.}}`, a pragma), whose body holds a placeholder character itself, or with a brace next
/// to a non-ASCII character (where the two parsers could disagree on a tag), has no shapes
/// (``LetterTemplate/shapes`` is nil) and its body is rendered for each letter.
final class LetterShapes: Sendable {
    /// Every name the template's tags look up, sorted: a shape's placeholder numbers.
    let names: [String]
    /// Shapes by the states of `names` (``State``, one byte per name).
    private let shapes = Mutex<[[UInt8]: LetterShape]>([:])
    /// At most this many shapes are kept: a list whose rows all differ in which fields are
    /// empty renders its later letters without keeping their shapes, memory stays bounded.
    static let capacity = 64

    /// What a value is to Mustache.
    enum State: UInt8 {
        case absent, `true`, `false`, text

        init(_ value: String?) {
            guard let value, !value.isEmpty else { self = .absent; return }
            switch LetterTemplate.flag(value) {
            case true?: self = .true
            case false?: self = .false
            case nil: self = .text
            }
        }
    }

    /// The shapes of a template, or nil when its tags are not all plain (see above).
    ///
    /// - Parameters:
    ///   - header: the header block's source; it cannot hold a placeholder character (checked when parsing).
    ///   - body: the body's source.
    init?(header: String, body: String) {
        if body.unicodeScalars.contains(where: { $0 == LetterTemplate.placeholderOpen || $0 == LetterTemplate.placeholderClose }) {
            return nil
        }
        guard Self.bracesStandAlone(header), Self.bracesStandAlone(body) else { return nil }
        var names: Set<String> = []
        var plain = true
        for text in [header, body] {
            LetterTemplate.forEachTag(text, firstLine: 1) { _, content in
                guard plain, content.first != "!" else { return }
                var name = Substring(content)
                if let sigil = name.first, "#^/&".contains(sigil) { name = Substring(String(name.dropFirst()).trimmingSpaces) }
                if let name = Self.plainName(name) { names.insert(name) } else { plain = false }
            }
        }
        guard plain else { return nil }
        self.names = names.sorted()
    }

    /// True when no brace has a non-ASCII byte beside it: then Herald's tag scan (Foundation's
    /// search) and Mustache's parser (Swift's characters) find the same tags, since neither
    /// can join a brace to a combining mark or any other neighbour into one character.
    private static func bracesStandAlone(_ text: String) -> Bool {
        var previous: UInt8 = 0
        var afterBrace = false
        for byte in text.utf8 {
            let brace = byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
            if (brace && previous >= 0x80) || (afterBrace && byte >= 0x80) { return false }
            afterBrace = brace
            previous = byte
        }
        return true
    }

    /// The name when it is one Mustache looks up as it is: letters, digits, `_`, `-`, `?`, `*`.
    static func plainName(_ name: Substring) -> String? {
        let plain =
            !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: "*"):
                    return true
                default:
                    return false
                }
            }
        return plain ? String(name) : nil
    }

    /// A recipient's state for each name, and its values by placeholder number (a text, or empty).
    func states(of recipient: Recipient) -> (key: [UInt8], values: [String]) {
        var key: [UInt8] = []
        var values: [String] = []
        key.reserveCapacity(names.count)
        values.reserveCapacity(names.count)
        for name in names {
            let value = recipient.fields[name]
            let state = State(value)
            key.append(state.rawValue)
            values.append(state == .text ? value ?? "" : "")
        }
        return (key, values)
    }

    /// The Mustache context of a shape: a placeholder for each text, the flags as they are.
    func skeletonContext(_ key: [UInt8]) -> [String: Any] {
        var context: [String: Any] = [:]
        for (number, name) in names.enumerated() {
            switch State(rawValue: key[number]) {
            case .true?: context[name] = true
            case .false?: context[name] = false
            case .text?: context[name] = LetterTemplate.placeholder(number)
            case .absent?, nil: break
            }
        }
        return context
    }

    /// How many shapes are kept (each rendered once: Mustache, and Ink for a Markdown letter).
    var count: Int { shapes.withLock { $0.count } }

    /// The shape for `key`, made by `make` the first time it is met.
    func shape(_ key: [UInt8], make: () -> LetterShape) -> LetterShape {
        if let known = shapes.withLock({ $0[key] }) { return known }
        // Made outside the lock: two threads may both make a new shape; they make the same.
        let shape = make()
        shapes.withLock { shapes in
            if shapes.count < Self.capacity { shapes[key] = shape }
        }
        return shape
    }
}
