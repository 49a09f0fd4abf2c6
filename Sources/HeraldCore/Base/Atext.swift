/// The ASCII characters that may appear in an atom (RFC 5322 §3.2.3 `atext`): Herald's one copy.
///
/// In the base layer because two concerns read it: ``HeaderEncoder`` (a word that may stand as
/// an atom in a header) and ``EmailAddress`` (what a local part allows between its dots).
enum Atext {
    /// The characters as a set, for reading and for tests.
    static let set = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)

    /// True for a byte of ``set``, without hashing: the set is for reading, this for loops.
    @inline(__always)
    static func contains(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
