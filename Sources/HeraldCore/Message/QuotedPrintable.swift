/// Quoted-printable body encoding (RFC 2045 §6.7) for text with CRLF line breaks.
///
/// Line breaks in the input stay hard CRLF breaks; long lines get soft breaks so no
/// encoded line exceeds 76 characters; trailing spaces and tabs are encoded so that
/// transport that strips them cannot change the text.
public enum QuotedPrintable {
    public static let maxLineLength = 76

    /// Encodes UTF-8 `text` whose lines end in CRLF; the result ends in CRLF when the input does.
    public static func encode(_ text: String) -> String {
        let lines = text.components(separatedBy: "\r\n")
        return lines.map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var pieces: [String] = []
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            pieces.append(literal ? String(UnicodeScalar(byte)) : "=" + HeaderEncoder.hex(byte))
        }
        var output = ""
        var current = ""
        for piece in pieces {
            // Leave room for the '=' of a soft break.
            if current.count + piece.count > maxLineLength - 1 {
                output += current + "=\r\n"
                current = ""
            }
            current += piece
        }
        return output + current
    }
}
