/// The `Content-Type` of an attached file, by its name's extension (case-insensitive).
///
/// A short table of what a campaign's letters attach; anything else is
/// `application/octet-stream`, which every mail client offers to save.
enum MediaType {
    static let fallback = "application/octet-stream"

    static let byExtension: [String: String] = [
        "pdf": "application/pdf",
        "txt": "text/plain",
        "html": "text/html",
        "htm": "text/html",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "odt": "application/vnd.oasis.opendocument.text",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "doc": "application/msword",
        "zip": "application/zip",
        "csv": "text/csv",
    ]

    /// The media type for a file name: by the text after its last dot.
    static func of(fileName: String) -> String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return fallback }
        return byExtension[fileName[fileName.index(after: dot)...].lowercased()] ?? fallback
    }
}
