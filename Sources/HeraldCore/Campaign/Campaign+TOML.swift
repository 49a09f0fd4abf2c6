import Foundation
import TOMLKit

extension Campaign {
    static let topLevelKeys: Set<String> = ["name", "template", "recipients", "log", "schedule", "timezone", "catch_up_seconds", "address_columns", "allow_duplicates", "smtp", "retry"]
    static let retryKeys: Set<String> = ["max_attempts", "initial_backoff_seconds", "max_backoff_seconds"]
    static let smtpKeys: Set<String> = ["url", "tls", "username", "password_env", "password_file", "reply_timeout_seconds", "ca_file", "allow_plaintext"]

    /// Parses a campaign file's text; every problem becomes a `.badConfig` diagnostic naming the line and key.
    ///
    /// - Parameters:
    ///   - text: the TOML source.
    ///   - file: the campaign file's path, used in diagnostics and to resolve relative paths.
    /// - Throws: `ValidationFailure` listing every problem found, not just the first.
    public static func parse(_ text: String, file: String) throws(ValidationFailure) -> Campaign {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ValidationFailure([Diagnostic(.badConfig, file: file, line: error.source.begin.line,
                                                "not valid TOML: \(error.description)")])
        } catch {
            throw ValidationFailure([Diagnostic(.badConfig, file: file, "not valid TOML: \(error)")])
        }
        let locator = TOMLKeyLocator(text)
        var problems: [Diagnostic] = []
        func problem(_ key: String, table tableName: String? = nil, _ message: String) {
            let field = tableName.map { "\($0).\(key)" } ?? key
            problems.append(Diagnostic(.badConfig, file: file, line: locator.line(of: key, in: tableName),
                                       field: field, message))
        }

        for key in table.keys.sorted() where !topLevelKeys.contains(key) {
            problem(key, "unknown key; known keys are \(topLevelKeys.sorted().joined(separator: ", "))")
        }

        func string(_ key: String, in source: TOMLTable, table tableName: String? = nil, required: Bool) -> String? {
            guard let value = source[key] else {
                if required { problem(key, table: tableName, "missing; add `\(key) = \"…\"`") }
                return nil
            }
            guard let text = value.string else {
                problem(key, table: tableName, "must be a string, found \(value.type)")
                return nil
            }
            if text.isEmpty {
                problem(key, table: tableName, "must not be empty")
                return nil
            }
            return text
        }

        let name = string("name", in: table, required: true)
        if let name, !isValidName(name) {
            problem("name", "\"\(name)\" is not a valid campaign name; use letters, digits, '.', '_' and '-' (64 at most, not starting with '.')")
        }
        let template = string("template", in: table, required: true)
        let log = string("log", in: table, required: true)
        let schedule = string("schedule", in: table, required: false)

        var recipients: [String] = []
        if let value = table["recipients"] {
            if let array = value.array {
                for element in array {
                    if let path = element.string, !path.isEmpty {
                        recipients.append(path)
                    } else {
                        problem("recipients", "every entry must be a non-empty string (a CSV file path)")
                    }
                }
                if array.isEmpty { problem("recipients", "lists no file; name at least one CSV file") }
            } else {
                problem("recipients", "must be a list of CSV file paths, e.g. recipients = [\"list.csv\"]")
            }
        } else {
            problem("recipients", "missing; add `recipients = [\"list.csv\"]`")
        }

        var smtp: SMTPSettings?
        if let value = table["smtp"] {
            if let smtpTable = value.table {
                smtp = parseSMTP(smtpTable, problem: { key, message in problem(key, table: "smtp", message) },
                                 string: { key, required in string(key, in: smtpTable, table: "smtp", required: required) })
            } else {
                problem("smtp", "must be a table: write it as [smtp] with url = \"smtp://host:port\"")
            }
        } else {
            problem("smtp", "missing; add an [smtp] table with url = \"smtp://host:port\"")
        }

        let timezone = string("timezone", in: table, required: false)
        var parsedSchedule: Schedule?
        if let schedule {
            do { parsedSchedule = try Schedule(parsing: schedule, timeZone: timezone) } catch {
                problem("schedule", "\(error); write a 5-field cron expression (\"0 9 * * 1-5\"), a macro (@daily) or an RFC 3339 time (\"2026-12-01T09:00:00+01:00\")")
            }
        } else if let timezone, TimeZone(identifier: timezone) == nil {
            problem("timezone", "\"\(timezone)\" is not an IANA time zone name such as Europe/Brussels")
        }
        var catchUp = 3600
        if let value = table["catch_up_seconds"] {
            if let seconds = value.int, seconds >= 0 { catchUp = seconds }
            else { problem("catch_up_seconds", "must be a whole number of seconds, 0 or more (default 3600)") }
        }
        var retry = RetryPolicy.default
        if let value = table["retry"] {
            if let retryTable = value.table {
                retry = parseRetry(retryTable) { key, message in problem(key, table: "retry", message) }
            } else {
                problem("retry", "must be a table: [retry] with max_attempts, initial_backoff_seconds, max_backoff_seconds")
            }
        }

        var addressColumns: [String] = []
        if let value = table["address_columns"] {
            if let array = value.array, array.allSatisfy({ $0.string?.isEmpty == false }) {
                addressColumns = array.compactMap(\.string)
            } else {
                problem("address_columns", "must be a list of column names, e.g. address_columns = [\"attache_email\"]")
            }
        }

        var allowDuplicates = false
        if let value = table["allow_duplicates"] {
            if let flag = value.bool { allowDuplicates = flag } else { problem("allow_duplicates", "must be true or false") }
        }

        guard problems.isEmpty, let name, let template, let log, let smtp else {
            throw ValidationFailure(problems)
        }
        var campaign = Campaign(name: name, file: file,
                        templatePath: resolvePath(template, against: file),
                        recipientPaths: recipients.map { resolvePath($0, against: file) },
                        logPath: resolvePath(log, against: file),
                        schedule: schedule, smtp: smtp, retry: retry)
        campaign.parsedSchedule = parsedSchedule
        campaign.timezone = timezone
        campaign.catchUpSeconds = catchUp
        campaign.addressColumns = addressColumns
        campaign.allowDuplicates = allowDuplicates
        return campaign
    }

    private static func parseRetry(_ table: TOMLTable, problem: (String, String) -> Void) -> RetryPolicy {
        var policy = RetryPolicy.default
        for key in table.keys.sorted() where !retryKeys.contains(key) {
            problem(key, "unknown key; known keys are \(retryKeys.sorted().joined(separator: ", "))")
        }
        if let value = table["max_attempts"] {
            if let number = value.int, number >= 1, number <= 100 { policy.maxAttempts = number }
            else { problem("max_attempts", "must be a whole number from 1 to 100") }
        }
        func seconds(_ key: String) -> Double? {
            guard let value = table[key] else { return nil }
            if let number = value.int, number >= 0 { return Double(number) }
            if let number = value.double, number >= 0, number.isFinite { return number }
            problem(key, "must be a number of seconds, 0 or more")
            return nil
        }
        if let initial = seconds("initial_backoff_seconds") { policy.initialBackoff = initial }
        if let maximum = seconds("max_backoff_seconds") { policy.maxBackoff = maximum }
        if policy.maxBackoff < policy.initialBackoff {
            problem("max_backoff_seconds", "must not be less than initial_backoff_seconds")
        }
        return policy
    }

    private static func parseSMTP(_ table: TOMLTable,
                                  problem: (String, String) -> Void,
                                  string: (String, Bool) -> String?) -> SMTPSettings? {
        for key in table.keys.sorted() where !smtpKeys.contains(key) {
            if key == "password" {
                problem(key, "a password never goes in the campaign file; use password_env (an environment variable's name) or password_file")
            } else {
                problem(key, "unknown key; known keys are \(smtpKeys.sorted().joined(separator: ", "))")
            }
        }
        let url = string("url", true)
        if let url, SMTPURL(url) == nil {
            problem("url", "\"\(url)\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)")
        }
        var tls: TLSMode?
        if let text = string("tls", false) {
            tls = TLSMode(rawValue: text)
            if tls == nil { problem("tls", "must be one of required, opportunistic, none; found \"\(text)\"") }
        }
        let username = string("username", false)
        let passwordEnv = string("password_env", false)
        let passwordFile = string("password_file", false)
        if passwordEnv != nil && passwordFile != nil {
            problem("password_env", "give password_env or password_file, not both")
        }
        if username != nil && passwordEnv == nil && passwordFile == nil {
            problem("username", "a username needs password_env or password_file")
        }
        if username == nil && (passwordEnv != nil || passwordFile != nil) {
            problem(passwordEnv != nil ? "password_env" : "password_file", "a password needs a username")
        }
        guard let url, SMTPURL(url) != nil else { return nil }
        var settings = SMTPSettings(url: url, tls: tls, username: username, passwordEnv: passwordEnv, passwordFile: passwordFile)
        if let value = table["allow_plaintext"] {
            if let flag = value.bool { settings.allowPlaintext = flag } else { problem("allow_plaintext", "must be true or false") }
        }
        if let caFile = string("ca_file", false) { settings.caFile = caFile }
        if let value = table["reply_timeout_seconds"] {
            if let seconds = value.int, seconds >= 1, seconds <= 3600 { settings.replyTimeout = seconds }
            else { problem("reply_timeout_seconds", "must be a whole number of seconds from 1 to 3600 (default 600)") }
        }
        if let message = settings.tlsProblem { problem("tls", message) }
        return settings
    }
}

/// Finds the line on which a key is defined, for diagnostics (TOMLKit keeps no source positions).
struct TOMLKeyLocator {
    private var lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The 1-based line where `key` is assigned inside `table` (nil for the top level), or where the table opens.
    func line(of key: String, in table: String?) -> Int? {
        var current: String?
        var tableLine: Int?
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                current = name
                if table == nil && name == key { return index + 1 }
                if name == table { tableLine = index + 1 }
                continue
            }
            guard current == table, let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
            if name == key { return index + 1 }
        }
        return tableLine
    }
}
