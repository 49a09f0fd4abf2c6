import Foundation
import HeraldCore

extension FileJournal {
    /// The file journal's lease: the campaign's own locks (`CampaignFileLock`, whatever the
    /// log) and the log's (`CampaignLock`), flocks the kernel drops when this object goes or
    /// the process dies.
    public final class Lease: JournalLease {
        /// The campaign's own lock; nil for a lease on the log alone (`lockLogAlone`).
        public let campaignLock: CampaignFileLock?
        /// The log's lock: what lets a read keep the index and a chain check move its checkpoint.
        public let logLock: CampaignLock

        init(campaignLock: CampaignFileLock?, logLock: CampaignLock) {
            self.campaignLock = campaignLock
            self.logLock = logLock
        }
    }

    public var location: String { path }

    /// Takes the campaign's locks (the campaign's own unless `campaignFile` is nil, then its
    /// log's), without waiting.
    public func lock(campaign: String, campaignFile: String?, environment: [String: String]) throws(JournalError) -> any JournalLease {
        var campaignLock: CampaignFileLock?
        if let campaignFile {
            do { campaignLock = try CampaignFileLock(campaignFile: campaignFile, campaign: campaign, environment: environment) } catch let busy
                as CampaignFileLock.Busy
            {
                throw .busy("\(busy)")
            } catch {
                throw .unavailable("\(error)")
            }
        }
        do { return Lease(campaignLock: campaignLock, logLock: try CampaignLock(logPath: path, campaign: campaign)) } catch let busy as CampaignLock.Busy {
            throw .busy("\(busy)")
        } catch {
            throw .unavailable("\(error)")
        }
    }

    /// Locks the log alone (no campaign): what `verify-log --accept-broken-chain` holds while it
    /// writes beside a log it knows by path only.
    /// - Throws: `.busy` naming the holder's pid, `.unavailable` when the log cannot be opened.
    public func lockLogAlone() throws(JournalError) -> Lease {
        do { return Lease(campaignLock: nil, logLock: try CampaignLock(logPath: path, campaign: "")) } catch let busy as CampaignLock.Busy {
            throw .busy("\(path): is being written by pid \(busy.pid)")
        } catch {
            throw .unavailable("\(error)")
        }
    }

    /// `read` through the seam: the lease's log lock keeps the index (see `read`).
    public func readHistory<State>(
        campaign: String, campaignFile: String, occurrences: Set<String?>, holding lease: (any JournalLease)?,
        into initial: State, _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(JournalError) -> (State, JournalRead) {
        do throws(Failure) {
            let (state, read) = try read(
                campaign: campaign, campaignFile: campaignFile, occurrences: occurrences,
                holding: (lease as? Lease)?.logLock, into: initial, fold)
            return (
                state,
                JournalRead(
                    warning: read.warning, latestOccurrence: read.latestOccurrence, bytesRead: read.bytesRead,
                    scanReason: read.scanReason)
            )
        } catch {
            throw Self.journalError(error)
        }
    }

    /// Every occurrence the log names, and nil; a full read of the log.
    public func occurrences(campaign: String, campaignFile: String) throws(JournalError) -> Set<String?> {
        do throws(Failure) { return Set(try load().records.map(\.occurrence)).union([nil]) } catch {
            throw Self.journalError(error)
        }
    }

    /// A file journal's failure as the seam's: unreadable is `.unavailable` (74), anything
    /// else `.damaged` (65).
    static func journalError(_ failure: Failure) -> JournalError {
        if case .io = failure { return .unavailable("\(failure)") }
        return .damaged("\(failure)")
    }
}
