import Foundation
import FuzzMain
import HeraldCore

/// Any bytes as a message fetched from the bounce mailbox, taken apart by `BounceMessage`
/// (and its `message/delivery-status` parser on its own). The parser promises a value for
/// any bytes, so a trap, a sanitizer report or a hang is a bug; so is a value that breaks
/// what the attribution relies on:
///
/// - a delivery report or text bounce has at least one per-recipient report, and every
///   `failures` entry is one of `recipients` with an outcome;
/// - every Message-ID clue is one `<…@…>` without white space, each listed once (no case);
/// - a `Final-Recipient` is lowercased, as the log's addresses are;
/// - CRLF and LF line ends read alike (IMAP hands over CRLF, a saved `.eml` often has LF).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let bounce = BounceMessage(bytes: bytes)
    check(bounce, bytes)

    // The same message with CRLF line ends, when it has no CR of its own to confuse the comparison.
    if !bytes.contains(0x0D) && bytes.contains(0x0A) {
        var crlf: [UInt8] = []
        crlf.reserveCapacity(bytes.count + bytes.count / 16)
        for byte in bytes {
            if byte == 0x0A { crlf.append(0x0D) }
            crlf.append(byte)
        }
        let again = BounceMessage(bytes: crlf)
        check(again, crlf)
        precondition(again.kind == bounce.kind, "LF gives \(bounce.kind), CRLF gives \(again.kind)")
        precondition(again.recipients.map(\.finalRecipient) == bounce.recipients.map(\.finalRecipient),
                     "LF and CRLF report different recipients: \(bounce.recipients) / \(again.recipients)")
        precondition(again.recipients.map(\.status) == bounce.recipients.map(\.status),
                     "LF and CRLF report different status codes: \(bounce.recipients) / \(again.recipients)")
        precondition(again.returnedMessageIDs == bounce.returnedMessageIDs,
                     "LF and CRLF find different returned Message-IDs: \(bounce.returnedMessageIDs) / \(again.returnedMessageIDs)")
    }

    // The delivery-status parser alone, on the whole input: every group it returns is about a recipient.
    for status in RecipientStatus.parseDeliveryStatus(bytes) {
        precondition(status.finalRecipient != nil || status.action != nil, "a delivery-status group with neither Final-Recipient nor Action: \(status)")
        check(status)
    }
    return 0
}

/// The properties of one parsed bounce (see the file's comment).
func check(_ bounce: BounceMessage, _ bytes: [UInt8]) {
    switch bounce.kind {
    case .deliveryReport, .textBounce:
        precondition(!bounce.recipients.isEmpty, "a \(bounce.kind.rawValue) without a per-recipient report")
    case .autoReply, .other:
        precondition(bounce.failures.isEmpty, "\(bounce.kind.rawValue) reports failures: \(bounce.failures)")
    }
    for failure in bounce.failures {
        precondition(failure.outcome != nil && bounce.recipients.contains(failure), "a failure that is not a reported recipient: \(failure)")
    }
    for status in bounce.recipients { check(status) }
    for ids in [bounce.returnedMessageIDs, bounce.referencedMessageIDs] {
        for id in ids {
            precondition(id.hasPrefix("<") && id.hasSuffix(">") && id.contains("@") && !id.contains(where: \.isWhitespace),
                         "a Message-ID clue that is not one <…@…>: \(id.debugDescription)")
        }
        precondition(Set(ids.map { $0.lowercased() }).count == ids.count, "a Message-ID listed twice: \(ids)")
    }
    for address in bounce.deliveredTo {
        precondition(address == address.lowercased(), "a delivered-to address not lowercased: \(address.debugDescription)")
    }
    _ = bounce.kind == .textBounce ? bounce.shape! : ""
}

func check(_ status: RecipientStatus) {
    if let recipient = status.finalRecipient {
        precondition(recipient == recipient.lowercased(), "Final-Recipient not lowercased: \(recipient.debugDescription)")
    }
    if let action = status.action {
        precondition(action == action.lowercased() && !action.contains(" "), "Action not one lowercased word: \(action.debugDescription)")
    }
    _ = status.outcome
}

/// libFuzzer's driver, over `LLVMFuzzerTestOneInput` above.
@main
enum FuzzDSNMain {
    static func main() {
        exit(herald_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv))
    }
}
