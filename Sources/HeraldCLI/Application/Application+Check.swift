import Foundation
import HeraldCore
import HeraldCurl

extension Application {
    /// Options of `herald check` beyond the campaign file.
    public struct CheckOptions {
        /// Use this server instead of the campaign's, as `send --smtp-url`.
        public var smtpURL: String?
        /// Show the SMTP conversation on stderr, credentials redacted.
        public var verbose = false

        public init(smtpURL: String? = nil, verbose: Bool = false) {
            self.smtpURL = smtpURL
            self.verbose = verbose
        }
    }

    /// `herald check`: a pre-flight conversation with the campaign's server, sending no mail.
    ///
    /// Validates the campaign as `send` does (any problem: its exit status, no connection),
    /// composes every letter to find the largest and whether any needs SMTPUTF8, then connects,
    /// reads the greeting and capabilities, and does STARTTLS and AUTH as the campaign would
    /// (`SMTPProbe`: never `MAIL FROM`). Exit statuses are the ones `send` would end with: 69
    /// for an unavailable server or a TLS failure, 77 for a refused login, 1 when letters would
    /// be refused (larger than the server's `SIZE` or closer to it than the headers a relay adds,
    /// `SMTPProbe.Report.relayHeaderMargin`, or needing SMTPUTF8 it does not offer: `send` would
    /// log them failed), 0 when the campaign can go.
    public func check(campaign path: String, options: CheckOptions) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            var prepared = try load(path)
            try overrideServer(of: &prepared, with: options.smtpURL)
            let campaign = prepared.campaign
            if let warning = campaign.smtp.plaintextWarning { parts.errors(warning) }
            let endpoint = try SecretSource.endpoint(for: campaign, environment: parts.environment)
            // The probe runs on this thread: its trace goes straight to the error stream.
            let errors = parts.errors
            let trace: ((String) -> Void)? = options.verbose ? { errors("smtp: " + TerminalText.visible($0)) } : nil
            let letters = try measureLetters(prepared)
            let probe = parts.probe(endpoint, trace)
            return try report(probe, letters: letters, campaign: campaign, endpoint: endpoint)
        }
    }

    /// What `check` needs to know of the letters: the largest, and those needing SMTPUTF8.
    struct LetterMeasure {
        var count = 0
        var largest = 0
        var largestRecipient = ""
        /// Every letter's size, to count those over a limit.
        var sizes: [Int] = []
        var needingSMTPUTF8: [String] = []
    }

    /// Composes every letter once (as `send` will) and measures it; nothing is kept but sizes.
    private func measureLetters(_ prepared: PreparedCampaign) throws(CommandFailure) -> LetterMeasure {
        var measure = LetterMeasure()
        var failure: ValidationFailure?
        do {
            try prepared.forEachRecipient { recipient in
                do throws(ValidationFailure) {
                    let message = try prepared.compose(recipient, date: parts.clock.now())
                    measure.count += 1
                    measure.sizes.append(message.data.count)
                    if message.data.count > measure.largest {
                        measure.largest = message.data.count
                        measure.largestRecipient = recipient.key
                    }
                    if message.requiresSMTPUTF8 { measure.needingSMTPUTF8.append(recipient.key) }
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
        } catch {
            throw CommandFailure(.dataError, error.description)
        }
        if let failure { throw CommandFailure(failure) }
        return measure
    }

    /// Prints what the server said against the campaign's letters and picks the exit status.
    private func report(
        _ probe: SMTPProbe.Report, letters: LetterMeasure, campaign: Campaign,
        endpoint: SMTPEndpoint
    ) throws(CommandFailure) -> ExitStatus {
        let server = "\(campaign.smtp.url)"
        parts.output("server: \(server) (tls: \(endpoint.tls.rawValue))")
        if let greeting = probe.greeting { parts.output("greeting: \(TerminalText.visible(greeting))") }
        if !probe.capabilities.isEmpty { parts.output("capabilities: \(TerminalText.visible(probe.capabilities.joined(separator: ", ")))") }
        if let tls = probe.tls {
            parts.output("TLS: \(tls.version), \(tls.cipher)")
            let expiry = tls.certificateNotAfter.map { RFC5322Date.rfc3339($0) } ?? "unknown"
            let verified = probe.certificateVerified ? "verified" : "NOT verified (tls = opportunistic)"
            parts.output(
                "certificate: \(TerminalText.visible(tls.certificateSubject ?? "?")), issued by \(TerminalText.visible(tls.certificateIssuer ?? "?")), expires \(expiry), \(verified)"
            )
            if let notAfter = tls.certificateNotAfter, notAfter < parts.clock.now() {
                parts.errors("warning: the server's certificate expired at \(expiry)")
            }
        } else if probe.failure == nil {
            parts.output("TLS: none (\(endpoint.tls == .none ? "tls = none" : "the server did not offer STARTTLS"); letters would go in plaintext)")
        }
        switch probe.failure {
        case .unavailable(let error)?:
            throw CommandFailure(.unavailable, "\(server): server unavailable: \(TerminalText.visible("\(error)")); no mail was sent")
        case .tls(let error)?:
            throw CommandFailure(.unavailable, "\(campaign.smtp.url.host): TLS failed: \(TerminalText.visible("\(error)")); no mail was sent")
        case .authentication(let reply)?:
            throw CommandFailure(.noPermission, "\(server): the server refused the login: \(TerminalText.visible(reply)); no mail was sent")
        case nil:
            break
        }
        if let user = endpoint.username {
            parts.output("AUTH: accepted for \(user)\(probe.authReply.map { " (\(TerminalText.visible($0)))" } ?? "")")
        } else {
            parts.output("AUTH: not used (no username in the campaign)")
        }
        var problems: [String] = []
        let largest = "the largest letter is \(letters.largest) bytes (to \(letters.largestRecipient))"
        switch probe.sizeLimit {
        case nil:
            parts.output("SIZE: the server announces no limit; \(largest)")
        case 0?:
            parts.output("SIZE: the server announces SIZE without a limit; \(largest)")
        case let limit?:
            let margin = SMTPProbe.Report.relayHeaderMargin
            let verdicts = letters.sizes.map(probe.sizeVerdict(for:))
            let over = verdicts.count { $0 == .tooLarge }
            let close = verdicts.count { $0 == .withinMargin }
            if over == 0 && close == 0 {
                parts.output("SIZE: the server takes up to \(limit) bytes; \(largest): ok (at least \(margin) bytes to spare for the headers relays add)")
            } else if over == 0 {
                parts.output("SIZE: the server takes up to \(limit) bytes; \(largest): too close to the limit")
                problems.append(
                    "\(close) of \(letters.count) letters are within \(margin) bytes of the server's SIZE limit of \(limit) bytes (\(largest)): relays count the trace and milter headers they add (Received, DKIM-Signature, Authentication-Results), so the server would likely refuse them (552) and `herald send` would log them failed. Make the letter smaller or ask for a larger limit"
                )
            } else {
                parts.output("SIZE: the server takes up to \(limit) bytes; \(largest): too large")
                problems.append(
                    "\(over) of \(letters.count) letters are larger than the server's SIZE limit of \(limit) bytes (\(largest))\(close > 0 ? " and \(close) more are within \(margin) bytes of it" : ""): the server would refuse them (552) and `herald send` would log them failed. Make the letter smaller (attachments, long fields) or ask for a larger limit"
                )
            }
        }
        if let warning = campaign.attachmentLimitWarning(serverSizeLimit: probe.sizeLimit) { parts.errors(warning) }
        let needed = letters.needingSMTPUTF8.count
        let offered = probe.offers("SMTPUTF8")
        if needed == 0 {
            parts.output("SMTPUTF8: not needed (every address is ASCII)\(offered ? "; offered" : "")")
        } else if offered {
            parts.output("SMTPUTF8: needed by \(needed) letter\(needed == 1 ? "" : "s") (a non-ASCII address); offered")
        } else {
            parts.output("SMTPUTF8: needed by \(needed) letter\(needed == 1 ? "" : "s"); NOT offered")
            problems.append(
                "\(needed) letter\(needed == 1 ? "" : "s") need SMTPUTF8 (a non-ASCII address, first \(letters.needingSMTPUTF8[0])), which the server does not offer: `herald send` would log \(needed == 1 ? "it" : "them") failed"
            )
        }
        guard problems.isEmpty else {
            throw CommandFailure(
                .someFailed, problems + ["\(campaign.name): \(problems.count) problem\(problems.count == 1 ? "" : "s") found; no mail was sent"])
        }
        parts.output("\(campaign.name): ok: \(letters.count) letters can go to \(server); no mail was sent (no MAIL FROM)")
        return .ok
    }
}
