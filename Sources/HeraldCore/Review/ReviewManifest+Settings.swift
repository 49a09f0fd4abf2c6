/// What of the campaign file an approval covers: the settings that change what the letters
/// are or whom (and how often) they go to, and nothing else.
///
/// The manifest's `input campaign SHA256` line is the SHA-256 of these lines, each ending in
/// LF, not of the file's bytes: a comment, the order of keys, `[smtp]`, `[limits]`, `[retry]`,
/// the log, `catch_up_seconds` or the bounce mailbox change no letter, so they do not void an
/// approval. The template and the lists are inputs of their own, and each letter's hash
/// covers its bytes and `RCPT TO`; these lines add what a letter's bytes do not show:
///
/// ```
/// herald-campaign/1
/// name NAME
/// schedule VALUE              when the file has one (how often the letters go), as written
/// timezone ZONE               when the file has one
/// allow_duplicates BOOL       (the log's keys)
/// address_column COLUMN       one per `address_columns` entry, in order
/// verp BOOL                   `[bounces] verp`: the envelope sender (MAIL FROM)
/// dkim_domain DOMAIN          with `[dkim]`: the signature's d=, s=, a= and signed fields
/// dkim_selector SELECTOR
/// dkim_algorithm ALGORITHM
/// dkim_header FIELD           one per signed field, in order
/// html_language TAG           `[html] language`, when set: the HTML part's `lang`
/// html_remote_images true     `[html] remote_images = true`: which images a letter may load
/// ```
///
/// A value's `%` and control characters are written `%XX`, so a value is always one line.
extension ReviewManifest {
    /// The first line of the settings text.
    public static let settingsFormat = "herald-campaign/1"

    /// The covered settings of a campaign, one line each (the format line excluded).
    public static func settings(of campaign: Campaign) -> [String] {
        func line(_ key: String, _ value: String) -> String { key + " " + escapedSetting(value) }
        var lines = [line("name", campaign.name)]
        if let schedule = campaign.schedule { lines.append(line("schedule", schedule)) }
        if let timezone = campaign.timezone { lines.append(line("timezone", timezone)) }
        lines.append(line("allow_duplicates", campaign.allowDuplicates ? "true" : "false"))
        for column in campaign.addressColumns { lines.append(line("address_column", column)) }
        lines.append(line("verp", campaign.bounces?.verp == true ? "true" : "false"))
        if let dkim = campaign.dkim {
            lines.append(line("dkim_domain", dkim.domain))
            lines.append(line("dkim_selector", dkim.selector))
            lines.append(line("dkim_algorithm", dkim.algorithm.rawValue))
            for header in dkim.headers { lines.append(line("dkim_header", header)) }
        }
        if let language = campaign.html.language { lines.append(line("html_language", language)) }
        if campaign.html.remoteImages { lines.append(line("html_remote_images", "true")) }
        return lines
    }

    /// SHA-256 of the settings text: the campaign input's hash.
    public static func settingsHash(_ settings: [String]) -> String {
        let hasher = SHA256Hasher()
        hasher.update(settingsFormat + "\n")
        for line in settings { hasher.update(line + "\n") }
        return hasher.finalizeHex()
    }

    /// `%` and C0 controls and DEL as `%XX`, so a value stays on its line.
    static func escapedSetting(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "%" || $0.value < 0x20 || $0.value == 0x7F }) else { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            if scalar == "%" || scalar.value < 0x20 || scalar.value == 0x7F {
                out += "%" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The settings that differ between a review and now, in words; empty when none do.
    public static func settingChanges(reviewed: [String], current: [String]) -> [String] {
        guard reviewed != current else { return [] }
        let keys = (reviewed + current).map { String($0.prefix { $0 != " " }) }
        var seen: Set<String> = []
        var lines: [String] = []
        for key in keys where seen.insert(key).inserted {
            func values(_ lines: [String]) -> String {
                let found = lines.filter { $0.prefix { $0 != " " } == key }.map { String($0.dropFirst(key.count + 1)) }
                return found.isEmpty ? "(none)" : found.map { "\"\($0)\"" }.joined(separator: ", ")
            }
            let then = values(reviewed), now = values(current)
            if then != now { lines.append("\(key) was \(then), is now \(now)") }
        }
        return lines
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
