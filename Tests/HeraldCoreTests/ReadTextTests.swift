import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// Text files that are not UTF-8: the line and byte of the first bad sequence, and the right kind.
@Suite struct ReadTextTests {
    @Test(
        arguments: [
            (Array("plain ASCII\nand more\n".utf8), nil as Int?, nil as Int?),
            (Array("Sané, naïve, 東京, 🙂\n".utf8), nil, nil),
            (Array("email\nb@x.example,Ren".utf8) + [0xE9] + Array(",2\n".utf8), 21, 2),  // Latin-1 é
            ([0x41, 0x0A, 0x0A, 0xC0, 0x80], 3, 3),  // overlong NUL
            ([0x41, 0xED, 0xA0, 0x80], 1, 1),  // UTF-16 surrogate
            ([0xF4, 0x90, 0x80, 0x80], 0, 1),  // past U+10FFFF
            (Array("ok\n€".utf8).dropLast(), 3, 2),  // cut short at the end
            ([0x61, 0x80, 0x0A], 1, 1),  // a lone continuation byte
        ] as [([UInt8], Int?, Int?)])
    func firstInvalidByteIsLocated(bytes: [UInt8], offset: Int?, line: Int?) {
        let found = InputFile.firstInvalidUTF8(bytes)
        #expect(found?.offset == offset)
        #expect(found?.line == line)
        #expect((found == nil) == (String(bytes: bytes, encoding: .utf8) != nil), "agrees with Foundation's decoder")
    }

    @Test func diagnosticNamesTheLineTheByteAndTheKind() throws {
        let folder = TemporaryDirectory("herald-read-text")
        let path = folder.file("list.csv")
        let bytes = Array("email,name\na@x.example,Ann\nb@x.example,Ren".utf8) + [0xE9] + Array("\n".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let missing = Diagnostic(.missingInput, file: path, "not found")
        for kind in [Diagnostic.Kind.badData, .badConfig] {
            do {
                _ = try InputFile.readText(path, missing: missing, kind: kind)
                Issue.record("a Latin-1 file was read as UTF-8")
            } catch {
                #expect(error.kind == kind)
                #expect(
                    error.diagnostics.map(\.description) == [
                        "\(path):3: byte 43 is not valid UTF-8 (0xE9, \"é\" in Latin-1 or Windows-1252, which the file is probably saved in); save the file as UTF-8"
                    ])
            }
        }
    }

    @Test func campaignFileThatIsNotUTF8IsACampaignFileError() throws {
        let folder = TemporaryDirectory("herald-read-text")
        let path = folder.file("campaign.toml")
        _ = FileManager.default.createFile(atPath: path, contents: Data(Array("name = \"x\"\n# San".utf8) + [0xE9] + [0x0A]))
        do {
            _ = try PreparedCampaign.load(campaignFile: path, date: Date(timeIntervalSince1970: 918_000_000))
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .badConfig)
            #expect(error.diagnostics.first?.line == 2)
        }
    }

    /// A FIFO or a device given as a template (or campaign file) is named for what it is, not
    /// "cannot be read (permissions?)", and nothing is read from it.
    @Test func aFIFOOrADeviceIsNamedForWhatItIs() throws {
        let folder = TemporaryDirectory("herald-read-text")
        let fifo = folder.file("letter.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let missing = Diagnostic(.missingInput, file: "c.toml", line: 2, field: "template", "template file not found")
        for (path, what) in [(fifo, "a FIFO (named pipe)"), ("/dev/zero", "a character device")] {
            #expect {
                _ = try InputFile.readText(path, missing: missing)
            } throws: { error in
                "\(error)"
                    == "c.toml:2: template: \(path) is \(what), not a regular file; Herald reads it whole and checks it before sending, so save it to a file and name that"
            }
        }
        let campaign = folder.write(
            "c.toml", "name = \"c\"\ntemplate = \"letter.fifo\"\nrecipients = [\"l.csv\"]\nlog = \"l.jsonl\"\n[smtp]\nurl = \"smtp://127.0.0.1:2525\"\n")
        _ = folder.write("l.csv", "email\na@x.example\n")
        #expect {
            _ = try PreparedCampaign.load(campaignFile: campaign, date: Date(timeIntervalSince1970: 918_000_000))
        } throws: { "\($0)".contains("\(fifo) is a FIFO (named pipe), not a regular file") }
    }
}
