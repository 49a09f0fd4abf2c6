import Foundation
import FuzzMain
import HeraldStorage
import HeraldCore
#if canImport(Glibc)
import Glibc
#endif

/// One scratch file per fuzzing process, rewritten for every input.
nonisolated(unsafe) private var scratchPath: String = {
    let folder = FileManager.default.temporaryDirectory.path
    return "\(folder)/herald-fuzzlog-\(getpid()).jsonl"
}()

/// The bytes become a delivery log on disk and are read back by the real `FileJournal`.
/// `FileJournal.Failure` (a malformed line) is the reader doing its job; a trap, a sanitizer
/// report or a hang is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = scratchPath
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: path, contents: bytes) else {
        fatalError("cannot write the scratch log \(path)")
    }
    defer { unlink(path) }
    let journal = FileJournal(path: path)
    do {
        let (records, warning) = try journal.load()
        // Every record read back must survive a write/read round trip through the log format.
        for record in records {
            let line = record.jsonLine()
            precondition(!line.utf8.contains(UInt8(ascii: "\n")), "jsonLine() holds a newline: \(line.debugVisible)")
            guard let again = DeliveryRecord.parse(line: line) else {
                fatalError("jsonLine() of a loaded record does not parse back: \(line.debugVisible)")
            }
            precondition(again == record, "round trip changed the record: \(line.debugVisible)")
        }
        // A torn-tail warning is only given when the file does not end in a newline.
        if warning != nil {
            precondition(size > 0 && data[size - 1] != UInt8(ascii: "\n"), "torn-line warning for a file that ends in a newline")
        }
    } catch {
        _ = error.description
    }
    return 0
}

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzLogMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
