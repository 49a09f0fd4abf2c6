import Foundation

/// The delivery log's hash chain: every record carries `prev`, the SHA-256 of the line of
/// the record before it, exactly as written (its bytes without the newline), and a log's
/// first record carries `genesis`. Editing, removing or reordering any record but the last
/// then breaks the `prev` of the record after it.
///
/// What it proves and what not (README "Proof of dispatch"): the records up to the last one
/// were not changed after they were written, unless whoever changed them recomputed every
/// `prev` from that point on; it is not a signature, and removing records from the end
/// leaves a valid chain, so the last hash (`head`) must be kept elsewhere to be an anchor.
///
/// `Verifier` checks a log line by line (pure: the storage adapter feeds it the lines). Records
/// without `prev` at the start of a log were written before Herald chained its log: they are
/// counted as not chained, not as broken; once a record carries `prev`, every later one must.
public enum LogChain {
    /// The `prev` of a log's first record: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// The chain hash of one line of the log: SHA-256 hex of its bytes, newline excluded.
    public static func hash<Bytes: Collection>(line: Bytes) -> String where Bytes.Element == UInt8 {
        SHA256.hex(line)
    }

    /// True for a line the log reader skips (empty or only whitespace): not part of the chain.
    public static func isBlank<Bytes: Collection>(_ line: Bytes) -> Bool where Bytes.Element == UInt8 {
        for byte in line where byte != 0x20 && byte != 0x09 {
            // Any other ASCII byte is not whitespace; beyond ASCII, ask as the log reader does.
            if byte < 0x80 { return false }
            return String(decoding: Array(line), as: UTF8.self).trimmingCharacters(in: .whitespaces).isEmpty
        }
        return true
    }

    /// Where a check of the chain found it broken: the first record that does not chain.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// 1-based line number in the log.
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// What a check of a whole log found.
    public struct Verdict: Sendable, Equatable {
        /// Records read (chained or not), up to the break if any.
        public var records = 0
        /// Records at the log's start that carry no `prev` (written before the chain existed).
        public var unchained = 0
        /// The line of the first chained record, when records before it are not chained.
        public var chainedFrom: Int?
        /// The chain hash of the last record read: the value to anchor elsewhere.
        public var head: String?
        /// The first record that breaks the chain; nil when intact.
        public var broken: Break?
        /// The line number of an incomplete last line (a crash while writing), ignored.
        public var tornLine: Int?

        public init() {}

        public var isIntact: Bool { broken == nil }
    }

    /// Checks a log one line at a time, in order.
    public struct Verifier {
        public private(set) var verdict = Verdict()
        /// The chain hash and line number of the last record seen.
        private var last: (hash: String, line: Int)?
        private var chainStart: Int?
        /// The line from which an earlier check found the log chained (`LOG.chain`).
        private var chainedWhenChecked: Int?

        public init() {}

        /// Checks a log from its start that an earlier check found chained from line
        /// `chainedFrom`: a record there or later without `prev` is a break, so stripping every
        /// `prev` cannot pass the log off as one written before Herald chained it.
        public init(chainedWhenCheckedFrom chainedFrom: Int?) {
            chainedWhenChecked = chainedFrom
        }

        /// Goes on from a point already verified (`ChainCheckpoint`), so only what follows it is read.
        /// - Parameters:
        ///   - head: the chain hash of the last record before that point, and its line; nil when
        ///     there is no record before it.
        ///   - chainedFrom: the line of the first record that carries `prev`; nil when none does yet.
        public init(resumingAfter head: (hash: String, line: Int)?, chainedFrom: Int?) {
            last = head
            chainStart = chainedFrom
        }

        /// The line of the first record carrying `prev`; nil while none does.
        public var chainedFromLine: Int? { chainStart }

        /// The chain hash and line of the last record seen.
        public var lastRecord: (hash: String, line: Int)? { last }

        /// Feeds the next line (without its newline); `terminated` false for a last line without
        /// one. Returns false once the chain is broken (later lines are not looked at).
        public mutating func see(line number: Int, bytes: ArraySlice<UInt8>, terminated: Bool) -> Bool {
            guard verdict.broken == nil else { return false }
            if terminated && isBlank(bytes) { return true }
            guard let record = DeliveryRecord.parse(line: String(decoding: bytes, as: UTF8.self)) else {
                if !terminated {
                    verdict.tornLine = number
                    return true
                }
                return fail(number, "not a delivery record (an edited or damaged line)")
            }
            let hash = LogChain.hash(line: bytes)
            defer {
                if verdict.broken == nil {
                    verdict.records += 1
                    verdict.head = hash
                    last = (hash, number)
                }
            }
            guard let prev = record.prev else {
                if let chainStart {
                    return fail(
                        number, "this record has no prev, but the log is chained from line \(chainStart): a record was inserted here, or its prev removed")
                }
                if let chainedWhenChecked, number >= chainedWhenChecked {
                    return fail(
                        number,
                        "this record has no prev, but the log was chained from line \(chainedWhenChecked) when last checked (recorded beside it in LOG.chain): prev was removed from its records"
                    )
                }
                verdict.unchained += 1
                return true
            }
            if chainStart == nil {
                chainStart = number
                if verdict.unchained > 0 { verdict.chainedFrom = number }
            }
            let expected = last?.hash ?? LogChain.genesis
            guard prev == expected else {
                if let last {
                    return fail(
                        number,
                        "prev does not match the SHA-256 of line \(last.line), the record before it: line \(last.line) was edited, or records between them were removed or reordered (prev \(prev), line \(last.line) hashes to \(last.hash))"
                    )
                }
                return fail(
                    number,
                    "this is the log's first record, but its prev is not the chain's start (\(LogChain.genesis.prefix(8))…): records before it were removed (prev \(prev))"
                )
            }
            return true
        }

        private mutating func fail(_ line: Int, _ reason: String) -> Bool {
            verdict.broken = Break(line: line, reason: reason)
            return false
        }
    }
}
