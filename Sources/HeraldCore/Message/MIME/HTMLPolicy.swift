/// What a Markdown letter's HTML part may hold beyond plain, self-contained markup, and the
/// language it declares: set by the campaign's `[html]` table, so that a remote image (a
/// possible tracking pixel) is never in a letter unless the campaign file says so.
public struct HTMLPolicy: Sendable, Equatable {
    /// True when `<img>` may load from `https:`/`http:` (`[html] remote_images = true`).
    public var remoteImages: Bool
    /// The `lang` of the HTML part (a language tag), or nil for none.
    public var language: String?

    public init(remoteImages: Bool = false, language: String? = nil) {
        self.remoteImages = remoteImages
        self.language = language
    }
}
