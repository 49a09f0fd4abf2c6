import Foundation

extension Campaign {
    /// Parses a campaign file's text; every problem becomes a `.badConfig` diagnostic naming the line and key.
    ///
    /// Two steps: the TOML is decoded into the file's shape (`CampaignFile`), then that shape is
    /// validated into a `Campaign`.
    ///
    /// - Parameters:
    ///   - text: the TOML source.
    ///   - file: the campaign file's path, used in diagnostics and to resolve relative paths.
    /// - Throws: `ValidationFailure` listing every problem found, not just the first.
    public static func parse(_ text: String, file: String) throws(ValidationFailure) -> Campaign {
        try CampaignFile.decode(text, file: file).validated(file: file)
    }
}

extension CampaignFile {
    /// Checks every rule of a campaign file and builds the `Campaign`.
    ///
    /// - Throws: `ValidationFailure` with every problem, in the order of the checks: unknown
    ///   top-level keys, name, template, log, schedule, recipients, `[smtp]`, timezone and
    ///   schedule, catch_up_seconds, `[retry]`, `[limits]`, address_columns, allow_duplicates, `[dkim]`, require_approval.
    func validated(file: String) throws(ValidationFailure) -> Campaign {
        var check = Checker(file: file)
        let root = self.root

        check.unknownKeys(of: root)
        let name = check.string(root, .name, required: true)
        if let name, !Campaign.isValidName(name) {
            check.problem(
                .name, in: root,
                "\"\(name)\" is not a valid campaign name; use letters, digits, '.', '_' and '-' (64 at most, not starting with '.')")
        }
        let template = check.string(root, .template, required: true)
        let log = check.string(root, .log, required: true)
        let schedule = check.string(root, .schedule, required: false)

        var recipients: [String] = []
        if let field = root[.recipients] {
            if let array = field.value.array {
                for element in array {
                    if let path = element.string, !path.isEmpty {
                        recipients.append(path)
                    } else {
                        check.problem(.recipients, in: root, "every entry must be a non-empty string (a CSV file path)")
                    }
                }
                if array.isEmpty { check.problem(.recipients, in: root, "lists no file; name at least one CSV file") }
            } else {
                check.problem(.recipients, in: root, "must be a list of CSV file paths, e.g. recipients = [\"list.csv\"]")
            }
        } else {
            check.problem(.recipients, in: root, "missing; add `recipients = [\"list.csv\"]`")
        }

        var smtp: SMTPSettings?
        if let table = self.smtp {
            smtp = check.smtp(table)
        } else if root[.smtp] != nil {
            check.problem(.smtp, in: root, "must be a table: write it as [smtp] with url = \"smtp://host:port\"")
        } else {
            check.problem(.smtp, in: root, "missing; add an [smtp] table with url = \"smtp://host:port\"")
        }

        let timezone = check.string(root, .timezone, required: false)
        var parsedSchedule: Schedule?
        if let schedule {
            do { parsedSchedule = try Schedule(parsing: schedule, timeZone: timezone) } catch {
                check.problem(
                    .schedule, in: root,
                    "\(error); write a 5-field cron expression (\"0 9 * * 1-5\"), a macro (@daily) or an RFC 3339 time (\"2026-12-01T09:00:00+01:00\")")
            }
        } else if let timezone, TimeZone(identifier: timezone) == nil {
            check.problem(.timezone, in: root, "\"\(timezone)\" is not an IANA time zone name such as Europe/Brussels")
        }
        var catchUp = 3600
        if let field = root[.catchUpSeconds] {
            if let seconds = field.value.integer, seconds >= 0 {
                catchUp = seconds
            } else {
                check.problem(.catchUpSeconds, in: root, "must be a whole number of seconds, 0 or more (default 3600)")
            }
        }
        var retry = RetryPolicy.default
        if let table = self.retry {
            retry = check.retry(table)
        } else if root[.retry] != nil {
            check.problem(.retry, in: root, "must be a table: [retry] with max_attempts, initial_backoff_seconds, max_backoff_seconds")
        }

        var limits = SendLimits.default
        if let table = self.limits {
            limits = check.limits(table)
        } else if root[.limits] != nil {
            check.problem(
                .limits, in: root, "must be a table: [limits] with concurrency, max_messages_per_connection, messages_per_second, messages_per_minute")
        }

        var addressColumns: [String] = []
        if let field = root[.addressColumns] {
            if let array = field.value.array, array.allSatisfy({ $0.string?.isEmpty == false }) {
                addressColumns = array.compactMap(\.string)
            } else {
                check.problem(.addressColumns, in: root, "must be a list of column names, e.g. address_columns = [\"attache_email\"]")
            }
        }

        var bounces: BounceSettings?
        if let table = self.bounces {
            bounces = check.bounces(table)
        } else if root[.bounces] != nil {
            check.problem(.bounces, in: root, "must be a table: [bounces] with url = \"imaps://host/INBOX\", username and password_env or password_file")
        }

        var allowDuplicates = false
        if let field = root[.allowDuplicates] {
            if let flag = field.value.bool { allowDuplicates = flag } else { check.problem(.allowDuplicates, in: root, "must be true or false") }
        }

        var languageTemplates: [String: String] = [:]
        if let table = self.templates {
            languageTemplates = check.templates(table)
        } else if root[.templates] != nil {
            check.problem(.templates, in: root, "must be a table: [templates] with a template per language, e.g. fr = \"letter.fr.md\"")
        }
        var dkim: DKIMSettings?
        if let table = self.dkim {
            dkim = check.dkim(table)
        } else if root[.dkim] != nil {
            check.problem(.dkim, in: root, "must be a table: [dkim] with domain, selector and private_key_file")
        }
        var html = HTMLPolicy()
        if let table = self.html {
            html = check.html(table)
        } else if root[.html] != nil {
            check.problem(.html, in: root, "must be a table: [html] with language = \"en\" and remote_images = true or false")
        }
        var requireApproval = false
        if let field = root[.requireApproval] {
            if let flag = field.value.bool { requireApproval = flag } else { check.problem(.requireApproval, in: root, "must be true or false") }
        }

        var maxAttachmentBytes = Campaign.defaultMaxAttachmentBytesPerLetter
        if let table = self.attachments {
            maxAttachmentBytes = check.attachments(table)
        } else if root[.attachments] != nil {
            check.problem(.attachments, in: root, "must be a table: [attachments] with max_bytes_per_letter")
        }

        guard check.problems.isEmpty, let name, let template, let log, let smtp else {
            throw ValidationFailure(check.problems)
        }
        var campaign = Campaign(
            name: name, file: file,
            templatePath: Campaign.resolvePath(template, against: file),
            recipientPaths: recipients.map { Campaign.resolvePath($0, against: file) },
            logPath: Campaign.resolvePath(log, against: file),
            schedule: schedule, smtp: smtp, retry: retry)
        campaign.parsedSchedule = parsedSchedule
        campaign.timezone = timezone
        campaign.catchUpSeconds = catchUp
        campaign.addressColumns = addressColumns
        campaign.allowDuplicates = allowDuplicates
        campaign.requireApproval = requireApproval
        campaign.limits = limits
        campaign.maxAttachmentBytesPerLetter = maxAttachmentBytes
        campaign.bounces = bounces
        campaign.languageTemplates = languageTemplates.mapValues { Campaign.resolvePath($0, against: file) }
        campaign.html = html
        if var dkim {
            dkim.privateKeyFile = Campaign.resolvePath(dkim.privateKeyFile, against: file)
            campaign.dkim = dkim
        }
        return campaign
    }
}

/// Collects the diagnostics of one campaign file, each naming its field and line.
private struct Checker {
    let file: String
    var problems: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    /// `field` is the key's full name (`smtp.url`); `line` nil when it is unknown.
    mutating func problem(_ field: String, line: Int?, _ message: String) {
        problems.append(Diagnostic(.badConfig, file: file, line: line, field: field, message))
    }

    /// A problem with `key` of `table`, on the key's line, or the table's when the key is not written.
    mutating func problem<Key>(_ key: Key, in table: CampaignFile.Table<Key>, _ message: String) {
        problem(key.fieldName, line: table[key]?.line ?? table.line, message)
    }

    /// A non-empty string, or nil after noting why not (absent and required, not a string, empty).
    mutating func string<Key>(_ table: CampaignFile.Table<Key>, _ key: Key, required: Bool) -> String? {
        guard let field = table[key] else {
            if required { problem(key, in: table, "missing; add `\(key.rawValue) = \"…\"`") }
            return nil
        }
        guard let text = field.value.string else {
            problem(key, in: table, "must be a string, found \(field.value.typeName)")
            return nil
        }
        if text.isEmpty {
            problem(key, in: table, "must not be empty")
            return nil
        }
        return text
    }

    /// Each key of `table` that Herald does not know, on its line, with the keys it does know;
    /// `except` gives a key a message of its own (`password` in `[smtp]`).
    mutating func unknownKeys<Key>(of table: CampaignFile.Table<Key>, except special: [String: String] = [:]) {
        for unknown in table.unknownKeys {
            problem(
                Key.fieldName(unknown.name), line: unknown.line,
                special[unknown.name] ?? "unknown key; known keys are \(CampaignFile.Table<Key>.knownKeys)")
        }
    }

    /// `[templates]`: each key a language tag (`fr`, `de`, `pt-BR`; compared lowercased), each
    /// value a template path. Returns the paths as written, by lowercased language.
    mutating func templates(_ table: CampaignFile.LanguageTable) -> [String: String] {
        var paths: [String: String] = [:]
        for entry in table.entries {
            let field = "templates.\(entry.name)"
            guard Self.isLanguageTag(entry.name) else {
                problem(
                    field, line: entry.field.line,
                    "\"\(entry.name)\" is not a language tag; write a language code as the recipient lists' language column holds it (fr, de, pt-BR)")
                continue
            }
            guard let path = entry.field.value.string, !path.isEmpty else {
                problem(field, line: entry.field.line, "must be a template file's path, e.g. \(entry.name) = \"letter.\(entry.name).md\"")
                continue
            }
            let language = entry.name.lowercased()
            guard paths[language] == nil else {
                problem(field, line: entry.field.line, "names a language already in [templates] (languages are compared without case)")
                continue
            }
            paths[language] = path
        }
        return paths
    }

    /// Two or three letters, then `-` and one to eight letters or digits, as often as needed (BCP 47's shape).
    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { part in (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// `[retry]`; the defaults for whatever it leaves out.
    mutating func retry(_ table: CampaignFile.Table<CampaignFile.RetryKey>) -> RetryPolicy {
        var policy = RetryPolicy.default
        unknownKeys(of: table)
        if let field = table[.maxAttempts] {
            if let number = field.value.integer, number >= 1, number <= 100 {
                policy.maxAttempts = number
            } else {
                problem(.maxAttempts, in: table, "must be a whole number from 1 to 100")
            }
        }
        func seconds(_ key: CampaignFile.RetryKey) -> Double? {
            guard let field = table[key] else { return nil }
            if let number = field.value.integer, number >= 0 { return Double(number) }
            if let number = field.value.float, number >= 0, number.isFinite { return number }
            problem(key, in: table, "must be a number of seconds, 0 or more")
            return nil
        }
        if let initial = seconds(.initialBackoffSeconds) { policy.initialBackoff = initial }
        if let maximum = seconds(.maxBackoffSeconds) { policy.maxBackoff = maximum }
        if policy.maxBackoff < policy.initialBackoff {
            problem(.maxBackoffSeconds, in: table, "must not be less than initial_backoff_seconds")
        }
        return policy
    }

    /// `[limits]`; the defaults for whatever it leaves out.
    mutating func limits(_ table: CampaignFile.Table<CampaignFile.LimitsKey>) -> SendLimits {
        var limits = SendLimits.default
        unknownKeys(of: table)
        if let field = table[.concurrency] {
            if let number = field.value.integer, number >= 1, number <= SendLimits.maxConcurrency {
                limits.concurrency = number
            } else {
                problem(.concurrency, in: table, "must be a whole number of connections from 1 to \(SendLimits.maxConcurrency) (default 1)")
            }
        }
        if let field = table[.maxMessagesPerConnection] {
            if let number = field.value.integer, number >= 1, number <= 1_000_000 {
                limits.maxMessagesPerConnection = number
            } else {
                problem(.maxMessagesPerConnection, in: table, "must be a whole number from 1 to 1000000 (default 100)")
            }
        }
        func rate(_ key: CampaignFile.LimitsKey) -> Double? {
            guard let field = table[key] else { return nil }
            let number = field.value.integer.map(Double.init) ?? field.value.float
            let perSecond = key == .messagesPerSecond ? 1.0 : 60.0
            if let number, number.isFinite, number <= SendLimits.maxRate, number > 0, perSecond / number <= SendLimits.maxInterval * (1 + 1e-9) {
                return number
            }
            let least = key == .messagesPerSecond ? "1/86400 (0.0000116, one a day)" : "1/1440 (0.000695, one a day)"
            let bound = "at least \(least) and at most \(Int(SendLimits.maxRate)) (e.g. 10 or 0.5; leave the key out for no ceiling)"
            problem(
                key, in: table,
                key == .messagesPerSecond
                    ? "must be a number of messages per second \(bound): the rate pacer spaces hand-overs 1/rate seconds apart and keeps no interval under a microsecond"
                    : "must be a number of messages per minute \(bound)")
            return nil
        }
        limits.messagesPerSecond = rate(.messagesPerSecond)
        limits.messagesPerMinute = rate(.messagesPerMinute)
        return limits
    }

    /// `[attachments]`: the most one letter's attachments may take as sent; the default when left out.
    mutating func attachments(_ table: CampaignFile.Table<CampaignFile.AttachmentsKey>) -> Int {
        unknownKeys(of: table)
        guard let field = table[.maxBytesPerLetter] else { return Campaign.defaultMaxAttachmentBytesPerLetter }
        if let number = field.value.integer, number >= 0, number <= Campaign.maxAttachmentBytesPerLetterCeiling { return number }
        problem(
            .maxBytesPerLetter, in: table,
            "must be a whole number of bytes from 0 (no attachments) to \(Campaign.maxAttachmentBytesPerLetterCeiling) (1 GiB), counted as sent (base64 with its line ends, 37% more than the files); default \(Campaign.defaultMaxAttachmentBytesPerLetter) (10 MiB)"
        )
        return Campaign.defaultMaxAttachmentBytesPerLetter
    }

    /// `[dkim]`; nil when a required key is missing or a value is wrong. The key file is only
    /// named here; `PreparedCampaign.load` reads and checks it.
    /// `[html]`: `language`, a language tag (the default template's; a `[templates]` template's
    /// language is its key), and `remote_images`, true or false (default false).
    mutating func html(_ table: CampaignFile.Table<CampaignFile.HTMLKey>) -> HTMLPolicy {
        unknownKeys(of: table)
        var policy = HTMLPolicy()
        if let language = string(table, .language, required: false) {
            if Self.isLanguageTag(language) {
                policy.language = language
            } else {
                problem(.language, in: table, "\"\(language)\" is not a language tag; write the default template's language as en, de or pt-BR")
            }
        }
        if let field = table[.remoteImages] {
            if let flag = field.value.bool { policy.remoteImages = flag } else { problem(.remoteImages, in: table, "must be true or false") }
        }
        return policy
    }

    mutating func dkim(_ table: CampaignFile.Table<CampaignFile.DKIMKey>) -> DKIMSettings? {
        unknownKeys(of: table)
        var ok = true
        var domain: String?
        if let text = string(table, .domain, required: true) {
            let ascii = Punycode.asciiDomain(text) ?? text  // an internationalised domain signs as A-labels
            if let problem = DKIMSettings.nameProblem(ascii, what: "domain") {
                self.problem(.domain, in: table, "\(problem); write the domain that signs, the one in the From address (amnesty.example)")
            } else if !ascii.contains(".") {
                self.problem(
                    .domain, in: table, "\"\(text)\" is not a full domain name; write the domain that signs, the one in the From address (amnesty.example)")
            } else {
                domain = ascii
            }
        }
        let selector = string(table, .selector, required: true)
        if let selector, let problem = DKIMSettings.nameProblem(selector, what: "selector") {
            self.problem(.selector, in: table, "\(problem); a selector names the key in DNS, e.g. selector = \"herald2026\" for herald2026._domainkey.DOMAIN")
            ok = false
        }
        if let selector, let domain, selector.utf8.count + domain.utf8.count + 12 > 253 {
            self.problem(.selector, in: table, "\(selector)._domainkey.\(domain) is longer than a DNS name may be (253 characters); choose a shorter selector")
            ok = false
        }
        let keyFile = string(table, .privateKeyFile, required: true)
        var algorithm = DKIMSettings.Algorithm.rsaSHA256
        if let text = string(table, .algorithm, required: false) {
            if let known = DKIMSettings.Algorithm(rawValue: text.lowercased()) {
                algorithm = known
            } else {
                problem(.algorithm, in: table, "must be \"rsa-sha256\" (the default) or \"ed25519-sha256\"; found \"\(text.debugVisible)\"")
                ok = false
            }
        }
        var headers = DKIMSettings.defaultHeaders
        if let field = table[.headers] {
            if let array = field.value.array, !array.isEmpty, array.allSatisfy({ $0.string != nil }) {
                headers = array.compactMap(\.string)
                for name in headers {
                    if let problem = DKIMSettings.headerNameProblem(name) {
                        self.problem(.headers, in: table, problem)
                        ok = false
                    }
                }
                if !headers.contains(where: { $0.lowercased() == "from" }) {
                    problem(.headers, in: table, "must include From: RFC 6376 requires the From field to be signed")
                    ok = false
                }
            } else {
                problem(
                    .headers, in: table,
                    "must be a list of header names, e.g. headers = [\"From\", \"To\", \"Subject\", \"Date\"]; leave it out for the default")
                ok = false
            }
        }
        guard ok, let domain, let selector, let keyFile else { return nil }
        return DKIMSettings(domain: domain, selector: selector, privateKeyFile: keyFile, algorithm: algorithm, headers: headers)
    }

    /// `[smtp]`; nil when its URL is missing or malformed (the other keys are checked all the same).
    mutating func smtp(_ table: CampaignFile.Table<CampaignFile.SMTPKey>) -> SMTPSettings? {
        unknownKeys(
            of: table, except: ["password": "a password never goes in the campaign file; use password_env (an environment variable's name) or password_file"])
        var url: SMTPURL?
        if let text = string(table, .url, required: true) {
            do { url = try SMTPURL(parsing: text) } catch {
                problem(.url, in: table, error.description)
            }
        }
        var tls: TLSMode?
        if let text = string(table, .tls, required: false) {
            tls = TLSMode(rawValue: text)
            if tls == nil { problem(.tls, in: table, "must be one of required, opportunistic, none; found \"\(text)\"") }
        }
        let username = string(table, .username, required: false)
        let passwordEnv = string(table, .passwordEnv, required: false)
        let passwordFile = string(table, .passwordFile, required: false)
        if passwordEnv != nil && passwordFile != nil {
            problem(.passwordEnv, in: table, "give password_env or password_file, not both")
        }
        if username != nil && passwordEnv == nil && passwordFile == nil {
            problem(.username, in: table, "a username needs password_env or password_file")
        }
        if username == nil && (passwordEnv != nil || passwordFile != nil) {
            problem(passwordEnv != nil ? .passwordEnv : .passwordFile, in: table, "a password needs a username")
        }
        guard let url else { return nil }
        var settings = SMTPSettings(url: url, tls: tls, username: username, passwordEnv: passwordEnv, passwordFile: passwordFile)
        if let field = table[.allowPlaintext] {
            if let flag = field.value.bool { settings.allowPlaintext = flag } else { problem(.allowPlaintext, in: table, "must be true or false") }
        }
        if let caFile = string(table, .caFile, required: false) { settings.caFile = caFile }
        if let field = table[.replyTimeoutSeconds] {
            if let seconds = field.value.integer, seconds >= 1, seconds <= 3600 {
                settings.replyTimeout = seconds
            } else {
                problem(.replyTimeoutSeconds, in: table, "must be a whole number of seconds from 1 to 3600 (default 600)")
            }
        }
        if let message = settings.tlsProblem { problem(.tls, in: table, message) }
        return settings
    }

    /// `[bounces]`; nil when a required key is missing or wrong (every key is checked all the same).
    mutating func bounces(_ table: CampaignFile.Table<CampaignFile.BouncesKey>) -> BounceSettings? {
        unknownKeys(
            of: table, except: ["password": "a password never goes in the campaign file; use password_env (an environment variable's name) or password_file"])
        var url: IMAPURL?
        if let text = string(table, .url, required: true) {
            do { url = try IMAPURL(parsing: text) } catch { problem(.url, in: table, error.description) }
        }
        let username = string(table, .username, required: true)
        let passwordEnv = string(table, .passwordEnv, required: false)
        let passwordFile = string(table, .passwordFile, required: false)
        if passwordEnv != nil && passwordFile != nil {
            problem(.passwordEnv, in: table, "give password_env or password_file, not both")
        } else if passwordEnv == nil && passwordFile == nil {
            problem(.username, in: table, "the mailbox needs a password: add password_env (an environment variable's name) or password_file")
        }
        guard let url, let username else { return nil }
        var settings = BounceSettings(url: url, username: username, passwordEnv: passwordEnv, passwordFile: passwordFile)
        settings.caFile = string(table, .caFile, required: false)
        if let folder = string(table, .processedFolder, required: false) {
            if folder.isEmpty || folder.contains(where: { $0 == "\"" || $0 == "\\" || $0.isNewline || $0 == "*" || $0 == "%" }) {
                problem(.processedFolder, in: table, "must be a folder name without quotes, backslashes, * or %")
            } else if folder.caseInsensitiveCompare(url.folder) == .orderedSame {
                problem(.processedFolder, in: table, "must differ from the folder the url names (\(url.folder)), or processed bounces would be read again")
            } else {
                settings.processedFolder = folder
            }
        }
        if let field = table[.pollSeconds] {
            if let seconds = field.value.integer, seconds >= 10, seconds <= 86_400 {
                settings.pollSeconds = seconds
            } else {
                problem(.pollSeconds, in: table, "must be a whole number of seconds from 10 to 86400 (default 300)")
            }
        }
        for key in [CampaignFile.BouncesKey.verp, .suppress] {
            guard let field = table[key] else { continue }
            guard let flag = field.value.bool else { problem(key, in: table, "must be true or false"); continue }
            if key == .verp { settings.verp = flag } else { settings.suppress = flag }
        }
        return settings
    }
}
