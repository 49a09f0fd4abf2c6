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
/// A swift-service-lifecycle `Service`: SIGTERM/SIGINT shut it down gracefully (the message
/// in flight finishes and is logged), SIGHUP and changes to the folder reload the campaigns.
struct SchedulerService: Service {
    let directory: String
    let clock: DaemonClock
    let logger: Logger

    /// Flags set from other tasks: a reload request (SIGHUP) and a stop request (shutdown).
    final class Flags: Sendable {
        let reload = Atomic<Bool>(false)
        let stop = Atomic<Bool>(false)
    }

    func run() async throws {
        let flags = Flags()
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let listener = Task {
            for await _ in hangups { flags.reload.store(true, ordering: .relaxed) }
        }
        defer { listener.cancel() }
        var scheduler = CampaignScheduler(directory: directory, clock: clock, logger: logger, flags: flags)
        await withGracefulShutdownHandler {
            await scheduler.loop()
        } onGracefulShutdown: {
            flags.stop.store(true, ordering: .relaxed)
        }
        logger.info("stopped")
    }
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
struct CampaignScheduler {
    /// One scheduled campaign.
    struct Entry {
        var path: String
        var name: String
        var schedule: Schedule
        /// Firings still to come: when, and the occurrence they stand for (nil for one-shot).
        var queue: [(due: Date, occurrence: Date?)]
    }

    let directory: String
    let clock: DaemonClock
    let logger: Logger
    let flags: SchedulerService.Flags
    var entries: [Entry] = []
    var stamp: [String: Date] = [:]

    init(directory: String, clock: DaemonClock, logger: Logger, flags: SchedulerService.Flags) {
        self.directory = directory
        self.clock = clock
        self.logger = logger
        self.flags = flags
    }

    mutating func loop() async {
        reload(reason: "start")
        while !flags.stop.load(ordering: .relaxed) {
            if flags.reload.exchange(false, ordering: .relaxed) {
                reload(reason: "SIGHUP")
            } else if folderStamp() != stamp {
                reload(reason: "campaign folder changed")
            }
            let now = clock.now()
            for index in entries.indices {
                while let first = entries[index].queue.first, first.due <= now, !flags.stop.load(ordering: .relaxed) {
                    entries[index].queue.removeFirst()
                    fire(entries[index], occurrence: first.occurrence, due: first.due)
                    if let occurrence = first.occurrence, entries[index].queue.isEmpty,
                       let next = entries[index].schedule.next(after: max(occurrence, clock.now())) {
                        entries[index].queue.append((next, next))
                        logger.info("next firing", metadata: ["campaign": "\(entries[index].name)", "at": "\(RFC5322Date.rfc3339(next))"])
                    }
                }
            }
            let nextDue = entries.compactMap { $0.queue.first?.due }.min()
            let wait = nextDue.map { clock.realSeconds($0.timeIntervalSince(clock.now())) } ?? 1
            try? await Task.sleep(for: .milliseconds(Int(max(0, min(wait, 0.25)) * 1000)))
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
        logger.info("loaded campaigns", metadata: ["reason": "\(reason)", "scheduled": "\(loaded.count)", "files": "\(stamp.count)"])
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

    /// Works out a campaign's firings from its schedule and its delivery log.
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
        let records: [DeliveryRecord]
        do {
            let numbered = try FileJournal(path: campaign.logPath).loadNumbered().records
            try DeliveryLedger.checkOwnership(of: numbered, log: campaign.logPath, campaign: campaign.name, campaignFile: path)
            records = numbered.map(\.record)
        } catch {
            // A damaged log, or one that belongs to another campaign (a rename): every firing
            // would be refused, so say so now rather than at each firing.
            logger.error("campaign not scheduled: its delivery log cannot be used", metadata: meta.merging([
                "file": "\(path)", "problem": "\(error)"]) { $1 })
            return nil
        }
        let now = clock.now()
        let catchUp = Double(campaign.catchUpSeconds)
        func complete(_ occurrence: Date?) -> Bool {
            let ledger = DeliveryLedger(records: records, campaign: campaign.name, occurrence: occurrence.map(RFC5322Date.rfc3339))
            return prepared.recipients.allSatisfy { ledger[$0.key]?.isDone ?? false }
        }
        var entry = Entry(path: path, name: campaign.name, schedule: schedule, queue: [])
        switch schedule {
        case .once(let instant):
            if complete(nil) {
                logger.info("one-shot campaign already completed; it is never sent again", metadata: meta)
            } else if instant > now {
                entry.queue = [(instant, nil)]
            } else if now.timeIntervalSince(instant) <= catchUp {
                logger.notice("catching up a missed firing", metadata: meta.merging(["due": "\(RFC5322Date.rfc3339(instant))"]) { $1 })
                entry.queue = [(now, nil)]
            } else {
                logger.warning("skipped: the firing is older than catch_up_seconds", metadata: meta.merging([
                    "due": "\(RFC5322Date.rfc3339(instant))", "catch_up_seconds": "\(campaign.catchUpSeconds)"]) { $1 })
            }
        case .cron:
            let recent = schedule.occurrences(after: now.addingTimeInterval(-catchUp), count: 1000).filter { $0 <= now }
            if let latest = recent.last, !complete(latest) {
                logger.notice("catching up a missed occurrence", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(latest))"]) { $1 })
                entry.queue.append((now, latest))
            }
            for skipped in recent.dropLast() where !complete(skipped) {
                logger.warning("skipped occurrence: a later one is being sent", metadata: meta.merging(["occurrence": "\(RFC5322Date.rfc3339(skipped))"]) { $1 })
            }
            let recorded = records.filter { $0.campaign == campaign.name }.compactMap(\.occurrence).max()
            if let recorded, let last = RFC5322Date.parseRFC3339(recorded) {
                let missed = schedule.occurrences(after: last, count: 1000).filter { $0 < now.addingTimeInterval(-catchUp) }
                if !missed.isEmpty {
                    logger.warning("skipped occurrences older than catch_up_seconds", metadata: meta.merging([
                        "count": "\(missed.count)", "first": "\(RFC5322Date.rfc3339(missed[0]))",
                        "catch_up_seconds": "\(campaign.catchUpSeconds)"]) { $1 })
                }
            }
            if let next = schedule.next(after: now) { entry.queue.append((next, next)) }
        }
        if let first = entry.queue.first {
            logger.info("scheduled", metadata: meta.merging(["next": "\(RFC5322Date.rfc3339(first.due))"]) { $1 })
        }
        return entry.queue.isEmpty ? nil : entry
    }

    /// Runs the send pipeline for one firing.
    func fire(_ entry: Entry, occurrence: Date?, due: Date) {
        var meta: Logger.Metadata = ["campaign": "\(entry.name)", "due": "\(RFC5322Date.rfc3339(due))"]
        if let occurrence { meta["occurrence"] = "\(RFC5322Date.rfc3339(occurrence))" }
        logger.info("firing", metadata: meta)
        let logger = self.logger
        let flags = self.flags
        var parts = ApplicationParts.live
        parts.output = { logger.info("\($0)", metadata: meta) }
        parts.errors = { logger.warning("\($0)", metadata: meta) }
        parts.shouldStop = { flags.stop.load(ordering: .relaxed) }
        parts.pause = { ApplicationParts.interruptiblePause($0, stop: { flags.stop.load(ordering: .relaxed) }) }
        let application = buildApplication(parts)
        let (loaded, status) = application.load(entry.path)
        guard let prepared = loaded else {
            logger.error("firing abandoned: the campaign no longer validates", metadata: meta.merging(["exit": "\(status.rawValue)"]) { $1 })
            return
        }
        let result = application.dispatch(prepared, options: .init(), occurrence: occurrence.map(RFC5322Date.rfc3339))
        logger.info("fired", metadata: meta.merging(["exit": "\(result.rawValue)"]) { $1 })
    }
}

extension HeraldLogHandler.Format: ExpressibleByArgument {}

/// Runs the async daemon from a synchronous command, blocking until it ends.
///
/// The daemon's tasks run on the concurrency pool; the main thread only waits.
func runDaemonToCompletion(directory: String, format: HeraldLogHandler.Format, timeScale: Double) throws {
    final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await runDaemon(directory: directory, format: format, timeScale: timeScale) } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}

/// Runs the scheduler under a ServiceGroup that turns SIGTERM/SIGINT into a graceful shutdown.
func runDaemon(directory: String, format: HeraldLogHandler.Format, timeScale: Double) async throws {
    StopSignal.unblock([SIGTERM, SIGINT, SIGHUP])
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
