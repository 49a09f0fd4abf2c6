extension Campaign {
    /// The warning `herald check` prints when the campaign lets a letter carry more than the
    /// server takes: `[attachments] max_bytes_per_letter` above the server's `SIZE`, so a
    /// letter that passes Herald's check could still be refused (552) at send. Nil when the
    /// limit fits, or the server announces none (`sizeLimit` nil or 0).
    public func attachmentLimitWarning(serverSizeLimit sizeLimit: Int?) -> String? {
        guard let sizeLimit, sizeLimit > 0, maxAttachmentBytesPerLetter >= sizeLimit else { return nil }
        return
            "warning: [attachments] max_bytes_per_letter is \(maxAttachmentBytesPerLetter) bytes, not below the server's SIZE of \(sizeLimit) bytes: a letter whose attachments pass Herald's check could still be refused by the server (552). Set max_bytes_per_letter in \(file) under \(sizeLimit), leaving room for the letter's text and the headers relays add"
    }
}
