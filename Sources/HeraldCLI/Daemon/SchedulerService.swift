import ArgumentParser
import Foundation
import HeraldCore
import HeraldStorage
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `herald daemon`: owns the schedules of every campaign in a folder and, at each firing,
/// runs the same send pipeline as `herald send` (same lock, same log, same retries).
///
/// A swift-service-lifecycle `Service`: the group's graceful shutdown (SIGTERM/SIGINT) or a
/// cancellation stops the run's `StopToken`, so the message in flight finishes and is logged
/// and no firing starts after it; SIGHUP and changes to the folder reload the campaigns.
/// The schedule loop and its firings block (libcurl, fsync, waits), so they run on a thread
/// of their own, never on the cooperative pool.
struct SchedulerService: Service {
    let directory: String
    let clock: DaemonClock
    let logger: Logger

    func run() async throws {
        let token = StopToken()
        let reload = ReloadRequest()
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let listener = Task {
            for await _ in hangups { reload.request(waking: token) }
        }
        defer { listener.cancel() }
        let (directory, clock, logger) = (self.directory, self.clock, self.logger)
        await withTaskCancellationOrGracefulShutdownHandler {
            await onOwnThread {
                var scheduler = CampaignScheduler(directory: directory, clock: clock, logger: logger, token: token, reloadRequest: reload)
                scheduler.loop()
            }
        } onCancelOrGracefulShutdown: {
            token.stop()
        }
        logger.info("stopped")
    }
}

/// A reload asked for by SIGHUP, taken by the schedule loop.
///
/// The request is recorded before the token is nudged, and the loop's wait checks it under
/// the token's lock, so a SIGHUP arriving just before the loop goes to sleep is not missed.
final class ReloadRequest: Sendable {
    private let pending = Atomic<Bool>(false)

    /// Records the request and wakes the loop if it is waiting on `token`.
    func request(waking token: StopToken) {
        pending.store(true, ordering: .releasing)
        token.nudge()
    }

    var isPending: Bool { pending.load(ordering: .acquiring) }

    /// True once per request.
    func take() -> Bool { pending.exchange(false, ordering: .acquiringAndReleasing) }
}

/// The daemon's notion of now: real time, optionally sped up (a hidden test hook, so a
/// test can watch a minute-level cron schedule fire twice in a few seconds).
struct DaemonClock: Sendable {
    let start = Date()
    let scale: Double

    func now() -> Date { start.addingTimeInterval(Date().timeIntervalSince(start) * scale) }
    func realSeconds(_ virtualSeconds: Double) -> Double { virtualSeconds / scale }
}

/// The schedule loop: which campaign fires when, catch-up and skipping, reloads.
///
/// Runs on the daemon's own thread (it blocks: firings, waits); see `SchedulerService`.
struct CampaignScheduler {
    /// One scheduled campaign.
    struct Entry {
        var path: String
        var name: String
        var schedule: Schedule
        /// Firings still to come, earliest first.
        var queue: [FiringPlan.Firing]
    }

    /// How often the folder is checked for changed campaign files, in real seconds. Polled:
    /// nothing portable notifies a change to a folder's files (inotify is Linux-only and would
    /// need its own descriptor beside the condition wait), and a second is quick enough for
    /// an operator's edit; SIGHUP reloads at once.
    static let folderPollSeconds = 1.0

    let directory: String
    let clock: DaemonClock
    let logger: Logger
    let token: StopToken
    let reloadRequest: ReloadRequest
    /// The parts each firing's application runs with, stopping on the daemon's token: the
    /// live ones (libcurl, the system clock); a test's give a scripted transport.
    let makeParts: @Sendable (StopToken) -> ApplicationParts
    var entries: [Entry] = []
    var stamp: [String: Date] = [:]
    /// One-shot firings skipped for want of an approval, by campaign file: each is fired again
    /// as soon as its approval record (`LOG.approval`) changes, checked at every folder poll.
    var awaitingApproval: [String: AwaitingApproval] = [:]
    /// Campaigns with a `[bounces]` table, scheduled or not (a finished campaign's letters
    /// still bounce): each mailbox is read every `poll_seconds`, the first time at load.
    var pollers: [BouncePoller] = []

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

    /// What a firing came to, as far as the loop cares.
    enum FiringResult {
        case done
        /// Skipped, or stopped at handover: no approval matching the inputs (or the letters)
        /// is recorded at `record`.
        case notApproved(record: String)
    }

    /// One campaign's bounce mailbox and when it is next read.
    struct BouncePoller {
        var path: String
        var name: String
        var seconds: Int
        var next: Date
    }

    init(directory: String, clock: DaemonClock, logger: Logger, token: StopToken, reloadRequest: ReloadRequest,
         makeParts: @escaping @Sendable (StopToken) -> ApplicationParts = { _ in .live }) {
        self.directory = directory
        self.clock = clock
        self.logger = logger
        self.token = token
        self.reloadRequest = reloadRequest
        self.makeParts = makeParts
    }

    /// Loads the folder, then fires each campaign when due, until the token is stopped.
    ///
    /// Between firings it waits on the token until the next due time, a SIGHUP, a stop or
    /// the next folder check, whichever comes first.
    mutating func loop() {
        reload(reason: "start")
        while !token.isStopRequested {
            if reloadRequest.take() {
                reload(reason: "SIGHUP")
            } else if folderStamp() != stamp {
                reload(reason: "campaign folder changed")
            }
            let now = clock.now()
            for index in entries.indices {
                while let first = entries[index].queue.first, first.due <= now, !token.isStopRequested {
                    entries[index].queue.removeFirst()
                    let result = fire(entries[index], occurrence: first.occurrence, due: first.due)
                    if first.occurrence == nil, case .notApproved(let record) = result {
                        awaitApproval(entries[index], record: record)
                    }
                    if let occurrence = first.occurrence, entries[index].queue.isEmpty,
                       let next = FiringPlan.firing(after: occurrence, schedule: entries[index].schedule, now: clock.now()) {
                        entries[index].queue.append(next)
                        logger.info("next firing", metadata: ["campaign": "\(entries[index].name)", "at": "\(RFC5322Date.rfc3339(next.due))"])
                    }
                }
            }
            fireNewlyApproved()
            for index in pollers.indices where pollers[index].next <= clock.now() && !token.isStopRequested {
                pollBounces(pollers[index])
                pollers[index].next = clock.now().addingTimeInterval(Double(pollers[index].seconds))
            }
            var wait = Self.folderPollSeconds
            if let nextDue = (entries.compactMap({ $0.queue.first?.due }) + pollers.map(\.next)).min() {
                wait = min(wait, clock.realSeconds(nextDue.timeIntervalSince(clock.now())))
            }
            let reloadRequest = self.reloadRequest
            token.wait(until: Date().addingTimeInterval(max(0, wait)), orUntil: { reloadRequest.isPending })
        }
    }

    /// Remembers a one-shot firing skipped for want of an approval, to fire it once one is recorded.
    mutating func awaitApproval(_ entry: Entry, record: String) {
        awaitingApproval[entry.path] = AwaitingApproval(entry: entry, record: record, stamp: FileStamp(record))
        logger.notice("waiting for an approval: the skipped firing is sent as soon as herald approve records one that matches the inputs",
                      metadata: ["campaign": "\(entry.name)", "approval": "\(record)",
                                 "checked_every_seconds": "\(Self.folderPollSeconds)"])
    }

    /// Fires each awaiting one-shot campaign whose approval record changed since its firing
    /// was skipped (checked at every pass of the loop, so within `folderPollSeconds`).
    mutating func fireNewlyApproved() {
        for path in awaitingApproval.keys.sorted() where !token.isStopRequested {
            guard let waiting = awaitingApproval[path], FileStamp(waiting.record) != waiting.stamp else { continue }
            awaitingApproval[path] = nil
            logger.info("approval recorded: firing the skipped one-shot campaign", metadata: ["campaign": "\(waiting.entry.name)"])
            if case .notApproved(let record) = fire(waiting.entry, occurrence: nil, due: clock.now()) {
                awaitApproval(waiting.entry, record: record)
            }
        }
    }

    /// Reads every `*.toml` in the folder again; a broken file is reported and left out,
    /// the others keep their schedules.
    mutating func reload(reason: String) {
        stamp = folderStamp()
        var loaded: [Entry] = []
        for path in stamp.keys.sorted() {
            if let entry = load(path) { loaded.append(entry) }
        }
        entries = loaded
        // A campaign gone, or queued again by its plan, no longer waits for its approval here.
        for path in awaitingApproval.keys where stamp[path] == nil || loaded.contains(where: { $0.path == path && !$0.queue.isEmpty }) {
            awaitingApproval[path] = nil
        }
        pollers = stamp.keys.sorted().compactMap { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let campaign = try? Campaign.parse(text, file: path), let bounces = campaign.bounces else { return nil }
            return BouncePoller(path: path, name: campaign.name, seconds: bounces.pollSeconds, next: clock.now())
        }
        logger.info("loaded campaigns", metadata: ["reason": "\(reason)", "scheduled": "\(loaded.count)", "files": "\(stamp.count)",
                                                   "bounce_mailboxes": "\(pollers.count)"])
    }

    func folderStamp() -> [String: Date] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [:] }
        var result: [String: Date] = [:]
        for name in names where name.hasSuffix(".toml") {
            let path = (directory as NSString).appendingPathComponent(name)
            let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            result[path] = modified ?? .distantPast
        }
        return result
    }

    /// Reads a campaign and its delivery log, logs its `FiringPlan` (worked out for the
    /// daemon's now) and returns it as an entry; nil, with the reason logged, when there is
    /// nothing to schedule.
    func load(_ path: String) -> Entry? {
        let prepared: PreparedCampaign
        do { prepared = try PreparedCampaign.load(campaignFile: path) } catch {
            logger.error("campaign not scheduled: it does not validate", metadata: [
                "file": "\(path)", "problems": "\(error.diagnostics.map(\.description).joined(separator: "; "))"])
            return nil
        }
        let campaign = prepared.campaign
        let meta: Logger.Metadata = ["campaign": "\(campaign.name)"]
        guard let schedule = campaign.parsedSchedule else {
            logger.notice("campaign has no schedule; not scheduled", metadata: meta)
            return nil
        }
        let now = clock.now()
        var history: FiringHistory
        var recipients: [String] = []
        do throws(FileJournal.Failure) {
            // Only the occurrences the plan looks at are read (the log's index finds them).
            let wanted = FiringPlan.occurrencesToRead(schedule: schedule, now: now, catchUpSeconds: campaign.catchUpSeconds)
            let read: LogRead
            (history, read) = try FileJournal(path: campaign.logPath).read(
                campaign: campaign.name, campaignFile: path, occurrences: wanted, holding: nil,
                into: FiringHistory(campaign: campaign.name)) { $0.apply($1) }
            history.note(occurrence: read.latestOccurrence)
        } catch {
            // A damaged log, or one that belongs to another campaign (a rename): every firing
            // would be refused, so say so now rather than at each firing.
            logger.error("campaign not scheduled: its delivery log cannot be used", metadata: meta.merging([
                "file": "\(path)", "problem": "\(error)"]) { $1 })
            return nil
        }
        do throws(PreparedCampaign.ListChanged) {
            try prepared.forEachRecipient { recipients.append($0.key); return true }
        } catch {
            logger.error("campaign not scheduled: a recipient list changed while it was read", metadata: meta.merging([
                "file": "\(path)", "problem": "\(error)"]) { $1 })
            return nil
        }
        let plan = FiringPlan(schedule: schedule, recipients: recipients, history: history, now: now,
                              catchUpSeconds: campaign.catchUpSeconds)
        for note in plan.notes {
            switch note {
            case .oneShotCompleted:
                logger.info("one-shot campaign already completed; it is never sent again", metadata: meta)
            case .catchingUpFiring(let due):
                logger.notice("catching up a missed firing", metadata: meta.merging(["due": "\(RFC5322Date.rfc3339(due))"]) { $1 })
            case .skippedFiring(let due):
                logger.warning("skipped: the firing is older than catch_up_seconds", metadata: meta.merging([
                    "due": "\(RFC5322Date.rfc3339(due))", "catch_up_seconds": "\(campaign.catchUpSeconds)"]) { $1 })
            case .catchingUpOccurrence(let occurrence):
                logger.notice("catching up a missed occurrence", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(occurrence))"]) { $1 })
            case .skippedOccurrence(let occurrence):
                logger.warning("skipped occurrence: a later one is being sent", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(occurrence))"]) { $1 })
            case .skippedOlderOccurrences(let count, let first):
                logger.warning("skipped occurrences older than catch_up_seconds", metadata: meta.merging([
                    "count": "\(count)", "first": "\(RFC5322Date.rfc3339(first))",
                    "catch_up_seconds": "\(campaign.catchUpSeconds)"]) { $1 })
            }
        }
        let entry = Entry(path: path, name: campaign.name, schedule: schedule, queue: plan.queue)
        if let first = entry.queue.first {
            logger.info("scheduled", metadata: meta.merging(["next": "\(RFC5322Date.rfc3339(first.due))"]) { $1 })
        }
        return entry.queue.isEmpty ? nil : entry
    }

    /// Reads one campaign's bounce mailbox (`herald bounces`), its lines logged. Takes the
    /// campaign's lock like a firing, so it waits its turn (exit 75, tried at the next poll).
    func pollBounces(_ poller: BouncePoller) {
        let meta: Logger.Metadata = ["campaign": "\(poller.name)"]
        let logger = self.logger
        var parts = makeParts(token)
        parts.output = { logger.info("\($0)", metadata: meta) }
        parts.errors = { logger.warning("\($0)", metadata: meta) }
        let status = buildApplication(parts).bounces(campaign: poller.path, logPath: nil)
        logger.info("bounces read", metadata: meta.merging(["exit": "\(status.rawValue)", "next_in_seconds": "\(poller.seconds)"]) { $1 })
    }

    /// Runs an async firing from the schedule loop's own thread and waits for it; a stop of the
    /// daemon's token cancels it, which stops the send gracefully (the letters held finish).
    ///
    /// A bridge while the schedule loop blocks (a thread of its own): the firing runs as a
    /// task, the loop waits on the token, woken when the task is done.
    static func awaitDispatch<T: Sendable>(stoppingOn token: StopToken, _ firing: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = FiringValue<T>()
        let task = Task {
            let value = await firing()
            result.value.withLock { $0 = value }
            done.signal()
            token.nudge()
        }
        // A finite deadline, again and again: NSCondition traps on `Date.distantFuture`.
        while !token.isStopRequested, result.value.withLock({ $0 == nil }) {
            token.wait(until: Date().addingTimeInterval(3_600)) { result.value.withLock { $0 != nil } }
        }
        if result.value.withLock({ $0 == nil }) {
            task.cancel()
            done.wait()
        }
        guard let value = result.value.withLock({ $0 }) else { preconditionFailure("a firing's task ended without its result") }
        return value
    }

    /// Runs the send pipeline for one firing.
    @discardableResult
    func fire(_ entry: Entry, occurrence: Date?, due: Date) -> FiringResult {
        var meta: Logger.Metadata = ["campaign": "\(entry.name)", "due": "\(RFC5322Date.rfc3339(due))"]
        if let occurrence { meta["occurrence"] = "\(RFC5322Date.rfc3339(occurrence))" }
        logger.info("firing", metadata: meta)
        let logger = self.logger
        // The daemon's token: a graceful shutdown ends the firing after the message in flight.
        var parts = makeParts(token)
        parts.output = { logger.info("\($0)", metadata: meta) }
        parts.errors = { logger.warning("\($0)", metadata: meta) }
        let application = buildApplication(parts)
        let prepared: PreparedCampaign
        do throws(CommandFailure) { prepared = try application.keyed(application.load(entry.path)) } catch {
            let status = application.report(error)
            logger.error("firing abandoned: the campaign no longer validates", metadata: meta.merging(["exit": "\(status.rawValue)"]) { $1 })
            return .done
        }
        // A campaign that requires approval fires only while a recorded approval matches its inputs.
        let key = occurrence.map(RFC5322Date.rfc3339)
        let approved: ApprovedLetters?
        do throws(CommandFailure) { approved = try application.recordedApproval(prepared, occurrence: key) } catch {
            let status = application.report(error)
            logger.warning("firing skipped: not approved", metadata: meta.merging(["exit": "\(status.rawValue)"]) { $1 })
            return .notApproved(record: Application.approvalPath(prepared.campaign.logPath))
        }
        let (makeParts, token, firingMeta) = (self.makeParts, self.token, meta)
        let (result, lastLogRead, refusedAtHandover) = Self.awaitDispatch(stoppingOn: token) {
            // An application of the firing's own, made in its task (its parts are not shared).
            var parts = makeParts(token)
            parts.output = { logger.info("\($0)", metadata: firingMeta) }
            parts.errors = { logger.warning("\($0)", metadata: firingMeta) }
            let application = buildApplication(parts)
            let status = await application.dispatch(prepared, options: .init(), occurrence: key, approved: approved)
            return (status, application.lastLogRead, application.lastRunRefusedAtHandover)
        }
        var outcome: Logger.Metadata = ["exit": "\(result.rawValue)"]
        // What reading the log cost: flat across firings while its index serves.
        if let read = lastLogRead {
            outcome["log_bytes_read"] = "\(read.bytesRead)"
            outcome["log_read"] = "\(read.scanReason.map { "scan: " + $0 } ?? "index")"
        }
        logger.info("fired", metadata: meta.merging(outcome) { $1 })
        // Stopped at a letter that is not the approved one: the rest wait for a new approval,
        // exactly like a firing refused before anything was sent.
        if refusedAtHandover {
            logger.warning("firing stopped: a letter was not the approved one; the rest wait for a new approval", metadata: meta)
            return .notApproved(record: Application.approvalPath(prepared.campaign.logPath))
        }
        return .done
    }
}

extension HeraldLogHandler.Format: ExpressibleByArgument {}

/// Runs the scheduler under a ServiceGroup that turns SIGTERM/SIGINT into a graceful
/// shutdown, until that shutdown has stopped it.
///
/// SIGHUP is trapped for reloading even when it was ignored at start (`nohup`): the daemon
/// is driven by it (`systemctl reload`), unlike `herald send`.
func runDaemon(directory: String, format: HeraldLogHandler.Format, timeScale: Double) async throws {
    GracefulStop.unblock([SIGTERM, SIGINT, SIGHUP])
    let logger = Logger(label: "herald.daemon") { _ in HeraldLogHandler(format: format) }
    logger.info("starting", metadata: ["campaigns": "\(directory)", "pid": "\(getpid())"])
    let service = SchedulerService(directory: directory, clock: DaemonClock(scale: timeScale), logger: logger)
    var quiet = logger
    quiet.logLevel = .warning
    let group = ServiceGroup(configuration: .init(services: [.init(service: service)],
                                                  gracefulShutdownSignals: [.sigterm, .sigint],
                                                  logger: quiet))
    try await group.run()
}

/// A firing's result, set by its task and read by the schedule loop (see `awaitDispatch`).
private final class FiringValue<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
