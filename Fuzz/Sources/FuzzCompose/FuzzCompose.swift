import Foundation
import FuzzMain
import HeraldCore

/// Input layout: `<template> NUL <recipient CSV>`. Without a NUL byte the whole input is the
/// template and `defaultCSV` supplies the recipients, so the fuzzer can work on either half.
///
/// Everything that renders and composes is checked against the composer's contract
/// (MessageComposer.swift): 7-bit, CRLF line ends only, no line over 998 octets.
/// A violation is a `fatalError` naming the broken invariant.
let defaultCSV = """
    email,name,title,country,flag
    minister@foreign.example,Ana Müller,Minister,Österreich,true
    ops@example.org,"Smith, Jo",,Belgium,false

    """

/// A fixed date, so that a crashing input reproduces byte for byte.
let composeDate = Date(timeIntervalSince1970: 917_740_800)  // 1999-01-31T00:00:00Z

let campaign = Campaign(name: "fuzz", file: "fuzz.toml", templatePath: "fuzz.mustache",
                        recipientPaths: ["fuzz.csv"], logPath: "fuzz.jsonl",
                        smtp: SMTPSettings(url: "smtp://127.0.0.1:2525"))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let templateBytes: UnsafeBufferPointer<UInt8>.SubSequence
    let csvText: String
    if let nul = input.firstIndex(of: 0) {
        templateBytes = input[..<nul]
        csvText = String(decoding: input[(nul + 1)...], as: UTF8.self)
    } else {
        templateBytes = input[...]
        csvText = defaultCSV
    }
    let templateText = String(decoding: templateBytes, as: UTF8.self)

    let template: LetterTemplate
    let list: RecipientList
    do {
        template = try LetterTemplate(source: templateText, file: "fuzz.mustache")
        list = try RecipientList.parse(csvText, file: "fuzz.csv")
    } catch {
        _ = error.description
        return 0
    }

    // 1. The real pipeline: prepare (checks every row, composes each once), then compose each
    //    prepared recipient as `herald send` would.
    if let prepared = try? PreparedCampaign.prepare(campaign: campaign, template: template, lists: [list],
                                                    date: composeDate) {
        // Walk the rows as `herald send` does (streamed); the lists are in memory, so they cannot change.
        do {
            try prepared.forEachRecipient { recipient in
                do {
                    let message = try prepared.compose(recipient, date: composeDate)
                    checkContract(message, path: "PreparedCampaign.compose")
                } catch {
                    fatalError("prepare() accepted \(recipient.address) but compose() then failed: \(error)")
                }
                return true
            }
        } catch {
            fatalError("prepare() accepted the campaign but walking its in-memory lists failed: \(error)")
        }
        return 0
    }

    // 2. `prepare` rejected the campaign, maybe for one bad row, which hides the other rows from
    //    the composer. A row that passes the checks `prepare` applies would be sent if it were the
    //    only row, so compose each such row on its own: its message must meet the contract too.
    guard template.check(columns: list.columns, listFile: list.file).isEmpty else { return 0 }
    for recipient in list.recipients where template.check(recipient).isEmpty {
        let letter = template.render(recipient)
        guard let message = try? MessageComposer.compose(letter, campaign: campaign.name,
                                                         recipientKey: recipient.key, date: composeDate) else { continue }
        checkContract(message, path: "MessageComposer.compose of row \(recipient.line) alone")
    }
    return 0
}

/// Traps, naming the invariant, when a composed message breaks the composer's contract.
func checkContract(_ message: ComposedMessage, path: String) {
    let bytes = message.data
    func violated(_ invariant: String, at offset: Int) -> Never {
        let start = max(0, offset - 60), end = min(bytes.count, offset + 60)
        let context = String(decoding: bytes[start..<end], as: UTF8.self).debugVisible
        fatalError("composed message breaks the contract: \(invariant) at byte \(offset) of \(bytes.count) (\(path)); near: \(context)")
    }
    if let index = bytes.firstIndex(where: { $0 >= 0x80 }) {
        violated("INVARIANT 7BIT: non-ASCII byte 0x\(String(bytes[index], radix: 16))", at: index)
    }
    var lineStart = 0
    var inHeader = true
    var sawSeparator = false
    var index = 0
    while index < bytes.count {
        switch bytes[index] {
        case UInt8(ascii: "\r"):
            guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else {
                violated("INVARIANT CRLF: bare CR", at: index)
            }
            let length = index - lineStart
            if length > HeaderEncoder.maximumLineLength {
                violated(inHeader ? "INVARIANT HEADER-998: header line of \(length) octets"
                                  : "INVARIANT LINE-998: body line of \(length) octets", at: lineStart)
            }
            if inHeader && length == 0 { inHeader = false; sawSeparator = true }
            index += 2
            lineStart = index
        case UInt8(ascii: "\n"):
            violated("INVARIANT CRLF: bare LF", at: index)
        default:
            index += 1
        }
    }
    if lineStart != bytes.count {
        let length = bytes.count - lineStart
        if length > HeaderEncoder.maximumLineLength {
            violated("INVARIANT LINE-998: last line of \(length) octets", at: lineStart)
        }
        violated("INVARIANT CRLF: the message does not end with CRLF", at: lineStart)
    }
    if !sawSeparator {
        violated("INVARIANT HEADER-END: no blank line ends the header block", at: bytes.count)
    }
}

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzComposeMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
