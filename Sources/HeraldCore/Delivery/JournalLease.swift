/// A campaign's exclusive hold on its journal (`DeliveryJournal.lock`): while a lease is
/// alive no other process sends, resolves or records bounces for the campaign.
///
/// Released when its last reference goes: a command keeps it for exactly as long as it
/// writes, and a crash (the process gone) releases it too. Each journal has its own kind;
/// `FileJournal.Lease` holds flocks.
public protocol JournalLease: AnyObject {}

/// One occurrence of a campaign read under the campaign's lease: what `send`, `resolve` and
/// a daemon firing decide from; the lease is released when the value's last copy goes.
public struct OccurrenceLedger {
    /// Held for as long as the caller writes to the journal.
    public var lease: any JournalLease
    public var ledger: DeliveryLedger
    /// What the read found besides the records (a warning, its cost).
    public var read: JournalRead

    public init(lease: any JournalLease, ledger: DeliveryLedger, read: JournalRead) {
        self.lease = lease
        self.ledger = ledger
        self.read = read
    }
}
