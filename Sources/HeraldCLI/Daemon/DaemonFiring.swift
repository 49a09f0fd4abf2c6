import Foundation
import HeraldCore
import Logging

/// What the daemon's services run against the send pipeline: one firing of a campaign, one
/// pass over a bounce mailbox, each logged and taken in turn (`DaemonTurn`).
///
/// Sendable, so the scheduler and the bounce poller share one; the application each job runs
/// with is built from `makeParts`, with the daemon's clock, and its output sent to the log.
struct DaemonFiring: Sendable {
    /// What a firing came to, as far as the scheduler cares.
    enum Result: Sendable {
        case done
        /// Skipped, or stopped at handover: no approval matching the inputs (or the letters)
        /// is recorded at `record`.
        case notApproved(record: String)
    }

    let clock: any HeraldClock
    let logger: Logger
    let turn: DaemonTurn
    /// The parts a job's application runs with: the live ones (libcurl); a test's may give a
    /// scripted transport. The output, the clock and the stop hooks are replaced by the daemon's.
    let makeParts: @Sendable () -> ApplicationParts

    init(
        clock: any HeraldClock, logger: Logger, turn: DaemonTurn = DaemonTurn(),
        makeParts: @escaping @Sendable () -> ApplicationParts = { ApplicationParts.live }
    ) {
        self.clock = clock
        self.logger = logger
        self.turn = turn
        self.makeParts = makeParts
    }

    /// The parts of one job: its lines go to the daemon's log with `meta`, its clock is the daemon's.
    func parts(meta: Logger.Metadata) -> ApplicationParts {
        let (logger, clock) = (self.logger, self.clock)
        var parts = makeParts()
        parts.output = { logger.info("\($0)", metadata: meta) }
        parts.errors = { logger.warning("\($0)", metadata: meta) }
        parts.clock = clock
        return parts
    }

    /// Runs the send pipeline for one firing, after any job before it; nil when the daemon
    /// stopped before its turn came (nothing was started).
    ///
    /// A graceful shutdown or cancellation during the firing stops it after the letter in
    /// flight, which is finished and logged, as `herald send` does on SIGTERM.
    func fire(_ path: String, name: String, occurrence: Date?, due: Date) async -> Result? {
        var meta: Logger.Metadata = ["campaign": "\(name)", "due": "\(RFC5322Date.rfc3339(due))"]
        if let occurrence { meta["occurrence"] = "\(RFC5322Date.rfc3339(occurrence))" }
        let job = self
        return await turn.run { [meta] in
            job.logger.info("firing", metadata: meta)
            return await job.fireNow(path, occurrence: occurrence, meta: meta)
        }
    }

    /// The firing itself: load, check the approval, dispatch, log the outcome. Cancellation of
    /// the calling task (the daemon's shutdown) is the dispatch's stop.
    private func fireNow(_ path: String, occurrence: Date?, meta: Logger.Metadata) async -> Result {
        let application = buildApplication(parts(meta: meta))
        let prepared: PreparedCampaign
        do throws(CommandFailure) { prepared = try application.keyed(application.load(path)) } catch {
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
        let result = await application.dispatch(prepared, options: .init(), occurrence: key, approved: approved)
        var outcome: Logger.Metadata = ["exit": "\(result.rawValue)"]
        // What reading the log cost: flat across firings while its index serves.
        if let read = application.lastLogRead {
            outcome["log_bytes_read"] = "\(read.bytesRead)"
            outcome["log_read"] = "\(read.scanReason.map { "scan: " + $0 } ?? "index")"
        }
        logger.info("fired", metadata: meta.merging(outcome) { $1 })
        // Stopped at a letter that is not the approved one: the rest wait for a new approval,
        // exactly like a firing refused before anything was sent.
        if application.lastRunRefusedAtHandover {
            logger.warning("firing stopped: a letter was not the approved one; the rest wait for a new approval", metadata: meta)
            return .notApproved(record: Application.approvalPath(prepared.campaign.logPath))
        }
        return .done
    }

    /// Reads one campaign's bounce mailbox (`herald bounces`), its lines logged, after any job
    /// before it. Takes the campaign's lock like a firing; a lock held by another process
    /// (exit 75) is tried again at the next poll.
    func readBounces(_ path: String, name: String, nextInSeconds: Int) async {
        let meta: Logger.Metadata = ["campaign": "\(name)"]
        let job = self
        _ = await turn.run {
            // On this task: the pass asks `Task.isCancelled` between messages (the daemon's shutdown).
            let status = buildApplication(job.parts(meta: meta)).bounces(campaign: path, logPath: nil)
            job.logger.info("bounces read", metadata: meta.merging(["exit": "\(status.rawValue)", "next_in_seconds": "\(nextInSeconds)"]) { $1 })
        }
    }
}
