/// The seam between Herald's commands and durable storage of their records: lock a
/// campaign, read its history, claim letters, record outcomes, make them durable.
///
/// Contract: records are stored in call order, each after every record before it. `claim`
/// makes its intents, and everything recorded before them, durable (one sync for the whole
/// batch) before it returns; the pipeline hands a letter to the server only after its claim
/// returned, which is what makes "never twice without being told" hold across a crash.
/// `record` appends without waiting for the disk: an outcome lost in a crash leaves its
/// letter's intent as the last word, so the next run reports it in doubt, which is safe.
/// A throw means the record may not be stored; the pipeline then sends nothing more.
///
/// Reading and locking are part of the seam, so a command never needs to know where the
/// records are: `lock` gives the campaign's exclusive hold (one sender of a campaign at a
/// time, whatever else runs), `readHistory` folds the records of some occurrences,
/// `openLedger` does both for a send, a resolve or a firing. A journal whose read was made
/// holding the campaign's lease may keep caches (the file journal's index); without it,
/// reading changes nothing.
///
/// The pipeline calls a journal from one task, its one writer, awaiting each call before the
/// next; the calls are async so that a journal may do its work elsewhere (the file journal
/// writes its local file directly: an append and an fsync, as the writer's own step). It
/// asks for nothing else: a database-backed journal shared by several dispatchers needs
/// only these operations, with `claim` refusing a letter another dispatcher holds.
/// The real one is `FileJournal` (HeraldStorage), made by `ApplicationParts.openJournal`;
/// tests use `MemoryJournal`.
public protocol DeliveryJournal: AnyObject {
    /// Appends intent records and makes them, and every record before them, durable.
    func claim(_ intents: [DeliveryRecord]) async throws
    /// Appends one record; it becomes durable with the next `claim` or `sync`.
    func record(_ record: DeliveryRecord) async throws
    /// Makes every record appended so far durable.
    func sync() async throws

    /// Where the records are kept, as messages name it (the file journal: its path).
    var location: String { get }

    /// Takes the campaign's exclusive hold on this journal without waiting: the campaign's
    /// own lock (whatever journal it is sent to) and the journal's, held until the lease is
    /// released (its last reference dropped).
    ///
    /// - Parameters:
    ///   - campaignFile: the campaign file (the file journal locks it too, so a second
    ///     sender of one campaign is refused whatever log it was given); nil takes this
    ///     journal's lock alone: a bounce pass must not interleave with a send to this
    ///     journal, and need not wait for one of the campaign to another.
    ///   - environment: where per-user lock state lives (`XDG_RUNTIME_DIR`).
    /// - Throws: `.busy` when another process holds the campaign; `.unavailable` when the
    ///   lock cannot be taken (a file that cannot be opened, a runtime folder not private).
    func lock(campaign: String, campaignFile: String?, environment: [String: String]) throws(JournalError) -> any JournalLease

    /// Folds the records of some occurrences of `campaign`, in the order they were stored,
    /// and refuses a journal that holds a record of another campaign.
    ///
    /// - Parameters:
    ///   - occurrences: the occurrences whose records are folded (nil: the campaign sent as
    ///     a whole).
    ///   - lease: the campaign's lease when held (a journal may then keep its caches).
    /// - Throws: `.unavailable` when the records cannot be read, `.damaged` for a damaged
    ///   record or one of another campaign.
    func readHistory<State>(
        campaign: String, campaignFile: String, occurrences: Set<String?>, holding lease: (any JournalLease)?,
        into initial: State, _ fold: (inout State, DeliveryRecord) -> Void
    ) throws(JournalError) -> (State, JournalRead)

    /// Every occurrence the journal holds a record of, and nil (the campaign sent as a whole):
    /// what a bounce pass reads, since a recurring campaign's letters are spread over them.
    func occurrences(campaign: String, campaignFile: String) throws(JournalError) -> Set<String?>
}

extension DeliveryJournal {
    /// Takes the campaign's lease and reads one occurrence into a ledger: what a command that
    /// writes to the journal (`send`, `resolve`, a daemon firing) starts with.
    ///
    /// - Throws: what `lock` and `readHistory` throw; the lease is released on a throw.
    /// - Parameter keeping: what the ledger keeps of each recipient (`DeliveryLedger.Keeping`):
    ///   `.decisions` by default, a few bytes a letter, whatever the history; `capacity`: the
    ///   recipients expected (the list's length), room made for them at once.
    public func openLedger(
        campaign: String, campaignFile: String, occurrence: String?,
        environment: [String: String], keeping: DeliveryLedger.Keeping = .decisions,
        capacity: Int = 0
    ) throws(JournalError) -> OccurrenceLedger {
        let lease = try lock(campaign: campaign, campaignFile: campaignFile, environment: environment)
        let (ledger, read) = try readHistory(
            campaign: campaign, campaignFile: campaignFile, occurrences: [occurrence], holding: lease,
            into: DeliveryLedger(campaign: campaign, occurrence: occurrence, keeping: keeping, capacity: capacity)
        ) { $0.apply($1) }
        return OccurrenceLedger(lease: lease, ledger: ledger, read: read)
    }
}
