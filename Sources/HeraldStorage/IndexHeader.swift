/// The first line of the delivery log's index: which log it describes, how much of it, and
/// where its own entries end.
///
/// `herald-log-index 1 DEVICE INODE LOG-LENGTH INDEX-LENGTH CAMPAIGN CHECKSUM`, the numbers
/// zero-padded to 20 digits so the line keeps its length and is rewritten in place (one
/// `pwrite`) each time the log is synced. The index is trusted only for the log with that
/// device and inode, exactly `LOG-LENGTH` bytes long (a log that grew, shrank or was
/// replaced since is scanned instead), read by campaign `CAMPAIGN`; its entries are the bytes
/// from the end of this line to `INDEX-LENGTH`, so a truncated index shows. The checksum
/// covers the line, so a torn rewrite shows too.
struct IndexHeader: Equatable, Sendable {
    static let magic = "herald-log-index 1 "

    var log: FileID
    var logLength: Int
    var indexLength: Int
    var campaign: String

    /// Whether a campaign name can go in the header: one word of letters, digits, `.`,
    /// `_` and `-`, as every valid campaign name is.
    static func canWrite(campaign: String) -> Bool {
        !campaign.isEmpty && campaign.utf8.count <= 64
            && campaign.utf8.allSatisfy {
                switch $0 {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
    }

    /// The header's length for `campaign`, newline included: the same for every header of
    /// one campaign's index.
    static func length(campaign: String) -> Int {
        magic.utf8.count + 4 * 21 + campaign.utf8.count + 1 + 16 + 1
    }

    /// The line, newline included.
    var line: [UInt8] {
        func padded(_ value: UInt64) -> String {
            let digits = String(value)
            return String(repeating: "0", count: 20 - digits.count) + digits
        }
        let fields =
            Self.magic + padded(log.device) + " " + padded(log.inode) + " " + padded(UInt64(logLength)) + " "
            + padded(UInt64(indexLength)) + " " + campaign + " "
        let bytes = Array(fields.utf8)
        return bytes + Array(IndexChecksum.hex(IndexChecksum.of(bytes)).utf8) + [UInt8(ascii: "\n")]
    }

    /// Parses a header line (newline included); nil when it is not one as written.
    static func parse(_ bytes: ArraySlice<UInt8>) -> IndexHeader? {
        guard bytes.last == UInt8(ascii: "\n"), bytes.starts(with: magic.utf8) else { return nil }
        let fields = bytes.dropLast().dropFirst(magic.utf8.count).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0..<4].allSatisfy({ $0.count == 20 && $0.allSatisfy { (0x30...0x39).contains($0) } }),
            let device = UInt64(String(decoding: fields[0], as: UTF8.self)),
            let inode = UInt64(String(decoding: fields[1], as: UTF8.self)),
            let logLength = Int(String(decoding: fields[2], as: UTF8.self)),
            let indexLength = Int(String(decoding: fields[3], as: UTF8.self)),
            let checksum = IndexChecksum.parseHex(Substring(decoding: fields[5], as: UTF8.self))
        else { return nil }
        let campaign = String(decoding: fields[4], as: UTF8.self)
        guard canWrite(campaign: campaign) else { return nil }
        let header = IndexHeader(log: FileID(device: device, inode: inode), logLength: logLength, indexLength: indexLength, campaign: campaign)
        guard IndexChecksum.of(bytes.dropLast(17)) == checksum, header.line.elementsEqual(bytes) else { return nil }
        return header
    }
}
