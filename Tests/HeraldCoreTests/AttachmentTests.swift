import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldCore

/// `Attachment:` lines: files as base64 parts of multipart/mixed, read once, checked before sending.
@Suite struct AttachmentTests {
    @Test func anAttachmentRoundTripsByteForByteThroughTheStrictParser() throws {
        let message = try RichLetterFixtures.letter("attached.mustache")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.map(\.content_type) == ["text/plain", "application/pdf"])
        #expect(report.parts[1].filename == "Germany.pdf")
        #expect(report.parts[1].disposition == "attachment")
        #expect(report.parts[1].transfer_encoding == "base64")
        #expect(report.parts[1].data == RichLetterFixtures.bytes("files/Germany.pdf"))
        #expect(report.body.contains("Government of Germany attached"))
    }

    @Test func nonASCIIAndLongFileNamesUseRFC2231AndRoundTrip() throws {
        let message = try RichLetterFixtures.letter("attached-nonascii.mustache")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        let letter = "Lettre à l’ambassade — Germany.pdf"
        let memo = "Memorandum on human rights in China, January 1999, Amnesty International.odt"
        #expect(report.parts.map(\.filename) == ["", letter, memo])
        #expect(report.parts.map(\.content_type) == ["text/plain", "application/pdf", "application/vnd.oasis.opendocument.text"])
        #expect(report.parts[1].data == RichLetterFixtures.bytes("files/\(letter)"))
        #expect(report.parts[2].data == RichLetterFixtures.bytes("files/\(memo)"))
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(text.contains("filename*0*=utf-8''Lettre%20%C3%A0%20l%E2%80%99ambassade%20%E2%80%94%20Germ;\r\n filename*1*=any.pdf\r\n"))
        #expect(text.contains("name=\"Lettre _ l_ambassade _ Germany.pdf\""), "the ASCII name for clients without RFC 2231")
        #expect(text.contains("filename*0*=utf-8''Memorandum"), "a long name is cut into RFC 2231 sections")
    }

    @Test func theHeadersOfAnAttachment() {
        func headers(_ name: String) -> String {
            String(decoding: AttachmentPart.headers(fileName: name, mediaType: MediaType.of(fileName: name)), as: UTF8.self)
        }
        #expect(
            headers("Brief für Bürger.pdf")
                == "Content-Type: application/pdf; name=\"Brief f_r B_rger.pdf\"\r\nContent-Disposition: attachment;\r\n filename*=utf-8''Brief%20f%C3%BCr%20B%C3%BCrger.pdf\r\nContent-Transfer-Encoding: base64\r\n"
        )
        #expect(
            headers("letter.pdf")
                == "Content-Type: application/pdf; name=\"letter.pdf\"\r\nContent-Disposition: attachment;\r\n filename=\"letter.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
        )
        #expect(headers("say \"hi\".txt").contains("filename*=utf-8''say%20%22hi%22.txt"), "a quote goes in the extended form")
        let long = headers(String(repeating: "Ž", count: 80) + ".pdf")
        #expect(long.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(long.contains("filename*5*="))
    }

    @Test func markdownWithAttachmentsIsAMixedWhoseFirstPartIsTheAlternative() throws {
        let message = try RichLetterFixtures.letter("both.txt")
        let report = try EmailOracle.check(bytes: message.data)
        #expect(report.ok, "\(report.problems)")
        #expect(report.parts.map(\.content_type) == ["text/plain", "text/html", "application/pdf", "application/pdf"])
        #expect(report.html.contains("<strong>signed letter</strong>"))
        #expect(report.parts[2].data == RichLetterFixtures.bytes("files/Germany.pdf"))
        #expect(report.parts[3].data == RichLetterFixtures.bytes("files/Lettre à l’ambassade — Germany.pdf"))
        let text = String(decoding: message.data, as: UTF8.self)
        #expect(text.contains("Content-Type: multipart/mixed;\r\n boundary=\"=_herald_"))
        #expect(!text.lowercased().contains("\r\nattachment:"), "the Attachment line is not a header of the message")
    }

    /// Every letter with a missing file is named, with the resolved path, before anything is sent.
    @Test func aMissingAttachmentIsADiagnosticOnTheRowNamingTheResolvedPath() throws {
        let csv = RichLetterFixtures.csv + "\nminister@minbuza.netherlands.example,Jozias van Aartsen,Minister,Dear Minister,Netherlands\n"
        #expect {
            _ = try RichLetterFixtures.prepared("attached.mustache", csv: csv, listFile: "ministers.csv")
        } throws: { error in
            guard let failure = error as? ValidationFailure else { return false }
            let expected =
                "ministers.csv:3: Attachment: \(RichLetterFixtures.folder)/files/Netherlands.pdf does not exist (attached by \(RichLetterFixtures.folder)/attached.mustache:4)"
            return failure.kind == .badData && failure.diagnostics.count == 1 && failure.diagnostics[0].description.hasPrefix(expected)
        }
    }

    /// A file every letter attaches (no field in its path) is reported once, on the template's line.
    @Test func aMissingSharedAttachmentIsReportedOnceOnTheTemplateLine() throws {
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: memo.pdf\n\nHi\n")
        let csv = "email\n" + (1...30).map { "r\($0)@x.example" }.joined(separator: "\n")
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: csv)
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.map(\.description)
                == ["\(template):4: Attachment: \(folder.path)/memo.pdf does not exist; put the file there or fix the path"]
        }
    }

    @Test(arguments: [
        ("..", "step into \"..\""),
        ("../../../../etc/passwd", "holds a / or \\"),
        ("/etc/passwd", "holds a / or \\"),
        ("a\\b", "holds a / or \\"),
    ])
    func aFieldCannotTakeAnAttachmentPathElsewhere(country: String, reason: String) throws {
        let csv = "email,name,title,salutation,country\nminister@x.example,N,T,Dear,\"\(country)\"\n"
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: files/{{country}}\n\nHi\n")
        #expect {
            _ = try RichLetterFixtures.prepared(template, csv: csv)
        } throws: { error in
            "\(error)".contains("list.csv:2: Attachment: ") && "\(error)".contains(reason)
        }
    }

    @Test func aFolderIsNotAnAttachment() throws {
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: {{country}}\n\nHi\n")
        _ = folder.write("Germany/inside.txt", "x")
        #expect {
            _ = try RichLetterFixtures.prepared(template)
        } throws: { error in "\(error)".contains("\(folder.path)/Germany is a folder, not a file") }
    }

    /// A file every letter carries is read once; per-recipient files are read once each, and
    /// the store keeps no more than its budget.
    @Test func aSharedFileIsReadOncePerCampaignAndTheCacheStaysWithinItsBudget() throws {
        let folder = TemporaryDirectory("herald-attach")
        let template = folder.write("letter.txt", "From: o@org.example\nTo: <{{email}}>\nSubject: s\nAttachment: shared.pdf\nAttachment: own/{{n}}.pdf\n\nHi\n")
        _ = folder.write("shared.pdf", String(repeating: "s", count: 1000))
        for n in 1...40 { _ = folder.write("own/\(n).pdf", String(repeating: "\(n % 10)", count: 3000)) }
        let csv = "email,n\n" + (1...40).map { "r\($0)@x.example,\($0)" }.joined(separator: "\n")
        let prepared = try RichLetterFixtures.prepared(template, csv: csv)
        #expect(prepared.attachmentStore.filesRead == 0, "the check before sending stats files, it does not read them")
        for recipient in try prepared.recipients {
            let message = try prepared.compose(recipient, date: RichLetterFixtures.date)
            #expect(message.data.count > 5000)
        }
        #expect(prepared.attachmentStore.filesRead == 41)
        let small = AttachmentStore(budget: 20_000)
        for n in 1...40 { _ = try small.part(folder.file("own/\(n).pdf")) }
        #expect(small.keptBytes <= 20_000)
    }

    @Test(arguments: [0, 1, 2, 3, 56, 57, 58, 59, 1000, 4097])
    func base64LinesAgreeWithFoundationAt76Characters(count: Int) {
        var generator = SplitMix(seed: UInt64(count))
        let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let ours = String(decoding: Base64Lines.encode(bytes), as: UTF8.self)
        let lines = ours.components(separatedBy: "\r\n")
        #expect(lines.dropLast().allSatisfy { $0.count <= 76 } && lines.last == "")
        #expect(lines.dropLast(2).allSatisfy { $0.count == 76 })
        #expect(ours.replacingOccurrences(of: "\r\n", with: "") == Data(bytes).base64EncodedString())
    }

    @Test(arguments: [
        ("a.PDF", "application/pdf"), ("b.jpeg", "image/jpeg"), ("c.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("d.csv", "text/csv"), ("e", "application/octet-stream"), (".pdf", "application/octet-stream"), ("f.tar.gz", "application/octet-stream"),
    ])
    func mediaTypesByExtension(name: String, type: String) {
        #expect(MediaType.of(fileName: name) == type)
    }
}
