/// Variable envelope return paths: a per-letter bounce address, `bounces+TOKEN@domain`, for
/// servers that return no headers with their bounces.
///
/// The token is the hash part of the letter's Message-ID (`<TOKEN.herald@domain>`, 32 hex
/// digits): it already identifies the letter, says nothing about the recipient, and needs
/// no table to map back (the log has the Message-ID).
public enum VERP {
    /// The envelope sender for a letter: `local+TOKEN@domain` from the configured `local@domain`;
    /// nil when the Message-ID is not one of Herald's.
    public static func address(base: String, messageID: String) -> String? {
        guard let token = token(ofMessageID: messageID), let at = base.lastIndex(of: "@") else { return nil }
        return base[..<at] + "+" + token + base[at...]
    }

    /// The token of a Herald Message-ID, lowercased; nil for another form.
    public static func token(ofMessageID id: String) -> String? {
        var body = Substring(id)
        if body.hasPrefix("<") { body = body.dropFirst() }
        guard let dot = body.firstIndex(of: "."), body[dot...].lowercased().hasPrefix(".herald@") else { return nil }
        let token = body[..<dot].lowercased()
        return isToken(token) ? token : nil
    }

    /// The token in a delivered-to address `local+TOKEN@domain`; nil when there is none.
    public static func token(inAddress address: String) -> String? {
        guard let at = address.lastIndex(of: "@"), let plus = address[..<at].lastIndex(of: "+") else { return nil }
        let token = address[address.index(after: plus)..<at].lowercased()
        return isToken(token) ? token : nil
    }

    private static func isToken(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
