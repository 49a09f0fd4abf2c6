/// DKIM's "relaxed" canonicalisation of header fields and of the body (RFC 6376 §3.4.2 and
/// §3.4.4), on bytes.
///
/// Relaxed survives what mail servers commonly do to a letter on its way (refolding header
/// lines, changing the case of a field name, adding or removing spaces at line ends, blank
/// lines at the end), so a letter that was only reformatted still verifies; "simple" breaks on
/// any of them. Both sides compute the same bytes: the signer here, the verifier on what it
/// received. Only CR LF ends a line; a lone CR or LF is an ordinary byte, as for every verifier.
enum DKIMCanonicalization {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A

    @inline(__always)
    static func isWSP(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// Appends one header field, relaxed: the name lowercased, the value unfolded (every CR LF
    /// removed), each run of spaces and tabs made one space, none at the value's ends nor
    /// around the colon, then `name:value` and CR LF (`lineEnd` false leaves it off: the
    /// DKIM-Signature field itself is hashed without it, RFC 6376 §3.7).
    ///
    /// - Parameter field: the whole field as it stands in the message, from its name to the
    ///   end of its last line, that line's CR LF excluded.
    static func appendRelaxedHeader(_ field: ArraySlice<UInt8>, lineEnd: Bool = true, to out: inout [UInt8]) {
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return }
        var nameEnd = colon
        while nameEnd > field.startIndex && isWSP(field[nameEnd - 1]) { nameEnd -= 1 }
        for byte in field[field.startIndex..<nameEnd] {
            out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
        }
        out.append(UInt8(ascii: ":"))
        // Spaces are held back until a byte that is not one follows: so none is written at the
        // value's start (nothing written yet) nor at its end (nothing follows).
        var pendingSpace = false
        var wrote = false
        var index = colon + 1
        let end = field.endIndex
        while index < end {
            let byte = field[index]
            if byte == cr && index + 1 < end && field[index + 1] == lf {
                index += 2  // unfold: the line break goes, the WSP after it is a run like any other
                continue
            }
            if isWSP(byte) {
                pendingSpace = wrote
            } else {
                if pendingSpace { out.append(space) }
                pendingSpace = false
                out.append(byte)
                wrote = true
            }
            index += 1
        }
        if lineEnd {
            out.append(cr)
            out.append(lf)
        }
    }

    /// Appends the body, relaxed: spaces and tabs at the end of each line removed, every other
    /// run of them made one space, the empty lines at the end removed, and a non-empty body
    /// ended by CR LF. An empty body (or one of empty lines only) canonicalises to nothing
    /// (RFC 6376 errata 1384: the CR LF the simple form adds is not added here).
    static func appendRelaxedBody(_ body: ArraySlice<UInt8>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + body.count + 2)
        var emptyLines = 0  // empty lines seen and not yet written: written only if text follows
        var lineStart = true  // nothing of the current line written yet
        var pendingSpace = false
        var index = body.startIndex
        let end = body.endIndex
        while index < end {
            let byte = body[index]
            if byte == cr && index + 1 < end && body[index + 1] == lf {
                if lineStart {
                    emptyLines += 1
                } else {
                    out.append(cr)
                    out.append(lf)
                }
                lineStart = true
                pendingSpace = false
                index += 2
                continue
            }
            if isWSP(byte) {
                pendingSpace = true
            } else {
                if lineStart {
                    while emptyLines > 0 {
                        out.append(cr)
                        out.append(lf)
                        emptyLines -= 1
                    }
                    lineStart = false
                }
                if pendingSpace { out.append(space) }
                pendingSpace = false
                out.append(byte)
            }
            index += 1
        }
        // A last line without its CR LF gets one (its trailing spaces are dropped like any line's).
        if !lineStart {
            out.append(cr)
            out.append(lf)
        }
    }
}
