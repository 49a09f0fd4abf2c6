/// Text rendered with a placeholder where each field value goes, cut at the placeholders
/// once, so that putting one recipient's values in is a concatenation.
///
/// A placeholder is ``LetterTemplate/placeholderOpen``, a field number in decimal, then
/// ``LetterTemplate/placeholderClose``; the number indexes the `values` (and the field
/// names) the skeleton is filled from.
struct Skeleton: Sendable {
    /// A run of text, or a field's number.
    enum Piece: Sendable {
        case text(String)
        case field(Int)
    }

    let pieces: [Piece]
    /// The field numbers, in the order they appear.
    let fields: [Int]
    /// The bytes of the text pieces: what a filled skeleton holds besides its values.
    private let textCount: Int

    init(_ text: String) {
        var pieces: [Piece] = []
        var fields: [Int] = []
        var run = String.UnicodeScalarView()
        var number: Int?
        for scalar in text.unicodeScalars {
            if scalar == LetterTemplate.placeholderOpen {
                number = 0
                continue
            }
            guard let current = number else {
                run.append(scalar)
                continue
            }
            if scalar == LetterTemplate.placeholderClose {
                if !run.isEmpty { pieces.append(.text(String(run))) }
                run = String.UnicodeScalarView()
                pieces.append(.field(current))
                fields.append(current)
                number = nil
            } else if ("0"..."9").contains(scalar) {
                number = current * 10 + Int(scalar.value - 48)
            }
        }
        if !run.isEmpty || pieces.isEmpty { pieces.append(.text(String(run))) }
        self.pieces = pieces
        self.fields = fields
        self.textCount = pieces.reduce(0) { count, piece in
            if case .text(let text) = piece { return count + text.utf8.count }
            return count
        }
    }

    /// The text itself, when it holds no field.
    var constant: String? {
        guard fields.isEmpty, case .text(let text)? = pieces.first else { return nil }
        return text
    }

    /// The field the skeleton consists of entirely, or nil.
    var wholeField: Int? {
        guard pieces.count == 1, case .field(let number)? = pieces.first else { return nil }
        return number
    }

    /// The text with each field's value in its place.
    func filled(_ values: [String]) -> String {
        if let constant { return constant }
        var out = ""
        out.reserveCapacity(fields.reduce(textCount) { $0 + values[$1].utf8.count })
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .field(let number): out += values[number]
            }
        }
        return out
    }

    /// The text shown to the user: each field as `{{name}}`.
    func shown(_ names: [String]) -> String {
        filled(names.map { "{{\($0)}}" })
    }
}

extension Skeleton {
    /// The folder the template's own text names before the first field: the text up to and
    /// including its last `/` (`letters/` of `letters/{{country}}.pdf`, "" of `{{country}}.pdf`,
    /// the template's folder); nil when no field takes part. A path a field helps choose must
    /// lead, after symbolic links, to a file inside this folder.
    var folderBeforeFields: String? {
        guard !fields.isEmpty else { return nil }
        var prefix = ""
        for piece in pieces {
            guard case .text(let text) = piece else { break }
            prefix += text
        }
        guard let slash = prefix.lastIndex(of: "/") else { return "" }
        return String(prefix[...slash])
    }

    /// The skeleton filled as a file path, and why it is refused when a value would take it
    /// out of the folders the template's own text names.
    ///
    /// A value may not hold `/` or `\` (it cannot add or climb folders), and a path segment a
    /// value takes part in may not be `.` or `..` (`letters/{{a}}` with `a` = `..`). The
    /// template's text itself may name any path: that is the campaign author's choice.
    func filledPath(_ values: [String], names: [String]) -> (path: String, problem: String?) {
        let path = filled(values)
        for number in fields {
            let value = values[number]
            if value.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0 }) {
                return (
                    path,
                    "{{\(names[number])}} is \"\(value.debugVisible)\", which holds a / or \\; a field may name a file, not a folder, in an attachment's path"
                )
            }
        }
        // Which segments a value reaches into: mark the filled path's bytes that come from values.
        var fromValue: [Bool] = []
        for piece in pieces {
            switch piece {
            case .text(let text): fromValue += repeatElement(false, count: text.utf8.count)
            case .field(let number): fromValue += repeatElement(true, count: values[number].utf8.count)
            }
        }
        var start = 0
        let bytes = Array(path.utf8)
        for end in bytes.indices where bytes[end] == UInt8(ascii: "/") || end == bytes.count - 1 {
            let stop = bytes[end] == UInt8(ascii: "/") ? end : end + 1
            let segment = bytes[start..<stop]
            if fromValue[start..<stop].contains(true) && (segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8)) {
                return (
                    path,
                    "a field makes the path \"\(path.debugVisible)\" step into \"\(String(decoding: segment, as: UTF8.self))\"; a field may name a file, not a folder, in an attachment's path"
                )
            }
            start = end + 1
        }
        return (path, nil)
    }
}
