/// The seam between the commands and where the suppression list is kept: read it, add the
/// permanent bounces of a pass, take an address off.
///
/// Contract: `add` and `remove` are durable when they return and never interleave with
/// another process's change to the same list (several campaigns share one); `read` of a
/// list never written is empty. The real one is `SuppressionFile` (HeraldStorage), made by
/// `ApplicationParts.openSuppressionList`; tests may keep one in memory.
public protocol SuppressionStore: Sendable {
    /// Where the list is kept, as messages name it (the file: its path).
    var location: String { get }
    /// The list; empty when none was written yet.
    func read() throws(SuppressionStoreFailure) -> SuppressionList
    /// Appends the entries whose address is not in the list yet; returns those added.
    @discardableResult
    func add(_ entries: [SuppressionList.Entry]) throws(SuppressionStoreFailure) -> [SuppressionList.Entry]
    /// Takes `address` off the list; false when it was not on it (nothing is written then).
    func remove(_ address: String) throws(SuppressionStoreFailure) -> Bool
}

/// A suppression list that cannot be read or written, in words naming where and why.
public struct SuppressionStoreFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
