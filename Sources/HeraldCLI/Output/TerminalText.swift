import HeraldCore

/// Text from outside Herald (server replies, delivery reports, CSV values, file contents)
/// made safe to print on a terminal: every character a terminal would act on is shown as a
/// visible escape instead, so printed text can never move the cursor, clear the screen, set
/// the window title, hide a line or reverse how a line reads.
///
/// Escaped, in the notation JSON and most languages read back: `\n`, `\r` and `\t`; every
/// other C0 control (U+0000–U+001F), DEL (U+007F) and C1 control (U+0080–U+009F) as `\uXXXX`
/// (ESC is `\u001B`); the bidirectional marks, embeddings, overrides and isolates (U+061C,
/// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators
/// (U+2028, U+2029) the same way (`\u202E`). Everything else, non-ASCII letters included,
/// is printed as it is. A backslash is not escaped: the visible form is for a person to read;
/// the delivery log keeps the exact text.
enum TerminalText {
    /// `text` with every control character shown as an escape (see the type's summary).
    /// Printable ASCII and ordinary Unicode text come back unchanged, without a copy.
    static func visible<Text: StringProtocol>(_ text: Text) -> String {
        VisibleText.of(text)
    }

    /// Each line of `text` made visible, the line breaks between them kept: for whole
    /// messages on their way to stdout or stderr, so an escape missed where a message was
    /// built is still never interpreted.
    static func visibleLines(_ text: String) -> String {
        if !text.utf8.contains(where: { ($0 < 0x20 && $0 != 0x0A) || $0 >= 0x7F }) { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { visible($0) }.joined(separator: "\n")
    }
}
