/// One problem found in a user's input, located precisely enough to fix it.
///
/// Rendered as `file:line: field: message`, the format compilers use, so editors
/// and people can jump straight to the spot. `line` and `field` are omitted when
/// they do not apply (a missing file has no line).
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of input was wrong; decides the sysexits code of the run.
    public enum Kind: Sendable, Equatable, Comparable {
        /// Recipient data or template content is wrong (EX_DATAERR, 65).
        case badData
        /// A file named by the campaign cannot be found or read (EX_NOINPUT, 66).
        case missingInput
        /// The campaign file itself is wrong (EX_CONFIG, 78).
        case badConfig
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(_ kind: Kind, file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }
}

/// Every problem found while loading a campaign; nothing may be sent while one exists.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// The most serious kind present: a broken campaign file outranks a missing
    /// input, which outranks bad data, because fixing the former may change the latter.
    public var kind: Diagnostic.Kind {
        diagnostics.map(\.kind).max() ?? .badData
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
