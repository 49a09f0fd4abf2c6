import Foundation

/// One MIME entity of a received message: its header fields and its body, and for a
/// multipart its parts.
///
/// Read-only and forgiving: a bounce comes from any mail server, so the parser accepts CRLF
/// or bare LF line ends, missing final boundaries and unknown encodings (kept as they are),
/// and never throws; what it cannot read it leaves as an opaque body. Not on the send path:
/// header values are Strings, bodies stay bytes until a text part is asked for.
public struct MIMEPart: Sendable {
    /// One header field, its name lowercased and its value unfolded (line breaks of folding
    /// removed, the whitespace after them kept) and trimmed.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public var fields: [Field]
    /// The body as it travelled (still in its Content-Transfer-Encoding).
    public var body: [UInt8]
    /// The parts of a `multipart/*` entity, in order; empty otherwise.
    public var parts: [MIMEPart]

    /// Parses a whole message or entity: a header block, an empty line, a body. Parts of a
    /// multipart are parsed to any depth up to `depthLimit` (a bomb of nested parts stops there).
    public init(bytes: some Collection<UInt8>, depthLimit: Int = 8) {
        let bytes = Array(bytes)
        let (fields, bodyStart) = Self.parseFields(bytes)
        self.fields = fields
        body = Array(bytes[bodyStart...])
        parts = []
        if depthLimit > 0, mediaType.hasPrefix("multipart/"), let boundary = parameter("boundary"), !boundary.isEmpty {
            parts = Self.split(body, boundary: Array(boundary.utf8)).map { MIMEPart(bytes: $0, depthLimit: depthLimit - 1) }
        }
    }

    /// The first field of that name (case-insensitive), unfolded.
    public func field(_ name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name == name }?.value
    }

    /// Every field of that name, in order.
    public func fields(_ name: String) -> [String] {
        let name = name.lowercased()
        return fields.filter { $0.name == name }.map(\.value)
    }

    /// The lowercased `type/subtype` of Content-Type; `text/plain` when absent (RFC 2045 §5.2).
    public var mediaType: String {
        guard let value = field("content-type") else { return "text/plain" }
        let type = value.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
        return type.isEmpty ? "text/plain" : type
    }

    /// A Content-Type parameter (name case-insensitive), unquoted.
    public func parameter(_ name: String) -> String? {
        guard let value = field("content-type") else { return nil }
        return Self.parameters(of: value)[name.lowercased()]
    }

    /// The body with its transfer encoding (base64, quoted-printable) undone.
    public var decodedBody: [UInt8] {
        switch field("content-transfer-encoding")?.lowercased().trimmingCharacters(in: .whitespaces) {
        case "base64": Self.decodeBase64(body)
        case "quoted-printable": Self.decodeQuotedPrintable(body)
        default: body
        }
    }

    /// The decoded body as text: UTF-8 (invalid sequences replaced), or Latin-1 when the
    /// part says `charset=iso-8859-1` or `windows-1252`.
    public var text: String {
        let bytes = decodedBody
        switch parameter("charset")?.lowercased() {
        case "iso-8859-1", "latin1", "windows-1252":
            return String(bytes.map { Character(UnicodeScalar($0)) })
        default:
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Every entity of the tree, depth first, this one first.
    public var allParts: [MIMEPart] {
        [self] + parts.flatMap(\.allParts)
    }
}

extension MIMEPart {
    /// The header block of `bytes`: its fields and where the body starts (after the empty
    /// line, or at the end when there is none).
    static func parseFields(_ bytes: [UInt8]) -> (fields: [Field], bodyStart: Int) {
        var fields: [Field] = []
        var current: [UInt8]?
        var index = 0
        func flush() {
            guard let line = current else { return }
            current = nil
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty, !name.contains(" ") else { return }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            fields.append(Field(name: name, value: value))
        }
        while index < bytes.count {
            var end = bytes[index...].firstIndex(of: 0x0A) ?? bytes.count
            let next = min(end + 1, bytes.count)
            if end > index, bytes[end - 1] == 0x0D { end -= 1 }
            let line = bytes[index..<end]
            if line.isEmpty {
                flush()
                return (fields, next)
            }
            if line.first == 0x20 || line.first == 0x09, current != nil {
                current!.append(contentsOf: line)  // folding: the line break goes, the whitespace stays
            } else {
                flush()
                current = Array(line)
            }
            index = next
        }
        flush()
        return (fields, bytes.count)
    }

    /// The parts between `--boundary` lines; the preamble and epilogue are dropped, and an
    /// unterminated last part is kept.
    static func split(_ body: [UInt8], boundary: [UInt8]) -> [ArraySlice<UInt8>] {
        let delimiter: [UInt8] = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var index = 0
        while index < body.count {
            var end = body[index...].firstIndex(of: 0x0A) ?? body.count
            let next = min(end + 1, body.count)
            if end > index, body[end - 1] == 0x0D { end -= 1 }
            let line = body[index..<end]
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let closing = rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
                if closing || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    if let start = partStart {
                        // The line break before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
                        var stop = index
                        if stop > start, body[stop - 1] == 0x0A { stop -= 1 }
                        if stop > start, body[stop - 1] == 0x0D { stop -= 1 }
                        parts.append(body[start..<stop])
                    }
                    if closing { return parts }
                    partStart = next
                }
            }
            index = next
        }
        if let start = partStart, start < body.count { parts.append(body[start...]) }
        return parts
    }

    /// `type/subtype; name=value; name="quoted value"` parameters, names lowercased.
    static func parameters(of value: String) -> [String: String] {
        var result: [String: String] = [:]
        var chars = Substring(value)
        guard let semicolon = chars.firstIndex(of: ";") else { return result }
        chars = chars[chars.index(after: semicolon)...]
        while !chars.isEmpty {
            chars = chars.drop { $0 == " " || $0 == "\t" || $0 == ";" }
            let name = chars.prefix { $0 != "=" && $0 != ";" }
            chars = chars.dropFirst(name.count)
            guard chars.first == "=" else { continue }
            chars = chars.dropFirst()
            var parsed = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    if c == "\\", chars.count > 1 {
                        chars = chars.dropFirst()
                    }
                    parsed.append(chars.first!)
                    chars = chars.dropFirst()
                }
                chars = chars.dropFirst()
            } else {
                let token = chars.prefix { $0 != ";" }
                parsed = token.trimmingCharacters(in: .whitespaces)
                chars = chars.dropFirst(token.count)
            }
            result[name.trimmingCharacters(in: .whitespaces).lowercased()] = parsed
        }
        return result
    }

    static func decodeBase64(_ bytes: [UInt8]) -> [UInt8] {
        let kept = bytes.filter { $0 != 0x0D && $0 != 0x0A && $0 != 0x20 && $0 != 0x09 }
        return Data(base64Encoded: Data(kept), options: .ignoreUnknownCharacters).map { Array($0) } ?? bytes
    }

    static func decodeQuotedPrintable(_ bytes: [UInt8]) -> [UInt8] {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                index += 1
                continue
            }
            // A soft break: `=` then optional whitespace then a line break.
            var look = index + 1
            while look < bytes.count, bytes[look] == 0x20 || bytes[look] == 0x09 { look += 1 }
            if look < bytes.count, bytes[look] == 0x0D || bytes[look] == 0x0A {
                if bytes[look] == 0x0D, look + 1 < bytes.count, bytes[look + 1] == 0x0A { look += 1 }
                index = look + 1
            } else if index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }
}
