import Foundation

/// Decodes RFC 2047 encoded-words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in a header value,
/// for showing a bounce's subject and sender. Unknown charsets are read as UTF-8; malformed
/// words are left as written.
enum EncodedWords {
    static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var result = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            let afterStart = rest[start.upperBound...]
            let pieces = afterStart.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard pieces.count == 4, pieces[3].hasPrefix("="), let decoded = word(charset: pieces[0], encoding: pieces[1], text: pieces[2]) else {
                result += before + "=?"
                rest = afterStart
                lastWasWord = false
                continue
            }
            // Whitespace between two encoded-words is not part of the text (RFC 2047 §6.2).
            if !(lastWasWord && before.allSatisfy(\.isWhitespace)) { result += before }
            result += decoded
            lastWasWord = true
            rest = pieces[3].dropFirst()
        }
        return result + rest
    }

    private static func word(charset: Substring, encoding: Substring, text: Substring) -> String? {
        var bytes: [UInt8]
        switch encoding.lowercased() {
        case "b":
            guard let data = Data(base64Encoded: String(text), options: .ignoreUnknownCharacters) else { return nil }
            bytes = Array(data)
        case "q":
            bytes = MIMEPart.decodeQuotedPrintable(Array(text.replacingOccurrences(of: "_", with: " ").utf8))
        default: return nil
        }
        switch charset.lowercased().split(separator: "*").first ?? "" {
        case "iso-8859-1", "latin1", "windows-1252": return String(bytes.map { Character(UnicodeScalar($0)) })
        default:
            bytes = bytes.map { $0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
