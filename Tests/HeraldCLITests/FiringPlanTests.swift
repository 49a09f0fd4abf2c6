import Foundation
import HeraldCore
import Testing

@testable import HeraldCLI

/// The daemon's firing plan as a pure function of schedule, log history, recipients and
/// `now`: no clock, no file, no process.
@Suite struct FiringPlanTests {
    static let campaign = "plan"
    static let recipients = ["a@plan.example", "b@plan.example"]

    static func at(_ text: String) -> Date {
        guard let date = RFC5322Date.parseRFC3339(text) else { fatalError("bad test date \(text)") }
        return date
    }

    static func schedule(_ text: String) throws -> Schedule {
        try Schedule(parsing: text, timeZone: nil)
    }

    /// One record per recipient with `status`, for `occurrence` (nil: a one-shot campaign).
    static func records(
        _ status: DeliveryStatus, occurrence: String?, recipients: [String] = recipients,
        campaign: String = campaign
    ) -> [DeliveryRecord] {
        recipients.map {
            DeliveryRecord(
                time: occurrence ?? "2026-11-01T00:00:00Z", campaign: campaign, recipient: $0,
                messageID: "<\($0)>", status: status, attempt: 1, occurrence: occurrence)
        }
    }

    /// The plan for a log of `records`, folded as the daemon folds what it reads.
    static func plan(_ schedule: Schedule, records: [DeliveryRecord] = [], now: String, catchUp: Int) -> FiringPlan {
        var history = FiringHistory(campaign: campaign)
        for record in records { history.apply(record) }
        return FiringPlan(schedule: schedule, recipients: recipients, history: history, now: at(now), catchUpSeconds: catchUp)
    }

    // MARK: One-shot

    @Test func oneShotStillToComeFiresAtItsInstant() throws {
        let plan = Self.plan(try Self.schedule("2026-12-01T09:00:00+01:00"), now: "2026-11-29T09:00:00Z", catchUp: 3600)
        #expect(plan.queue == [.init(due: Self.at("2026-12-01T08:00:00Z"), occurrence: nil)])
        #expect(plan.notes.isEmpty)
    }

    @Test func oneShotLateWithinCatchUpSecondsFiresNow() throws {
        let plan = Self.plan(try Self.schedule("2026-11-29T08:30:00Z"), now: "2026-11-29T09:00:00Z", catchUp: 3600)
        #expect(plan.queue == [.init(due: Self.at("2026-11-29T09:00:00Z"), occurrence: nil)])
        #expect(plan.notes == [.catchingUpFiring(due: Self.at("2026-11-29T08:30:00Z"))])
    }

    @Test func oneShotExactlyCatchUpSecondsLateIsStillCaughtUp() throws {
        let plan = Self.plan(try Self.schedule("2026-11-29T08:00:00Z"), now: "2026-11-29T09:00:00Z", catchUp: 3600)
        #expect(plan.queue.count == 1)
    }

    @Test func oneShotLaterThanCatchUpSecondsIsSkipped() throws {
        let plan = Self.plan(try Self.schedule("2026-11-29T07:59:59Z"), now: "2026-11-29T09:00:00Z", catchUp: 3600)
        #expect(plan.queue.isEmpty)
        #expect(plan.notes == [.skippedFiring(due: Self.at("2026-11-29T07:59:59Z"))])
    }

    @Test func oneShotAlreadyCompleteIsNeverSentAgain() throws {
        // Sent and failed both count as done, and the instant being still to come changes nothing.
        let records =
            Self.records(.sent, occurrence: nil, recipients: [Self.recipients[0]])
            + Self.records(.failed, occurrence: nil, recipients: [Self.recipients[1]])
        for now in ["2026-11-29T09:00:00Z", "2026-12-02T09:00:00Z"] {
            let plan = Self.plan(try Self.schedule("2026-12-01T09:00:00Z"), records: records, now: now, catchUp: 3600)
            #expect(plan.queue.isEmpty)
            #expect(plan.notes == [.oneShotCompleted])
        }
    }

    @Test func oneShotWithARecipientDeferredOrInDoubtIsNotComplete() throws {
        for pending in [DeliveryStatus.deferred, .sending] {
            let records =
                Self.records(.sent, occurrence: nil, recipients: [Self.recipients[0]])
                + Self.records(pending, occurrence: nil, recipients: [Self.recipients[1]])
            let plan = Self.plan(try Self.schedule("2026-11-29T08:30:00Z"), records: records, now: "2026-11-29T09:00:00Z", catchUp: 3600)
            #expect(plan.queue == [.init(due: Self.at("2026-11-29T09:00:00Z"), occurrence: nil)], "\(pending)")
        }
    }

    // MARK: Cron

    @Test func cronWithNothingMissedQueuesTheNextOccurrence() throws {
        let plan = Self.plan(try Self.schedule("0 9 * * *"), now: "2026-11-29T12:00:00Z", catchUp: 60)
        let next = Self.at("2026-11-30T09:00:00Z")
        #expect(plan.queue == [.init(due: next, occurrence: next)])
        #expect(plan.notes.isEmpty)
    }

    @Test func cronOccurrenceMissedWithinCatchUpSecondsFiresNowThenTheNext() throws {
        let plan = Self.plan(try Self.schedule("0 9 * * *"), now: "2026-11-29T09:30:00Z", catchUp: 3600)
        let missed = Self.at("2026-11-29T09:00:00Z"), next = Self.at("2026-11-30T09:00:00Z")
        #expect(plan.queue == [.init(due: Self.at("2026-11-29T09:30:00Z"), occurrence: missed), .init(due: next, occurrence: next)])
        #expect(plan.notes == [.catchingUpOccurrence(missed)])
    }

    @Test func cronOccurrenceAlreadyCompleteIsNotCaughtUp() throws {
        let records = Self.records(.sent, occurrence: "2026-11-29T09:00:00Z")
        let plan = Self.plan(try Self.schedule("0 9 * * *"), records: records, now: "2026-11-29T09:30:00Z", catchUp: 3600)
        let next = Self.at("2026-11-30T09:00:00Z")
        #expect(plan.queue == [.init(due: next, occurrence: next)])
        #expect(plan.notes.isEmpty)
    }

    @Test func cronOccurrencesMissedWhileDownOnlyTheLatestWithinTheWindowIsSent() throws {
        // Down from 11:00 (the last occurrence in the log) to 12:35, catch-up 30 minutes:
        // 12:10, 12:20 and 12:30 are in the window (only 12:30 is sent), 11:10 … 12:00 are older.
        let records = Self.records(.sent, occurrence: "2026-11-29T11:00:00Z")
        let plan = Self.plan(try Self.schedule("*/10 * * * *"), records: records, now: "2026-11-29T12:35:00Z", catchUp: 1800)
        let latest = Self.at("2026-11-29T12:30:00Z"), next = Self.at("2026-11-29T12:40:00Z")
        #expect(plan.queue == [.init(due: Self.at("2026-11-29T12:35:00Z"), occurrence: latest), .init(due: next, occurrence: next)])
        #expect(
            plan.notes == [
                .catchingUpOccurrence(latest),
                .skippedOccurrence(Self.at("2026-11-29T12:10:00Z")),
                .skippedOccurrence(Self.at("2026-11-29T12:20:00Z")),
                .skippedOlderOccurrences(count: 6, first: Self.at("2026-11-29T11:10:00Z")),
            ])
    }

    @Test func cronOccurrenceOlderThanCatchUpSecondsIsReportedNotSent() throws {
        let records = Self.records(.sent, occurrence: "2026-11-28T09:00:00Z")
        let plan = Self.plan(try Self.schedule("0 9 * * *"), records: records, now: "2026-11-29T11:00:00Z", catchUp: 3600)
        let next = Self.at("2026-11-30T09:00:00Z")
        #expect(plan.queue == [.init(due: next, occurrence: next)])
        #expect(plan.notes == [.skippedOlderOccurrences(count: 1, first: Self.at("2026-11-29T09:00:00Z"))])
    }

    @Test func cronCompleteOccurrencesWithinTheWindowAreNotReportedAsSkipped() throws {
        // The window (11:55, 12:25] holds 12:00, 12:10 and 12:20; the first two went out.
        let records = Self.records(.sent, occurrence: "2026-11-29T12:00:00Z") + Self.records(.failed, occurrence: "2026-11-29T12:10:00Z")
        let plan = Self.plan(try Self.schedule("*/10 * * * *"), records: records, now: "2026-11-29T12:25:00Z", catchUp: 1800)
        #expect(plan.notes == [.catchingUpOccurrence(Self.at("2026-11-29T12:20:00Z"))])
    }

    @Test func cronRecordsOfAnotherCampaignDoNotCount() throws {
        let records = Self.records(.sent, occurrence: "2026-11-29T09:00:00Z", campaign: "other")
        let plan = Self.plan(try Self.schedule("0 9 * * *"), records: records, now: "2026-11-29T09:30:00Z", catchUp: 3600)
        #expect(plan.notes == [.catchingUpOccurrence(Self.at("2026-11-29T09:00:00Z"))])
    }

    // MARK: What the daemon reads

    @Test func thePlanReadsOnlyTheOccurrencesItLooksAt() throws {
        #expect(
            FiringPlan.occurrencesToRead(
                schedule: try Self.schedule("2026-12-01T09:00:00Z"), now: Self.at("2026-11-29T09:00:00Z"),
                catchUpSeconds: 3600) == [nil])
        #expect(
            FiringPlan.occurrencesToRead(
                schedule: try Self.schedule("*/10 * * * *"), now: Self.at("2026-11-29T12:35:00Z"),
                catchUpSeconds: 1800) == ["2026-11-29T12:10:00Z", "2026-11-29T12:20:00Z", "2026-11-29T12:30:00Z"])
    }

    @Test func aHistoryOfTheWindowAndTheLatestOccurrencePlansAsTheWholeLogDoes() throws {
        // As the daemon reads: the window's records only, and the latest occurrence from the index.
        let records =
            Self.records(.sent, occurrence: "2026-11-29T11:00:00Z") + Self.records(.sent, occurrence: "2026-11-29T12:20:00Z")
            + Self.records(.deferred, occurrence: "2026-11-29T12:30:00Z")
        let schedule = try Self.schedule("*/10 * * * *")
        let wanted = FiringPlan.occurrencesToRead(schedule: schedule, now: Self.at("2026-11-29T12:35:00Z"), catchUpSeconds: 1800)
        var history = FiringHistory(campaign: Self.campaign)
        for record in records where wanted.contains(record.occurrence) { history.apply(record) }
        history.note(occurrence: records.compactMap(\.occurrence).max())
        let partial = FiringPlan(
            schedule: schedule, recipients: Self.recipients, history: history, now: Self.at("2026-11-29T12:35:00Z"),
            catchUpSeconds: 1800)
        #expect(partial == Self.plan(schedule, records: records, now: "2026-11-29T12:35:00Z", catchUp: 1800))
        #expect(partial.notes.first == .catchingUpOccurrence(Self.at("2026-11-29T12:30:00Z")))
    }

    // MARK: After a firing

    @Test func theFiringAfterAnOccurrenceIsTheNextOne() throws {
        let schedule = try Self.schedule("0 9 * * *")
        let next = Self.at("2026-11-30T09:00:00Z")
        #expect(
            FiringPlan.firing(after: Self.at("2026-11-29T09:00:00Z"), schedule: schedule, now: Self.at("2026-11-29T09:00:05Z"))
                == .init(due: next, occurrence: next))
    }

    @Test func aFiringThatRanLongSkipsTheOccurrencesItOverlapped() throws {
        let schedule = try Self.schedule("*/10 * * * *")
        let next = Self.at("2026-11-29T12:40:00Z")
        #expect(
            FiringPlan.firing(after: Self.at("2026-11-29T12:00:00Z"), schedule: schedule, now: Self.at("2026-11-29T12:35:00Z"))
                == .init(due: next, occurrence: next))
    }

    @Test func aOneShotHasNoFollowingFiring() throws {
        let instant = Self.at("2026-11-29T09:00:00Z")
        #expect(FiringPlan.firing(after: instant, schedule: .once(instant), now: instant) == nil)
    }
}
