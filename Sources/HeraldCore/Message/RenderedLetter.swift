/// A letter rendered for one recipient, before MIME composition.
public struct RenderedLetter: Sendable, Equatable {
    /// One header field of a rendered letter.
    public struct Header: Sendable, Equatable {
        public var name: String { didSet { encoded = nil } }
        /// The value as rendered (field values substituted), continuation lines joined.
        public var value: String { didSet { encoded = nil } }
        /// The template line that produced it.
        public var line: Int
        /// For an address header rendered from a template: its mailboxes, read from the
        /// template's structure (a field value is only ever a display name or a whole address).
        /// Nil when the value is to be parsed as literal text (a letter built by hand).
        public var mailboxes: [Mailbox]? { didSet { encoded = nil } }
        /// Why the address header could not be read; the composer reports it on `line`.
        public var problem: MessageComposer.Problem?
        /// The header line as ``MessageComposer`` writes it (``MessageComposer/encodedLine(_:)``),
        /// when the template has encoded it once for every letter that carries this same
        /// header: a `From` or `Reply-To` with no field is not encoded again for each letter.
        /// Any change to the name, value or mailboxes drops it.
        var encoded: [UInt8]?

        public init(name: String, value: String, line: Int, mailboxes: [Mailbox]? = nil, problem: MessageComposer.Problem? = nil) {
            self.name = name
            self.value = value
            self.line = line
            self.mailboxes = mailboxes
            self.problem = problem
        }

        /// Equal when they say the same; whether the line is already encoded does not matter.
        public static func == (a: Header, b: Header) -> Bool {
            a.name == b.name && a.value == b.value && a.line == b.line && a.mailboxes == b.mailboxes && a.problem == b.problem
        }
    }

    /// Header fields in template order.
    public var headers: [Header]
    /// The body text with LF line ends, as rendered.
    public var body: String
    /// For a Markdown letter: the body as an HTML fragment, its field values escaped; the
    /// message is then `multipart/alternative` of ``body`` and this, framed (``HTMLFrame``).
    public var html: String?
    /// The HTML part's `lang` (the template's language), or nil for none.
    public var htmlLanguage: String?
    /// The `Attachment:` lines of the header block, rendered, in order.
    public var attachments: [AttachmentRequest] = []
    /// Problems of the body found while rendering it (a field misplaced in the HTML); the
    /// composer reports them with the header problems.
    public var problems: [MessageComposer.Problem] = []

    /// One `Attachment:` header line, rendered.
    public struct AttachmentRequest: Sendable, Equatable {
        /// The path as rendered, relative to the template's folder.
        public var path: String
        /// The template line of the `Attachment:` header.
        public var line: Int
        /// Why the path is refused: a field value would leave the folders the template names.
        public var problem: String?
        /// True when a field is part of the path (else every letter attaches the same file).
        public var usesFields: Bool
        /// With a field in the path: the folder the template's text names before the first
        /// field, relative to the template's folder ("" for that folder itself); the file must
        /// be inside it once symbolic links are followed. Nil when no field takes part.
        public var folder: String?

        public init(path: String, line: Int, problem: String? = nil, usesFields: Bool = true) {
            self.path = path
            self.line = line
            self.problem = problem
            self.usesFields = usesFields
        }
    }

    public init(headers: [Header], body: String, html: String? = nil) {
        self.headers = headers
        self.body = body
        self.html = html
    }

    /// A letter from literal header text, each value parsed as written.
    public init(headers: [(name: String, value: String, line: Int)], body: String) {
        self.init(headers: headers.map { Header(name: $0.name, value: $0.value, line: $0.line) }, body: body)
    }
}
