import Foundation

/// Performs a `DispatchMachine`'s actions: the calling task is the one writer of the journal,
/// each connection is a child task with its own transport, composing runs in child tasks
/// beside them, and every wait is a sleep on the injected clock.
///
/// Why this shape: the machine decides, this only does. The writer takes one event at a time
/// and does the journal work a step asks for before the next event (so records reach the log
/// one at a time, in order, and `onRecord` sees them so); composing, the costliest step of a
/// letter, stays off the writer and parallel (on Swift's pool); a connection only hands letters
/// over, on its transport's `deliveryExecutor` when it has one (the blocking transfer then runs
/// in the connection's own job), and with one connection the writer runs there too: the two
/// take turns on one thread instead of waking each other's for every letter. A stop is
/// the cancellation of the calling task: it becomes the machine's one `stopRequested`, and the
/// run still takes in the answers of the letters its connections hold (`PipelineChannel`
/// waits are not ended by cancellation, and a transport's hand-over is not cut short).
struct DispatchRunner {
    /// What the run's other tasks tell the writer.
    enum Message: Sendable {
        case composed(DispatchMachine.Purpose, [(index: Int, result: Result<ComposedMessage, ValidationFailure>)])
        case outcome(connection: Int, DeliveryOutcome, proof: HandOverProof?)
        case notApproved(connection: Int, ApprovedLetters.Mismatch)
        case timerFired
        case stopRequested
        case stoppedBeforeHandOver(connection: Int)
    }

    let prepared: PreparedCampaign
    let journal: any DeliveryJournal
    let clock: any HeraldClock
    let random: @Sendable () -> Double
    let occurrence: String?
    let approved: ApprovedLetters?
    let onRecord: (DeliveryRecord) -> Void
    let machine: DispatchMachine

    /// Runs the machine to its end over the transports `handOff` holds (one per connection, in
    /// the machine's order) and returns its report; throws the machine's `JournalFailure`.
    func run(transports handOff: TransportHandOff) async throws -> CampaignDispatcher.Report {
        let events = PipelineChannel<Message>()
        let inboxes = (0..<machine.connections.count).map { _ in PipelineChannel<DispatchMachine.Letter>() }
        // With one connection, the writer runs where it does: the two take turns on one
        // thread, and a letter's way writer → connection → writer wakes no other thread.
        // Held here until every child task is over (the timers inherit the preference).
        var writerExecutor: (any TaskExecutor)?
        let result = await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group -> Result<CampaignDispatcher.Report, CampaignDispatcher.JournalFailure> in
                let (prepared, approved) = (self.prepared, self.approved)
                for index in inboxes.indices {
                    guard let transport = handOff.take(index) else { preconditionFailure("one transport per connection") }
                    let inbox = inboxes[index]
                    // On the transport's own thread when it has one: the connection and its
                    // blocking hand-overs then run there, with no hop per letter.
                    let executor = transport.deliveryExecutor
                    if inboxes.count == 1 { writerExecutor = executor }
                    group.addTask(executorPreference: executor) {
                        await Self.connection(
                            index, transport: transport, inbox: inbox, events: events,
                            approved: approved, prepared: prepared)
                    }
                }
                let result = await withTaskExecutorPreference(writerExecutor) {
                    await drive(events: events, inboxes: inboxes, group: &group)
                }
                // The connections are idle (the machine finished): let them go, and end the timers.
                for inbox in inboxes { inbox.close() }
                group.cancelAll()
                return result
            }
        } onCancel: {
            events.send(.stopRequested)
        }
        withExtendedLifetime(writerExecutor) {}
        return try result.get()
    }

    /// The writer: feeds the machine one event at a time and performs what it asks.
    private func drive(
        events: PipelineChannel<Message>, inboxes: [PipelineChannel<DispatchMachine.Letter>],
        group: inout DiscardingTaskGroup
    ) async -> Result<CampaignDispatcher.Report, CampaignDispatcher.JournalFailure> {
        var machine = self.machine
        var cursor = RecipientCursor(prepared)
        var actions = machine.handle(.start, now: clock.now())
        let composers = inboxes.count + 1
        let (prepared, clock, occurrence) = (self.prepared, self.clock, self.occurrence)
        while true {
            var next = 0
            while next < actions.count {
                let action = actions[next]
                next += 1
                switch action {
                case .immediate(let work):
                    let event = await perform(work, cursor: &cursor)
                    actions += machine.handle(event, now: clock.now())
                case .compose(let purpose, let recipients):
                    let chunks = max(1, min(recipients.count, composers))
                    for chunk in 0..<chunks {
                        let part = stride(from: chunk, to: recipients.count, by: chunks).map { ($0, recipients[$0]) }
                        // Composing stays parallel, on Swift's pool, wherever the writer runs.
                        group.addTask(executorPreference: globalConcurrentExecutor) {
                            var results: [(index: Int, result: Result<ComposedMessage, ValidationFailure>)] = []
                            results.reserveCapacity(part.count)
                            for (index, recipient) in part {
                                do throws(ValidationFailure) {
                                    results.append((index, .success(try prepared.compose(recipient, date: clock.now(), occurrence: occurrence))))
                                } catch {
                                    results.append((index, .failure(error)))
                                }
                            }
                            events.send(.composed(purpose, results))
                        }
                    }
                case .handOver(let letter, let connection):
                    inboxes[connection].send(letter)
                case .sleep(let deadline):
                    group.addTask {
                        // Cancelled only when the run is over (or stopping, which needs no timer): nothing to report then.
                        // Fired at or after the deadline as the clock tells it, never early: the
                        // machine, seeing a deadline not yet come, would wait for another event.
                        do {
                            while clock.now() < deadline { try await clock.sleep(until: deadline) }
                        } catch {
                            return
                        }
                        events.send(.timerFired)
                    }
                case .finish(let report):
                    return .success(report)
                case .fail(let failure):
                    return .failure(failure)
                }
            }
            guard let message = await events.receive() else {
                preconditionFailure("the run's event channel closed while the run was going")
            }
            actions = machine.handle(event(message), now: clock.now())
        }
    }

    private func event(_ message: Message) -> DispatchMachine.Event {
        switch message {
        case .composed(let purpose, let results): .composed(purpose, results)
        case .outcome(let connection, let outcome, let proof): .outcome(connection: connection, outcome, proof: proof, random: random())
        case .notApproved(let connection, let mismatch): .notApproved(connection: connection, mismatch)
        case .timerFired: .timerFired
        case .stopRequested: .stopRequested
        case .stoppedBeforeHandOver(let connection): .stoppedBeforeHandOver(connection: connection)
        }
    }

    /// Does the writer's work at once and says how it went.
    private func perform(_ work: DispatchMachine.Immediate, cursor: inout RecipientCursor) async -> DispatchMachine.Event {
        switch work {
        case .read(let count):
            var rows: [Recipient] = []
            rows.reserveCapacity(count)
            do throws(PreparedCampaign.ListChanged) {
                while rows.count < count {
                    guard let recipient = try cursor.next() else { return .recipientsRead(rows, ended: true) }
                    rows.append(recipient)
                }
                return .recipientsRead(rows, ended: false)
            } catch {
                return .listChanged("\(error)", before: rows)
            }
        case .claim(let intents):
            do { try await journal.claim(intents) } catch { return .writeFailed(error) }
            for intent in intents { onRecord(intent) }
            return .written
        case .write(let record):
            do { try await journal.record(record) } catch { return .writeFailed(error) }
            onRecord(record)
            return .written
        case .sync:
            do { try await journal.sync() } catch { return .writeFailed(error) }
            return .written
        }
    }

    /// A connection: hands over each letter it is given (checking it against the approval
    /// first) and reports the answer, until the run closes its inbox.
    private static func connection(
        _ index: Int, transport: any MailTransport, inbox: PipelineChannel<DispatchMachine.Letter>,
        events: PipelineChannel<Message>, approved: ApprovedLetters?, prepared: PreparedCampaign
    ) async {
        while let letter = await inbox.receive() {
            // The bytes about to leave, hashed: a letter that is not the approved one is not
            // handed over (an attached file replaced since the approval was checked).
            if let approved, !approved.matches(key: letter.recipient.key, message: letter.message) {
                events.send(.notApproved(connection: index, approved.mismatch(letter.recipient, in: prepared)))
                continue
            }
            // A stop seen now (the run's task cancelled, and with it this child) keeps the letter:
            // the signal may have come while the writer was claiming it, and nothing starts after one.
            if Task.isCancelled {
                events.send(.stoppedBeforeHandOver(connection: index))
                continue
            }
            let outcome = await transport.deliver(letter.message)
            events.send(.outcome(connection: index, outcome, proof: transport.lastHandOver))
        }
    }
}
