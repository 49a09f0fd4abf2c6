/// The plain HTML page around a Markdown letter's HTML: a readable width, the sender's name
/// at its foot, nothing loaded from elsewhere (no remote image, font or style sheet), no
/// script, no tracking. Styles are inline, as mail clients keep inline styles best.
enum HTMLFrame {
    /// The whole HTML document.
    ///
    /// - Parameters:
    ///   - fragment: the letter's HTML, its field values already escaped.
    ///   - title: the letter's subject, as text (escaped here).
    ///   - sender: the sender's display name (or address), as text (escaped here).
    ///   - language: the letter's language tag, the page's `lang` (escaped here); nil for none.
    static func page(fragment: String, title: String, sender: String, language: String? = nil) -> String {
        """
        <!DOCTYPE html>
        <html\(language.map { " lang=\"\(HTMLSkeleton.escape($0))\"" } ?? "")>
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLSkeleton.escape(title))</title>
        </head>
        <body style="margin:0;padding:0;background:#ffffff;">
        <div style="max-width:40em;margin:0 auto;padding:24px 16px;font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.5;color:#1a1a1a;">
        \(fragment)
        <p style="margin-top:32px;padding-top:8px;border-top:1px solid #cccccc;font-size:14px;color:#555555;">\(HTMLSkeleton.escape(sender))</p>
        </div>
        </body>
        </html>

        """
    }
}
