/// The seam between the send pipeline and durable storage of its records: claim letters,
/// record outcomes, make it durable.
///
/// Contract: records are stored in call order, each after every record before it. `claim`
/// makes its intents, and everything recorded before them, durable (one sync for the whole
/// batch) before it returns; the pipeline hands a letter to the server only after its claim
/// returned, which is what makes "never twice without being told" hold across a crash.
/// `record` appends without waiting for the disk: an outcome lost in a crash leaves its
/// letter's intent as the last word, so the next run reports it in doubt, which is safe.
/// A throw means the record may not be stored; the pipeline then sends nothing more.
///
/// The pipeline calls a journal from one task, its one writer, awaiting each call before the
/// next; the calls are async so that a journal may do its work elsewhere (the file journal
/// writes its local file directly: an append and an fsync, as the writer's own step). It
/// asks for nothing else: a database-backed journal shared by several dispatchers needs
/// only these three operations, with `claim` refusing a letter another dispatcher holds.
/// The real one is `FileJournal` (HeraldStorage); tests use `MemoryJournal`.
public protocol DeliveryJournal: AnyObject {
    /// Appends intent records and makes them, and every record before them, durable.
    func claim(_ intents: [DeliveryRecord]) async throws
    /// Appends one record; it becomes durable with the next `claim` or `sync`.
    func record(_ record: DeliveryRecord) async throws
    /// Makes every record appended so far durable.
    func sync() async throws
}
