/// One row of a recipient list: its fields by column name and where it came from.
public struct Recipient: Sendable, Equatable {
    /// The CSV file the row was read from.
    public var file: String
    /// The 1-based physical line on which the row starts.
    public var line: Int
    /// Column name → value, exactly as in the file (no trimming: data is data).
    public var fields: [String: String]
    /// The row's `email` column, checked.
    public var address: EmailAddress
    /// 2 for the second row with the same address (kept only with `--allow-duplicates`), and so on.
    public var duplicateOrdinal = 1

    public init(file: String, line: Int, fields: [String: String], address: EmailAddress) {
        self.file = file
        self.line = line
        self.fields = fields
        self.address = address
    }

    /// The key under which this recipient's deliveries are logged.
    public var key: String { address.normalized + (duplicateOrdinal > 1 ? "#\(duplicateOrdinal)" : "") }

    /// SHA-256 of the row's fields, independent of column order: changes when any value does.
    public var fingerprint: String {
        SHA256.hex(fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{0}"))
    }
}
