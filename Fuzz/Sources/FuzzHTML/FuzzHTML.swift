import Foundation
import FuzzMain
@testable import HeraldCore

/// The input is a Markdown letter body in which the bytes 0x01, 0x02 and 0x03 stand for the
/// fields 0, 1 and 2. `HTMLSkeleton(markdown:)` renders it with Ink once and lists what the
/// HTML must not hold (`problems`: a field where an escaped value could do more than print,
/// or the template's own script, frames, remote resources); a template with any problem is
/// refused, and a letter fills the skeleton of an accepted one with each value escaped. For
/// every field of an accepted template:
///
/// - STRUCTURE: a hostile value (quotes, angle brackets, `x onmouseover=…`) gives the same
///   tags and attributes, read as a browser's tokenizer reads them, as a harmless one;
/// - SCHEME: the value `javascript:alert(1)` never makes a URL attribute (`href`, `src`, …)
///   that a browser resolves to `javascript:` (after it strips spaces and controls, drops tabs
///   and newlines and decodes character references), unless the template's own text did;
/// - SCRIPT-ATTRIBUTE: the field is not inside an `on*`, `style` or `srcdoc` attribute.
///
/// Also: every field a problem names is one of the skeleton's fields. A violation is a
/// `fatalError` whose message starts with the property's name. `HERALD_FUZZ_SKIP=SCHEME,…`
/// leaves the named properties out, to fuzz on past a known, still open bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Herald refuses a Markdown body holding its placeholder characters; so does the harness.
    guard !raw.unicodeScalars.contains(where: { $0 == LetterTemplate.placeholderOpen || $0 == LetterTemplate.placeholderClose }) else { return 0 }
    var markdown = ""
    for scalar in raw.unicodeScalars {
        if (1...3).contains(scalar.value) {
            markdown += LetterTemplate.placeholder(Int(scalar.value) - 1)
        } else {
            markdown.unicodeScalars.append(scalar)
        }
    }
    // A body Herald refuses before rendering (Ink would never return on it) is not rendered.
    guard LetterTemplate.unclosedParagraphTags(markdown, file: "fuzz.md", firstLine: 1).isEmpty,
          LetterTemplate.deeplyNestedBrackets(markdown, file: "fuzz.md", firstLine: 1).isEmpty else { return 0 }
    let skeleton = HTMLSkeleton(markdown: markdown)
    let fields = Set(skeleton.skeleton.fields)
    for entry in skeleton.problems {
        if let field = entry.problem.field {
            precondition(fields.contains(field), "PROBLEM-FIELD: a problem names field \(field), which the skeleton lacks")
        }
    }
    // Herald refuses a template with any problem, so no letter of it is ever filled: only a
    // template the check lets through must keep every property below, for every field.
    guard skeleton.problems.isEmpty else { return 0 }
    let flagged: Set<Int> = []
    let count = (fields.max() ?? -1) + 1
    func fill(_ value: (Int) -> String) -> String { skeleton.filled((0..<count).map(value)) }
    let benignHTML = fill { _ in "x" }
    let benign = HTMLTokens(benignHTML)

    for field in fields.sorted() where !flagged.contains(field) {
        func report(_ what: String, _ html: String) {
            guard !skipped.contains(String(what.prefix { $0 != ":" })) else { return }
            fatalError("\(what) (field \(field))\n  markdown: \(raw.debugDescription)\n  html: \(html.debugDescription)")
        }
        let hostileHTML = fill { $0 == field ? "x onmouseover=alert(1) \"'<b>&amp;</b>` = " : "x" }
        let hostile = HTMLTokens(hostileHTML)
        if hostile.shape != benign.shape {
            report("STRUCTURE: a value changes the tags or attributes: \(benign.shape) became \(hostile.shape)", hostileHTML)
        }
        let schemeHTML = fill { $0 == field ? "javascript:alert(1)" : "x" }
        for (index, attribute) in HTMLTokens(schemeHTML).attributes.enumerated() where HTMLTokens.urlAttributes.contains(attribute.name) {
            let resolved = HTMLTokens.urlAsResolved(attribute.value)
            let before = index < benign.attributes.count ? HTMLTokens.urlAsResolved(benign.attributes[index].value) : ""
            if resolved.hasPrefix("javascript:") && !before.hasPrefix("javascript:") {
                report("SCHEME: the value makes \(attribute.name)=\(attribute.value.debugDescription) a javascript: URL", schemeHTML)
            }
        }
        let markHTML = fill { $0 == field ? "fuzzmark" : "x" }
        for attribute in HTMLTokens(markHTML).attributes where attribute.value.contains("fuzzmark") {
            if attribute.name.hasPrefix("on") || attribute.name == "style" || attribute.name == "srcdoc" {
                report("SCRIPT-ATTRIBUTE: a field inside \(attribute.name)=", markHTML)
            }
        }
    }
    return 0
}

/// The properties `HERALD_FUZZ_SKIP` (comma-separated) leaves out.
let skipped = Set((ProcessInfo.processInfo.environment["HERALD_FUZZ_SKIP"] ?? "").split(separator: ",").map(String.init))

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzHTMLMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
