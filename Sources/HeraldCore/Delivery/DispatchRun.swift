import Foundation

/// One run of the send pipeline: a producer, a pool of sender threads, one writer of the log.
///
/// - The producer (the thread that calls `execute`) walks the recipients in list order,
///   skips those the ledger says are done or in doubt, composes the next batch of letters
///   (any sender with nothing to send helps: composing is the costliest step of a letter,
///   and one thread composing for every connection held them all back), claims them in the journal (their intents and every outcome so far made durable with one
///   sync), and queues them. It claims ahead only while the queue runs low, so at most the
///   letters in flight plus one batch are claimed and unanswered: the in-doubt window of a crash.
/// - Each sender thread owns one transport (one connection, its libcurl handle reused) and
///   takes the next claimed letter, hands it over, and logs the outcome. A transient failure
///   is retried by the same thread after its backoff, with a new durable intent each time.
/// - The writer is whoever holds `lock`: every journal call, ledger update and report change
///   happens under it, so records reach the log one at a time and in a consistent order.
///
/// A stop (a signal, or an outcome that ends the run: login refused, server unreachable…)
/// lets each sender finish the letter it holds; letters claimed but never handed over then
/// get a `deferred` record saying so, so a stop leaves nothing in doubt that did not leave.
/// Blocking work runs on the run's own threads, never on Swift's cooperative pool.
final class DispatchRun: @unchecked Sendable {
    typealias Report = CampaignDispatcher.Report
    typealias InDoubt = CampaignDispatcher.InDoubt

    /// A letter whose intent is durable, waiting for a sender.
    private struct Claimed {
        var recipient: Recipient
        var message: ComposedMessage
        var attempt: Int
    }

    /// The error of the `deferred` record of a letter claimed but never handed over.
    static let notHandedOver = "not handed to the server: the run stopped before this letter's turn"

    private let prepared: PreparedCampaign
    private let journal: DeliveryJournal
    private let clock: () -> Date
    private let pause: (Double) -> Bool
    private let random: () -> Double
    private let occurrence: String?
    private let shouldStop: () -> Bool
    private let onRecord: (DeliveryRecord) -> Void
    private let batch: ClaimBatch
    /// Addresses not to write to (the suppression list, lowercased): their letters are skipped.
    private let suppressed: Set<String>
    /// The approval in force, if any: each letter is checked against it just before it is handed over.
    private let approved: ApprovedLetters?

    /// Guards everything below, and is the one writer of the journal.
    private let lock = NSCondition()
    /// The log's state when the run began: read, never grown (this run's attempts are counted
    /// on each letter), so memory does not grow with the letters sent.
    private let ledger: DeliveryLedger
    private var report = Report()
    /// Claimed letters in order; a slot is emptied when a sender takes its letter, so a letter
    /// handed over is not held here (with its attachments) until the queue is next compacted.
    private var queue: [Claimed?] = []
    private var queueHead = 0
    private var producing = true
    private var runningSenders = 0
    /// Letters taken by senders and not yet finished (retries included).
    private var inFlight = 0
    /// The rate ceiling, held (with `pacing`) by one sender from its wait to its hand-over.
    private var pacer: RatePacer?
    private let pacing = NSLock()
    /// The first journal error: the run ends, and `execute` throws it.
    private var failure: (any Error)?
    private var failureInDoubt: [InDoubt] = []
    /// Letters claimed but not handed over whose release could not be logged.
    private var failureUnsent: [InDoubt] = []
    /// The batch being composed before its claim: the producer and every sender that would
    /// otherwise wait for letters take its recipients one at a time (`nextJob`), so that
    /// composing is not held to one thread. Each letter is still composed once per attempt.
    private var jobs: [Recipient] = []
    private var jobResults: [Result<ComposedMessage, ValidationFailure>?] = []
    private var nextJob = 0
    private var jobsDone = 0
    /// Letters accepted or refused so far, and when the first was handed over: the rate that sizes claims.
    private var answered = 0
    private var firstHandOver: UInt64?

    init(prepared: PreparedCampaign, ledger: DeliveryLedger, journal: DeliveryJournal, clock: @escaping () -> Date,
         pause: @escaping (Double) -> Bool, random: @escaping () -> Double, occurrence: String?,
         shouldStop: @escaping () -> Bool, onRecord: @escaping (DeliveryRecord) -> Void, batch: ClaimBatch,
         suppressed: Set<String> = [], approved: ApprovedLetters? = nil) {
        self.suppressed = suppressed
        self.approved = approved
        self.prepared = prepared
        self.ledger = ledger
        self.journal = journal
        self.clock = clock
        self.pause = pause
        self.random = random
        self.occurrence = occurrence
        self.shouldStop = shouldStop
        self.onRecord = onRecord
        self.batch = batch
        self.pacer = RatePacer(prepared.campaign.limits)
    }

    /// Runs the pipeline to its end and returns what it did.
    func execute(transports: [MailTransport], resendInDoubt: Bool) throws -> Report {
        runningSenders = transports.count
        for transport in transports {
            let holder = TransportHolder(transport)
            let thread = Thread { [self] in sendLetters(from: holder) }
            thread.stackSize = 4 << 20
            thread.start()
        }
        produce(resendInDoubt: resendInDoubt)
        lock.lock()
        producing = false
        lock.broadcast()
        while runningSenders > 0 { lock.wait() }
        releaseUnsent()
        if failure == nil {
            do { try journal.sync() } catch { failure = error }
        }
        let result = report
        let error = failure
        let inDoubt = failureInDoubt
        let unsent = failureUnsent + queue[queueHead...].compactMap { $0.map { InDoubt(recipient: $0.recipient.key, messageID: $0.message.messageID) } }
        lock.unlock()
        if let error { throw CampaignDispatcher.JournalFailure(underlying: error, inDoubt: inDoubt, unsent: unsent) }
        return result
    }

    // MARK: Producer

    /// Walks the recipients and claims their letters a batch at a time.
    private func produce(resendInDoubt: Bool) {
        var pending: [Recipient] = []
        var ending = false
        do {
            try prepared.forEachRecipient { recipient in
                guard let size = waitForRoom() else {
                    ending = true
                    return false
                }
                lock.lock()
                let entry = ledger[recipient.key]
                if let entry, entry.isDone {
                    report.alreadyDone += 1
                    lock.unlock()
                    return true
                }
                if let entry, entry.isInDoubt, !resendInDoubt {
                    report.inDoubt.append(InDoubt(recipient: recipient.key, messageID: entry.messageID))
                    lock.unlock()
                    return true
                }
                if !suppressed.isEmpty, suppressed.contains(recipient.address.normalized) {
                    report.suppressed.append(recipient.key)
                    lock.unlock()
                    return true
                }
                lock.unlock()
                pending.append(recipient)
                if pending.count >= size {
                    guard claim(pending) else {
                        ending = true
                        return false
                    }
                    pending.removeAll(keepingCapacity: true)
                }
                return true
            }
        } catch {
            // The letters read before the changed row go; nothing from it on.
            if !pending.isEmpty { _ = claim(pending) }
            lock.lock()
            end(.listChanged("\(error)"))
            lock.unlock()
            return
        }
        if !pending.isEmpty && !ending { _ = claim(pending) }
    }

    /// Waits until more letters may be claimed, then returns how many; nil when the run is
    /// ending. Against a fast server, when the queue runs low (about half a batch left);
    /// otherwise when a connection is free, and as many letters as connections are free.
    private func waitForRoom() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if isEnding() { return nil }
            let size = batchSize()
            let waiting = queue.count - queueHead
            if batch.claimsAhead(size: size) {
                if waiting < max(batch.connections, size / 2) { return size }
            } else if waiting + inFlight < batch.connections {
                return batch.connections - waiting - inFlight
            }
            // Timed, so that a stop request (polled) is seen while the senders are busy.
            _ = lock.wait(until: Date().addingTimeInterval(0.1))
        }
    }

    /// The next batch's size, from the rate of outcomes so far. Called with the lock held.
    private func batchSize() -> Int {
        guard let firstHandOver else { return batch.connections }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - firstHandOver) / 1e9
        return batch.size(answered: answered, elapsed: elapsed)
    }

    /// Composes the letters and claims them in one journal call. False when the run is ending.
    private func claim(_ recipients: [Recipient]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        jobs = recipients
        jobResults = Array(repeating: nil, count: recipients.count)
        nextJob = 0
        jobsDone = 0
        lock.broadcast()
        while takeJob() {}
        while jobsDone < jobs.count { lock.wait() }
        var letters: [(recipient: Recipient, message: ComposedMessage)] = []
        letters.reserveCapacity(recipients.count)
        for (recipient, result) in zip(jobs, jobResults) {
            switch result {
            case .success(let message)?: letters.append((recipient, message))
            case .failure(let error)?:
                // A prepared campaign composes (it was checked); a failure here is a bug worth surfacing.
                fail(error)
                return false
            case nil: return false
            }
        }
        jobs = []
        jobResults = []
        if isEnding() { return false }
        var claimed: [Claimed] = []
        var intents: [DeliveryRecord] = []
        for (recipient, message) in letters {
            let attempt = (ledger[recipient.key]?.attempts ?? 0) + 1
            claimed.append(Claimed(recipient: recipient, message: message, attempt: attempt))
            intents.append(intent(for: recipient, message: message, attempt: attempt))
        }
        do { try journal.claim(intents) } catch {
            fail(error)
            return false
        }
        for intent in intents { onRecord(intent) }
        queue.append(contentsOf: claimed)
        lock.broadcast()
        return true
    }

    /// Composes the next letter of the batch being claimed, if one is left; false when none is.
    /// Called with the lock held, which it lets go of while composing.
    private func takeJob() -> Bool {
        guard nextJob < jobs.count else { return false }
        let index = nextJob
        let recipient = jobs[index]
        nextJob += 1
        lock.unlock()
        let result: Result<ComposedMessage, ValidationFailure>
        do { result = .success(try prepared.compose(recipient, date: clock(), occurrence: occurrence)) } catch {
            result = .failure(error)
        }
        lock.lock()
        jobResults[index] = result
        jobsDone += 1
        if jobsDone == jobs.count { lock.broadcast() }
        return true
    }

    /// Waits for the rate ceiling's next slot and takes it; false when the run is ending.
    /// One sender at a time holds the pacer from its wait to its hand-over.
    private func pace() -> Bool {
        guard pacer != nil else { return true }
        pacing.lock()
        defer { pacing.unlock() }
        let wait = pacer!.nextSlot(now: clock()).timeIntervalSince(clock())
        if wait > 0 && !interruptiblePause(wait) { return false }
        pacer!.handedOver(at: clock())
        return true
    }

    // MARK: Senders

    /// A sender thread: takes claimed letters until none is left or the run ends.
    ///
    /// It lets go of its transport before saying it is done: `execute` returns only then, so
    /// the transport's last reference (and with it `curl_easy_cleanup`) is dropped by the
    /// caller, never by a sender thread still winding down while the process exits and
    /// libcurl's and OpenSSL's exit handlers free what that cleanup would touch.
    private func sendLetters(from holder: TransportHolder) {
        do {
            let transport = holder.take()
            while let letter = next() {
                send(letter, over: transport)
            }
        }
        lock.lock()
        runningSenders -= 1
        lock.broadcast()
        lock.unlock()
    }

    /// The next claimed letter, waiting for the producer; nil when the run is over for this sender.
    private func next() -> Claimed? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if isEnding() { return nil }
            if queueHead < queue.count, let letter = queue[queueHead] {
                queue[queueHead] = nil
                queueHead += 1
                inFlight += 1
                if queueHead > 1024 && queueHead * 2 > queue.count {
                    queue.removeFirst(queueHead)
                    queueHead = 0
                }
                lock.broadcast()
                return letter
            }
            // No letter to send yet: help compose the batch the producer is about to claim.
            if takeJob() { continue }
            if !producing { return nil }
            _ = lock.wait(until: Date().addingTimeInterval(0.1))
        }
    }

    /// Hands one letter to the server, retrying transient failures, and logs each outcome.
    private func send(_ claimed: Claimed, over transport: MailTransport) {
        defer {
            lock.lock()
            inFlight -= 1
            lock.broadcast()
            lock.unlock()
        }
        guard pace() else {
            release(claimed)
            return
        }
        var letter = claimed
        var tries = 0
        let policy = prepared.campaign.retry
        while true {
            tries += 1
            // The bytes about to leave, hashed: a letter that is not the approved one is not
            // handed over (an attached file replaced since the approval was checked).
            if let approved, !approved.matches(key: letter.recipient.key, message: letter.message) {
                refuse(letter, approved.mismatch(letter.recipient, in: prepared))
                return
            }
            lock.lock()
            if firstHandOver == nil { firstHandOver = DispatchTime.now().uptimeNanoseconds }
            lock.unlock()
            let outcome = transport.deliver(letter.message)
            let proof = transport.lastHandOver
            lock.lock()
            guard log(outcome, of: letter, proof: proof) else { lock.unlock(); return }
            var retry = false
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
                if tries < policy.maxAttempts {
                    retry = true
                } else {
                    report.deferred += 1
                    // The server stayed unreachable through every retry: later letters would fare no better.
                    if case .unavailable(let error) = outcome { end(.unavailable(error)) }
                }
            }
            lock.unlock()
            guard retry else { return }
            // The backoff, then the rate slot, then the new intent: the letter is claimed again
            // only when it is about to go.
            let wait = policy.delay(beforeRetry: tries, random: random())
            guard interruptiblePause(wait), pace(), let again = reclaim(letter) else {
                lock.lock()
                report.deferred += 1
                end(.interrupted)
                lock.unlock()
                return
            }
            letter = again
        }
    }

    /// Logs that a claimed letter was not handed over (the run is ending), so that it is not
    /// left in doubt.
    private func release(_ letter: Claimed) {
        lock.lock()
        defer { lock.unlock() }
        end(.interrupted)
        guard failure == nil else {
            failureUnsent.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID))
            return
        }
        do {
            let record = record(.deferred, letter, error: Self.notHandedOver)
            try journal.record(record)
            onRecord(record)
        } catch {
            fail(error)
        }
    }

    /// Ends the run at a letter that is not the approved one: its claim gets a `deferred`
    /// record saying why it was not handed over, and the run stops (exit 77).
    private func refuse(_ letter: Claimed, _ mismatch: ApprovedLetters.Mismatch) {
        lock.lock()
        defer { lock.unlock() }
        end(.notApproved(mismatch.description))
        report.deferred += 1
        guard failure == nil else {
            failureUnsent.append(InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID))
            return
        }
        do {
            let record = record(.deferred, letter, error: Self.notApproved(mismatch))
            try journal.record(record)
            onRecord(record)
        } catch {
            fail(error)
        }
    }

    /// The error of the `deferred` record of a letter found not to be the approved one, with
    /// the real cause: the attached files that changed, else that its bytes or envelope differ.
    static func notApproved(_ mismatch: ApprovedLetters.Mismatch) -> String {
        let files = mismatch.changedFiles.map(\.path)
        let cause = files.isEmpty
            ? "its bytes or envelope differ from the approved letter's"
            : (files.count == 1 ? "the attached file \(files[0]) changed" : "the attached files \(files.joined(separator: ", ")) changed") + " since the approval was checked"
        return "not handed to the server: it is not the letter approved (\(cause))"
    }

    /// Composes a letter again (a new `Date`, the same Message-ID) and claims its next attempt;
    /// nil when the run is ending.
    private func reclaim(_ letter: Claimed) -> Claimed? {
        let message: ComposedMessage
        do { message = try prepared.compose(letter.recipient, date: clock(), occurrence: occurrence) } catch {
            lock.lock()
            fail(error)
            lock.unlock()
            return nil
        }
        lock.lock()
        defer { lock.unlock() }
        if isEnding() { return nil }
        let attempt = letter.attempt + 1
        let record = intent(for: letter.recipient, message: message, attempt: attempt)
        do { try journal.claim([record]) } catch {
            fail(error)
            return nil
        }
        onRecord(record)
        return Claimed(recipient: letter.recipient, message: message, attempt: attempt)
    }

    /// Logs an outcome (an in-doubt one writes nothing: the intent stays the last word).
    /// False when the log cannot take it: the letter is then in doubt, and named. Lock held.
    private func log(_ outcome: DeliveryOutcome, of letter: Claimed, proof: HandOverProof? = nil) -> Bool {
        var record: DeliveryRecord?
        switch outcome {
        case .accepted(let code, let reply, let refused):
            record = self.record(.sent, letter, code: code, reply: reply,
                                 error: reply == nil ? CampaignDispatcher.noReplyCaptured : nil, refused: refused)
            // Proof of dispatch: what the transport attests about the bytes it handed over.
            record?.messageSHA256 = proof?.messageSHA256
            record?.tlsVersion = proof?.tlsVersion
            record?.tlsCipher = proof?.tlsCipher
        case .rejected(let code, let reply): record = self.record(.failed, letter, code: code, reply: reply)
        case .deferred(let code, let reply, let error): record = self.record(.deferred, letter, code: code, reply: reply, error: error)
        case .inDoubt: record = nil
        case .unavailable(let error): record = self.record(.deferred, letter, error: error)
        case .authenticationFailed(let code, let reply): record = self.record(.deferred, letter, code: code, reply: reply, error: "authentication failed")
        case .tlsFailed(let error): record = self.record(.deferred, letter, error: error)
        case .senderRefused(let code, let reply): record = self.record(.deferred, letter, code: code, reply: reply, error: "the server refused the sender")
        case .refused(let reason): record = self.record(.failed, letter, error: reason)
        }
        guard let record else { return true }
        let doubt = InDoubt(recipient: letter.recipient.key, messageID: letter.message.messageID,
                            reason: "the server's answer (\(CampaignDispatcher.describe(outcome))) could not be logged")
        // After a journal failure nothing more is written: the letter's intent stays the last word.
        if failure != nil {
            failureInDoubt.append(doubt)
            return false
        }
        do { try journal.record(record) } catch {
            fail(error)
            failureInDoubt.append(doubt)
            return false
        }
        onRecord(record)
        return true
    }

    /// Gives every letter claimed but never handed over a `deferred` record, so that a stop
    /// leaves none of them in doubt. Lock held; nothing is written after a journal failure.
    private func releaseUnsent() {
        guard failure == nil else { return }
        while queueHead < queue.count {
            guard let letter = queue[queueHead] else { queueHead += 1; continue }
            let record = record(.deferred, letter, error: Self.notHandedOver)
            do { try journal.record(record) } catch {
                failure = error
                return
            }
            queue[queueHead] = nil
            queueHead += 1
            onRecord(record)
        }
    }

    // MARK: Shared state (lock held)

    /// True once the run is ending: a stop, a journal failure, or a stop request (polled here).
    private func isEnding() -> Bool {
        if report.stop == nil && failure == nil && shouldStop() { report.stop = .interrupted }
        return report.stop != nil || failure != nil
    }

    /// Ends the run for `reason`, unless it is already ending for another.
    private func end(_ reason: CampaignDispatcher.Stop) {
        if report.stop == nil { report.stop = reason }
        lock.broadcast()
    }

    /// Ends the run on a journal (or composition) error; the first one is the one thrown.
    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        lock.broadcast()
    }

    /// Waits `seconds` through the injected pause; false when a stop was requested or the run
    /// is ending. With several senders the wait is cut into short steps, so that a run ended
    /// by another sender does not wait out a long backoff here.
    private func interruptiblePause(_ seconds: Double) -> Bool {
        let step = batch.connections > 1 ? 0.25 : seconds
        var remaining = seconds
        repeat {
            lock.lock()
            let ending = isEnding()
            lock.unlock()
            if ending { return false }
            let wait = min(step, remaining)
            if !pause(wait) { return false }
            remaining -= wait
        } while remaining > 0
        return true
    }

    private func intent(for recipient: Recipient, message: ComposedMessage, attempt: Int) -> DeliveryRecord {
        DeliveryRecord(time: RFC5322Date.rfc3339(clock()), campaign: prepared.campaign.name, recipient: recipient.key,
                       messageID: message.messageID, status: .sending, attempt: attempt,
                       templateSHA256: prepared.fingerprint, rowSHA256: recipient.fingerprint, occurrence: occurrence,
                       envelope: message.envelopeRecipients.map(\.description))
    }

    private func record(_ status: DeliveryStatus, _ letter: Claimed, code: Int? = nil, reply: String? = nil,
                        error: String? = nil, refused: [DeliveryOutcome.Refusal] = []) -> DeliveryRecord {
        DeliveryRecord(time: RFC5322Date.rfc3339(clock()), campaign: prepared.campaign.name, recipient: letter.recipient.key,
                       messageID: letter.message.messageID, status: status, attempt: letter.attempt,
                       smtpCode: code, smtpReply: reply, error: error, occurrence: occurrence,
                       envelope: status == .sent ? letter.message.envelopeRecipients.map(\.description) : nil,
                       refused: refused.isEmpty ? nil : refused)
    }
}

/// A sender thread's transport, handed over once (see `DispatchRun.sendLetters(from:)`).
private final class TransportHolder: @unchecked Sendable {
    private var transport: MailTransport?

    init(_ transport: MailTransport) { self.transport = transport }

    /// The transport, the holder keeping no reference to it from then on.
    func take() -> MailTransport {
        defer { transport = nil }
        return transport!
    }
}
