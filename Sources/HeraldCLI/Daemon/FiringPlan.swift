import Foundation
import HeraldCore

/// Which firings the daemon queues for a campaign it loads, and what to tell the operator
/// about the ones it will not send.
///
/// Pure: the schedule, what the delivery log says (`FiringHistory`), the recipients and
/// `now` come in as arguments, so catch-up and skipping are decided the same way on every
/// start and can be tested without a clock, a file or a process. The rules (see README,
/// *Running as a daemon*):
/// - one-shot: never again once every recipient is done; at its instant if that is still to
///   come; at once if it is at most `catchUpSeconds` late; else skipped.
/// - cron: the latest occurrence less than `catchUpSeconds` late is sent at once unless it is
///   complete, earlier ones in that window are skipped, occurrences older than the window
///   since the last one in the log are reported as skipped; then the next occurrence after `now`.
struct FiringPlan: Equatable, Sendable {
    /// One queued firing: when to run it, and the occurrence it sends (nil for a one-shot
    /// campaign, whose log key has none).
    struct Firing: Equatable, Sendable {
        var due: Date
        var occurrence: Date?
    }

    /// Something the daemon logs about the plan, in the order it was decided.
    enum Note: Equatable, Sendable {
        /// The one-shot campaign has every recipient done; it is never sent again.
        case oneShotCompleted
        /// The one-shot instant passed less than catch_up_seconds ago: it fires now.
        case catchingUpFiring(due: Date)
        /// The one-shot instant is older than catch_up_seconds: it is not sent.
        case skippedFiring(due: Date)
        /// A cron occurrence missed while the daemon was down is sent now.
        case catchingUpOccurrence(Date)
        /// A missed cron occurrence within catch_up_seconds that a later one replaces.
        case skippedOccurrence(Date)
        /// Occurrences after the last one in the log that are older than catch_up_seconds.
        case skippedOlderOccurrences(count: Int, first: Date)
    }

    /// The firings to queue, earliest first; empty when nothing is left to send.
    var queue: [Firing] = []
    var notes: [Note] = []

    /// How many occurrences are looked at in one window: enough for a minutely schedule
    /// missed for over 16 hours.
    static let lookahead = 1000

    /// The occurrences whose ledgers the plan looks at, for `history`: nil for a one-shot
    /// campaign, the occurrences within `catchUpSeconds` before `now` for a cron schedule.
    static func occurrencesToRead(schedule: Schedule, now: Date, catchUpSeconds: Int) -> Set<String?> {
        switch schedule {
        case .once: return [nil]
        case .cron: return Set(recent(schedule, now: now, catchUpSeconds: catchUpSeconds).map(RFC5322Date.rfc3339))
        }
    }

    /// The occurrences within `catchUpSeconds` before `now`, `now` included, earliest first.
    private static func recent(_ schedule: Schedule, now: Date, catchUpSeconds: Int) -> [Date] {
        schedule.occurrences(after: now.addingTimeInterval(-Double(catchUpSeconds)), count: lookahead).filter { $0 <= now }
    }

    /// - Parameters:
    ///   - recipients: every recipient's log key; an occurrence is complete when all are done.
    ///   - history: the ledgers of `occurrencesToRead`, and the latest occurrence in the log.
    init(schedule: Schedule, recipients: [String], history: FiringHistory, now: Date, catchUpSeconds: Int) {
        let catchUp = Double(catchUpSeconds)
        func complete(_ occurrence: Date?) -> Bool {
            let ledger = history.ledger(occurrence.map(RFC5322Date.rfc3339))
            return recipients.allSatisfy { ledger[$0]?.isDone ?? false }
        }
        switch schedule {
        case .once(let instant):
            if complete(nil) {
                notes.append(.oneShotCompleted)
            } else if instant > now {
                queue = [Firing(due: instant, occurrence: nil)]
            } else if now.timeIntervalSince(instant) <= catchUp {
                notes.append(.catchingUpFiring(due: instant))
                queue = [Firing(due: now, occurrence: nil)]
            } else {
                notes.append(.skippedFiring(due: instant))
            }
        case .cron:
            let recent = Self.recent(schedule, now: now, catchUpSeconds: catchUpSeconds)
            if let latest = recent.last, !complete(latest) {
                notes.append(.catchingUpOccurrence(latest))
                queue.append(Firing(due: now, occurrence: latest))
            }
            for skipped in recent.dropLast() where !complete(skipped) {
                notes.append(.skippedOccurrence(skipped))
            }
            if let recorded = history.latestOccurrence, let last = RFC5322Date.parseRFC3339(recorded) {
                let missed = schedule.occurrences(after: last, count: Self.lookahead).filter { $0 < now.addingTimeInterval(-catchUp) }
                if let first = missed.first {
                    notes.append(.skippedOlderOccurrences(count: missed.count, first: first))
                }
            }
            if let next = schedule.next(after: now) { queue.append(Firing(due: next, occurrence: next)) }
        }
    }

    /// The firing that follows a recurring campaign's `occurrence` once it has fired: the next
    /// occurrence after both it and `now` (a firing that ran long skips the occurrences it
    /// overlapped); nil when the schedule has none.
    static func firing(after occurrence: Date, schedule: Schedule, now: Date) -> Firing? {
        schedule.next(after: max(occurrence, now)).map { Firing(due: $0, occurrence: $0) }
    }
}
