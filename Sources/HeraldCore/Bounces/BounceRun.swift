/// One pass over a bounce mailbox: read every message, record the bounces of this campaign,
/// make the records durable, then move what was recorded; leave everything else as it was.
///
/// The order is the guarantee: a message is moved only after its record (or an earlier run's)
/// is synced to the log, so a crash at any point loses no bounce, and a crash between the
/// sync and the move only means the next run finds the message again, sees its record
/// (`BounceAttribution` knows it by UIDVALIDITY+UID and by its own Message-ID) and moves it
/// without writing a second record.
public struct BounceRun {
    /// What the pass did with one message.
    public struct Outcome: Sendable, Equatable {
        public enum Action: Sendable, Equatable {
            /// New records were written, one per envelope address the report names (and the message moved).
            case recorded([DeliveryRecord], clue: BounceAttribution.Clue)
            /// Its record was already in the log; the message was moved.
            case alreadyRecorded(recipient: String)
            /// Left in the folder, with why.
            case left(reason: String)
        }

        public var position: MailboxPosition
        public var subject: String?
        public var from: String?
        public var action: Action
    }

    public struct Report: Sendable, Equatable {
        public var outcomes: [Outcome] = []
        /// How many messages were moved to the processed folder.
        public var moved = 0
        /// A stop was requested before every message was read: `outcomes` covers the ones before it.
        public var stopped = false
        public var recorded: [Outcome] { outcomes.filter { if case .recorded = $0.action { true } else { false } } }
        public var left: [Outcome] { outcomes.filter { if case .left = $0.action { true } else { false } } }
    }

    /// A failure of the pass: the mailbox's, or the log's (the records written before it are
    /// durable or in doubt as the journal's contract says; nothing was moved after it).
    public enum Failure: Error, Sendable {
        case mailbox(BounceMailboxError)
        case log(String)
    }

    public let settings: BounceSettings
    public var attribution: BounceAttribution

    public init(settings: BounceSettings, attribution: BounceAttribution) {
        self.settings = settings
        self.attribution = attribution
    }

    /// Runs the pass. `now` gives the records' time (RFC 3339); `shouldStop` is asked before
    /// each message is fetched, and a stop ends the reading there: what was recorded so far is
    /// still synced and moved, in the usual order, and the rest is left for the next pass.
    /// `afterSync` gets the new records once they are durable, before anything is moved (the
    /// suppression list is written there; a throw is a `.log` failure and nothing is moved).
    ///
    /// The log is reached through `journal`'s blocking append and sync (`BounceRun.Log`):
    /// a pass is a short job, not the send pipeline.
    public mutating func run(
        mailbox: BounceMailbox, journal: some BounceRun.Log, now: () -> String,
        shouldStop: () -> Bool = { false },
        afterSync: ([DeliveryRecord]) throws -> Void = { _ in }
    ) throws(Failure) -> Report {
        var report = Report()
        let listing: MailboxListing
        do { listing = try mailbox.list() } catch { throw .mailbox(error) }
        var toMove: [Int] = []
        for (uid, seen) in listing.messages {
            if shouldStop() {
                report.stopped = true
                break
            }
            let position = MailboxPosition(uidValidity: listing.uidValidity, uid: uid)
            let bytes: [UInt8]
            do { bytes = try mailbox.fetch(position) } catch { throw .mailbox(error) }
            let bounce = BounceMessage(bytes: bytes)
            let action: Outcome.Action
            switch attribution.decide(bounce, at: position, verp: settings.verp, time: now()) {
            case .record(let records, let clue):
                for record in records {
                    do { try journal.record(record) } catch { throw .log("\(error)") }
                    attribution.apply(record)
                }
                toMove.append(uid)
                action = .recorded(records, clue: clue)
            case .alreadyRecorded(let recipient):
                toMove.append(uid)
                action = .alreadyRecorded(recipient: recipient)
            case .leave(let reason):
                if !seen {
                    do { try mailbox.markUnseen(position) } catch { throw .mailbox(error) }
                }
                action = .left(reason: reason)
            }
            report.outcomes.append(Outcome(position: position, subject: bounce.subject, from: bounce.from, action: action))
        }
        guard !toMove.isEmpty else { return report }
        do { try journal.sync() } catch { throw .log("\(error)") }
        let written: [DeliveryRecord] = report.outcomes.flatMap { outcome -> [DeliveryRecord] in
            if case .recorded(let records, _) = outcome.action { records } else { [] }
        }
        do { try afterSync(written) } catch { throw .log("\(error)") }
        do { try mailbox.move(toMove, uidValidity: listing.uidValidity, to: settings.processedFolder) } catch { throw .mailbox(error) }
        report.moved = toMove.count
        return report
    }
}

extension BounceRun {
    /// What a bounce pass needs of the delivery log: a blocking append and sync (the file
    /// journal's own methods), with the contract of `DeliveryJournal.record` and `sync`.
    public protocol Log: AnyObject {
        func record(_ record: DeliveryRecord) throws
        func sync() throws
    }
}
