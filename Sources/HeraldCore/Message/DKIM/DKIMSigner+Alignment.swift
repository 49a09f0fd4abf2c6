/// Whether the signing domain speaks for the letters' From address (DMARC's alignment).
extension DKIMSigner {
    /// A warning when the From domain and `d=` belong to different organisations: the
    /// signature still verifies, but a receiver checking DMARC (RFC 7489 §3.1.1) does not count
    /// it for the From domain, so the letter may be judged unauthenticated. Nil when aligned.
    ///
    /// DMARC compares organisational domains, found with the Public Suffix List, which Herald
    /// does not carry; the last two labels stand in for them. That never warns about an aligned
    /// pair (`mail.org.example` signing for `org.example`, or the reverse) and may miss a
    /// misaligned one under a two-label suffix (`a.co.uk` and `b.co.uk`): a hint, not a rule.
    public func alignmentWarning(from: EmailAddress, campaignFile: String) -> Diagnostic? {
        let fromDomain = (Punycode.asciiDomain(from.domain) ?? from.domain).lowercased()
        let signing = settings.domain.lowercased()
        func organisation(_ domain: String) -> ArraySlice<Substring> { domain.split(separator: ".").suffix(2) }
        if organisation(fromDomain) == organisation(signing) { return nil }
        return Diagnostic(
            .badConfig, file: campaignFile, field: "dkim.domain",
            "the letters are From \(from.domain) but signed for \(settings.domain); receivers checking DMARC will not count this signature for \(from.domain). Sign with domain = \"\(fromDomain)\" (or a domain of the same organisation)"
        )
    }
}
