import Foundation
import FuzzMain
@testable import HeraldCore
import TOMLKit

/// Any bytes, decoded as UTF-8, as a campaign file, through `Campaign.parse` (TOMLKit, then
/// Herald's own `TOMLKeyLocator` and checks). It must return a campaign or throw a
/// `ValidationFailure` whose every diagnostic is `.badConfig`, names this file, names a field or
/// a line, puts any line inside the file, and has a line whenever its key is written in the
/// file. And for every text TOMLKit accepts, the locator must place every key TOMLKit read
/// (tables and their keys, not inside arrays) on a line that spells that key.
/// A violation is a `fatalError` whose message starts with the property's name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    func report(_ what: String) -> Never {
        fatalError("\(what)\n  text: \(text.debugDescription)")
    }
    let document = try? TOMLTable(string: text)

    do {
        let campaign = try Campaign.parse(text, file: "fuzz.toml")
        guard Campaign.isValidName(campaign.name), !campaign.recipientPaths.isEmpty else {
            report("ACCEPTED: a campaign without a valid name or a recipient list: \(campaign.name.debugDescription)")
        }
    } catch {
        guard !error.diagnostics.isEmpty else { report("DIAGNOSTIC: a ValidationFailure without a diagnostic") }
        for diagnostic in error.diagnostics {
            guard diagnostic.kind == .badConfig, diagnostic.file == "fuzz.toml" else { report("DIAGNOSTIC: \(diagnostic) is not a .badConfig of fuzz.toml") }
            guard diagnostic.field != nil || diagnostic.line != nil else { report("DIAGNOSTIC: \(diagnostic) names neither a field nor a line") }
            if let line = diagnostic.line, !(1...max(1, lines.count)).contains(line) {
                report("LINE: \(diagnostic) names line \(line) of a file of \(lines.count) lines")
            }
            if let field = diagnostic.field, diagnostic.line == nil, let document, isWritten(field, in: document) {
                report("LINE: \(diagnostic) has no line, but \(field) is written in the file")
            }
        }
    }

    // The locator against what TOMLKit read.
    guard let document else { return 0 }
    let locator = TOMLKeyLocator(text)
    func walk(_ table: TOMLTable, _ path: [String], depth: Int) {
        guard depth < 16 else { return }
        for key in table.keys {
            let keyPath = path + [key]
            guard let line = locator.lines[keyPath] else {
                report("LOCATOR: no line for the key \(keyPath) that TOMLKit read")
            }
            guard (1...max(1, lines.count)).contains(line) else { report("LOCATOR: \(keyPath) placed on line \(line) of \(lines.count)") }
            // A bare key is spelled as it is on its line (a quoted one may hold escapes).
            if key.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }),
               !lines[line - 1].contains(key) {
                report("LOCATOR: \(keyPath) placed on line \(line), which does not spell \(key): \(lines[line - 1].debugDescription)")
            }
            if let inner = table[key]?.table { walk(inner, keyPath, depth: depth + 1) }
        }
    }
    walk(document, [], depth: 0)
    return 0
}

/// Whether a diagnostic's field (`name`, `smtp.url`, `templates.fr`) names a key the document holds.
func isWritten(_ field: String, in document: TOMLTable) -> Bool {
    if document.contains(key: field) { return true }
    guard let dot = field.firstIndex(of: ".") else { return false }
    let table = String(field[..<dot]), key = String(field[field.index(after: dot)...])
    return document[table]?.table?.contains(key: key) ?? false
}

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzCampaignMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
