import Testing

@testable import HeraldCLI

/// `TerminalText.visible`: what a terminal would act on is shown, everything else printed as it is.
@Suite struct TerminalTextTests {
    @Test func controlsDELC1AndBidiControlsBecomeVisible() {
        #expect(TerminalText.visible("a\u{1B}]0;title\u{07}\u{1B}[2Jb") == #"a\u001B]0;title\u0007\u001B[2Jb"#)
        #expect(TerminalText.visible("x\u{7F}\u{9B}31m\u{85}") == #"x\u007F\u009B31m\u0085"#)
        #expect(TerminalText.visible("\u{202E}gpj.exe \u{2066}\u{2069}\u{200F}\u{061C}") == #"\u202Egpj.exe \u2066\u2069\u200F\u061C"#)
        #expect(TerminalText.visible("one\ntwo\r\n\tthree\u{0}") == #"one\ntwo\r\n\tthree\u0000"#)
    }

    @Test func ordinaryTextIsUnchanged() {
        for text in ["250 2.0.0 Ok: queued as 1234", "Wolfgang Schüssel", "Österreich — 東京 ✓", "C:\\path", ""] {
            #expect(TerminalText.visible(text) == text)
        }
    }

    @Test func wholeMessagesKeepTheirLineBreaks() {
        #expect(TerminalText.visibleLines("a\u{1B}[2J\nb\u{202E}\n") == "a\\u001B[2J\nb\\u202E\n")
        #expect(TerminalText.visibleLines("plain\nlines") == "plain\nlines")
    }
}
