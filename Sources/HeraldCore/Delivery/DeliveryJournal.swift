/// The seam between the send pipeline and durable storage of its records.
///
/// Contract: `append` writes one record after every record appended before it. With
/// `durable` true, the record is on stable storage (fsync) when `append` returns: the
/// pipeline writes each intent that way before the message is handed to the server, which
/// is what makes "never twice without being told" hold across a crash. A throw means the
/// record may not be stored; the pipeline then sends nothing more. The real one is
/// `FileJournal` (HeraldStorage); tests use `MemoryJournal`.
public protocol DeliveryJournal: AnyObject {
    /// Appends one record. When `durable` is true the record is on stable storage (fsync)
    /// before this returns: the pipeline relies on it for intent records.
    func append(_ record: DeliveryRecord, durable: Bool) throws
}
