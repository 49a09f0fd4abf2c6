import Foundation
import HeraldCore
import HeraldStorage
import HeraldSMTP

/// Herald's commands as functions from arguments to an exit status, over injected parts.
///
/// Each command loads and checks the whole campaign first; any diagnostic ends it
/// before a file is written or a connection opened.
public final class Application {
    let parts: ApplicationParts
    /// `--allow-duplicates` was given: accepted only when the campaign file says
    /// `allow_duplicates = true`, since the setting changes the log's keys.
    public var allowDuplicates = false

    init(parts: ApplicationParts) {
        self.parts = parts
    }

    /// Loads and checks a campaign, printing every problem; nil when it is not usable.
    func load(_ campaignPath: String) -> (PreparedCampaign?, ExitStatus) {
        do {
            let prepared = try PreparedCampaign.load(campaignFile: campaignPath, date: parts.clock())
            if allowDuplicates && !prepared.campaign.allowDuplicates {
                parts.errors("--allow-duplicates: \(campaignPath) does not say allow_duplicates = true; add it to the campaign file (it changes the delivery log's keys, so every command and the daemon must agree), then the flag is not needed")
                return (nil, .usage)
            }
            for warning in prepared.warnings { parts.errors("warning: \(warning)") }
            return (prepared, .ok)
        } catch {
            for diagnostic in error.diagnostics { parts.errors(diagnostic.description) }
            let count = error.diagnostics.count
            parts.errors("\(campaignPath): \(count) problem\(count == 1 ? "" : "s") found; nothing was sent")
            return (nil, ExitStatus(error.kind))
        }
    }

    /// Reads the delivery log, printing a torn-line warning; nil (with the status) when it is
    /// damaged or holds a record of another campaign (one log belongs to one campaign).
    func readLog(_ journal: FileJournal, campaign: Campaign) -> ([DeliveryRecord]?, ExitStatus) {
        let numbered: [(line: Int, record: DeliveryRecord)]
        do {
            let (records, warning) = try journal.loadNumbered()
            if let warning { parts.errors("warning: \(warning)") }
            numbered = records
        } catch {
            parts.errors("\(error)")
            if case .io = error { return (nil, .ioError) }
            return (nil, .dataError)
        }
        do {
            try DeliveryLedger.checkOwnership(of: numbered, log: journal.path, campaign: campaign.name, campaignFile: campaign.file)
        } catch {
            parts.errors("\(error)")
            return (nil, .dataError)
        }
        return (numbered.map(\.record), .ok)
    }

    /// A campaign's log, locked for this process and read.
    struct LockedLog {
        /// Held for as long as the caller writes to the log.
        var lock: CampaignLock
        var journal: FileJournal
        var records: [DeliveryRecord]
    }

    /// Takes the campaign's lock and reads its log; nil (with the status) after printing why not.
    func lockAndReadLog(_ logPath: String, campaign: Campaign) -> (LockedLog?, ExitStatus) {
        let lock: CampaignLock
        do { lock = try CampaignLock(logPath: logPath, campaign: campaign.name) } catch let busy as CampaignLock.Busy {
            parts.errors("\(busy)")
            return (nil, .tempFail)
        } catch {
            parts.errors("\(error)")
            return (nil, .ioError)
        }
        let journal = FileJournal(path: logPath)
        let (records, status) = readLog(journal, campaign: campaign)
        guard let records else { return (nil, status) }
        return (LockedLog(lock: lock, journal: journal, records: records), .ok)
    }

    /// `herald validate`: check everything `send` checks before it connects, send nothing.
    ///
    /// Beyond the campaign, template and lists: the delivery log, edits made while half-sent,
    /// and the SMTP password's source (the variable is set, the file is private), so a campaign
    /// `validate` calls ok does not fail `send` with 65 or 78. The password itself is never printed.
    public func validate(campaign path: String) -> ExitStatus {
        let (loaded, status) = load(path)
        guard let prepared = loaded else { return status }
        let campaign = prepared.campaign
        if let warning = campaign.smtp.plaintextWarning { parts.errors(warning) }
        var worst = ExitStatus.ok
        do { _ = try SecretSource.endpoint(for: campaign, environment: parts.environment) } catch {
            parts.errors(error.description)
            worst = error.status
        }
        let (records, logStatus) = readLog(FileJournal(path: campaign.logPath), campaign: campaign)
        if let records {
            let changes = EditCheck.changes(in: prepared, records: records)
            if !changes.isEmpty {
                for change in changes { parts.errors(change.description) }
                parts.errors("\(campaign.name): the campaign changed while half-sent, so `herald send` would refuse it. Restore the earlier version, or send the rest as they are now with `herald send --allow-changed`")
                if worst == .ok { worst = .dataError }
            }
        } else if worst == .ok {
            worst = logStatus
        }
        guard worst == .ok else { return worst }
        let lists = campaign.recipientPaths.count
        parts.output("\(path): ok: campaign \(prepared.campaign.name), \(prepared.recipients.count) recipients from \(lists) list\(lists == 1 ? "" : "s"), template \(prepared.campaign.templatePath)")
        return .ok
    }

    /// `herald preview`: write every message as it would be sent; no network.
    ///
    /// The folder must be new, empty, or hold only an earlier preview of this campaign (whose
    /// files are replaced); anything else is refused with 64 before a file is touched.
    public func preview(campaign path: String, outDirectory: String?) -> ExitStatus {
        let (loaded, status) = load(path)
        guard let prepared = loaded else { return status }
        let folder = outDirectory ?? "preview/\(prepared.campaign.name)"
        do {
            let target = try PreviewWriter.inspect(folder, campaign: prepared.campaign.name)
            var letters: [PreviewWriter.Letter] = []
            var rows: [[String]] = []
            let width = String(prepared.recipients.count).count
            for (index, recipient) in prepared.recipients.enumerated() {
                let message = try prepared.compose(recipient, date: parts.clock())
                let number = String(repeating: "0", count: width - String(index + 1).count) + String(index + 1)
                letters.append(.init(name: "\(number)-\(PreviewWriter.safeName(recipient.key)).eml", bytes: message.data))
                rows.append([recipient.key, message.subject, "\(message.data.count)"])
            }
            try PreviewWriter.replace(target, campaign: prepared.campaign.name, with: letters)
            parts.output(TextTable.render(header: ["RECIPIENT", "SUBJECT", "SIZE"], rows: rows, rightAligned: [2]))
            parts.output("\(rows.count) messages written to \(folder.hasSuffix("/") ? folder : folder + "/") (nothing was sent)")
            return .ok
        } catch let failure as ValidationFailure {
            for diagnostic in failure.diagnostics { parts.errors(diagnostic.description) }
            return ExitStatus(failure.kind)
        } catch let refusal as PreviewWriter.Refusal {
            parts.errors(refusal.description)
            return .usage
        } catch let failure as PreviewWriter.IOFailure {
            parts.errors(failure.description)
            return .ioError
        } catch {
            parts.errors("\(folder): \(error)")
            return .ioError
        }
    }

    /// `herald status`: each recipient's state from the delivery log.
    public func status(campaign path: String, logPath: String?, json: Bool) -> ExitStatus {
        let (loaded, status) = load(path)
        guard let prepared = loaded else { return status }
        let log = logPath ?? prepared.campaign.logPath
        let (records, logStatus) = readLog(FileJournal(path: log), campaign: prepared.campaign)
        guard let records else { return logStatus }
        let summary = CampaignStatus(prepared: prepared, ledger: DeliveryLedger(records: records, campaign: prepared.campaign.name))
        if json {
            parts.output(summary.json())
        } else {
            parts.output(summary.table())
            parts.output(summary.line())
        }
        return .ok
    }
}
