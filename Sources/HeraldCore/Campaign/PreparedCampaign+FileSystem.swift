import Foundation

/// Loading a campaign from disk: the campaign file, its templates, its lists and its DKIM key,
/// read through ``InputFile`` so every unreadable input is a diagnostic.
extension PreparedCampaign {
    /// Loads and checks the campaign file, its template and its recipient lists.
    ///
    /// - Parameter date: the date used for the trial composition: now on the caller's clock.
    /// - Throws: `ValidationFailure`; its `kind` gives the exit status (78 campaign file,
    ///   66 missing input, 65 bad data).
    public static func load(campaignFile path: String, date: Date) throws(ValidationFailure) -> PreparedCampaign {
        let text = try InputFile.readText(path, missing: Diagnostic(.missingInput, file: path, "campaign file not found"), kind: .badConfig)
        let campaign = try Campaign.parse(text, file: path)
        let locator = TOMLKeyLocator(text)
        var problems: [Diagnostic] = []
        var template: LetterTemplate?
        do {
            let source = try InputFile.readText(
                campaign.templatePath,
                missing: Diagnostic(
                    .missingInput, file: path, line: locator.line(of: "template", in: nil), field: "template",
                    "template file \(campaign.templatePath) not found"))
            template = try LetterTemplate(source: source, file: campaign.templatePath, html: campaign.html)
        } catch { problems += error.diagnostics }
        var languageTemplates: [String: LetterTemplate] = [:]
        for language in campaign.languageTemplates.keys.sorted() {
            let templatePath = campaign.languageTemplates[language]!
            do {
                let source = try InputFile.readText(
                    templatePath,
                    missing: Diagnostic(
                        .missingInput, file: path, line: locator.line(of: ["templates", language]) ?? locator.line(of: ["templates"]),
                        field: "templates.\(language)", "template file \(templatePath) not found"))
                languageTemplates[language] = try LetterTemplate(
                    source: source, file: templatePath,
                    html: HTMLPolicy(remoteImages: campaign.html.remoteImages, language: language))
            } catch { problems += error.diagnostics }
        }
        // Lists are checked streamed (UTF-8, quotes), then read row by row: never whole in memory.
        var sources: [Source] = []
        for listPath in campaign.recipientPaths {
            do {
                try InputFile.checkReadable(
                    listPath,
                    missing: Diagnostic(
                        .missingInput, file: path, line: locator.line(of: "recipients", in: nil),
                        field: "recipients", "recipient file \(listPath) not found"))
                try RecipientReader.scan(file: listPath)
                sources.append(.file(listPath))
            } catch { problems += error.diagnostics }
        }
        var signer: DKIMSigner?
        var keyWarning: Diagnostic?
        var keyProblems: [Diagnostic] = []
        if let settings = campaign.dkim {
            do throws(ValidationFailure) {
                let key = try loadDKIMKey(settings, campaignFile: path, line: locator.line(of: "private_key_file", in: "dkim"))
                signer = DKIMSigner(settings: settings, key: key)
                if key.algorithm == .rsaSHA256 && key.bits < 2048 {
                    keyWarning = Diagnostic(
                        .badConfig, file: path, line: locator.line(of: "private_key_file", in: "dkim"), field: "dkim.private_key_file",
                        "a \(key.bits)-bit RSA key: RFC 8301 still allows it, but 2048 bits is what to publish now")
                }
            } catch { keyProblems = error.diagnostics }
        }
        guard problems.isEmpty, let template else { throw ValidationFailure(keyProblems + problems) }
        if !keyProblems.isEmpty {
            // The lists and letters are still checked (unsigned), so one run names every problem.
            do { _ = try prepare(campaign: campaign, template: template, languageTemplates: languageTemplates, sources: sources, date: date) } catch {
                throw ValidationFailure(keyProblems + error.diagnostics)
            }
            throw ValidationFailure(keyProblems)
        }
        var prepared = try prepare(
            campaign: campaign, template: template, languageTemplates: languageTemplates, sources: sources,
            signer: signer, date: date)
        if let keyWarning { prepared.warnings.insert(keyWarning, at: 0) }
        return prepared
    }

    /// Reads and parses the DKIM key file, once per campaign. Every problem is a `.badConfig`
    /// diagnostic on `dkim.private_key_file`'s line (exit 78), saying what to do; none shows
    /// any of the file's content.
    static func loadDKIMKey(_ settings: DKIMSettings, campaignFile: String, line: Int?) throws(ValidationFailure) -> DKIMPrivateKey {
        let path = settings.privateKeyFile
        func problem(_ message: String) -> ValidationFailure {
            ValidationFailure([Diagnostic(.badConfig, file: campaignFile, line: line, field: "dkim.private_key_file", "\(path): \(message)")])
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw problem("not found; generate a key (see README, DKIM) or correct the path (relative to the campaign file)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw problem("is not a regular file; name the PEM file of the private key") }
        if info.st_mode & 0o077 != 0 {
            throw problem("can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))); a private key must be the sender's alone: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw problem("cannot be read (permissions?)") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw problem("is not a PEM text file (a binary DER key?); convert it with `openssl pkey -in KEY -inform DER -out KEY.pem`")
        }
        do { return try DKIMPrivateKey(pem: text, algorithm: settings.algorithm) } catch { throw problem(error.description) }
    }
}
