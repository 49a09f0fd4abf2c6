import Foundation
import HeraldCore
import HeraldCurl
import HeraldStorage
import HeraldTestSupport
import Synchronization
import Testing

@testable import HeraldCLI

/// One `Application` run in this process through `buildApplication(_:)`: output and errors
/// captured, a fixed clock, a chosen environment, a `ScriptedTransport` instead of libcurl;
/// the campaign, its letter, its list and its delivery log are real files in a temporary folder.
final class ApplicationHarness {
    static let now = Date(timeIntervalSince1970: 1_795_942_800)  // 2026-11-29T09:00:00Z
    static let template = "From: Sender <sender@org.example>\nTo: {{name}} <{{email}}>\nSubject: Hello {{name}}\n\nDear {{name}},\nBye.\n"
    static let csv = "email,name\na@x.example,Ann\nb@x.example,Bob\nc@x.example,Cy\n"

    let folder = TemporaryDirectory("herald-app")
    let campaign: String
    var log: String { folder.file("delivery.jsonl") }
    var output: [String] = []
    var errors: [String] = []
    var environment: [String: String] = [:]
    /// The transport every send gets, unless `setupError` is set.
    let transport = ScriptedTransport(journal: MemoryJournal())
    var setupError: TransportSetupError?
    /// The endpoints `makeTransport` was called with.
    var endpoints: [SMTPEndpoint] = []
    /// Called before each message is handed to the transport (a test's way to act mid-run).
    var beforeDelivery: (() -> Void)?

    /// - Parameters:
    ///   - top: lines added to the campaign file's top level.
    ///   - smtp: lines added to its `[smtp]` table.
    init(top: String = "", smtp: String = "", template: String = ApplicationHarness.template, csv: String = ApplicationHarness.csv) {
        folder.write("letter.mustache", template)
        folder.write("list.csv", csv)
        campaign = folder.write(
            "campaign.toml",
            """
            name = "app-test"
            template = "letter.mustache"
            recipients = ["list.csv"]
            log = "delivery.jsonl"
            \(top)
            [retry]
            max_attempts = 2
            initial_backoff_seconds = 0
            max_backoff_seconds = 0

            [smtp]
            url = "smtp://127.0.0.1:2525"
            \(smtp)
            """)
    }

    /// Whether stdout is a terminal (the progress line is drawn into `progressLines`).
    var onTerminal = false
    var progressLines: [String] = []

    /// The campaign-name lock's folder: this harness's own (tests run side by side), beside its folder.
    var runtimeFolder: String {
        let path = folder.path + ".run"
        mkdir(path, 0o700)
        return path
    }

    /// A new application over this harness's parts.
    func application(allowDuplicates: Bool = false) -> Application {
        let parts = ApplicationParts(
            output: { [unowned self] in output.append($0) },
            errors: { [unowned self] in errors.append($0) },
            // Fixed, but a backoff moves it on (no test sleeps).
            clock: SkippingClock(now: Self.now),
            // The campaign-name lock's folder: this harness's own (tests run side by side).
            environment: environment.merging(["XDG_RUNTIME_DIR": runtimeFolder]) { given, _ in given },
            makeTransport: { [unowned self] endpoint throws(TransportSetupError) in
                endpoints.append(endpoint)
                if let setupError { throw setupError }
                return Delivering(self)
            },
            progress: onTerminal ? { [unowned self] in progressLines.append($0) } : nil)
        let application = buildApplication(parts)
        application.allowDuplicates = allowDuplicates
        return application
    }

    /// Hands each message to the scripted transport, after `beforeDelivery`.
    final class Delivering: MailTransport {
        unowned let harness: ApplicationHarness

        init(_ harness: ApplicationHarness) { self.harness = harness }

        func deliver(_ message: ComposedMessage) async -> DeliveryOutcome {
            harness.beforeDelivery?()
            return await harness.transport.deliver(message)
        }
    }

    /// Scripts the outcomes for `recipient`'s attempts, in order.
    func script(_ recipient: String, _ outcomes: DeliveryOutcome...) {
        transport.replies[recipient] = outcomes
    }

    func send(_ options: Application.SendOptions = .init(), campaign: String? = nil) async -> HeraldCLI.ExitStatus {
        await application().send(campaign: campaign ?? self.campaign, options: options)
    }

    /// The delivery log's records, in order.
    func records() -> [DeliveryRecord] {
        (try? FileJournal(path: log).load().records) ?? []
    }

    /// Everything printed, stdout and stderr.
    var printed: String { (output + errors).joined(separator: "\n") }
}

/// The commands that load a campaign, run alike for each kind of failure.
enum CampaignCommand: String, CaseIterable, Sendable {
    case validate, preview, send, status, resolve

    /// The commands that read the delivery log.
    static let readingTheLog: [CampaignCommand] = [.validate, .send, .status, .resolve]

    func run(_ harness: ApplicationHarness, campaign: String? = nil, allowDuplicates: Bool = false) async -> HeraldCLI.ExitStatus {
        let application = harness.application(allowDuplicates: allowDuplicates)
        let path = campaign ?? harness.campaign
        switch self {
        case .validate: return application.validate(campaign: path)
        case .preview: return application.preview(campaign: path, outDirectory: harness.folder.file("preview"))
        case .send: return await application.send(campaign: path, options: .init())
        case .status: return application.status(campaign: path, logPath: nil, json: false)
        case .resolve: return application.resolve(campaign: path, recipient: "a@x.example", as: .sent, logPath: nil)
        }
    }
}

/// Each command's exit status for each kind of failure, decided by `Application` itself,
/// without spawning a process or opening a connection.
@Suite(.offCooperativePool) struct ApplicationTests {
    typealias Harness = ApplicationHarness

    // MARK: The campaign and its files (78, 66, 65, 64)

    @Test(arguments: CampaignCommand.allCases)
    func aBadCampaignFileIs78(command: CampaignCommand) async {
        let harness = Harness(top: "colour = \"blue\"")
        #expect(await command.run(harness) == .config)
        #expect(harness.errors.first?.hasPrefix("\(harness.campaign):5: colour: unknown key") == true, "\(harness.errors)")
        #expect(harness.errors.last == "\(harness.campaign): 1 problem found; nothing was sent")
        #expect(harness.output.isEmpty && harness.endpoints.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: harness.log), "nothing was written")
    }

    @Test(arguments: CampaignCommand.allCases)
    func aMissingCampaignFileIs66(command: CampaignCommand) async {
        let harness = Harness()
        let missing = harness.folder.file("missing.toml")
        #expect(await command.run(harness, campaign: missing) == .noInput)
        #expect(harness.errors == ["\(missing): campaign file not found", "\(missing): 1 problem found; nothing was sent"])
    }

    @Test(arguments: CampaignCommand.allCases)
    func aMissingTemplateIs66(command: CampaignCommand) async throws {
        let harness = Harness()
        try FileManager.default.removeItem(atPath: harness.folder.file("letter.mustache"))
        if command == .status || command == .resolve {
            // They read the log without the letters' inputs (issue 18): the problem is a warning,
            // and resolve then finds no record for the address in the (empty) log.
            #expect(await command.run(harness) == (command == .status ? .ok : .dataError))
            #expect(
                harness.errors.first?.hasPrefix("warning: ") == true && harness.errors.first?.contains("template: template file") == true,
                "\(harness.errors)")
            return
        }
        #expect(await command.run(harness) == .noInput)
        #expect(harness.errors.first?.contains("template: template file") == true, "\(harness.errors)")
    }

    @Test(arguments: CampaignCommand.allCases)
    func badRecipientDataIs65(command: CampaignCommand) async {
        let harness = Harness(csv: "email,name\na@x.example,Ann\nnot-an-address,Bob\n")
        // status and resolve read the log without the letters' inputs (issue 18): a warning.
        let reader = command == .status || command == .resolve
        #expect(await command.run(harness) == (command == .status ? .ok : .dataError))
        #expect(harness.errors.first?.hasPrefix((reader ? "warning: " : "") + harness.folder.file("list.csv") + ":3: email:") == true, "\(harness.errors)")
        #expect(harness.transport.delivered.isEmpty)
    }

    @Test(arguments: CampaignCommand.allCases)
    func allowDuplicatesWithoutTheFileSayingSoIs64(command: CampaignCommand) async {
        let harness = Harness()
        #expect(await command.run(harness, allowDuplicates: true) == .usage)
        #expect(harness.errors.count == 1 && harness.errors[0].hasPrefix("--allow-duplicates: \(harness.campaign) does not say allow_duplicates = true"))
        let allowed = Harness(top: "allow_duplicates = true")
        #expect(await command.run(allowed, allowDuplicates: true) != .usage)
    }

    // MARK: The delivery log (65, 74, 75)

    @Test(arguments: CampaignCommand.readingTheLog)
    func aDamagedLogIs65(command: CampaignCommand) async {
        let harness = Harness()
        harness.folder.write("delivery.jsonl", "not a record\n{}\n")
        #expect(await command.run(harness) == .dataError)
        #expect(harness.errors.contains { $0.hasPrefix("\(harness.log):1: not a delivery record") }, "\(harness.errors)")
        #expect(harness.transport.delivered.isEmpty)
    }

    @Test(arguments: CampaignCommand.readingTheLog)
    func aLogOfAnotherCampaignIs65(command: CampaignCommand) async {
        let harness = Harness()
        let foreign = DeliveryRecord(
            time: "2026-11-28T09:00:00Z", campaign: "old-name", recipient: "a@x.example",
            messageID: "<m@x>", status: .sent, attempt: 1)
        harness.folder.write("delivery.jsonl", foreign.jsonLine() + "\n")
        #expect(await command.run(harness) == .dataError)
        #expect(harness.errors.contains { $0.hasPrefix("\(harness.log):1: this log belongs to campaign \"old-name\"") }, "\(harness.errors)")
    }

    @Test(arguments: CampaignCommand.readingTheLog)
    func aLogThatCannotBeReadOrWrittenIs74(command: CampaignCommand) async throws {
        let harness = Harness()
        // A folder where the log belongs: unreadable and unwritable, even for root.
        try FileManager.default.createDirectory(atPath: harness.log, withIntermediateDirectories: false)
        #expect(await command.run(harness) == .ioError)
        #expect(harness.errors.last?.hasPrefix(harness.log + ": ") == true, "\(harness.errors)")
        #expect(harness.transport.delivered.isEmpty)
    }

    @Test func aLogMovedAwayDuringASendIs74() async {
        let harness = Harness()
        var moved = false
        harness.beforeDelivery = {
            guard !moved else { return }
            moved = true
            try? FileManager.default.moveItem(atPath: harness.log, toPath: harness.log + ".1")
        }
        #expect(await harness.send() == .ioError)
        #expect(harness.errors.suffix(2).first?.hasPrefix("\(harness.log): was moved or replaced while this run was using it") == true, "\(harness.errors)")
        #expect(harness.errors.last == "stopped: the delivery log cannot be written, so nothing more is sent")
        #expect(harness.transport.delivered.count == 1, "nothing after the log went away")
    }

    @Test(arguments: [CampaignCommand.send, .resolve])
    func aCampaignLockedByAnotherSenderIs75(command: CampaignCommand) async throws {
        let harness = Harness()
        let lock = try CampaignLock(logPath: harness.log, campaign: "app-test")
        defer { withExtendedLifetime(lock) {} }
        #expect(await command.run(harness) == .tempFail)
        #expect(harness.errors == ["campaign app-test is being sent by pid \(getpid())"])
        #expect(harness.transport.delivered.isEmpty)
    }

    // MARK: Sending (0, 1, 69, 75, 77, 78)

    @Test func onATerminalASendDrawsOneProgressLineInsteadOfALinePerLetter() async {
        let harness = Harness()
        harness.onTerminal = true
        #expect(await harness.send() == .ok)
        #expect(harness.output == ["app-test: 3 sent, 0 failed, 0 deferred, 0 in doubt, 0 already done"])
        #expect(harness.progressLines.last == "", "the line is cleared before the summary")
        #expect(harness.progressLines.dropLast().last?.hasPrefix("sending 3/3") == true, "\(harness.progressLines)")
    }

    @Test func aCompleteSendIs0AndASecondSendsNothing() async {
        let harness = Harness()
        #expect(await harness.send() == .ok)
        #expect(harness.transport.delivered.count == 3)
        #expect(harness.output.last == "app-test: 3 sent, 0 failed, 0 deferred, 0 in doubt, 0 already done")
        #expect(harness.output.first == "sent     a@x.example  250 2.0.0 Ok: queued as 1")
        for key in ["a@x.example", "b@x.example", "c@x.example"] {
            #expect(harness.records().filter { $0.recipient == key }.map(\.status) == [.sending, .sent])
        }
        #expect(harness.records().allSatisfy { $0.time == "2026-11-29T09:00:00Z" })
        #expect(harness.errors.isEmpty)
        #expect(harness.endpoints.map(\.url) == ["smtp://127.0.0.1:2525"])
        #expect(harness.endpoints.first?.tls == .opportunistic && harness.endpoints.first?.password == nil)

        #expect(await harness.send() == .ok)
        #expect(harness.transport.delivered.count == 3)
        #expect(harness.output.last == "app-test: 0 sent, 0 failed, 0 deferred, 0 in doubt, 3 already done")
    }

    @Test func aServerThatStaysUnavailableIs69() async {
        let harness = Harness()
        harness.script("a@x.example", .unavailable(error: "Couldn't connect to server"), .unavailable(error: "Couldn't connect to server"))
        #expect(await harness.send() == .unavailable)
        #expect(harness.errors == ["smtp://127.0.0.1:2525: server unavailable: Couldn't connect to server; nothing is lost, rerun later"])
        #expect(harness.transport.delivered.count == 2, "both attempts, then the run stops")
    }

    @Test func aTLSFailureIs69NamingTheHost() async {
        let harness = Harness()
        harness.script("a@x.example", .tlsFailed(error: "certificate verify failed"))
        #expect(await harness.send() == .unavailable)
        #expect(harness.errors == ["127.0.0.1: TLS failed: certificate verify failed; nothing was sent"])
    }

    @Test func aRefusedSenderIs69() async {
        let harness = Harness()
        harness.script("a@x.example", .senderRefused(code: 553, reply: "553 5.7.1 sender rejected"))
        #expect(await harness.send() == .unavailable)
        #expect(
            harness.errors.count == 1
                && harness.errors[0].hasPrefix(
                    "smtp://127.0.0.1:2525: the server refused the sender: 553 5.7.1 sender rejected; no recipient was marked failed")
        )
        #expect(harness.transport.delivered.count == 1)
    }

    @Test func aRefusedLoginIs77() async {
        let harness = Harness()
        harness.script("a@x.example", .authenticationFailed(code: 535, reply: "535 5.7.8 authentication failed"))
        #expect(await harness.send() == .noPermission)
        #expect(harness.errors == ["smtp://127.0.0.1:2525: the server refused the login: 535 5.7.8 authentication failed"])
    }

    @Test func aPermanentRefusalIs1AndTheOthersAreSent() async {
        let harness = Harness()
        harness.script("b@x.example", .rejected(code: 550, reply: "550 5.1.1 unknown user"))
        #expect(await harness.send() == .someFailed)
        #expect(harness.output.last == "app-test: 2 sent, 1 failed, 0 deferred, 0 in doubt, 0 already done")
        #expect(harness.output.contains("failed   b@x.example  550 5.1.1 unknown user"))
    }

    @Test func aRefusedCcIs1() async {
        let harness = Harness()
        let refusal = DeliveryOutcome.Refusal(recipient: "cc@x.example", code: 550, reply: "550 5.1.1 no such user")
        harness.script("a@x.example", .accepted(code: 250, reply: "250 ok", refused: [refusal]))
        #expect(await harness.send() == .someFailed)
        #expect(harness.errors == ["refused: cc@x.example (on the letter to a@x.example): 550 5.1.1 no such user; the letter went to the others"])
    }

    @Test func aDeferredLetterIs75() async {
        let harness = Harness()
        harness.script(
            "c@x.example", .deferred(code: 451, reply: "451 4.3.0 try later", error: nil),
            .deferred(code: 451, reply: "451 4.3.0 try later", error: nil))
        #expect(await harness.send() == .tempFail)
        #expect(harness.output.last == "app-test: 2 sent, 0 failed, 1 deferred, 0 in doubt, 0 already done")
        #expect(harness.errors.isEmpty)
    }

    @Test func aLetterInDoubtIs75AndIsNotResentOnItsOwn() async {
        let harness = Harness()
        harness.script("a@x.example", .inDoubt(reply: nil, error: "Timeout was reached"))
        #expect(await harness.send() == .tempFail)
        #expect(harness.errors.count == 1 && harness.errors[0].hasPrefix("in doubt: a@x.example <"))
        #expect(harness.errors[0].contains("(Timeout was reached): the server may have accepted it"))

        #expect(await harness.send() == .tempFail)
        #expect(harness.transport.delivered.count == 3, "the second run resends nothing")
        #expect(harness.output.last == "app-test: 0 sent, 0 failed, 0 deferred, 1 in doubt, 2 already done")

        #expect(await harness.send(.init(resendInDoubt: true)) == .ok)
        #expect(harness.transport.delivered.count == 4)
    }

    /// A stop is the cancellation of the send's task: here, before its first letter.
    @Test func aStopRequestIs75() async {
        let harness = Harness()
        let (campaign, transport) = (harness.campaign, harness.transport)
        let environment = harness.environment.merging(["XDG_RUNTIME_DIR": harness.runtimeFolder]) { given, _ in given }
        let errors = Lines()
        let stop = StopSwitch()
        stop.pull()
        let task = Task(executorPreference: DedicatedExecutor.current) {
            let parts = ApplicationParts(
                output: { _ in }, errors: { errors.append($0) }, clock: SkippingClock(now: Harness.now),
                environment: environment, makeTransport: { _ throws(TransportSetupError) in transport })
            return await buildApplication(parts).send(campaign: campaign, options: .init())
        }
        stop.attach(task)
        #expect(await task.value == .tempFail)
        #expect(errors.all == ["stopped on request; rerun `herald send` to continue"])
        #expect(transport.delivered.isEmpty)
    }

    /// Lines written from a send's task.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func aTransportThatCannotBeSetUpIs69() async {
        let harness = Harness()
        harness.setupError = .unavailable("libcurl could not be initialised")
        #expect(await harness.send() == .unavailable)
        #expect(harness.errors == ["cannot set up the SMTP transport: libcurl could not be initialised"])
    }

    @Test func aTLSModeConflictingWithThisProcessIs78() async {
        let harness = Harness()
        harness.setupError = .conflictingTLS(server: "smtp://127.0.0.1:2525", first: .none, now: .opportunistic)
        #expect(await harness.send() == .config)
        #expect(
            harness.errors == [
                "\(harness.campaign): smtp.tls: smtp://127.0.0.1:2525 is already used with tls \"none\" in this process; refusing tls \"opportunistic\" to the same server (one TLS setting per server and process)"
            ])
    }

    @Test func theDaemonsDispatchMapsFailuresTheSameWay() async throws {
        let harness = Harness()
        harness.script("a@x.example", .authenticationFailed(code: 535, reply: "535 no"))
        let prepared = try PreparedCampaign.load(campaignFile: harness.campaign, date: Harness.now)
        #expect(await harness.application().dispatch(prepared, options: .init(), occurrence: "2026-11-29T09:00:00Z") == .noPermission)
        #expect(harness.errors == ["smtp://127.0.0.1:2525: the server refused the login: 535 no"])
        #expect(harness.records().first?.occurrence == "2026-11-29T09:00:00Z")
    }

    // MARK: --smtp-url (64) and the parsed URL

    @Test func aMalformedSMTPURLIs64() async {
        let harness = Harness()
        #expect(await harness.send(.init(smtpURL: "http://mail.example")) == .usage)
        #expect(harness.errors == ["--smtp-url: \"http://mail.example\" is not an smtp:// or smtps:// URL with a host (and no user or password in it)"])
        #expect(harness.endpoints.isEmpty && !FileManager.default.fileExists(atPath: harness.log))
    }

    @Test func anSMTPURLThatBreaksTheTLSRulesIs64() async {
        let harness = Harness(smtp: "tls = \"none\"")
        #expect(await harness.send(.init(smtpURL: "smtp://mail.example:25")) == .usage)
        #expect(harness.errors.count == 1 && harness.errors[0].hasPrefix("--smtp-url: tls \"none\" sends letters readable by anyone on the path"))
    }

    @Test func theSMTPURLReplacesTheCampaignsParsedOnce() async {
        let harness = Harness()
        #expect(await harness.send(.init(smtpURL: "smtp://localhost:2526")) == .ok)
        #expect(harness.endpoints.map(\.url) == ["smtp://localhost:2526"])
        #expect(harness.endpoints.first?.url.host == "localhost" && harness.endpoints.first?.url.port == 2526)
    }

    // MARK: Edits while half-sent (65)

    @Test(arguments: [CampaignCommand.validate, .send])
    func anEditWhileHalfSentIs65(command: CampaignCommand) async {
        let harness = Harness()
        harness.script("b@x.example", .deferred(code: 451, reply: "451 later", error: nil), .deferred(code: 451, reply: "451 later", error: nil))
        #expect(await harness.send() == .tempFail)
        harness.folder.write("list.csv", ApplicationHarness.csv.replacingOccurrences(of: "Bob", with: "Robert"))
        harness.errors = []
        #expect(await command.run(harness) == .dataError)
        #expect(harness.errors.first == "\(harness.folder.file("list.csv")):3: row: b@x.example's row changed since its first attempt at 2026-11-29T09:00:00Z")
        #expect(harness.errors.last?.hasPrefix("app-test: the campaign changed while half-sent") == true)
        #expect(harness.transport.delivered.count == 4, "nothing more was sent")
    }

    @Test func allowChangedSendsTheRestWithWarnings() async {
        let harness = Harness()
        harness.script("b@x.example", .deferred(code: 451, reply: "451 later", error: nil), .deferred(code: 451, reply: "451 later", error: nil))
        #expect(await harness.send() == .tempFail)
        harness.folder.write("list.csv", ApplicationHarness.csv.replacingOccurrences(of: "Bob", with: "Robert"))
        harness.errors = []
        #expect(await harness.send(.init(allowChanged: true)) == .ok)
        #expect(
            harness.errors == ["warning: \(harness.folder.file("list.csv")):3: row: b@x.example's row changed since its first attempt at 2026-11-29T09:00:00Z"])
    }

    // MARK: validate

    @Test func validateReportsEveryProblemAndExitsWithTheFirst() async {
        let harness = Harness(smtp: "username = \"u\"\npassword_env = \"HERALD_APP_TEST_PASSWORD\"")
        harness.folder.write("delivery.jsonl", "not a record\n{}\n")
        #expect(harness.application().validate(campaign: harness.campaign) == .config)
        #expect(harness.errors.count == 2, "\(harness.errors)")
        #expect(harness.errors[0].hasPrefix("\(harness.campaign): smtp.password_env: the environment variable HERALD_APP_TEST_PASSWORD is not set"))
        #expect(harness.errors[1].hasPrefix("\(harness.log):1: not a delivery record"))
        #expect(harness.output.isEmpty)
    }

    @Test func validateSaysOkAndSendsNothing() async {
        let harness = Harness()
        #expect(harness.application().validate(campaign: harness.campaign) == .ok)
        #expect(harness.output == ["\(harness.campaign): ok: campaign app-test, 3 recipients from 1 list, template \(harness.folder.file("letter.mustache"))"])
        #expect(harness.endpoints.isEmpty && harness.transport.delivered.isEmpty)
    }

    @Test(arguments: [CampaignCommand.validate, .send])
    func anUnsetPasswordVariableIs78AndASetOneIsUsed(command: CampaignCommand) async {
        let harness = Harness(smtp: "username = \"u\"\npassword_env = \"HERALD_APP_TEST_PASSWORD\"")
        #expect(await command.run(harness) == .config)
        #expect(
            harness.errors == [
                "\(harness.campaign): smtp.password_env: the environment variable HERALD_APP_TEST_PASSWORD is not set; export it before running herald"
            ])

        let password = "pw-\(UUID().uuidString)"
        harness.environment["HERALD_APP_TEST_PASSWORD"] = password
        harness.errors = []
        #expect(await command.run(harness) == .ok)
        #expect(!harness.printed.contains(password))
        if command == .send { #expect(harness.endpoints.first?.password == password && harness.endpoints.first?.username == "u") }
    }

    @Test(arguments: [CampaignCommand.validate, .send])
    func aMissingCAFileIs66(command: CampaignCommand) async {
        let harness = Harness(smtp: "ca_file = \"ca.pem\"")
        #expect(await command.run(harness) == .noInput)
        #expect(harness.errors == ["\(harness.campaign): smtp.ca_file: \(harness.folder.file("ca.pem")) not found"])
    }

    // MARK: preview, status, resolve

    @Test func previewWritesEveryLetterAndRefusesAFolderOfOtherFiles() async {
        let harness = Harness()
        #expect(await CampaignCommand.preview.run(harness) == .ok)
        #expect(
            harness.output.dropLast().last
                == "3 messages written to \(harness.folder.file("preview"))/ (nothing was sent); review them in \(harness.folder.file("preview"))/index.html")
        #expect(harness.output.last?.hasPrefix("manifest hash: ") == true, "the manifest hash is printed last")
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("preview/index.html")))
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("preview/manifest.json")))
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("preview/1-a@x.example.eml")))

        let other = Harness()
        other.folder.write("preview/notes.txt", "mine")
        #expect(await CampaignCommand.preview.run(other) == .usage)
        #expect(other.errors.count == 1 && other.output.isEmpty)
        #expect(other.folder.read("preview/notes.txt") == "mine")
    }

    @Test func statusShowsTheLogAsATableOrJSON() async {
        let harness = Harness()
        harness.script("b@x.example", .rejected(code: 550, reply: "550 no"))
        #expect(await harness.send() == .someFailed)
        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: true) == .ok)
        #expect(
            harness.output == [
                #"{"bounced":0,"campaign":"app-test","deferred":0,"delayed":0,"failed":1,"in_doubt":0,"pending":0,"sent":2,"suppressed":0,"total":3}"#
            ])
        harness.output = []
        #expect(harness.application().status(campaign: harness.campaign, logPath: nil, json: false) == .ok)
        #expect(harness.output.last == "app-test: 3 recipients: 2 sent, 1 failed, 0 deferred, 0 in doubt, 0 pending")
    }

    @Test func resolveRecordsAVerdictOnlyForALetterNotDone() async {
        let harness = Harness()
        harness.script("a@x.example", .inDoubt(reply: nil, error: "Timeout was reached"))
        #expect(await harness.send() == .tempFail)
        let application = harness.application()
        #expect(application.resolve(campaign: harness.campaign, recipient: "A@x.example", as: .sent, logPath: nil) == .ok)
        #expect(harness.records().last?.status == .sent && harness.records().last?.note?.contains("after status in doubt") == true)
        harness.errors = []
        #expect(application.resolve(campaign: harness.campaign, recipient: "a@x.example", as: .failed, logPath: nil) == .dataError)
        #expect(harness.errors.count == 1 && harness.errors[0].hasPrefix("\(harness.log): a@x.example is already recorded as sent"))
        harness.errors = []
        #expect(application.resolve(campaign: harness.campaign, recipient: "z@x.example", as: .sent, logPath: nil) == .dataError)
        #expect(harness.errors == ["\(harness.log): z@x.example has no delivery record in campaign app-test; nothing to resolve"])
    }

    // MARK: schedule (64, 66, 78)

    @Test func scheduleUsageErrorsAre64() async {
        let harness = Harness()
        let application = harness.application()
        #expect(application.schedule(campaign: nil, cron: nil, timeZone: nil, after: nil, count: 5) == .usage)
        #expect(application.schedule(campaign: harness.campaign, cron: "@daily", timeZone: nil, after: nil, count: 5) == .usage)
        #expect(application.schedule(campaign: nil, cron: "@daily", timeZone: nil, after: nil, count: 0) == .usage)
        #expect(application.schedule(campaign: nil, cron: "@daily", timeZone: nil, after: "tomorrow", count: 5) == .usage)
        #expect(application.schedule(campaign: nil, cron: "0 0 30 2 *", timeZone: nil, after: nil, count: 5) == .usage)
        #expect(harness.errors.count == 5 && harness.output.isEmpty)
        #expect(harness.errors[0] == "give either a campaign file or --cron EXPR, not both and not neither")
        #expect(harness.errors[2] == "--count must be from 1 to 10000")
        #expect(harness.errors[4].hasPrefix("--cron: "))
    }

    @Test func scheduleOfACampaign() async {
        let harness = Harness(top: "schedule = \"0 9 * * 1-5\"\ntimezone = \"Europe/Brussels\"")
        let application = harness.application()
        #expect(application.schedule(campaign: harness.campaign, cron: nil, timeZone: nil, after: nil, count: 2) == .ok)
        #expect(harness.output == ["2026-11-30T09:00:00+01:00", "2026-12-01T09:00:00+01:00"])

        let unscheduled = Harness()
        #expect(unscheduled.application().schedule(campaign: unscheduled.campaign, cron: nil, timeZone: nil, after: nil, count: 2) == .config)
        #expect(unscheduled.errors.count == 1 && unscheduled.errors[0].hasPrefix("\(unscheduled.campaign): schedule: the campaign has no schedule"))

        let never = Harness(top: "schedule = \"0 0 30 2 *\"")
        #expect(never.application().schedule(campaign: never.campaign, cron: nil, timeZone: nil, after: nil, count: 2) == .config)
        #expect(never.errors.count == 1 && never.errors[0].hasPrefix("\(never.campaign):5: schedule: "), "\(never.errors)")

        let missing = harness.folder.file("missing.toml")
        #expect(application.schedule(campaign: missing, cron: nil, timeZone: nil, after: nil, count: 2) == .noInput)
        #expect(harness.errors == ["\(missing): campaign file not found"])
    }
}
