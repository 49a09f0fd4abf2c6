/// Writes the DKIM-Signature field's tags as folded lines of at most 78 characters
/// (RFC 5322 §2.1.1), breaking only where RFC 6376 allows folding whitespace: between tags,
/// after a `:` in `h=`, and anywhere inside the base64 of `b=`.
///
/// A fold is CR LF and one tab; relaxed canonicalisation turns it into one space, so the
/// signature does not depend on where the lines were broken.
struct DKIMHeaderFolder {
    static let maximumLineLength = 78
    private(set) var bytes: [UInt8]
    private var lineLength: Int

    /// Starts the field with its name and colon.
    init(name: String, capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes += name.utf8
        bytes.append(UInt8(ascii: ":"))
        lineLength = bytes.count
    }

    /// Appends `atom` after one space, or on a new line when it would not fit on this one.
    /// `spaced` false joins it to what precedes without a space when it fits (the names of `h=`).
    mutating func append<Atom: Collection<UInt8>>(_ atom: Atom, spaced: Bool = true) {
        let separator = spaced ? 1 : 0
        if lineLength + separator + atom.count > Self.maximumLineLength {
            fold()
        } else if spaced {
            bytes.append(0x20)
            lineLength += 1
        }
        bytes += atom
        lineLength += atom.count
    }

    /// Appends `tag=` for a value written next by `appendBroken(_:)`: after a space when it
    /// and a few characters of the value fit on this line, else at the start of the next.
    mutating func appendTag(_ tag: String) {
        let prefix = Array(tag.utf8) + [UInt8(ascii: "=")]
        if lineLength + 1 + prefix.count + 8 > Self.maximumLineLength {
            fold()
        } else {
            bytes.append(0x20)
            lineLength += 1
        }
        bytes += prefix
        lineLength += prefix.count
    }

    /// Appends `value` cut across as many lines as it needs: for base64, inside which folding
    /// whitespace is allowed (RFC 6376 §2.6).
    mutating func appendBroken<Value: RandomAccessCollection<UInt8>>(_ value: Value) where Value.Index == Int {
        var index = value.startIndex
        while index < value.endIndex {
            let room = Self.maximumLineLength - lineLength
            if room <= 0 {
                fold()
                continue
            }
            let end = min(value.endIndex, index + room)
            bytes += value[index..<end]
            lineLength += end - index
            index = end
        }
    }

    private mutating func fold() {
        bytes += [0x0D, 0x0A, 0x09]
        lineLength = 1
    }
}
