import TOMLKit

/// A campaign file as written: for each of its tables (the top level, `[smtp]`,
/// `[retry]`, `[limits]`, `[dkim]`), every key Herald reads with its value as TOML typed it and the line it is on,
/// and the keys Herald does not know, before any of Herald's rules is checked.
///
/// `Campaign.parse` decodes the text into this shape (`decode`, the only code that knows
/// TOMLKit), then validates it into a `Campaign` (`Campaign+TOML.swift`, which knows only
/// this shape).
struct CampaignFile: Equatable {
    /// The keys of the top level.
    enum RootKey: String, CampaignFileKey {
        static let tableName: String? = nil

        case name, template, recipients, log, schedule, timezone
        case catchUpSeconds = "catch_up_seconds"
        case addressColumns = "address_columns"
        case allowDuplicates = "allow_duplicates"
        case requireApproval = "require_approval"
        case smtp, retry, limits, bounces, templates, dkim, attachments, html
    }

    /// The keys of `[html]`.
    enum HTMLKey: String, CampaignFileKey {
        static let tableName: String? = "html"

        case language
        case remoteImages = "remote_images"
    }

    /// The keys of `[smtp]`.
    enum SMTPKey: String, CampaignFileKey {
        static let tableName: String? = "smtp"

        case url, tls, username
        case passwordEnv = "password_env"
        case passwordFile = "password_file"
        case replyTimeoutSeconds = "reply_timeout_seconds"
        case caFile = "ca_file"
        case allowPlaintext = "allow_plaintext"
    }

    /// The keys of `[retry]`.
    enum RetryKey: String, CampaignFileKey {
        static let tableName: String? = "retry"

        case maxAttempts = "max_attempts"
        case initialBackoffSeconds = "initial_backoff_seconds"
        case maxBackoffSeconds = "max_backoff_seconds"
    }

    /// The keys of `[limits]`.
    enum LimitsKey: String, CampaignFileKey {
        static let tableName: String? = "limits"

        case concurrency
        case maxMessagesPerConnection = "max_messages_per_connection"
        case messagesPerSecond = "messages_per_second"
        case messagesPerMinute = "messages_per_minute"
    }

    /// The keys of `[attachments]`.
    enum AttachmentsKey: String, CampaignFileKey {
        static let tableName: String? = "attachments"

        case maxBytesPerLetter = "max_bytes_per_letter"
    }

    /// The keys of `[bounces]`.
    enum BouncesKey: String, CampaignFileKey {
        static let tableName: String? = "bounces"

        case url, username
        case passwordEnv = "password_env"
        case passwordFile = "password_file"
        case caFile = "ca_file"
        case processedFolder = "processed_folder"
        case pollSeconds = "poll_seconds"
        case verp, suppress
    }

    /// The keys of `[dkim]`.
    enum DKIMKey: String, CampaignFileKey {
        static let tableName: String? = "dkim"

        case domain, selector, algorithm, headers
        case privateKeyFile = "private_key_file"
    }

    /// A value as the file wrote it.
    indirect enum Value: Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case bool(Bool)
        case array([Value])
        /// A table; its keys are in `CampaignFile.smtp` or `retry` when Herald reads them.
        case table
        /// A date, a time or a date-time (TOML's name for it), which no campaign key takes.
        case other(String)

        var string: String? { if case .string(let text) = self { text } else { nil } }
        var integer: Int? { if case .integer(let number) = self { number } else { nil } }
        var float: Double? { if case .float(let number) = self { number } else { nil } }
        var bool: Bool? { if case .bool(let flag) = self { flag } else { nil } }
        var array: [Value]? { if case .array(let values) = self { values } else { nil } }

        /// TOML's name of the value's type, for "must be a string, found …".
        var typeName: String {
            switch self {
            case .string: "string"
            case .integer: "integer"
            case .float: "floating-point number"
            case .bool: "bool"
            case .array: "array"
            case .table: "table"
            case .other(let name): name
            }
        }
    }

    /// One key's value and the line it is written on.
    struct Field: Equatable {
        var value: Value
        var line: Int?
    }

    /// A key the file sets that Herald does not know.
    struct UnknownKey: Equatable {
        var name: String
        var line: Int?
    }

    /// One table of the file, keyed by the keys Herald knows there.
    struct Table<Key: CampaignFileKey>: Equatable {
        /// Where the table is defined (its header, its first dotted key, its inline table);
        /// nil for the top level. A missing key is reported here.
        var line: Int?
        var fields: [Key: Field] = [:]
        /// In the order of their names.
        var unknownKeys: [UnknownKey] = []

        subscript(key: Key) -> Field? { fields[key] }

        /// "known keys are …", sorted.
        static var knownKeys: String { Key.allCases.map(\.rawValue).sorted().joined(separator: ", ") }
    }

    var root: Table<RootKey>
    /// `[smtp]`, when the file has `smtp` and it is a table (else only `root[.smtp]` holds it).
    var smtp: Table<SMTPKey>?
    /// `[retry]`, when the file has `retry` and it is a table.
    var retry: Table<RetryKey>?
    /// `[limits]`, when the file has `limits` and it is a table.
    var limits: Table<LimitsKey>? = nil
    /// `[bounces]`, when the file has `bounces` and it is a table.
    var bounces: Table<BouncesKey>? = nil
    /// `[templates]`, when the file has `templates` and it is a table: its keys are languages,
    /// not names Herald knows, so each is kept with its value and line, in the order of names.
    var templates: LanguageTable? = nil

    /// A table whose keys are the user's (`[templates]`: `fr = "letter.fr.md"`).
    struct LanguageTable: Equatable {
        var line: Int?
        var entries: [Entry] = []

        struct Entry: Equatable {
            var name: String
            var field: Field
        }
    }
    /// `[dkim]`, when the file has `dkim` and it is a table.
    var dkim: Table<DKIMKey>? = nil
    /// `[attachments]`, when the file has `attachments` and it is a table.
    var attachments: Table<AttachmentsKey>? = nil
    /// `[html]`, when the file has `html` and it is a table.
    var html: Table<HTMLKey>? = nil
}

/// The keys Herald knows in one table of a campaign file.
protocol CampaignFileKey: Hashable, CaseIterable, RawRepresentable where RawValue == String {
    /// The table's name (`smtp`); nil for the top level.
    static var tableName: String? { get }
}

extension CampaignFileKey {
    /// The key's full name in messages: `url` in `[smtp]` is `smtp.url`.
    var fieldName: String { Self.fieldName(rawValue) }

    /// The full name of a key of this table, known or not.
    static func fieldName(_ key: String) -> String { (tableName.map { "\($0)." } ?? "") + key }
}

extension CampaignFile {
    /// Reads TOML text into the file's shape; only TOML's own syntax is checked here.
    ///
    /// - Throws: `ValidationFailure` with one `.badConfig` diagnostic, on the parser's line,
    ///   when the text is not TOML.
    static func decode(_ text: String, file: String) throws(ValidationFailure) -> CampaignFile {
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ValidationFailure([
                Diagnostic(
                    .badConfig, file: file, line: error.source.begin.line,
                    "not valid TOML: \(error.description)")
            ])
        } catch {
            throw ValidationFailure([Diagnostic(.badConfig, file: file, "not valid TOML: \(error)")])
        }
        let locator = TOMLKeyLocator(text)

        func table<Key>(_ source: TOMLTable, at path: [String]) -> Table<Key> {
            var result = Table<Key>(line: path.isEmpty ? nil : locator.line(of: path))
            for name in source.keys.sorted() {
                guard let value = source[name] else { continue }
                let line = locator.line(of: path + [name])
                if let key = Key(rawValue: name) {
                    result.fields[key] = Field(value: Value(value), line: line)
                } else {
                    result.unknownKeys.append(UnknownKey(name: name, line: line))
                }
            }
            return result
        }

        return CampaignFile(
            root: table(document, at: []),
            smtp: document["smtp"]?.table.map { table($0, at: ["smtp"]) },
            retry: document["retry"]?.table.map { table($0, at: ["retry"]) },
            limits: document["limits"]?.table.map { table($0, at: ["limits"]) },
            bounces: document["bounces"]?.table.map { table($0, at: ["bounces"]) },
            templates: document["templates"]?.table.map { source in
                LanguageTable(
                    line: locator.line(of: ["templates"]),
                    entries: source.keys.sorted().compactMap { name in
                        source[name].map { LanguageTable.Entry(name: name, field: Field(value: Value($0), line: locator.line(of: ["templates", name]))) }
                    })
            },
            dkim: document["dkim"]?.table.map { table($0, at: ["dkim"]) },
            attachments: document["attachments"]?.table.map { table($0, at: ["attachments"]) },
            html: document["html"]?.table.map { table($0, at: ["html"]) })
    }
}

extension CampaignFile.Value {
    init(_ value: TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .array: self = .array((value.array.map(Array.init) ?? []).map(CampaignFile.Value.init))
        case .table: self = .table
        case .date, .time, .dateTime: self = .other(value.type.description)
        }
    }
}
