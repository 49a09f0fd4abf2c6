import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HeraldCore
import HeraldSMTP

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
        var password: String?
        if let variable = smtp.passwordEnv {
            guard let value = environment[variable], !value.isEmpty else {
                throw CommandFailure(.config, "\(campaign.file): smtp.password_env: the environment variable \(variable) is not set; export it before running herald")
            }
            password = value
        } else if let file = smtp.passwordFile {
            let path = Campaign.resolvePath(file, against: campaign.file)
            // stat, not lstat: a symbolic link (Kubernetes and Docker mount secrets so) is
            // judged by the file it names, which is what a reader gets.
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw CommandFailure(.config, "\(campaign.file): smtp.password_file: \(path) not found")
            }
            let mode = Int(info.st_mode) & 0o7777
            if mode & 0o077 != 0 {
                let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                let shown = resolved == path ? path : "\(path) (a link to \(resolved))"
                throw CommandFailure(.config, "\(campaign.file): smtp.password_file: \(shown) can be read by others (mode \(String(mode, radix: 8))); run chmod 600 \(resolved)")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandFailure(.config, "\(campaign.file): smtp.password_file: \(path) cannot be read")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        let caFile = smtp.caFile.map { Campaign.resolvePath($0, against: campaign.file) }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            // libcurl would only say so at the first connection, as a TLS failure (69).
            let exists = FileManager.default.fileExists(atPath: caFile)
            throw CommandFailure(exists ? .config : .noInput,
                                 "\(campaign.file): smtp.ca_file: \(caFile) \(exists ? "cannot be read" : "not found")")
        }
        return SMTPEndpoint(url: smtp.url, tls: smtp.tls, username: smtp.username, password: password,
                            responseTimeout: smtp.replyTimeout, caFile: caFile)
    }
}
