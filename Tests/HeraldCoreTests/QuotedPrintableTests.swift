import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

@Suite struct QuotedPrintableTests {
    // MARK: Exact encodings (worked out by hand from RFC 2045 §6.7)

    @Test(arguments: [
        ("", ""),
        ("\r\n", "\r\n"),
        ("plain ASCII text", "plain ASCII text"),
        ("Sané", "San=C3=A9"),
        ("a=b", "a=3Db"),
        ("===", "=3D=3D=3D"),
        ("end \r\nnext", "end=20\r\nnext"),
        ("tab\t\r\n", "tab=09\r\n"),
        ("two  ", "two =20"),
        ("in side", "in side"),
        ("\t", "=09"),
        ("€", "=E2=82=AC"),
        ("–", "=E2=80=93"),
        ("a\nb", "a=0Ab"),
        ("a\rb", "a=0Db"),
        ("nul\u{0}", "nul=00"),
        ("~ and }", "~ and }"),
        ("line\r\n\r\n", "line\r\n\r\n"),
    ])
    func encodesExactly(input: String, expected: String) {
        #expect(QuotedPrintable.encode(input) == expected)
    }

    @Test func longLineGetsSoftBreaksAtSeventySixColumns() {
        let encoded = QuotedPrintable.encode(String(repeating: "x", count: 200))
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.count == 3)
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") && $0.utf8.count <= 76 })
        #expect(lines.joined().replacingOccurrences(of: "=", with: "") == String(repeating: "x", count: 200))
    }

    // MARK: Structural properties over many inputs

    static let samples: [String] = {
        var samples = [
            "Sané\r\n",
            "Dear Mr Védrine,\r\n\r\nAmnesty International writes ahead of the EU–China dialogue.\r\n",
            String(repeating: "é", count: 300),
            String(repeating: "=", count: 200),
            String(repeating: " ", count: 200),
            String(repeating: "\t ", count: 100) + "\r\n",
            String(repeating: "word ", count: 300) + "\r\n",
            "中华人民共和国外交部 " + String(repeating: "人权", count: 80) + "\r\n",
            "emoji 👨‍👩‍👧‍👦 🇪🇺 " + String(repeating: "🙂", count: 40) + "\r\n",
            "trailing space \r\ntrailing tab\t\r\nboth \t\r\n",
            "lone\nLF and lone\rCR and nul\u{0} and del\u{7F}",
            ".\r\n..dots\r\nFrom the start\r\n",
            "ends without a line break",
        ]
        // A multi-byte character placed at every position around the 76-column boundary.
        for n in 68...80 {
            samples.append(String(repeating: "a", count: n) + "é" + String(repeating: "b", count: 10) + "\r\n")
            samples.append(String(repeating: "a", count: n) + "=" + " " + "\r\n")
            samples.append(String(repeating: "a", count: n) + " ")
        }
        return samples
    }()

    @Test(arguments: samples)
    func everyEncodedLineIsShortSevenBitAndWellFormed(input: String) {
        let encoded = QuotedPrintable.encode(input)
        #expect(!encoded.replacingOccurrences(of: "\r\n", with: "").contains("\r"), "bare CR")
        #expect(!encoded.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF")
        for line in encoded.components(separatedBy: "\r\n") {
            let bytes = Array(line.utf8)
            #expect(bytes.count <= QuotedPrintable.maxLineLength, "line of \(bytes.count): \(line)")
            #expect(bytes.allSatisfy { ($0 >= 33 && $0 <= 126) || $0 == 0x20 || $0 == 0x09 }, "non-printable in \(line)")
            if let last = bytes.last {
                #expect(last != 0x20 && last != 0x09, "trailing whitespace in \(line.debugDescription)")
            }
            // Every '=' starts an escape of two upper-case hex digits, or is the soft break at the line's end.
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "=") {
                    if index == bytes.count - 1 { break }
                    let hex = Set("0123456789ABCDEF".utf8)
                    #expect(index + 2 < bytes.count, "short escape in \(line)")
                    if index + 2 < bytes.count {
                        #expect(hex.contains(bytes[index + 1]) && hex.contains(bytes[index + 2]), "bad escape in \(line)")
                    }
                    index += 3
                } else {
                    index += 1
                }
            }
        }
        // Hard line breaks are kept one for one; soft ones are additional.
        #expect(
            encoded.components(separatedBy: "\r\n").count - encoded.components(separatedBy: "=\r\n").count + 1
                == input.components(separatedBy: "\r\n").count)
        #expect(encoded.hasSuffix("\r\n") == input.hasSuffix("\r\n"))
    }

    // MARK: Python decodes it back to the same bytes

    /// Decodes `encoded` with Python's `quopri` and returns the bytes it produced.
    static func pythonDecode(_ encoded: String) throws -> [UInt8] {
        let folder = TemporaryDirectory("herald-qp")
        let path = folder.write("encoded.txt", encoded)
        let code = """
            import quopri, sys
            data = open(sys.argv[1], 'rb').read()
            sys.stdout.write(quopri.decodestring(data).hex())
            """
        let result = try Subprocess.run(PackagePaths.python, ["-c", code, path])
        guard result.status == 0 else {
            Issue.record("python failed: \(result)")
            return []
        }
        return try hexBytes(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func hexBytes(_ hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        try #require(digits.count % 2 == 0)
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            try #require(UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16))
        }
    }

    @Test(arguments: samples)
    func pythonQuopriRecoversTheExactBytes(input: String) throws {
        let decoded = try Self.pythonDecode(QuotedPrintable.encode(input))
        #expect(decoded == Array(input.utf8), "decoded: \(String(decoding: decoded, as: UTF8.self).debugDescription)")
    }

    @Test func pythonEmailPackageDecodesAQuotedPrintableBody() throws {
        let body =
            "Dear Mr Schüssel,\r\n\r\n" + String(repeating: "Menschenrechte – human rights = 人权. ", count: 12)
            + "\r\ntrailing space \r\n"
        let message =
            "From: Sender <sender@org.example>\r\nTo: a@b.example\r\nSubject: qp\r\n"
            + "Date: Wed, 03 Feb 1999 00:00:00 +0000\r\nMessage-ID: <qp-test@org.example>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + QuotedPrintable.encode(body)
        let report = try EmailOracle.check(bytes: Array(message.utf8))
        #expect(report.ok, "\(report.problems)")
        #expect(report.body == body)
    }
}
