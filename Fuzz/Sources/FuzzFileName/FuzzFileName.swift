import Foundation
import FuzzMain
@testable import HeraldCore

/// Any bytes, decoded as UTF-8, as an attached file's name (a Linux file name: 1 to 255
/// bytes, no `/`, no NUL), through `AttachmentPart`'s part headers. The headers must:
///
/// - be 7-bit printable ASCII, each line CRLF-ended and at most 78 octets (RFC 5322 §2.1.1's
///   "should", which Herald promises);
/// - give the name back exactly when read as a strict reader does (Python's `email` with
///   `policy.strict`): the quoted `filename`, or RFC 2231's `filename*` / `filename*N*`
///   sections, each section's percent-decoded bytes valid UTF-8 on its own;
/// - never write a name holding `=?` as a plain quoted string, which readers decode as an
///   RFC 2047 encoded-word (`=?utf-8?q?evil?=.txt` would read as `evil.txt`);
/// - give `Content-Type` a `name` fallback of printable ASCII.
///
/// Each violation is a `fatalError` whose message starts with the property's name in capitals.
/// `HERALD_FUZZ_SKIP=LINE-78,SPLIT-CHARACTER,ENCODED-WORD` (any of them) leaves those checks out,
/// to fuzz on past a known, still open bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let name = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, bytes.count <= 255, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else { return 0 }
    let part = AttachmentPart(fileName: name, bytes: [])
    check(headers: part.headers, name: name)
    return 0
}

/// Checks one part's header block against the properties above.
func check(headers: [UInt8], name: String) {
    let text = String(decoding: headers, as: UTF8.self)
    func fail(_ what: String) -> Never {
        fatalError("\(what)\n  name: \(name.debugDescription)\n  headers:\n\(text)")
    }
    /// A property the environment may leave out: reports unless it is skipped.
    func flag(_ property: String, _ what: String) {
        if !skipped.contains(property) { fail("\(property): \(what)") }
    }
    if let bad = headers.first(where: { ($0 < 0x20 && $0 != 0x0D && $0 != 0x0A) || $0 >= 0x7F }) {
        fail("7BIT: byte 0x\(String(bad, radix: 16)) in the part headers")
    }
    guard headers.last == 0x0A else { fail("CRLF: the headers do not end with CRLF") }
    // Lines by bytes (Swift's Character would take CRLF as one).
    var lines: [String] = []
    for raw in headers.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
        guard raw.last == 0x0D, !raw.dropLast().contains(0x0D) else { fail("CRLF: a bare CR or LF") }
        let line = String(decoding: raw.dropLast(), as: UTF8.self)
        if line.utf8.count > 78 { flag("LINE-78", "a header line of \(line.utf8.count) octets: \(line)") }
        lines.append(line)
    }
    // Unfold into fields.
    var fields: [(name: String, value: String)] = []
    for line in lines {
        if line.first == " " || line.first == "\t" {
            guard !fields.isEmpty else { fail("FOLD: the headers start with a continuation line") }
            fields[fields.count - 1].value += line
        } else {
            guard let colon = line.firstIndex(of: ":") else { fail("FIELD: a line that is neither a field nor a continuation: \(line)") }
            fields.append((line[..<colon].lowercased(), String(line[line.index(after: colon)...])))
        }
    }
    guard let type = fields.first(where: { $0.name == "content-type" })?.value,
          let disposition = fields.first(where: { $0.name == "content-disposition" })?.value else {
        fail("FIELD: no Content-Type or no Content-Disposition")
    }
    let typeParameters = parameters(type, fail: fail)
    guard let fallback = typeParameters.first(where: { $0.name == "name" }), !fallback.extended,
          fallback.value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
        fail("FALLBACK: Content-Type has no printable ASCII name")
    }
    let decoded = filename(parameters(disposition, fail: fail), fail: fail, flag: flag)
    if decoded != name { fail("ROUND-TRIP: the name reads back as \(decoded.debugDescription)") }
}

/// One `name=value` of a header's parameters, as written: `extended` for `name*=` and `name*N*=`.
struct Parameter {
    var name: String
    var section: Int?
    var extended: Bool
    var value: String
    var quoted: Bool
}

/// The parameters after the first `;` of an unfolded field value (RFC 2045 §5.1, RFC 2231).
func parameters(_ value: String, fail: (String) -> Never) -> [Parameter] {
    var result: [Parameter] = []
    var rest = Substring(value)
    guard let semicolon = rest.firstIndex(of: ";") else { return [] }
    rest = rest[rest.index(after: semicolon)...]
    while true {
        rest = rest.drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty { break }
        guard let equals = rest.firstIndex(of: "=") else { fail("PARAMETER: no = in \(rest)") }
        var attribute = String(rest[..<equals]).lowercased()
        rest = rest[rest.index(after: equals)...]
        var extended = false
        var section: Int?
        if attribute.hasSuffix("*") { extended = true; attribute.removeLast() }
        if let star = attribute.firstIndex(of: "*") {
            guard let number = Int(attribute[attribute.index(after: star)...]) else { fail("PARAMETER: bad section in \(attribute)") }
            section = number
            attribute = String(attribute[..<star])
        }
        var parsed = ""
        var quoted = false
        if rest.first == "\"" {
            quoted = true
            rest = rest.dropFirst()
            while true {
                guard let char = rest.first else { fail("PARAMETER: unterminated quoted string") }
                rest = rest.dropFirst()
                if char == "\"" { break }
                if char == "\\" {
                    guard let escaped = rest.first else { fail("PARAMETER: a lone backslash") }
                    parsed.append(escaped)
                    rest = rest.dropFirst()
                } else {
                    parsed.append(char)
                }
            }
        } else {
            let token = rest.prefix { $0 != ";" && $0 != " " && $0 != "\t" }
            parsed = String(token)
            rest = rest.dropFirst(token.count)
        }
        result.append(Parameter(name: attribute, section: section, extended: extended, value: parsed, quoted: quoted))
        rest = rest.drop { $0 == " " || $0 == "\t" }
        if rest.isEmpty { break }
        guard rest.first == ";" else { fail("PARAMETER: no ; after \(attribute)") }
        rest = rest.dropFirst()
    }
    return result
}

/// The file name the `filename` parameters spell, read as strictly as Python's `email`.
func filename(_ parameters: [Parameter], fail: (String) -> Never, flag: (String, String) -> Void) -> String {
    let named = parameters.filter { $0.name == "filename" }
    guard !named.isEmpty else { fail("ROUND-TRIP: Content-Disposition has no filename") }
    if named.count == 1, named[0].section == nil {
        let parameter = named[0]
        if !parameter.extended {
            if parameter.value.contains("=?") { flag("ENCODED-WORD", "a plain quoted filename holding =?, which readers decode as RFC 2047") }
            return parameter.value
        }
        return utf8(decodeExtended(parameter.value, first: true, fail: fail, flag: flag), fail: fail)
    }
    guard named.allSatisfy({ $0.section != nil }) else { fail("ROUND-TRIP: filename and filename*N together") }
    let sorted = named.sorted { $0.section! < $1.section! }
    guard sorted.map(\.section!) == Array(0..<sorted.count) else { fail("ROUND-TRIP: sections are not 0, 1, 2, …") }
    var result: [UInt8] = []
    for parameter in sorted {
        if parameter.extended {
            result += decodeExtended(parameter.value, first: parameter.section == 0, fail: fail, flag: flag)
        } else {
            result += parameter.value.utf8
        }
    }
    return utf8(result, fail: fail)
}

/// The bytes as UTF-8, or the failure.
func utf8(_ bytes: [UInt8], fail: (String) -> Never) -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else { fail("ROUND-TRIP: the sections together are not UTF-8") }
    return text
}

/// `utf-8''%C3%A9…` (the charset part only on the first section), each section decoded alone.
func decodeExtended(_ value: String, first: Bool, fail: (String) -> Never, flag: (String, String) -> Void) -> [UInt8] {
    var encoded = Substring(value)
    if first {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { fail("ROUND-TRIP: the first extended section has no utf-8'' prefix") }
        encoded = pieces[2]
    }
    var bytes: [UInt8] = []
    var index = encoded.utf8.startIndex
    let utf8 = encoded.utf8
    while index < utf8.endIndex {
        let byte = utf8[index]
        if byte == UInt8(ascii: "%") {
            let high = utf8.index(after: index)
            guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                  let value = UInt8(String(decoding: [utf8[high], utf8[utf8.index(after: high)]], as: UTF8.self), radix: 16) else {
                fail("ROUND-TRIP: a % not followed by two hex digits")
            }
            bytes.append(value)
            index = utf8.index(high, offsetBy: 2)
        } else {
            bytes.append(byte)
            index = utf8.index(after: index)
        }
    }
    if String(validating: bytes, as: UTF8.self) == nil {
        flag("SPLIT-CHARACTER", "an RFC 2231 section is not UTF-8 on its own (Python reports UndecodableBytesDefect): \(value)")
    }
    return bytes
}

/// The properties `HERALD_FUZZ_SKIP` (comma-separated) leaves out.
let skipped = Set((ProcessInfo.processInfo.environment["HERALD_FUZZ_SKIP"] ?? "").split(separator: ",").map(String.init))

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzFileNameMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
