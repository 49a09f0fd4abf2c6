/// One attached file as a MIME body part: its part headers and its base64 lines, ready to be
/// written between two boundaries. Made once per file (``AttachmentStore`` keeps it), so a
/// file every letter carries is read and encoded once per campaign.
public struct AttachmentPart: Sendable, Equatable {
    /// The file's name as the recipient sees it (the last component of its path).
    public let fileName: String
    public let mediaType: String
    /// The file's size in bytes, before encoding.
    public let fileSize: Int
    /// `Content-Type`, `Content-Disposition` and `Content-Transfer-Encoding`, CRLF-ended, folded under 78.
    let headers: [UInt8]
    /// The file's bytes in base64, 76 characters a line, each line CRLF-ended.
    let encoded: [UInt8]

    /// Encodes `bytes` as the attachment named `fileName`.
    public init(fileName: String, bytes: UnsafeRawBufferPointer) {
        self.fileName = fileName
        self.mediaType = MediaType.of(fileName: fileName)
        self.headers = Self.headers(fileName: fileName, mediaType: mediaType)
        self.fileSize = bytes.count
        self.encoded = Base64Lines.encode(bytes)
    }

    /// The attachment named `fileName` whose bytes are already base64 lines (``Base64Lines``),
    /// as ``AttachmentStore`` encodes a file while reading it.
    init(fileName: String, fileSize: Int, encoded: [UInt8]) {
        self.fileName = fileName
        self.fileSize = fileSize
        self.mediaType = MediaType.of(fileName: fileName)
        self.headers = Self.headers(fileName: fileName, mediaType: mediaType)
        self.encoded = encoded
    }

    public init(fileName: String, bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { AttachmentPart(fileName: fileName, bytes: $0) }
    }

    /// The part's headers, every line within 78 octets, the name reading back exactly as written.
    ///
    /// The name goes in `Content-Disposition`'s `filename`: quoted when it is printable ASCII
    /// without `"`, `\` or `=?` and fits on the line, else in RFC 2231's extended form
    /// (`filename*=utf-8''…`, percent-encoded, cut into `filename*0*`, `filename*1*`, … when
    /// long, only between characters so that each section is whole UTF-8). A name holding `=?`
    /// is never a quoted string: mail readers decode an encoded-word even there (RFC 2047 says
    /// not to), so `=?utf-8?q?evil?=.txt` would read as `evil.txt`; percent-encoded it reads back
    /// as written. A plain `filename=` beside `filename*` would be the same parameter twice, which
    /// strict parsers (Python's `email`) report as a defect and ignore, so the plain fallback
    /// for clients that do not read RFC 2231 goes in `Content-Type`'s `name` instead: the name
    /// in ASCII, each other character as `_` (and the `=` of any `=?`).
    ///
    /// A media type too long to share the line with `Content-Type: ` (a `.docx`'s is 71
    /// characters) starts on the next, folded line.
    static func headers(fileName: String, mediaType: String) -> [UInt8] {
        var out: [UInt8] = []
        let fallback = asciiFallback(fileName)
        let typeLine = "Content-Type: \(mediaType); name=\"\(fallback)\""
        if typeLine.utf8.count <= 78 {
            out += typeLine.utf8
        } else if "Content-Type: \(mediaType);".utf8.count <= 78 {
            out += "Content-Type: \(mediaType);\r\n name=\"\(fallback)\"".utf8
        } else {
            out += "Content-Type:\r\n \(mediaType);\r\n name=\"\(fallback)\"".utf8
        }
        out += "\r\nContent-Disposition: attachment;".utf8
        let quoted = " filename=\"\(fileName)\""
        if isPlainQuotable(fileName) && quoted.utf8.count <= 77 {
            out += "\r\n".utf8
            out += quoted.utf8
        } else {
            // One line holds ` filename*=utf-8''` (18) and up to 60 octets; a section line
            // ` filename*NN*=utf-8''` (21 at most), up to 56 octets and the `;`: 78.
            let whole = percentEncodedSections(fileName, width: 60)
            let sections = whole.count == 1 ? whole : percentEncodedSections(fileName, width: 56)
            if sections.count == 1 {
                out += "\r\n filename*=utf-8''".utf8
                out += sections[0]
            } else {
                for (number, section) in sections.enumerated() {
                    out += "\r\n filename*\(number)*=\(number == 0 ? "utf-8''" : "")".utf8
                    out += section
                    if number < sections.count - 1 { out.append(UInt8(ascii: ";")) }
                }
            }
        }
        out += "\r\nContent-Transfer-Encoding: base64\r\n".utf8
        return out
    }

    /// Printable ASCII without the two characters a quoted string escapes, and without `=?`
    /// (the start of an encoded-word, which readers decode even inside quotes).
    static func isPlainQuotable(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
            && !name.contains("=?")
    }

    /// The name for `Content-Type`'s `name`: printable ASCII, anything else (and `"`, `\`,
    /// and the `=` of `=?`, so it never holds an encoded-word) as `_`, at most 60 characters
    /// (its extension kept).
    static func asciiFallback(_ name: String) -> String {
        let source = Array(name.unicodeScalars)
        var scalars = source.indices.map { index -> Character in
            let scalar = source[index]
            if scalar == "=" && index + 1 < source.count && source[index + 1] == "?" { return "_" }
            return scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
        }
        if scalars.count > 60 {
            let dot = scalars.lastIndex(of: ".").map { scalars.count - $0 } ?? 0
            let keep = dot > 0 && dot <= 10 ? dot : 0
            scalars = Array(scalars.prefix(60 - keep)) + Array(scalars.suffix(keep))
        }
        return scalars.isEmpty ? "attachment" : String(scalars)
    }

    /// The name's UTF-8 bytes percent-encoded (RFC 2231 `attribute-char`s as they are), cut into
    /// sections of at most `width` octets, only between characters (Unicode scalars): each
    /// section is whole UTF-8, as RFC 2231 §4.1 wants of an encoded section, so a reader that
    /// decodes sections one by one (Python reports `UndecodableBytesDefect` otherwise) gets the name.
    static func percentEncodedSections(_ name: String, width: Int) -> [[UInt8]] {
        let plain = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        var sections: [[UInt8]] = [[]]
        for scalar in name.unicodeScalars {
            var piece: [UInt8] = []
            for byte in UTF8.encode(scalar)! {
                if plain.contains(byte) {
                    piece.append(byte)
                } else {
                    piece += [UInt8(ascii: "%"), QuotedPrintable.hexDigit(byte >> 4), QuotedPrintable.hexDigit(byte & 0x0F)]
                }
            }
            if !sections[sections.count - 1].isEmpty && sections[sections.count - 1].count + piece.count > width { sections.append([]) }
            sections[sections.count - 1] += piece
        }
        return sections
    }
}
