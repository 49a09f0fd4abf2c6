extension String {
    /// True when a UTF-8 byte of the string satisfies `predicate`: read from its contiguous
    /// storage where it has one (every native string), which is several times faster than
    /// iterating `utf8`. For tests on ASCII bytes (control characters, line ends, spaces),
    /// looking at bytes is looking at code points.
    func containsUTF8(where predicate: (UInt8) -> Bool) -> Bool {
        utf8.withContiguousStorageIfAvailable { $0.contains(where: predicate) } ?? utf8.contains(where: predicate)
    }
}
