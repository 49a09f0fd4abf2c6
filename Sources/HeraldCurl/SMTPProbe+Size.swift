extension SMTPProbe.Report {
    /// Bytes a letter must stay below the server's announced `SIZE` to be called fit.
    ///
    /// A relay counts its own additions against its limit: Postfix's `message_size_limit`
    /// covers the `Received:` trace header it prepends (300–450 bytes with its TLS details),
    /// and milters add more before the check (OpenDKIM's `Authentication-Results:`, a signing
    /// relay's `DKIM-Signature:` of 500–900 bytes, spam-filter headers). A 4,571-byte letter
    /// against a 4,600-byte limit was refused (552) by every such relay. 2 KiB covers a trace
    /// header, a signature and a verdict header with room left; it is a margin, not a promise:
    /// a chain of relays that each add headers can need more.
    public static let relayHeaderMargin = 2048

    /// Where a letter of some size stands against the server's `SIZE`.
    public enum SizeVerdict: Sendable, Equatable {
        /// No limit announced, or the letter is below it by at least `relayHeaderMargin`.
        case fits
        /// Within the limit, but closer to it than `relayHeaderMargin`: a relay that adds its
        /// trace and milter headers is likely to refuse it (552).
        case withinMargin
        /// Larger than the limit itself: refused (552).
        case tooLarge
    }

    /// The verdict for a letter of `bytes` bytes (as handed over: CRLF line ends, before
    /// dot-stuffing) against the announced `SIZE`.
    public func sizeVerdict(for bytes: Int) -> SizeVerdict {
        guard let limit = sizeLimit, limit > 0 else { return .fits }
        if bytes > limit { return .tooLarge }
        return bytes > limit - Self.relayHeaderMargin ? .withinMargin : .fits
    }
}
