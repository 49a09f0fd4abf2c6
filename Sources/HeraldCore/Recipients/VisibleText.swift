/// Text from outside Herald (CSV values, paths built from them, server replies) in a form
/// safe to print anywhere: every character a terminal would act on is shown as an escape, so
/// a diagnostic carrying such text can be printed, logged or written to JSON by any caller
/// without moving the cursor, clearing the screen, setting a window title or reversing a line.
///
/// Escaped: `\n`, `\r`, `\t`; every other C0 control (U+0000–U+001F), DEL and C1 control
/// (U+007F–U+009F) as `\uXXXX` (ESC is `\u001B`); the bidirectional marks, embeddings,
/// overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line
/// and paragraph separators (U+2028, U+2029) the same way. Everything else, non-ASCII letters
/// included, is kept. A backslash is not escaped: the visible form is for a person to read.
public enum VisibleText {
    /// `text` with every control character shown as an escape; plain printable ASCII comes back unchanged.
    public static func of<Text: StringProtocol>(_ text: Text) -> String {
        // Fast path: plain printable ASCII, the common case.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
