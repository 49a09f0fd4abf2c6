import Testing

/// The tags Herald's suites carry, so a run can pick or skip a kind of test
/// (`swift test --filter`, or `--skip` by name, or a test plan selecting tags) without relying on
/// how a test is named.
extension Tag {
    /// Runs Herald against something real: an SMTP server (aiosmtpd, Postfix's smtp-sink), a
    /// `herald` subprocess, Dovecot or a browser. Slower, and needs what `make deps` installs.
    @Tag public static var integration: Self
    /// Starts Dovecot (`DovecotServer`): the real IMAP server the bounce tests read.
    @Tag public static var dovecot: Self
    /// Starts headless Chromium (`HeadlessChromium`): the judge of the HTML letters.
    @Tag public static var browser: Self
}
