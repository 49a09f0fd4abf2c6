import Foundation
import FuzzMain
import HeraldCore

/// Any bytes, decoded as UTF-8 (invalid sequences become U+FFFD, as when Herald reads a file),
/// parsed as a recipient list. A `ValidationFailure` is the parser doing its job; a trap,
/// a sanitizer report or a hang is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let list = try RecipientList.parse(text, file: "fuzz.csv")
        // A parsed list must be self-consistent: every recipient has every column.
        for recipient in list.recipients {
            precondition(recipient.fields.count == list.columns.count,
                         "recipient at line \(recipient.line) has \(recipient.fields.count) fields, header has \(list.columns.count)")
            precondition(list.columns.contains(RecipientList.emailColumn), "a parsed list without an email column")
            precondition(recipient.line >= 2, "recipient reported on line \(recipient.line)")
        }
    } catch {
        // ValidationFailure: expected for malformed input. Render it, as the CLI would.
        _ = error.description
    }
    return 0
}

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzCSVMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
