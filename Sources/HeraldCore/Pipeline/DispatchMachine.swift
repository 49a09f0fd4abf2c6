import Foundation

/// Every decision of a send run, as a value: events in, actions out; no locks, no I/O, no clock.
///
/// Why: the pipeline's rules (claim before hand-over, how far ahead to claim, retries with a
/// new durable intent, what ends a run, what a stop leaves behind) are what make a send
/// exactly-once; here they can be driven event by event in a test, with a made-up `now`,
/// no threads and no sleeping. `DispatchRunner` performs the actions (reads the lists,
/// composes, writes the journal, hands letters to connections, sleeps on the clock) and feeds
/// back what happened. Contract for the runner: an `Action.immediate` is always the last
/// action of a step and must be answered (`read`/`claim`/`write`/`sync` results) before any
/// other event is given; every other action is started and its result comes back later as an
/// event. Records are built here, stamped with the `now` of the event that caused them.
struct DispatchMachine {
    typealias Report = CampaignDispatcher.Report
    typealias InDoubt = CampaignDispatcher.InDoubt

    /// A letter whose intent is durable (or about to be), with what this run did with it so far.
    struct Letter: Sendable, Equatable {
        var recipient: Recipient
        var message: ComposedMessage
        /// The attempt number of its latest intent (the log's count, across runs).
        var attempt: Int
        /// Hand-overs of this letter in this run (the retry policy's count).
        var tries = 0
    }

    /// What does not change during a run.
    struct Configuration {
        var campaign: String
        var fingerprint: String
        var occurrence: String?
        var batch: ClaimBatch
        var retry: RetryPolicy
        var limits: SendLimits
        var ledger: DeliveryLedger
        var resendInDoubt = false
        /// Lowercased addresses whose letters are skipped (the suppression list).
        var suppressed: Set<String> = []
    }

    /// Who a composition is for.
    enum Purpose: Sendable, Equatable {
        /// The next batch of letters to claim.
        case batch(Int)
        /// The retry of the letter a connection holds (a new `Date`, the same Message-ID).
        case retry(connection: Int)
    }

    /// Something that happened.
    enum Event {
        /// The run begins.
        case start
        /// Rows read in list order after a `read`; `ended` when the lists have no more.
        case recipientsRead([Recipient], ended: Bool)
        /// A list changed at a row: `before` are the rows read ahead of it; nothing from it on.
        case listChanged(String, before: [Recipient])
        /// Letters composed for `purpose`, by their index in the `compose` action.
        case composed(Purpose, [(index: Int, result: Result<ComposedMessage, ValidationFailure>)])
        /// The `claim` or `write` or `sync` just asked for is done.
        case written
        /// The `claim` or `write` or `sync` just asked for failed: the log cannot be trusted further.
        case writeFailed(any Error)
        /// A connection's server answered (or did not) the letter it held; `random` in [0, 1) for the backoff's jitter.
        case outcome(connection: Int, DeliveryOutcome, proof: HandOverProof?, random: Double)
        /// A connection found its letter is not the approved one and did not hand it over.
        case notApproved(connection: Int, ApprovedLetters.Mismatch)
        /// A `sleep` ended (maybe another's: the machine looks at every deadline).
        case timerFired
        /// A stop was requested (a signal, the daemon's shutdown): finish the letters held, send no more.
        case stopRequested
        /// A connection saw the stop just before handing its letter over, and did not: the
        /// letter gets a `deferred` record (`notHandedOver`), as one still queued does.
        case stoppedBeforeHandOver(connection: Int)
    }

    /// Work done at once by the run's one writer, whose result is the next event.
    enum Immediate: Equatable {
        /// Read up to this many more rows: answer `recipientsRead` or `listChanged`.
        case read(Int)
        /// Append these intents and make the log durable: answer `written` or `writeFailed`.
        case claim([DeliveryRecord])
        /// Append this record: answer `written` or `writeFailed`.
        case write(DeliveryRecord)
        /// Make the log durable: answer `written` or `writeFailed`.
        case sync
    }

    /// Something for the runner to do.
    enum Action {
        case immediate(Immediate)
        /// Compose these letters (off the writer, in parallel); answer `composed`.
        case compose(Purpose, [Recipient])
        /// Hand this letter to connection `connection`; answer `outcome` or `notApproved`.
        case handOver(Letter, connection: Int)
        /// Answer `timerFired` once `deadline` has come, as the clock tells it (a backoff's end, a rate slot).
        case sleep(until: Date)
        /// The run is over.
        case finish(Report)
        /// The run is over and the log could not be written (or a letter no longer composes).
        case fail(CampaignDispatcher.JournalFailure)
    }

    /// What one connection is doing.
    enum Connection: Equatable {
        case idle
        /// Holds a letter and waits for the rate pacer (held by another connection).
        case awaitingPacer(Letter, retry: Bool)
        /// Holds the rate pacer and waits for its slot.
        case pacing(Letter, until: Date, retry: Bool)
        /// The letter is with the server.
        case busy(Letter)
        /// The letter was deferred; it is retried at `until`.
        case backoff(Letter, until: Date)
        /// The retry's letter is being composed again, then claimed.
        case recomposing(Letter)
    }

    /// What the writer is about to do, and what comes of its answer.
    private enum Pending {
        case read
        case claimBatch([Letter])
        case reclaim(connection: Int, Letter)
        case outcome(connection: Int, Letter, DeliveryOutcome, random: Double)
        /// A `deferred` record for a letter not handed over (stop, not approved).
        case release
        /// The `deferred` record of the first queued letter, at the end of a stopped run.
        case releaseQueued
        case sync
    }

    /// The error of the `deferred` record of a letter claimed but never handed over.
    static let notHandedOver = "not handed to the server: the run stopped before this letter's turn"

    let configuration: Configuration
    private(set) var report = Report()
    private(set) var connections: [Connection]
    /// Claimed letters waiting for a connection, in order. A slot is emptied when a connection
    /// takes its letter, so a letter handed over (with its attachments) is not held here until
    /// the queue is next compacted: memory stays at the letters in flight plus one batch.
    private(set) var queue: [Letter?] = []
    private var queueHead = 0
    /// Rows read and not skipped, waiting to be composed and claimed.
    private(set) var pendingRecipients: [Recipient] = []
    private var listEnded = false
    private var listChange: String?
    private var reading = false
    /// The batch being composed: its number, recipients, and results so far.
    private var composing: (id: Int, recipients: [Recipient], results: [Result<ComposedMessage, ValidationFailure>?], done: Int)?
    private var nextBatch = 0
    /// What the writer is doing for the machine; no other event comes until it answers.
    private var pending: Pending?
    /// The immediate action `pending` stands for, not yet given to the runner.
    private var due: Immediate?
    private var pacer: RatePacer?
    /// The connection holding the rate pacer, from its wait to its hand-over.
    private var pacerHolder: Int?
    /// Where the next search for a connection waiting for the pacer starts: the one after the
    /// last served, so every connection gets its turn (always starting at the first let two
    /// connections take every slot while the letters claimed for the others waited, claimed
    /// and unanswered, to the end of the campaign).
    private var pacerNext = 0
    /// Letters accepted or refused so far, and when the first was handed over: the rate that sizes claims.
    private var answered = 0
    private var firstHandOver: Date?
    /// The first journal (or composition) error: the run ends, and it is thrown.
    private(set) var failure: (any Error)?
    private var failureInDoubt: [InDoubt] = []
    /// Letters claimed but not handed over whose release could not be logged.
    private var failureUnsent: [InDoubt] = []
    private var synced = false
    private(set) var finished = false

    init(_ configuration: Configuration, connections: Int) {
        self.configuration = configuration
        self.connections = Array(repeating: .idle, count: max(1, connections))
        self.pacer = RatePacer(configuration.limits)
    }

    /// Letters claimed and waiting for a connection.
    var queued: [Letter] { queue[queueHead...].compactMap { $0 } }

    // MARK: Events

    /// Takes one event at `now` and returns what to do next (an `.immediate` only last).
    mutating func handle(_ event: Event, now: Date) -> [Action] {
        precondition(!finished, "an event after the run finished")
        switch event {
        case .start:
            break
        case .recipientsRead(let rows, let ended):
            guard case .read? = pending else { preconditionFailure("rows read that were not asked for") }
            pending = nil
            reading = false
            take(rows)
            if ended { listEnded = true }
        case .listChanged(let problem, let rows):
            guard case .read? = pending else { preconditionFailure("rows read that were not asked for") }
            pending = nil
            reading = false
            take(rows)
            listEnded = true
            listChange = problem
            // The rows read before the changed one are claimed first; without any, the run ends now.
            afterBatchClaimed()
        case .composed(let purpose, let results):
            composed(purpose, results, now: now)
        case .written:
            return written(now: now)
        case .writeFailed(let error):
            writeFailed(error)
        case .outcome(let connection, let outcome, let proof, let random):
            guard case .busy(let letter) = connections[connection] else { preconditionFailure("an outcome for a connection holding no letter") }
            return answer(outcome, of: letter, on: connection, proof: proof, random: random, now: now)
        case .notApproved(let connection, let mismatch):
            guard case .busy(let letter) = connections[connection] else { preconditionFailure("a refusal for a connection holding no letter") }
            connections[connection] = .idle
            end(.notApproved(mismatch.description))
            report.deferred += 1
            if failure != nil {
                failureUnsent.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID))
            } else {
                ask(.release, .write(record(.deferred, letter, now: now, error: Self.notApproved(mismatch))))
            }
        case .timerFired:
            break
        case .stopRequested:
            if report.stop == nil && failure == nil { report.stop = .interrupted }
        case .stoppedBeforeHandOver(let connection):
            guard case .busy(let letter) = connections[connection] else {
                preconditionFailure("a letter given back by a connection holding none")
            }
            connections[connection] = .idle
            if report.stop == nil && failure == nil { report.stop = .interrupted }
            // A retry's letter had its new intent claimed: like a retry cut short, it counts as deferred.
            if letter.tries > 1 { report.deferred += 1 }
            if failure != nil {
                failureUnsent.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID))
            } else {
                ask(.release, .write(record(.deferred, letter, now: now, error: Self.notHandedOver)))
            }
        }
        return advance(now: now)
    }

    /// Rows read: skips those done, in doubt (unless resent) or suppressed; keeps the rest.
    private mutating func take(_ rows: [Recipient]) {
        for recipient in rows {
            let entry = configuration.ledger[recipient.key]
            if let entry, entry.isDone {
                report.alreadyDone += 1
            } else if let entry, entry.isInDoubt, !configuration.resendInDoubt {
                report.inDoubt.append(InDoubt(recipient: recipient.key, messageID: entry.messageID))
            } else if !configuration.suppressed.isEmpty, configuration.suppressed.contains(recipient.address.normalized) {
                report.suppressed.append(recipient.key)
            } else {
                pendingRecipients.append(recipient)
            }
        }
    }

    /// Asks the writer for `immediate`; `pending` says what its answer leads to.
    private mutating func ask(_ what: Pending, _ immediate: Immediate) {
        pending = what
        due = immediate
    }

    private mutating func composed(_ purpose: Purpose, _ results: [(index: Int, result: Result<ComposedMessage, ValidationFailure>)], now: Date) {
        switch purpose {
        case .retry(let connection):
            guard case .recomposing(let letter) = connections[connection], let result = results.first?.result else {
                preconditionFailure("a retry composed for a connection not waiting for one")
            }
            switch result {
            case .failure(let error):
                fail(error)
                connections[connection] = .idle
                report.deferred += 1
                end(.interrupted)
            case .success(let message):
                if isEnding {
                    connections[connection] = .idle
                    report.deferred += 1
                    end(.interrupted)
                    return
                }
                let again = Letter(recipient: letter.recipient, message: message, attempt: letter.attempt + 1, tries: letter.tries)
                connections[connection] = .recomposing(again)
                ask(.reclaim(connection: connection, again), .claim([intent(again, now: now)]))
            }
        case .batch(let id):
            guard var batch = composing, batch.id == id else { return }
            for (index, result) in results where batch.results[index] == nil {
                batch.results[index] = result
                batch.done += 1
            }
            composing = batch
            guard batch.done == batch.recipients.count else { return }
            composing = nil
            var letters: [Letter] = []
            letters.reserveCapacity(batch.recipients.count)
            for (recipient, result) in zip(batch.recipients, batch.results) {
                switch result {
                case .success(let message)?:
                    let attempt = (configuration.ledger[recipient.key]?.attempts ?? 0) + 1
                    letters.append(Letter(recipient: recipient, message: message, attempt: attempt))
                case .failure(let error)?:
                    // A prepared campaign composes (it was checked); a failure here is a bug worth surfacing.
                    fail(error)
                    afterBatchClaimed()
                    return
                case nil:
                    return
                }
            }
            if isEnding {
                afterBatchClaimed()
                return
            }
            ask(.claimBatch(letters), .claim(letters.map { intent($0, now: now) }))
        }
    }

    /// The list changed: once the rows read before it are claimed (or could not be), the run ends.
    private mutating func afterBatchClaimed() {
        if listEnded, let listChange, pendingRecipients.isEmpty { end(.listChanged(listChange)) }
    }

    private mutating func written(now: Date) -> [Action] {
        guard let done = pending else { preconditionFailure("a write answered that was not asked for") }
        pending = nil
        switch done {
        case .read:
            preconditionFailure("a read answered as a write")
        case .claimBatch(let letters):
            queue.append(contentsOf: letters)
            afterBatchClaimed()
        case .reclaim(let connection, let letter):
            return handOver(letter, to: connection, now: now) + advance(now: now)
        case .outcome(let connection, let letter, let outcome, let random):
            return advance(now: now, logged: outcome, of: letter, on: connection, random: random)
        case .release:
            break
        case .releaseQueued:
            queue[queueHead] = nil
            queueHead += 1
        case .sync:
            synced = true
        }
        return advance(now: now)
    }

    private mutating func writeFailed(_ error: any Error) {
        guard let done = pending else { preconditionFailure("a write failure answered that was not asked for") }
        pending = nil
        switch done {
        case .read:
            preconditionFailure("a read answered as a write")
        case .claimBatch:
            fail(error)
            afterBatchClaimed()
        case .reclaim(let connection, _):
            fail(error)
            connections[connection] = .idle
            report.deferred += 1
            end(.interrupted)
        case .outcome(let connection, let letter, let outcome, _):
            fail(error)
            failureInDoubt.append(doubt(letter, outcome))
            connections[connection] = .idle
        case .release:
            fail(error)
        case .releaseQueued, .sync:
            // Nothing more is written; the letters still queued are named as not sent.
            fail(error)
        }
    }

    /// A server's answer: logged first (an in-doubt one writes nothing), then counted.
    private mutating func answer(
        _ outcome: DeliveryOutcome, of letter: Letter, on connection: Int, proof: HandOverProof?,
        random: Double, now: Date
    ) -> [Action] {
        guard var record = outcomeRecord(outcome, letter, now: now) else {
            return advance(now: now, logged: outcome, of: letter, on: connection, random: random)
        }
        // After a journal failure nothing more is written: the letter's intent stays the last word.
        if failure != nil {
            failureInDoubt.append(doubt(letter, outcome))
            connections[connection] = .idle
            return advance(now: now)
        }
        if case .accepted = outcome {
            // Proof of dispatch: what the transport attests about the bytes it handed over.
            record.messageSHA256 = proof?.messageSHA256
            record.tlsVersion = proof?.tlsVersion
            record.tlsCipher = proof?.tlsCipher
        }
        ask(.outcome(connection: connection, letter, outcome, random: random), .write(record))
        return advance(now: now)
    }

    /// Counts a logged outcome, and decides the retry or the end it calls for.
    private mutating func advance(
        now: Date, logged outcome: DeliveryOutcome, of letter: Letter, on connection: Int,
        random: Double
    ) -> [Action] {
        connections[connection] = .idle
        let policy = configuration.retry
        var actions: [Action] = []
        switch outcome {
        case .accepted(_, _, let refused):
            answered += 1
            report.sent += 1
            if !refused.isEmpty { report.partlyRefused.append((letter.recipient.key, refused)) }
        case .rejected, .refused:
            answered += 1
            report.failed += 1
        case .inDoubt(_, let error):
            report.inDoubt.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID, reason: error))
        case .authenticationFailed(_, let reply):
            report.deferred += 1
            end(.authenticationFailed(reply ?? "authentication failed"))
        case .tlsFailed(let error):
            report.deferred += 1
            end(.tlsFailed(error))
        case .senderRefused(_, let reply):
            report.deferred += 1
            end(.senderRefused(reply))
        case .deferred, .unavailable:
            if letter.tries < policy.maxAttempts {
                // The backoff, then the rate slot, then the new intent: the letter is claimed
                // again only when it is about to go.
                let until = now.addingTimeInterval(policy.delay(beforeRetry: letter.tries, random: random))
                connections[connection] = .backoff(letter, until: until)
                if until > now { actions.append(.sleep(until: until)) }
            } else {
                report.deferred += 1
                // The server stayed unreachable through every retry: later letters would fare no better.
                if case .unavailable(let error) = outcome { end(.unavailable(error)) }
            }
        }
        return actions + advance(now: now)
    }

    // MARK: Deciding what comes next

    var isEnding: Bool { report.stop != nil || failure != nil }

    /// Ends the run for `reason`, unless it is already ending for another.
    private mutating func end(_ reason: CampaignDispatcher.Stop) {
        if report.stop == nil { report.stop = reason }
    }

    private mutating func fail(_ error: any Error) {
        if failure == nil { failure = error }
    }

    /// Everything that can happen now, until the writer has something to do at once (given
    /// last) or nothing is left to do before the next event.
    private mutating func advance(now: Date) -> [Action] {
        var actions: [Action] = []
        while !finished {
            if let next = due {
                due = nil
                actions.append(.immediate(next))
                return actions
            }
            if pending != nil { return actions }
            let before = actions.count
            if isEnding {
                if let last = wind(now: now) { actions.append(last) }
            } else {
                actions += step(now: now)
            }
            if due == nil && actions.count == before { return actions }
        }
        return actions
    }

    /// One round of a run that is not ending: hand letters over, run the timers, produce.
    private mutating func step(now: Date) -> [Action] {
        var actions: [Action] = []
        // Timers that came, and the rate pacer.
        for index in connections.indices {
            switch connections[index] {
            case .backoff(let letter, let until) where until <= now:
                connections[index] = .awaitingPacer(letter, retry: true)
            case .pacing(let letter, let until, let retry) where until <= now:
                pacer?.handedOver(at: now)
                pacerHolder = nil
                actions += release(letter, on: index, retry: retry, now: now)
            default:
                break
            }
        }
        // Claimed letters to idle connections.
        for index in connections.indices where connections[index] == .idle && queueHead < queue.count {
            guard var letter = queue[queueHead] else { preconditionFailure("a queued slot emptied before its turn") }
            queue[queueHead] = nil
            queueHead += 1
            // Letters taken leave the queue soon (each holds its message's bytes): at once when
            // none wait, else once they are half the queue (a shift of at most a batch or two).
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            } else if queueHead >= 16 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            letter.tries = 0
            connections[index] = .awaitingPacer(letter, retry: false)
        }
        // The rate pacer, to one connection at a time.
        for offset in connections.indices where pacerHolder == nil {
            let index = (pacerNext + offset) % connections.count
            guard case .awaitingPacer(let letter, let retry) = connections[index] else { continue }
            pacerNext = (index + 1) % connections.count
            guard let pacer else {
                actions += release(letter, on: index, retry: retry, now: now)
                continue
            }
            let slot = pacer.nextSlot(now: now)
            if slot > now {
                pacerHolder = index
                connections[index] = .pacing(letter, until: slot, retry: retry)
                actions.append(.sleep(until: slot))
            } else {
                self.pacer?.handedOver(at: now)
                actions += release(letter, on: index, retry: retry, now: now)
            }
        }
        actions += produce(now: now)
        if pending == nil && !finished && composing == nil && !reading && listEnded && pendingRecipients.isEmpty
            && queueHead == queue.count && connections.allSatisfy({ $0 == .idle })
        {
            // Every letter answered: the log is made durable and the run ends.
            if let next = closing() { actions.append(next) }
        }
        return actions
    }

    /// A letter whose rate slot came: a first attempt goes to the server; a retry is composed
    /// again and claimed first.
    private mutating func release(_ letter: Letter, on connection: Int, retry: Bool, now: Date) -> [Action] {
        if retry {
            connections[connection] = .recomposing(letter)
            return [.compose(.retry(connection: connection), [letter.recipient])]
        }
        return handOver(letter, to: connection, now: now)
    }

    private mutating func handOver(_ letter: Letter, to connection: Int, now: Date) -> [Action] {
        var letter = letter
        letter.tries += 1
        if firstHandOver == nil { firstHandOver = now }
        connections[connection] = .busy(letter)
        return [.handOver(letter, connection: connection)]
    }

    /// Reads, composes and claims the next batch when the queue runs low.
    private mutating func produce(now: Date) -> [Action] {
        guard composing == nil, !reading, pending == nil else { return [] }
        if listEnded {
            guard !pendingRecipients.isEmpty else { return [] }
            return startBatch()
        }
        guard let size = room(now: now) else { return [] }
        if pendingRecipients.count >= size { return startBatch() }
        reading = true
        ask(.read, .read(size - pendingRecipients.count))
        return []
    }

    private mutating func startBatch() -> [Action] {
        let recipients = pendingRecipients
        pendingRecipients = []
        nextBatch += 1
        composing = (nextBatch, recipients, Array(repeating: nil, count: recipients.count), 0)
        return [.compose(.batch(nextBatch), recipients)]
    }

    /// How many letters may be claimed now; nil when none. Against a fast server, when the
    /// queue runs low (about half a batch left); otherwise when a connection is free, and as
    /// many letters as connections are free.
    private func room(now: Date) -> Int? {
        let batch = configuration.batch
        let size = batchSize(now: now)
        let waiting = queue.count - queueHead
        let inFlight = connections.count { $0 != .idle }
        if batch.claimsAhead(size: size) {
            return waiting < max(batch.connections, size / 2) ? size : nil
        }
        return waiting + inFlight < batch.connections ? batch.connections - waiting - inFlight : nil
    }

    /// The next batch's size, from the rate of outcomes so far.
    func batchSize(now: Date) -> Int {
        guard let firstHandOver else { return configuration.batch.connections }
        return configuration.batch.size(answered: answered, elapsed: now.timeIntervalSince(firstHandOver))
    }

    /// One step of a run that is ending: letters not handed over are let go, then the queue
    /// is released, the log made durable, and the run finished.
    private mutating func wind(now: Date) -> Action? {
        for index in connections.indices {
            switch connections[index] {
            case .awaitingPacer(let letter, retry: false), .pacing(let letter, _, retry: false):
                // Claimed but never handed over: a `deferred` record says so.
                if case .pacing = connections[index] { pacerHolder = nil }
                connections[index] = .idle
                if failure != nil {
                    failureUnsent.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID))
                    continue
                }
                ask(.release, .write(record(.deferred, letter, now: now, error: Self.notHandedOver)))
                return nil
            case .awaitingPacer(_, retry: true), .pacing(_, _, retry: true), .backoff:
                // A retry not yet claimed again: its last outcome is in the log already.
                if case .pacing = connections[index] { pacerHolder = nil }
                connections[index] = .idle
                report.deferred += 1
            case .idle, .busy, .recomposing:
                break
            }
        }
        // Each connection finishes the letter it holds; a batch being composed is dropped when it comes.
        guard connections.allSatisfy({ $0 == .idle }) else { return nil }
        if failure == nil, queueHead < queue.count {
            ask(.releaseQueued, .write(record(.deferred, queue[queueHead]!, now: now, error: Self.notHandedOver)))
            return nil
        }
        return closing()
    }

    /// The last steps: one sync of the log, then the report (or the failure).
    private mutating func closing() -> Action? {
        if failure == nil && !synced {
            ask(.sync, .sync)
            return nil
        }
        finished = true
        if let failure {
            let unsent = failureUnsent + queue[queueHead...].compactMap { $0.map { InDoubt(recipient: $0.recipient.key, messageID: $0.message.messageID) } }
            return .fail(CampaignDispatcher.JournalFailure(underlying: failure, inDoubt: failureInDoubt, unsent: unsent))
        }
        return .finish(report)
    }

    // MARK: Records

    private func doubt(_ letter: Letter, _ outcome: DeliveryOutcome) -> InDoubt {
        InDoubt(
            recipient: letter.recipient.key, messageID: letter.message.messageID,
            reason: "the server's answer (\(CampaignDispatcher.describe(outcome))) could not be logged")
    }

    /// The record an outcome is logged as; nil for one in doubt (the intent stays the last word).
    private func outcomeRecord(_ outcome: DeliveryOutcome, _ letter: Letter, now: Date) -> DeliveryRecord? {
        switch outcome {
        case .accepted(let code, let reply, let refused):
            return record(
                .sent, letter, now: now, code: code, reply: reply,
                error: reply == nil ? CampaignDispatcher.noReplyCaptured : nil, refused: refused)
        case .rejected(let code, let reply): return record(.failed, letter, now: now, code: code, reply: reply)
        case .deferred(let code, let reply, let error): return record(.deferred, letter, now: now, code: code, reply: reply, error: error)
        case .inDoubt: return nil
        case .unavailable(let error): return record(.deferred, letter, now: now, error: error)
        case .authenticationFailed(let code, let reply): return record(.deferred, letter, now: now, code: code, reply: reply, error: "authentication failed")
        case .tlsFailed(let error): return record(.deferred, letter, now: now, error: error)
        case .senderRefused(let code, let reply): return record(.deferred, letter, now: now, code: code, reply: reply, error: "the server refused the sender")
        case .refused(let reason): return record(.failed, letter, now: now, error: reason)
        }
    }

    /// The intent of a letter's attempt: claimed before the letter is handed over.
    func intent(_ letter: Letter, now: Date) -> DeliveryRecord {
        DeliveryRecord(
            time: RFC5322Date.rfc3339(now), campaign: configuration.campaign, recipient: letter.recipient.key,
            messageID: letter.message.messageID, status: .sending, attempt: letter.attempt,
            templateSHA256: configuration.fingerprint, rowSHA256: letter.recipient.fingerprint,
            occurrence: configuration.occurrence, envelope: letter.message.envelopeRecipients.map(\.description))
    }

    private func record(
        _ status: DeliveryStatus, _ letter: Letter, now: Date, code: Int? = nil, reply: String? = nil,
        error: String? = nil, refused: [DeliveryOutcome.Refusal] = []
    ) -> DeliveryRecord {
        DeliveryRecord(
            time: RFC5322Date.rfc3339(now), campaign: configuration.campaign, recipient: letter.recipient.key,
            messageID: letter.message.messageID, status: status, attempt: letter.attempt,
            smtpCode: code, smtpReply: reply, error: error, occurrence: configuration.occurrence,
            envelope: status == .sent ? letter.message.envelopeRecipients.map(\.description) : nil,
            refused: refused.isEmpty ? nil : refused)
    }

    /// The error of the `deferred` record of a letter found not to be the approved one, with
    /// the real cause: the attached files that changed, else that its bytes or envelope differ.
    static func notApproved(_ mismatch: ApprovedLetters.Mismatch) -> String {
        let files = mismatch.changedFiles.map(\.path)
        let cause =
            files.isEmpty
            ? "its bytes or envelope differ from the approved letter's"
            : (files.count == 1 ? "the attached file \(files[0]) changed" : "the attached files \(files.joined(separator: ", ")) changed")
                + " since the approval was checked"
        return "not handed to the server: it is not the letter approved (\(cause))"
    }
}
