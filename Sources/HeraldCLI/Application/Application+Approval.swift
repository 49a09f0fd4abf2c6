import Foundation
import HeraldCore
import HeraldStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Approval: a campaign with `require_approval = true` is sent only as a person approved it.
///
/// What is approved is a manifest hash (``ReviewManifest``): the one `herald preview` prints
/// and puts on the review page. Before anything is sent it is recomputed from the current
/// files; a different hash means something changed since the review, and nothing is sent
/// (exit 77, permission denied), with what changed named: the input files whose hashes differ
/// and the letters that changed, were added or are gone, compared with the manifest of the
/// review (the approval record, or the preview folder's `manifest.json`, whichever has the
/// approved hash).
///
/// `herald approve CAMPAIGN HASH` checks the hash the same way and records the approval in
/// `LOG.approval` beside the delivery log (the whole manifest plus `approved_at`, written to a
/// temporary file and renamed, mode 0600), which the daemon requires before each firing of
/// such a campaign. `herald send --approve HASH` needs no record: the hash on its command line
/// is the approval.
extension Application {
    /// The approval record of a campaign's log.
    static func approvalPath(_ logPath: String) -> String { FileJournal.besideLog(logPath, suffix: ".approval") }

    /// The manifest hash as given on the command line, lowercased.
    ///
    /// - Throws: 64 when it is not 64 hex digits.
    static func approvedHash(_ text: String, option: String) throws(CommandFailure) -> String {
        guard ReviewManifest.isHash(text) else {
            throw CommandFailure(.usage, "\(option): \"\(text)\" is not a manifest hash (64 hex digits, as herald preview prints it)")
        }
        return text.lowercased()
    }

    /// Recomputes the manifest of the current inputs and compares it with the approved hash.
    ///
    /// - Parameters:
    ///   - previewFolder: where to look for the reviewed `manifest.json` to name what changed
    ///     (default `preview/<campaign name>/`).
    ///   - binding: also keep what each letter must be when handed over, as sent for
    ///     `occurrence` (``ApprovedLetters``): for a send, not for `approve`.
    ///   - visit: each current letter's entry, as it is computed.
    /// - Throws: 77 naming what changed when the hashes differ; 66, 65 when the inputs cannot be read.
    @discardableResult
    func checkApproval(
        _ prepared: PreparedCampaign, hash approved: String, previewFolder: String?,
        binding: Bool = false, occurrence: String? = nil,
        visit: (ReviewManifest.Letter) -> Void = { _ in }
    ) throws(CommandFailure) -> (summary: ReviewManifest.Summary, approved: ApprovedLetters?) {
        let (summary, letters) = try computeManifest(prepared, binding: binding, occurrence: occurrence, visit: visit)
        guard summary.manifestSHA256 != approved else { return (summary, letters) }
        let campaign = prepared.campaign
        var lines: [String] = []
        let candidates = [
            Self.approvalPath(campaign.logPath),
            ((previewFolder ?? "preview/\(campaign.name)") as NSString).appendingPathComponent("manifest.json"),
        ]
        var older: [String] = []
        let reviewed = candidates.lazy.compactMap { path -> (String, ReviewManifest)? in
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard let manifest = ReviewManifest.read(data) else {
                if let format = Self.manifestFormat(data), format != ReviewManifest.format { older.append("\(path) is a \(format) manifest") }
                return nil
            }
            return manifest.manifestSHA256 == approved ? (path, manifest) : nil
        }.first
        if let reviewed {
            let (source, manifest) = reviewed
            lines += ReviewManifest.inputChanges(reviewed: manifest.inputs, current: summary.inputs).map { "\(campaign.name): \($0)" }
            lines += ReviewManifest.attachmentChanges(reviewed: manifest.attachments ?? [], current: summary.attachments).map { "\(campaign.name): \($0)" }
            let comparison = ReviewManifest.LetterComparison(reviewed: manifest.letters)
            // Ignorable: this only names what differs, on the way to refusing with 77; an input that
            // no longer reads ends the comparison early, and `send` or `preview` report it as such.
            _ = try? computeManifest(prepared, visit: comparison.visit)
            lines += comparison.finish().map { "\(campaign.name): \($0)" }
            if lines.isEmpty { lines.append("\(campaign.name): the letters' order or count differs from the review") }
            lines.append("\(campaign.name): compared with the reviewed manifest \(source)")
        } else {
            lines.append(
                "\(campaign.name): no manifest with hash \(approved) was found (looked at \(candidates.joined(separator: " and "))), so Herald cannot say what changed"
            )
            for note in older {
                lines.append(
                    "\(campaign.name): \(note), from an earlier Herald whose hashes differ (now \(ReviewManifest.format)): preview again and approve the new hash"
                )
            }
        }
        lines.append(
            "\(campaign.name): the inputs' manifest hash is now \(summary.manifestSHA256), not the approved \(approved): something changed since the review, and nothing was sent. Review again (herald preview), then approve the new hash"
        )
        throw CommandFailure(.noPermission, lines)
    }

    /// The `format` of a manifest or approval record, whatever its version; nil when it has none.
    static func manifestFormat(_ data: Data) -> String? {
        // Ignorable: a file that is not JSON has no format, which is what nil says.
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["format"] as? String
    }

    /// The manifest of the current inputs, as a command failure where it cannot be computed.
    func computeManifest(_ prepared: PreparedCampaign, visit: (ReviewManifest.Letter) -> Void = { _ in }) throws(CommandFailure) -> ReviewManifest.Summary {
        try computeManifest(prepared, binding: false, occurrence: nil, visit: visit).summary
    }

    /// The manifest of the current inputs and, with `binding`, the letters bound to it.
    func computeManifest(
        _ prepared: PreparedCampaign, binding: Bool, occurrence: String?,
        visit: (ReviewManifest.Letter) -> Void
    ) throws(CommandFailure) -> (summary: ReviewManifest.Summary, approved: ApprovedLetters?) {
        do {
            if binding {
                let (summary, approved) = try ReviewManifest.bind(prepared, occurrence: occurrence, visit: visit)
                return (summary, approved)
            }
            return (try ReviewManifest.compute(prepared, visit: visit), nil)
        } catch let unreadable as ReviewManifest.Unreadable {
            throw CommandFailure(.noInput, unreadable.description)
        } catch let changed as PreparedCampaign.ListChanged {
            throw CommandFailure(.dataError, changed.description)
        } catch let failure as ValidationFailure {
            throw CommandFailure(failure)
        } catch {
            throw CommandFailure(.dataError, "\(prepared.campaign.file): \(error)")
        }
    }

    /// For `send`: a campaign that requires approval needs `--approve HASH`; a hash given is
    /// checked whether or not the campaign requires one.
    ///
    /// - Returns: the letters bound to the approval, each checked again as it is handed over;
    ///   nil when no approval is given (nor required).
    /// - Throws: 77 without an approval or when it does not match the current inputs.
    func requireApproval(_ prepared: PreparedCampaign, approve: String?, previewFolder: String?, campaignPath: String) throws(CommandFailure)
        -> ApprovedLetters?
    {
        guard let approve else {
            guard !prepared.campaign.requireApproval else {
                throw CommandFailure(
                    .noPermission,
                    "\(campaignPath): this campaign requires approval (require_approval = true) and nothing was sent: review it with herald preview \(campaignPath), then send with herald send \(campaignPath) --approve HASH, the manifest hash the preview printed"
                )
            }
            return nil
        }
        let hash = try Self.approvedHash(approve, option: "--approve")
        let (summary, approved) = try checkApproval(prepared, hash: hash, previewFolder: previewFolder, binding: true)
        parts.errors("approved: manifest hash \(hash) matches the current inputs (\(summary.count) letters); each letter is checked again as it is handed over")
        return approved
    }

    /// For the daemon: a firing of a campaign that requires approval goes only when
    /// `LOG.approval` records an approval whose hash the current inputs still have.
    ///
    /// - Parameter occurrence: the firing's occurrence (a recurring campaign), which its letters carry.
    /// - Returns: the letters bound to the approval, checked again as each is handed over; nil
    ///   when the campaign does not require approval.
    /// - Throws: 77 with the reason when there is none, or it no longer matches.
    func recordedApproval(_ prepared: PreparedCampaign, occurrence: String? = nil) throws(CommandFailure) -> ApprovedLetters? {
        guard prepared.campaign.requireApproval else { return nil }
        let path = Self.approvalPath(prepared.campaign.logPath)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(
                .noPermission,
                "\(prepared.campaign.name): requires approval, and none is recorded (\(path)): review it with herald preview, then herald approve \(prepared.campaign.file) HASH"
            )
        }
        if let format = Self.manifestFormat(data), format != ReviewManifest.format {
            throw CommandFailure(
                .noPermission,
                "\(path): recorded by an earlier Herald (\(format), now \(ReviewManifest.format)), whose hashes differ: review the campaign again with herald preview, then herald approve \(prepared.campaign.file) HASH"
            )
        }
        guard let record = ReviewManifest.read(data), record.campaign == prepared.campaign.name else {
            throw CommandFailure(.noPermission, "\(path): not an approval record of campaign \(prepared.campaign.name); approve it again with herald approve")
        }
        // A recurring campaign's approval applies from the first occurrence after it was
        // recorded: one due before (a daemon started later would catch it up) was never approved
        // to go at that time, and is not sent late as a surprise.
        if let occurrence, let due = RFC5322Date.parseRFC3339(occurrence),
            let approvedAt = record.approvedAt.flatMap(RFC5322Date.parseRFC3339), due <= approvedAt
        {
            throw CommandFailure(
                .noPermission,
                "\(prepared.campaign.name): the occurrence \(occurrence) was due before the approval was recorded (\(record.approvedAt ?? "")): an approval applies from the next occurrence after it, so this one is not sent"
            )
        }
        return try checkApproval(prepared, hash: record.manifestSHA256, previewFolder: nil, binding: true, occurrence: occurrence).approved
    }

    /// True for a campaign with a cron schedule, whose log holds one ledger per occurrence.
    static func isRecurring(_ campaign: Campaign) -> Bool {
        if case .cron? = campaign.parsedSchedule { return true }
        return false
    }

    /// What the daemon does with a campaign once it is approved, from its schedule and the time
    /// now: what `herald approve` tells the person who approved it.
    static func whatHappensNext(_ campaign: Campaign, now: Date) -> String {
        switch campaign.parsedSchedule {
        case nil:
            return "the campaign has no schedule, so the daemon does not send it"
        case .once(let instant)? where instant > now:
            return "the daemon sends it at \(RFC5322Date.rfc3339(instant)) while the inputs stay as approved"
        case .once(let instant)?:
            return
                "its time (\(RFC5322Date.rfc3339(instant))) has passed: a running daemon that skipped that firing for want of an approval sends it within a few seconds (it watches the approval record); a daemon started later sends it only if started within catch_up_seconds (\(campaign.catchUpSeconds)) of that time"
        case .cron?:
            let next = campaign.parsedSchedule?.next(after: now).map { " from \(RFC5322Date.rfc3339($0)), the first occurrence after this approval," } ?? ""
            return
                "the daemon sends it at each occurrence\(next) while the inputs stay as approved; an occurrence due before this approval is not sent, even one a daemon started now would catch up (catch_up_seconds)"
        }
    }

    /// Warns, naming them, about letters of a one-shot campaign already sent under the approval
    /// just replaced whose approved letter now differs: the rest go as approved now, those are
    /// not sent again, so their recipients keep the earlier letter.
    ///
    /// Why: re-approving a half-sent campaign (a run stopped at a changed attachment) sends
    /// the rest; the person approving must know the campaign's letters no longer all match.
    func warnSentUnderEarlierApproval(_ campaign: Campaign, earlier: String, differing: [String], ledger: DeliveryLedger) {
        let sent = differing.filter { ledger.entries[$0]?.isDone ?? false }
        guard !sent.isEmpty else { return }
        let named = sent.prefix(10).joined(separator: ", ") + (sent.count > 10 ? " and \(sent.count - 10) more" : "")
        parts.errors(
            "warning: \(campaign.name): \(sent.count) letter\(sent.count == 1 ? " was" : "s were") already sent under the earlier approval (manifest hash \(earlier)) and differ\(sent.count == 1 ? "s" : "") from the letters approved now: \(named); \(sent.count == 1 ? "it is" : "they are") not sent again, so \(sent.count == 1 ? "that recipient keeps" : "those recipients keep") the earlier letter"
        )
    }

    /// `herald approve CAMPAIGN HASH`: records an approval of the campaign's current inputs.
    ///
    /// - Throws (as an exit status): 64 for a malformed hash, 77 when the hash does not match
    ///   the current inputs (naming what changed), 74 when the record cannot be written.
    public func approve(campaign path: String, hash text: String, previewFolder: String?) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            let hash = try Self.approvedHash(text, option: "HASH")
            let prepared = try keyed(load(path))
            let campaign = prepared.campaign
            let record = Self.approvalPath(campaign.logPath)
            let folder = (record as NSString).deletingLastPathComponent
            if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
                do throws(PrivateFolder.Failure) { try PrivateFolder.create(folder) } catch {
                    throw CommandFailure(.ioError, "\(error.path): cannot create the log's folder: \(String(cString: strerror(error.code)))")
                }
            }
            // The whole manifest goes into the record as it is computed, to a temporary file
            // renamed over the record only when the hash matches.
            let temporary = record + ".tmp"
            unlink(temporary)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else {
                throw CommandFailure(.ioError, "\(temporary): cannot write: \(String(cString: strerror(errno)))")
            }
            let file = BufferedFile(descriptor: descriptor, path: temporary)
            // The approval this one replaces: its letters, to name those already sent under it
            // that the new approval's differ from.
            let earlier = FileManager.default.contents(atPath: record).flatMap(ReviewManifest.read)
                .flatMap { $0.campaign == campaign.name && $0.manifestSHA256 != hash ? $0 : nil }
            var earlierLetters = Dictionary((earlier?.letters ?? []).map { ($0.recipient, $0.sha256) }, uniquingKeysWith: { first, _ in first })
            var differing: [String] = []
            // A campaign sent as a whole (no cron schedule): how many of its letters the log
            // does not record as done, to say when nothing more will go.
            var oneShotLedger: DeliveryLedger?
            if !Self.isRecurring(campaign) {
                // Logged, not fatal: an approval records the inputs, not the log; without the log
                // the count of letters still to go cannot be given, and `send` refuses such a log anyway.
                do throws(CommandFailure) { oneShotLedger = try readLog(parts.openJournal(campaign.logPath), campaign: campaign, occurrence: nil) } catch {
                    for message in error.messages { parts.errors("warning: \(message)") }
                }
            }
            var pending = 0
            var written = 0
            var writeError: (any Error)?
            let summary: ReviewManifest.Summary
            do throws(CommandFailure) {
                let inputs: [ReviewManifest.Input]
                do throws(ReviewManifest.Unreadable) { inputs = try ReviewManifest.inputs(of: campaign) } catch {
                    throw CommandFailure(.noInput, error.description)
                }
                do { try file.write(ReviewManifest.jsonOpening(campaign: campaign.name, inputs: inputs)) } catch { writeError = error }
                summary = try checkApproval(prepared, hash: hash, previewFolder: previewFolder) { letter in
                    written += 1
                    if earlier != nil, earlierLetters.removeValue(forKey: letter.recipient) != letter.sha256 { differing.append(letter.recipient) }
                    if !(oneShotLedger?.entries[letter.recipient]?.isDone ?? false) { pending += 1 }
                    guard writeError == nil else { return }
                    do { try file.write(ReviewManifest.jsonLetter(letter, first: written == 1)) } catch { writeError = error }
                }.summary
            } catch {
                unlink(temporary)
                throw error
            }
            do {
                if let writeError { throw writeError }
                try file.write(
                    ReviewManifest.jsonClosing(
                        count: summary.count, manifestSHA256: summary.manifestSHA256,
                        attachments: summary.attachments, approvedAt: RFC5322Date.rfc3339(parts.clock.now())))
                try file.flush()
                guard fsync(descriptor) == 0, rename(temporary, record) == 0 else {
                    throw PreviewWriter.IOFailure(record, "cannot record the approval", errno: errno)
                }
                let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if folderDescriptor >= 0 { fsync(folderDescriptor); close(folderDescriptor) }
            } catch {
                unlink(temporary)
                throw CommandFailure(.ioError, "\(error)")
            }
            parts.output("approved: \(campaign.name), \(summary.count) letters, manifest hash \(hash); recorded in \(record)")
            if let earlier, let oneShotLedger {
                warnSentUnderEarlierApproval(campaign, earlier: earlier.manifestSHA256, differing: differing, ledger: oneShotLedger)
            }
            if oneShotLedger != nil && pending == 0 && summary.count > 0 {
                parts.output(
                    "nothing more will be sent: every one of the \(summary.count) letters is already done in \(campaign.logPath) (sent, failed, bounced or delayed), and a campaign sent as a whole is never sent again, by the daemon or by herald send"
                )
            } else if campaign.requireApproval {
                parts.output(Self.whatHappensNext(campaign, now: parts.clock.now()) + "; by hand: herald send \(path) --approve \(hash)")
            }
            return .ok
        }
    }
}
