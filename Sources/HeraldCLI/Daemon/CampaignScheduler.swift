import Foundation
import HeraldCore
import HeraldStorage
import Logging

/// The schedule loop of the daemon's `SchedulerService`: which campaign fires when, catch-up
/// and skipping, reloads, approvals waited for.
///
/// Owned by one task; every wait is a sleep on the injected `HeraldClock` (or a reload
/// request), and every firing goes through `DaemonFiring`, so a test drives the whole loop
/// with a mock clock. Cancellation (the daemon's graceful shutdown) ends the loop: the firing
/// in flight stops after its letter in flight, and no firing starts after it.
struct CampaignScheduler {
    /// One scheduled campaign.
    struct Entry: Sendable {
        var path: String
        var name: String
        var schedule: Schedule
        /// Firings still to come, earliest first.
        var queue: [FiringPlan.Firing]
    }

    /// A one-shot firing skipped because no matching approval was recorded, and the approval
    /// record as it was then (nil: none), so that `herald approve` is noticed without a SIGHUP.
    struct AwaitingApproval {
        var entry: Entry
        var record: String
        var stamp: FileStamp?
    }

    /// What identifies a file's version: a new approval record is written and renamed over the
    /// old, so its inode changes even when its size and time would not.
    struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int
        var modifiedNanoseconds: Int

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim.tv_sec
            modifiedNanoseconds = info.st_mtim.tv_nsec
        }
    }

    let directory: String
    let firing: DaemonFiring
    let reloads: ReloadSignal
    var clock: any HeraldClock { firing.clock }
    var logger: Logger { firing.logger }
    var entries: [Entry] = []
    /// The folder as last loaded (nil: it could not be listed).
    var stamp: [String: Date]?
    /// The reload request last acted on.
    var seenReload = 0
    /// One-shot firings skipped for want of an approval, by campaign file: each is fired again
    /// as soon as its approval record (`LOG.approval`) changes, checked at every folder poll.
    var awaitingApproval: [String: AwaitingApproval] = [:]

    init(directory: String, firing: DaemonFiring, reloads: ReloadSignal) {
        self.directory = directory
        self.firing = firing
        self.reloads = reloads
    }

    /// Loads the folder, then fires each campaign when due, until the task is cancelled.
    ///
    /// Between firings it sleeps on the clock until the next due time, a reload request or
    /// the next folder check, whichever comes first.
    mutating func run() async {
        seenReload = reloads.generation
        reload(reason: "start")
        while !Task.isCancelled {
            let generation = reloads.generation
            if generation != seenReload {
                seenReload = generation
                reload(reason: "SIGHUP")
            } else if CampaignFolder.stamp(directory) != stamp {
                reload(reason: "campaign folder changed")
            }
            await fireDue()
            await fireNewlyApproved()
            guard !Task.isCancelled else { break }
            var wake = clock.now().addingTimeInterval(CampaignFolder.pollSeconds)
            if let nextDue = entries.compactMap({ $0.queue.first?.due }).min() { wake = min(wake, nextDue) }
            await reloads.sleep(on: clock, until: wake, unlessNewerThan: seenReload)
        }
    }

    /// Fires every queued firing that is due, earliest campaign file first; queues each
    /// recurring campaign's next occurrence after its firing.
    mutating func fireDue() async {
        let now = clock.now()
        for index in entries.indices {
            while let first = entries[index].queue.first, first.due <= now, !Task.isCancelled {
                entries[index].queue.removeFirst()
                let entry = entries[index]
                guard let result = await firing.fire(entry.path, name: entry.name, occurrence: first.occurrence, due: first.due) else { return }
                if first.occurrence == nil, case .notApproved(let record) = result {
                    awaitApproval(entry, record: record)
                }
                if let occurrence = first.occurrence, entries[index].queue.isEmpty,
                    let next = FiringPlan.firing(after: occurrence, schedule: entry.schedule, now: clock.now())
                {
                    entries[index].queue.append(next)
                    logger.info("next firing", metadata: ["campaign": "\(entry.name)", "at": "\(RFC5322Date.rfc3339(next.due))"])
                }
            }
        }
    }

    /// Remembers a one-shot firing skipped for want of an approval, to fire it once one is recorded.
    mutating func awaitApproval(_ entry: Entry, record: String) {
        awaitingApproval[entry.path] = AwaitingApproval(entry: entry, record: record, stamp: FileStamp(record))
        logger.notice(
            "waiting for an approval: the skipped firing is sent as soon as herald approve records one that matches the inputs",
            metadata: [
                "campaign": "\(entry.name)", "approval": "\(record)",
                "checked_every_seconds": "\(CampaignFolder.pollSeconds)",
            ])
    }

    /// Fires each awaiting one-shot campaign whose approval record changed since its firing
    /// was skipped (checked at every pass of the loop, so within `CampaignFolder.pollSeconds`).
    mutating func fireNewlyApproved() async {
        for path in awaitingApproval.keys.sorted() where !Task.isCancelled {
            guard let waiting = awaitingApproval[path], FileStamp(waiting.record) != waiting.stamp else { continue }
            awaitingApproval[path] = nil
            logger.info("approval recorded: firing the skipped one-shot campaign", metadata: ["campaign": "\(waiting.entry.name)"])
            let result = await firing.fire(waiting.entry.path, name: waiting.entry.name, occurrence: nil, due: clock.now())
            if case .notApproved(let record)? = result {
                awaitApproval(waiting.entry, record: record)
            } else if result == nil {
                // Stopped before its turn: it still waits (nothing was sent), as after a restart.
                awaitingApproval[path] = waiting
            }
        }
    }

    /// Reads every `*.toml` in the folder again; a broken file is reported and left out,
    /// the others keep their schedules.
    mutating func reload(reason: String) {
        let paths: [String]
        (stamp, paths) = CampaignFolder.load(directory, logger: logger)
        var loaded: [Entry] = []
        for path in paths {
            if let entry = load(path) { loaded.append(entry) }
        }
        entries = loaded
        // A campaign gone, or queued again by its plan, no longer waits for its approval here.
        for path in awaitingApproval.keys where !paths.contains(path) || loaded.contains(where: { $0.path == path && !$0.queue.isEmpty }) {
            awaitingApproval[path] = nil
        }
        logger.info("loaded campaigns", metadata: ["reason": "\(reason)", "scheduled": "\(loaded.count)", "files": "\(paths.count)"])
    }

    /// Reads a campaign and its delivery log, logs its `FiringPlan` (worked out for the
    /// daemon's now) and returns it as an entry; nil, with the reason logged, when there is
    /// nothing to schedule.
    func load(_ path: String) -> Entry? {
        let prepared: PreparedCampaign
        let now = clock.now()
        do { prepared = try PreparedCampaign.load(campaignFile: path, date: now) } catch {
            logger.error(
                "campaign not scheduled: it does not validate",
                metadata: [
                    "file": "\(path)", "problems": "\(error.diagnostics.map(\.description).joined(separator: "; "))",
                ])
            return nil
        }
        let campaign = prepared.campaign
        let meta: Logger.Metadata = ["campaign": "\(campaign.name)"]
        guard let schedule = campaign.parsedSchedule else {
            logger.notice("campaign has no schedule; not scheduled", metadata: meta)
            return nil
        }
        var history: FiringHistory
        var recipients: [String] = []
        do throws(JournalError) {
            // Only the occurrences the plan looks at are read (the log's index finds them).
            let wanted = FiringPlan.occurrencesToRead(schedule: schedule, now: now, catchUpSeconds: campaign.catchUpSeconds)
            let read: JournalRead
            // The journal from the same parts as the firings (`ApplicationParts.openJournal`).
            (history, read) = try firing.makeParts().openJournal(campaign.logPath).readHistory(
                campaign: campaign.name, campaignFile: path, occurrences: wanted, holding: nil,
                into: FiringHistory(campaign: campaign.name)
            ) { $0.apply($1) }
            history.note(occurrence: read.latestOccurrence)
        } catch {
            // A damaged log, or one that belongs to another campaign (a rename): every firing
            // would be refused, so say so now rather than at each firing.
            logger.error(
                "campaign not scheduled: its delivery log cannot be used",
                metadata: meta.merging([
                    "file": "\(path)", "problem": "\(error)",
                ]) { $1 })
            return nil
        }
        do throws(PreparedCampaign.ListChanged) {
            try prepared.forEachRecipient {
                recipients.append($0.key); return true
            }
        } catch {
            logger.error(
                "campaign not scheduled: a recipient list changed while it was read",
                metadata: meta.merging([
                    "file": "\(path)", "problem": "\(error)",
                ]) { $1 })
            return nil
        }
        let plan = FiringPlan(
            schedule: schedule, recipients: recipients, history: history, now: now,
            catchUpSeconds: campaign.catchUpSeconds)
        for note in plan.notes {
            switch note {
            case .oneShotCompleted:
                logger.info("one-shot campaign already completed; it is never sent again", metadata: meta)
            case .catchingUpFiring(let due):
                logger.notice("catching up a missed firing", metadata: meta.merging(["due": "\(RFC5322Date.rfc3339(due))"]) { $1 })
            case .skippedFiring(let due):
                logger.warning(
                    "skipped: the firing is older than catch_up_seconds",
                    metadata: meta.merging([
                        "due": "\(RFC5322Date.rfc3339(due))", "catch_up_seconds": "\(campaign.catchUpSeconds)",
                    ]) { $1 })
            case .catchingUpOccurrence(let occurrence):
                logger.notice("catching up a missed occurrence", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(occurrence))"]) { $1 })
            case .skippedOccurrence(let occurrence):
                logger.warning(
                    "skipped occurrence: a later one is being sent", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(occurrence))"]) { $1 })
            case .skippedOlderOccurrences(let count, let first):
                logger.warning(
                    "skipped occurrences older than catch_up_seconds",
                    metadata: meta.merging([
                        "count": "\(count)", "first": "\(RFC5322Date.rfc3339(first))",
                        "catch_up_seconds": "\(campaign.catchUpSeconds)",
                    ]) { $1 })
            }
        }
        let entry = Entry(path: path, name: campaign.name, schedule: schedule, queue: plan.queue)
        if let first = entry.queue.first {
            logger.info("scheduled", metadata: meta.merging(["next": "\(RFC5322Date.rfc3339(first.due))"]) { $1 })
        }
        return entry.queue.isEmpty ? nil : entry
    }

}
