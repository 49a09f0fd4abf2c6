import Foundation
import HeraldCore
import HeraldCurl

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the SMTP password from where the campaign says it is, at send time only.
///
/// Error messages name the variable or file, never the value.
enum SecretSource {
    /// The endpoint for `campaign`'s `[smtp]` table, with the password from its source.
    ///
    /// - Throws: `CommandFailure` with one line: 78 for a source that is wrong (`password_env`
    ///   unset or empty, `password_file` missing, readable by group or others, unreadable,
    ///   `ca_file` unreadable), 66 for a `ca_file` that is not there.
    static func endpoint(for campaign: Campaign, environment: [String: String]) throws(CommandFailure) -> SMTPEndpoint {
        let smtp = campaign.smtp
        let password = try password(env: smtp.passwordEnv, file: smtp.passwordFile, table: "smtp", campaign: campaign, environment: environment)
        let caFile = try caFile(smtp.caFile, table: "smtp", campaign: campaign)
        return SMTPEndpoint(
            url: smtp.url, tls: smtp.tls, username: smtp.username, password: password,
            responseTimeout: smtp.replyTimeout, caFile: caFile)
    }

    /// The bounce mailbox's endpoint for `campaign`'s `[bounces]` table, with its password;
    /// the same rules and messages as for `[smtp]`, under `bounces.`.
    static func mailboxEndpoint(
        for campaign: Campaign, settings: BounceSettings,
        environment: [String: String]
    ) throws(CommandFailure) -> CurlIMAPMailbox.Endpoint {
        let password =
            try password(
                env: settings.passwordEnv, file: settings.passwordFile, table: "bounces", campaign: campaign,
                environment: environment) ?? ""
        var endpoint = CurlIMAPMailbox.Endpoint(url: settings.url, username: settings.username, password: password)
        endpoint.caFile = try caFile(settings.caFile, table: "bounces", campaign: campaign)
        return endpoint
    }

    /// The password from `TABLE.password_env` or `TABLE.password_file`; nil when neither is set.
    private static func password(
        env: String?, file: String?, table: String, campaign: Campaign,
        environment: [String: String]
    ) throws(CommandFailure) -> String? {
        if let variable = env {
            guard let value = environment[variable], !value.isEmpty else {
                throw CommandFailure(
                    .config, "\(campaign.file): \(table).password_env: the environment variable \(variable) is not set; export it before running herald")
            }
            return value
        }
        guard let file else { return nil }
        let path = Campaign.resolvePath(file, against: campaign.file)
        // stat, not lstat: a symbolic link (Kubernetes and Docker mount secrets so) is
        // judged by the file it names, which is what a reader gets.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CommandFailure(.config, "\(campaign.file): \(table).password_file: \(path) not found")
        }
        let mode = Int(info.st_mode) & 0o7777
        if mode & 0o077 != 0 {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let shown = resolved == path ? path : "\(path) (a link to \(resolved))"
            throw CommandFailure(
                .config, "\(campaign.file): \(table).password_file: \(shown) can be read by others (mode \(String(mode, radix: 8))); run chmod 600 \(resolved)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(.config, "\(campaign.file): \(table).password_file: \(path) cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// `TABLE.ca_file` resolved against the campaign file and checked readable.
    private static func caFile(_ file: String?, table: String, campaign: Campaign) throws(CommandFailure) -> String? {
        let caFile = file.map { Campaign.resolvePath($0, against: campaign.file) }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            // libcurl would only say so at the first connection, as a TLS failure (69).
            let exists = FileManager.default.fileExists(atPath: caFile)
            throw CommandFailure(
                exists ? .config : .noInput,
                "\(campaign.file): \(table).ca_file: \(caFile) \(exists ? "cannot be read" : "not found")")
        }
        return caFile
    }
}
