extension PreparedCampaign {
    /// The files a recipient's letter attaches, resolved as ``compose(_:date:occurrence:)``
    /// resolves them, without reading them: the review manifest lists them and an approval
    /// names the one that changed. Only the header lines are rendered; a path refused at the
    /// check is left out (that letter does not compose).
    public func attachmentPaths(of recipient: Recipient) -> [String] {
        let template = template(for: recipient)
        // A letter shape without an `Attachment:` line (the common case) answers without rendering.
        if let shapes = template.shapes, template.shape(shapes.states(of: recipient).0, of: shapes).attachments.isEmpty { return [] }
        let letter = template.render(recipient, addressColumns: campaign.addressColumns, withBody: false)
        return letter.attachments.compactMap { request in
            request.problem == nil ? Campaign.resolvePath(request.path, against: template.file) : nil
        }
    }
}
