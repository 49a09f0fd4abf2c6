/// Walks a prepared campaign's recipients in list order, one row at a time, reading the lists
/// again: the pipeline takes as many as it has room for, when it has room.
///
/// Contract: `next()` returns the rows `forEachRecipient` walks, in the same order, then nil;
/// it throws `ListChanged` at the first row that differs from the one checked (or when a list
/// ends early or cannot be read), after returning the rows before it.
struct RecipientCursor {
    private let prepared: PreparedCampaign
    private var listIndex = 0
    private var reader: RecipientReader?
    /// Rows returned so far (skipped duplicates not counted), to compare with the checked hashes.
    private var index = 0

    init(_ prepared: PreparedCampaign) {
        self.prepared = prepared
    }

    /// The next recipient; nil after the last.
    mutating func next() throws(PreparedCampaign.ListChanged) -> Recipient? {
        while listIndex < prepared.sources.count {
            let source = prepared.sources[listIndex]
            if reader == nil {
                do { reader = try source.open() } catch { throw PreparedCampaign.ListChanged(file: source.file) }
            }
            guard let open = reader else { continue }
            while let row = open.next() {
                guard case .recipient(var recipient) = row else {
                    if case .problem(let problem) = row { throw PreparedCampaign.ListChanged(file: source.file, line: problem.line) }
                    continue
                }
                let id = PreparedCampaign.RowID(listIndex, recipient.line)
                if prepared.skipped.contains(id) { continue }
                guard index < prepared.rowHashes.count, prepared.rowHashes[index] == open.rowHash else {
                    throw PreparedCampaign.ListChanged(file: source.file, line: recipient.line)
                }
                if let ordinal = prepared.ordinals[id] { recipient.duplicateOrdinal = ordinal }
                index += 1
                return recipient
            }
            if open.failed { throw PreparedCampaign.ListChanged(file: source.file) }
            reader = nil
            listIndex += 1
        }
        if index != prepared.rowHashes.count { throw PreparedCampaign.ListChanged(file: prepared.sources.last?.file ?? prepared.campaign.file) }
        return nil
    }
}
