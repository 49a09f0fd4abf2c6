import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCLI

/// `SecretSource`: the password from the variable or file the campaign names, read at send
/// time; every refusal names the source and its exit status, never the password.
@Suite struct SecretSourceTests {
    let folder = TemporaryDirectory("herald-secret")

    /// A campaign file in `folder` with these `[smtp]` settings (nothing is read but the secret's source).
    func campaign(passwordEnv: String? = nil, passwordFile: String? = nil, caFile: String? = nil) -> Campaign {
        var smtp = SMTPSettings(
            url: "smtps://mail.example", tls: .required, username: (passwordEnv ?? passwordFile) == nil ? nil : "u",
            passwordEnv: passwordEnv, passwordFile: passwordFile)
        smtp.caFile = caFile
        smtp.replyTimeout = 42
        return Campaign(name: "c", file: folder.file("campaign.toml"), templatePath: "t", recipientPaths: ["r"], logPath: "l", smtp: smtp)
    }

    /// Writes the password file with `mode`; returns its path.
    @discardableResult
    func passwordFile(_ contents: String, mode: Int) throws -> String {
        let path = folder.write("secret", contents)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func failure(_ campaign: Campaign, environment: [String: String] = [:]) -> CommandFailure? {
        do {
            _ = try SecretSource.endpoint(for: campaign, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func withoutCredentialsTheEndpointHasNone() throws {
        let endpoint = try SecretSource.endpoint(for: campaign(), environment: ["HERALD_SMTP_PASSWORD": "unused"])
        #expect(endpoint.url == "smtps://mail.example" && endpoint.tls == .required)
        #expect(endpoint.username == nil && endpoint.password == nil && endpoint.caFile == nil)
        #expect(endpoint.responseTimeout == 42)
    }

    @Test func theVariableMustBeSetAndNotEmpty() throws {
        let campaign = campaign(passwordEnv: "HERALD_SMTP_PASSWORD")
        let expected = CommandFailure(
            .config, "\(campaign.file): smtp.password_env: the environment variable HERALD_SMTP_PASSWORD is not set; export it before running herald")
        #expect(failure(campaign) == expected)
        #expect(failure(campaign, environment: ["HERALD_SMTP_PASSWORD": ""]) == expected)
        #expect(failure(campaign, environment: ["OTHER": "x"]) == expected)
    }

    @Test func aSetVariableIsThePassword() throws {
        let password = "pw-\(UUID().uuidString)"
        let endpoint = try SecretSource.endpoint(
            for: campaign(passwordEnv: "HERALD_SMTP_PASSWORD"),
            environment: ["HERALD_SMTP_PASSWORD": password])
        #expect(endpoint.password == password && endpoint.username == "u")
        #expect(!endpoint.description.contains(password))
    }

    @Test(arguments: [0o600, 0o400])
    func aPrivateFileIsThePasswordWithoutItsLineEnd(mode: Int) throws {
        let password = "pw-\(UUID().uuidString)"
        try passwordFile(password + "\n", mode: mode)
        let endpoint = try SecretSource.endpoint(for: campaign(passwordFile: "secret"), environment: [:])
        #expect(endpoint.password == password)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o666])
    func aFileOthersCanReadIsRefusedWithoutShowingThePassword(mode: Int) throws {
        let password = "pw-\(UUID().uuidString)"
        let path = try passwordFile(password, mode: mode)
        let campaign = campaign(passwordFile: "secret")
        let refused = try #require(failure(campaign))
        #expect(
            refused
                == CommandFailure(
                    .config, "\(campaign.file): smtp.password_file: \(path) can be read by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)"))
        #expect(!refused.description.contains(password))
    }

    @Test func aLinkIsJudgedByTheFileItNames() throws {
        // Kubernetes and Docker mount secrets as symbolic links (mode 0777 themselves).
        let password = "pw-\(UUID().uuidString)"
        let target = try passwordFile(password, mode: 0o600)
        try FileManager.default.createSymbolicLink(atPath: folder.file("linked"), withDestinationPath: target)
        #expect(try SecretSource.endpoint(for: campaign(passwordFile: "linked"), environment: [:]).password == password)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: target)
        let refused = try #require(failure(campaign(passwordFile: "linked")))
        #expect(
            refused.description.contains("(a link to \(URL(fileURLWithPath: target).resolvingSymlinksInPath().path)) can be read by others (mode 644)"),
            "\(refused)")
    }

    @Test func aMissingFileIs78() throws {
        let campaign = campaign(passwordFile: "nowhere/secret")
        #expect(failure(campaign) == CommandFailure(.config, "\(campaign.file): smtp.password_file: \(folder.file("nowhere/secret")) not found"))
    }

    @Test func theCAFileIsResolvedAgainstTheCampaignAndMustExist() throws {
        let missing = campaign(caFile: "ca.pem")
        #expect(failure(missing) == CommandFailure(.noInput, "\(missing.file): smtp.ca_file: \(folder.file("ca.pem")) not found"))
        folder.write("ca.pem", "-----BEGIN CERTIFICATE-----\n")
        #expect(try SecretSource.endpoint(for: missing, environment: [:]).caFile == folder.file("ca.pem"))
        let absolute = folder.write("elsewhere/ca.pem", "-----BEGIN CERTIFICATE-----\n")
        #expect(try SecretSource.endpoint(for: campaign(caFile: absolute), environment: [:]).caFile == absolute)
    }

    @Test func noMessageEverHoldsThePassword() throws {
        let password = "pw-\(UUID().uuidString)"
        try passwordFile(password, mode: 0o644)
        var messages = [failure(campaign(passwordFile: "secret"), environment: ["HERALD_SMTP_PASSWORD": password])?.description ?? ""]
        messages.append(
            failure(campaign(passwordEnv: "HERALD_SMTP_PASSWORD", caFile: "ca.pem"), environment: ["HERALD_SMTP_PASSWORD": password])?.description ?? "")
        #expect(messages.allSatisfy { !$0.isEmpty && !$0.contains(password) }, "\(messages)")
    }
}
