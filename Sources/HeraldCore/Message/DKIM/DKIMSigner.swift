import Crypto
import Foundation

/// Signs composed messages for one campaign with DKIM (RFC 6376; RFC 8463 for Ed25519),
/// relaxed/relaxed: the key is parsed once, each letter is signed by `sign(_:time:)`.
///
/// Contract: `sign` returns the message with one `DKIM-Signature` field put first, the rest
/// unchanged byte for byte. The field carries `v=1; a=…; c=relaxed/relaxed; d=…; s=…; t=…;
/// h=…; bh=…; b=…`, folded under 78 characters. Pure: the same message, time and key give the
/// same bytes (RSA PKCS #1 v1.5 and Ed25519 signatures are deterministic), so previews and
/// golden tests are stable.
///
/// **What is signed.** Each header field named in the settings (`DKIMSettings.headers`) is
/// signed as often as the letter has it, and named once more in `h=` (over-signing, RFC 6376
/// §8.15): a verifier then counts an added field of that name, or a second `From` or
/// `Subject` put above the signed one (which many mail programs would show instead), as a
/// change, and the signature fails. A field the letter does not have (`Cc`, `Reply-To`) is
/// named once, so it cannot be added on the way either.
///
/// **`t=`.** The signing time is the letter's own `Date` (the composer's `date`, passed in),
/// not the clock at signing: the signature stays a function of the message, and a preview
/// differs from the sent letter only where its `Date` does. No `x=`: a letter in doubt may be
/// resent days later with the same Message-ID and must still verify.
public struct DKIMSigner: Sendable {
    public let settings: DKIMSettings
    let key: DKIMPrivateKey
    /// The names of `settings.headers` lowercased, each once, in order.
    let names: [[UInt8]]
    /// `DKIM-Signature: v=1; a=…; c=relaxed/relaxed; d=…; s=…` as the folder wrote it, and the
    /// folder's state after it: the start every letter's field shares.
    private let start: DKIMHeaderFolder

    /// A signature could not be computed (the crypto library refused): not expected once the
    /// key was parsed; the letter is not sent.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(settings: DKIMSettings, key: DKIMPrivateKey) {
        self.settings = settings
        self.key = key
        var seen: Set<String> = []
        names = settings.headers.map { $0.lowercased() }.filter { seen.insert($0).inserted }.map { Array($0.utf8) }
        var folder = DKIMHeaderFolder(name: "DKIM-Signature", capacity: 0)
        folder.append("v=1;".utf8)
        folder.append("a=\(settings.algorithm.rawValue);".utf8)
        folder.append("c=relaxed/relaxed;".utf8)
        folder.append("d=\(settings.domain);".utf8)
        folder.append("s=\(settings.selector);".utf8)
        start = folder
    }

    /// The message with its DKIM-Signature field first.
    ///
    /// - Parameters:
    ///   - message: the whole composed message, CR LF line ends, headers, a blank line, the body.
    ///   - time: the signing time for `t=`: the letter's `Date`.
    public func sign(_ message: [UInt8], time: Date) throws(Failure) -> [UInt8] {
        let field = try signatureField(message, time: time)
        var signed: [UInt8] = []
        signed.reserveCapacity(field.count + message.count)
        signed += field
        signed += message
        return signed
    }

    /// The DKIM-Signature field for `message`, its final CR LF included.
    func signatureField(_ message: [UInt8], time: Date) throws(Failure) -> [UInt8] {
        let fields = Self.headerFields(message)
        let bodyStart = fields.bodyStart

        var body: [UInt8] = []
        DKIMCanonicalization.appendRelaxedBody(message[bodyStart...], to: &body)
        let bodyHash = DKIMBase64.encode(Array(Crypto.SHA256.hash(data: body)))

        // The fields to sign, in h= order: each name's instances from the bottom up, then the
        // name once more with nothing left to sign (RFC 6376 §5.4.2).
        var folder = start
        folder.append("t=\(Int64(time.timeIntervalSince1970.rounded(.down)));".utf8)
        var hashed: [UInt8] = []
        hashed.reserveCapacity(1024)
        var first = true
        var listed: [[UInt8]] = []
        for name in names {
            for range in fields.ranges.reversed() where Self.nameMatches(message, range, name) {
                DKIMCanonicalization.appendRelaxedHeader(message[range], to: &hashed)
                listed.append(name)
            }
            listed.append(name)
        }
        for (index, name) in listed.enumerated() {
            let last = index == listed.count - 1
            var atom = first ? Array("h=".utf8) : []
            atom += name
            atom.append(last ? UInt8(ascii: ";") : UInt8(ascii: ":"))
            folder.append(atom, spaced: first)
            first = false
        }
        folder.append(Array("bh=".utf8) + bodyHash + [UInt8(ascii: ";")])
        folder.appendTag("b")
        // The field as it will stand, with b= empty and without its CR LF (RFC 6376 §3.7).
        DKIMCanonicalization.appendRelaxedHeader(folder.bytes[...], lineEnd: false, to: &hashed)
        let signature: [UInt8]
        do { signature = try key.sign(digest: Crypto.SHA256.hash(data: hashed)) } catch {
            throw Failure(description: "DKIM signing failed: \(error)")
        }
        folder.appendBroken(DKIMBase64.encode(signature))
        var field = folder.bytes
        field += [0x0D, 0x0A]
        return field
    }

    /// True when the field in `range` of `message` is named `name` (lowercase), in any case.
    static func nameMatches(_ message: [UInt8], _ range: Range<Int>, _ name: [UInt8]) -> Bool {
        guard range.count > name.count else { return false }
        var index = range.lowerBound
        for expected in name {
            let byte = message[index]
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lower != expected { return false }
            index += 1
        }
        while index < range.upperBound && DKIMCanonicalization.isWSP(message[index]) { index += 1 }
        return index < range.upperBound && message[index] == UInt8(ascii: ":")
    }

    /// Where each header field of `message` lies (from its name to the end of its last line,
    /// that line's CR LF excluded), and where the body starts (after the blank line; the end
    /// when there is none).
    static func headerFields(_ message: [UInt8]) -> (ranges: [Range<Int>], bodyStart: Int) {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(16)
        var fieldStart = 0
        var index = 0
        let count = message.count
        while index < count {
            // At a line start.
            if index + 1 < count && message[index] == 0x0D && message[index + 1] == 0x0A {
                if index > fieldStart { ranges.append(fieldStart..<index) }
                return (ranges, index + 2)  // the blank line: the body follows
            }
            // To this line's CR LF.
            var end = index
            while end + 1 < count && !(message[end] == 0x0D && message[end + 1] == 0x0A) { end += 1 }
            if end + 1 >= count { break }  // no CR LF: no blank line, no body
            let next = end + 2
            let continues = next < count && DKIMCanonicalization.isWSP(message[next])
            if !continues {
                ranges.append(fieldStart..<end)
                fieldStart = next
            }
            index = next
        }
        if count > fieldStart { ranges.append(fieldStart..<count) }
        return (ranges, count)
    }
}
