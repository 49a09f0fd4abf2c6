import Foundation
import HeraldCore
import HeraldStorage

/// The file-journal-only seam: what only a delivery log kept as a file has — its hash chain's
/// checks, which the commands run when their journal is one (`send`, `validate`, `resolve`,
/// `status`, `verify-log`, each daemon firing), and whether the file exists yet.
///
/// Why apart from `DeliveryJournal`: the chain, its checkpoint beside the log (`LOG.chain`)
/// and "an emptied log that recorded letters" defend a log that anyone with the folder can
/// edit, cut or replace; a journal in a database (issue 20) is guarded by the database
/// (transactions, permissions) and has no such file to check, and a journal in memory has
/// nothing to tamper with. A journal that is not a `LogFileJournal` is taken as intact.
protocol LogFileJournal: DeliveryJournal {
    /// No file at the log's path yet: taking its lock would create it (an empty log a later
    /// `send --log` could take for a log of no letters), so `resolve` asks first.
    var isMissing: Bool { get }
    /// The whole log's chain verdict, streamed; nil when there is no log.
    func chainVerdict() throws(JournalError) -> LogChain.Verdict?
    /// The records since the last check (see `FileJournal.checkChain`); nil without a log.
    func checkChain(sinceLastCheck lease: (any JournalLease)?, acceptingBreaks: Bool) throws(JournalError) -> ChainCheck?
    /// After a run that held the lease: moves the checkpoint over exactly this journal's own
    /// appends, so the next run does not check them again; when that fails, the next run checks more, never less.
    func keepChainCheckpoint(holding lease: any JournalLease)
    /// Locks the log alone, for `verify-log --accept-broken-chain` (a log known by path, no campaign).
    func lockLogAlone() throws(JournalError) -> FileJournal.Lease
}

extension FileJournal: LogFileJournal {
    var isMissing: Bool { !FileManager.default.fileExists(atPath: path) }

    func chainVerdict() throws(JournalError) -> LogChain.Verdict? {
        do throws(Failure) { return try verifyChain() } catch { throw .unavailable("\(error)") }
    }

    func checkChain(sinceLastCheck lease: (any JournalLease)?, acceptingBreaks: Bool) throws(JournalError) -> ChainCheck? {
        do throws(Failure) { return try checkChain(holding: (lease as? Lease)?.logLock, acceptingBreaks: acceptingBreaks) } catch {
            throw .unavailable("\(error)")
        }
    }

    func keepChainCheckpoint(holding lease: any JournalLease) {
        guard let own = ownAppends, let lock = (lease as? Lease)?.logLock else { return }
        // Ignorable by design: a checkpoint not moved only makes the next run check from the
        // start (the contract above); the next run reports what it finds.
        _ = try? checkChain(holding: lock, acceptingBreaks: false, ownAppends: own, endOfRun: true)
    }
}
