import Foundation
import HeraldCore
import HeraldStorage

extension Application {
    /// `herald verify-log LOG`: checks the delivery log's hash chain (`LogChain`).
    ///
    /// Exit 0 when every chained record chains (records at the start written before Herald
    /// chained its log are reported as not chained, not as broken), 65 at the first record
    /// that breaks the chain (its line and what is wrong), 66 when there is no log, 74 when it
    /// cannot be read. Prints the last record's hash: the value to keep elsewhere as an anchor.
    ///
    /// With `acceptBrokenChain` it records an operator's acceptance of the breaks instead (see
    /// `acceptBrokenChain(_:)`): exit 0 once recorded.
    public func verifyLog(_ path: String, acceptBrokenChain: Bool = false) -> ExitStatus {
        run { () throws(CommandFailure) -> ExitStatus in
            try refuseSpecialLog(path)
            if acceptBrokenChain { return try self.acceptBrokenChain(path) }
            let verdict = try chainVerdict(logFile(path))
            guard let verdict else { throw CommandFailure(.noInput, "\(path): no such delivery log") }
            if let torn = verdict.tornLine {
                parts.errors("warning: \(path):\(torn): ignoring an incomplete last line (a crash while writing?); it will be cut off on the next write")
            }
            if let broken = verdict.broken {
                throw CommandFailure(
                    .dataError,
                    [
                        "\(path):\(broken.line): chain broken: \(broken.reason)",
                        "\(path): the \(verdict.records) records before line \(broken.line) chain; from line \(broken.line) on the log is not what Herald wrote",
                    ])
            }
            for line in Self.chainLines(verdict, log: path) { parts.output(line) }
            return .ok
        }
    }

    /// `herald verify-log LOG --accept-broken-chain`: an operator's word that a broken log
    /// still records every letter sent, so `send` and the daemon's firings go on from here
    /// (with a warning) instead of refusing it; for a recurring campaign, whose firings
    /// `send --accept-broken-chain` does not make. The acceptance is recorded beside the log
    /// (`LOG.chain`), never in it: `verify-log` without the flag still reports the break.
    ///
    /// Holds the log's lock while it writes (75 while a sender has the log); 66 without a log.
    private func acceptBrokenChain(_ path: String) throws(CommandFailure) -> ExitStatus {
        // A missing log whose LOG.chain records one may be accepted too: the checkpoint starts again.
        guard FileManager.default.fileExists(atPath: path) || FileJournal.lostRecords(ofEmptyLog: path) != nil else {
            throw CommandFailure(.noInput, "\(path): no such delivery log")
        }
        let journal = try logFile(path)
        let lease: FileJournal.Lease
        do throws(JournalError) { lease = try journal.lockLogAlone() } catch {
            if case .busy(let holder) = error { throw CommandFailure(.tempFail, "\(holder); run this again once it has finished") }
            throw CommandFailure(error)
        }
        defer { withExtendedLifetime(lease) {} }
        let check: ChainCheck?
        do throws(JournalError) { check = try journal.checkChain(sinceLastCheck: lease, acceptingBreaks: true) } catch {
            throw CommandFailure(.ioError, "\(error)")
        }
        let lost = FileJournal.lostRecords(ofEmptyLog: path) ?? check?.lost
        guard let check, !check.breaks.isEmpty || check.acceptedEarlier != nil || lost != nil else {
            parts.output("\(path): chain intact: nothing to accept")
            return .ok
        }
        if let line = check.acceptedEarlier { parts.output("\(path):\(line): a break accepted earlier") }
        for broken in check.breaks { parts.output("\(path):\(broken.line): chain broken: \(broken.reason)") }
        if let lost {
            parts.output("\(lost.description.components(separatedBy: "; restore it")[0])")
            // The index (a cache) may describe the longer log: the next read rebuilds it.
            unlink(FileJournal.besideLog(path, suffix: ".index"))
        }
        parts.output(
            "\(path): accepted: herald send and the daemon go on from here with a warning (recorded in \(FileJournal.besideLog(path, suffix: ".chain"))); herald verify-log without the flag still reports the break"
        )
        return .ok
    }

    /// The chain's verdict for a log, nil when there is none; 74 when it cannot be read.
    func chainVerdict(_ log: any LogFileJournal) throws(CommandFailure) -> LogChain.Verdict? {
        do throws(JournalError) { return try log.chainVerdict() } catch {
            throw CommandFailure(.ioError, "\(error)")
        }
    }

    /// The journal of a log named by path (`verify-log`), which must be a file with a chain:
    /// 74 naming it otherwise (a parts' journal that keeps no chain has nothing to verify).
    func logFile(_ path: String) throws(CommandFailure) -> any LogFileJournal {
        guard let chained = parts.openJournal(path) as? any LogFileJournal else {
            throw CommandFailure(.ioError, "\(path): this journal is not a log file with a hash chain; nothing to verify")
        }
        return chained
    }

    /// What an intact (or unchained) log's verdict says, in words.
    static func chainLines(_ verdict: LogChain.Verdict, log path: String) -> [String] {
        let chained = verdict.records - verdict.unchained
        if verdict.records == 0 { return ["\(path): empty: nothing to verify"] }
        if chained == 0 {
            return ["\(path): not chained: its \(verdict.records) records were written before Herald chained its log (no prev); nothing to verify"]
        }
        var lines = ["\(path): chain intact: \(chained) chained record\(chained == 1 ? "" : "s"), last record's SHA-256 \(verdict.head ?? "")"]
        if let from = verdict.chainedFrom {
            lines.append(
                "\(path): not chained before line \(from): \(verdict.unchained) older record\(verdict.unchained == 1 ? "" : "s") carry no prev and cannot be checked"
            )
        }
        return lines
    }
}

extension Application {
    /// Verifies the chain of a campaign's log before it is trusted (`send`, each daemon
    /// firing, `validate`): only the records since the last check are read (`FileJournal.checkChain`).
    ///
    /// A broken chain means the log may no longer record every letter sent (records removed
    /// from the middle), so sending by it could send a letter twice: refused with 65 naming the
    /// line, unless the operator accepts it (`--accept-broken-chain`), which is then recorded
    /// beside the log (`LOG.chain`) so later runs go on with a warning.
    /// A journal that keeps no chain (`LogFileJournal`: not a file) is taken as intact.
    /// - Parameter lease: the campaign's lease when held (the check's progress is then kept).
    func checkChain(of journal: any DeliveryJournal, campaign: String, holding lease: (any JournalLease)?, accepting: Bool) throws(CommandFailure) {
        let log = journal.location
        try refuseSpecialLog(log)
        guard let chained = journal as? any LogFileJournal else { return }
        let check: ChainCheck?
        do throws(JournalError) { check = try chained.checkChain(sinceLastCheck: lease, acceptingBreaks: accepting) } catch {
            throw CommandFailure(.ioError, "\(error)")
        }
        guard let check else { return }
        if let lost = check.lost {
            guard accepting else {
                throw CommandFailure(.dataError, ["\(lost)", "\(campaign): nothing was sent: letters the log no longer records would go again"])
            }
            parts.errors(
                "warning: \(lost.description.components(separatedBy: "; restore it")[0]); going on because of --accept-broken-chain (the check starts again from the log as it is)"
            )
        }
        if let line = check.acceptedEarlier {
            parts.errors(
                "warning: \(log):\(line): the log's hash chain is broken there; an operator accepted it (--accept-broken-chain), so only the records after it are checked; herald verify-log still reports it"
            )
        }
        guard let first = check.breaks.first else { return }
        if accepting {
            for broken in check.breaks {
                parts.errors("warning: \(log):\(broken.line): chain broken: \(broken.reason)")
            }
            parts.errors(
                "warning: \(log): going on with a broken chain because of --accept-broken-chain; recorded in \(FileJournal.besideLog(log, suffix: ".chain")), so later runs go on from here (herald verify-log still reports the break)"
            )
            return
        }
        throw CommandFailure(
            .dataError,
            [
                "\(log):\(first.line): chain broken: \(first.reason)",
                "\(campaign): the delivery log is not what Herald wrote from line \(first.line) on (records removed, edited or reordered), so it may not record every letter sent; nothing was sent. Restore the log from a copy (herald verify-log \(log) checks it), or, once you have checked that it records every letter sent, rerun with --accept-broken-chain",
            ])
    }

    /// After a run that held the lock: moves the checkpoint over the records the run wrote, so
    /// the next run finds the log as this one left it (its length and status-change time).
    /// Only growth that is exactly the run's own appends (`FileJournal.OwnAppends`) is taken
    /// over, its records read back once; an edit made while the run went on (a blank line, a
    /// record changed) leaves the checkpoint where it was, so the next run checks the whole log.
    /// Nothing is reported: when this fails, the next run checks more, never less. A journal
    /// that keeps no chain has nothing to move.
    func keepChainCheckpoint(holding lease: any JournalLease, journal: any DeliveryJournal) {
        (journal as? any LogFileJournal)?.keepChainCheckpoint(holding: lease)
    }
}
