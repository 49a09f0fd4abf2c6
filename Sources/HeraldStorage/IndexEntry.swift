/// One line of the delivery log's index: where in the log a run of records of one
/// occurrence starts.
///
/// `OFFSET LATEST OCCURRENCE CHAIN`, space-separated: the run's first byte in the log, the
/// greatest occurrence of this entry and every one before it, this run's occurrence (`-`
/// for nil, a campaign sent as a whole), and a checksum of the line's fields continuing the
/// previous entry's. The `latest` column lets a reader walking back from the end stop at
/// the first entry whose `latest` sorts before what it looks for: nothing before it can be
/// that occurrence. The chain makes a damaged, lost or misplaced line show when the lines
/// around it are read. Occurrences sort as strings, nil first, as the log's keys always have.
struct IndexEntry: Equatable, Sendable {
    /// The offset in the log of the run's first record, a line start.
    var offset: Int
    var occurrence: String?
    /// The greatest occurrence of this entry and every entry before it (nil sorts first).
    var latest: String?
    var chain: UInt64

    /// The entry for a run starting at `offset`, after `previous` (nil for the first).
    /// - Precondition: `occurrence` can be written (`canWrite`).
    init(offset: Int, occurrence: String?, after previous: IndexEntry?) {
        self.offset = offset
        self.occurrence = occurrence
        latest = Self.later(previous?.latest, occurrence)
        chain = 0
        chain = IndexChecksum.of(body, seed: previous?.chain ?? IndexChecksum.basis)
    }

    private init(offset: Int, occurrence: String?, latest: String?, chain: UInt64) {
        self.offset = offset
        self.occurrence = occurrence
        self.latest = latest
        self.chain = chain
    }

    /// Whether the index can hold `occurrence`: nil, or a non-empty word of the characters an
    /// RFC 3339 time is written with (letters, digits, `-`, `:`, `+`, `.`, `_`) other than `-`.
    /// A log with any other occurrence (only a hand-edited one has one) is read whole every time.
    static func canWrite(_ occurrence: String?) -> Bool {
        guard let occurrence else { return true }
        return occurrence != "-" && !occurrence.isEmpty && occurrence.utf8.allSatisfy(isWordByte)
    }

    /// The greater of two occurrences, nil sorting first.
    static func later(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }

    /// Whether `a` sorts before `b`, nil first.
    static func sortsBefore(_ a: String?, _ b: String?) -> Bool {
        guard let b else { return false }
        guard let a else { return true }
        return a < b
    }

    /// The line, newline included.
    var line: [UInt8] { body + Array(IndexChecksum.hex(chain).utf8) + [UInt8(ascii: "\n")] }

    /// What the chain covers: every field but the chain, each followed by a space.
    private var body: [UInt8] {
        Array("\(offset) \(latest ?? "-") \(occurrence ?? "-") ".utf8)
    }

    /// Parses a line (without its newline); nil when it is not an entry as written.
    static func parse(_ bytes: ArraySlice<UInt8>) -> IndexEntry? {
        let fields = bytes.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count == 4,
            let offset = decimal(fields[0]),
            let latest = token(fields[1]), let occurrence = token(fields[2]),
            let chain = IndexChecksum.parseHex(Substring(decoding: fields[3], as: UTF8.self))
        else { return nil }
        return IndexEntry(offset: offset, occurrence: occurrence, latest: latest, chain: chain)
    }

    /// Whether this entry can come right after `previous` (nil: it is the first): its
    /// offset is later, its occurrence differs, its `latest` is right and its chain continues
    /// `previous`'s. The first entry starts the log, at offset 0.
    func follows(_ previous: IndexEntry?) -> Bool {
        if let previous {
            guard offset > previous.offset, occurrence != previous.occurrence else { return false }
        } else {
            guard offset == 0 else { return false }
        }
        return self == IndexEntry(offset: offset, occurrence: occurrence, after: previous)
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// `-` as nil, a word as itself; nil (the outer optional) for anything else.
    private static func token(_ bytes: ArraySlice<UInt8>) -> String?? {
        if bytes.elementsEqual([UInt8(ascii: "-")]) { return .some(nil) }
        guard !bytes.isEmpty, bytes.allSatisfy(isWordByte) else { return nil }
        return .some(String(decoding: bytes, as: UTF8.self))
    }

    /// A non-negative decimal without leading zeros (as written); nil for anything else.
    static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ (0x30...0x39).contains($0) }),
            bytes.first != UInt8(ascii: "0") || bytes.count == 1
        else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
