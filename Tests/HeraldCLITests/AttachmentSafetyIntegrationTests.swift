import Foundation
import HeraldTestSupport
import Testing

/// Attachments through the command line and the test server: a link out of the folder and a
/// letter too heavy are refused before anything is sent; the preview holds one letter at a time.
@Suite(.tags(.integration)) struct AttachmentSafetyIntegrationTests {
    static let csv = "email,name,country\na@x.example,Ann,Austria\nb@x.example,Bo,Belgium\n"

    /// A sparse file (no disk used) of `size` bytes.
    static func sparse(_ path: String, size: Int) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)!
        try! handle.truncate(atOffset: UInt64(size))
        try! handle.close()
    }

    @Test func aLinkOutOfTheAttachmentFolderExits65AndSendsNothing() throws {
        let server = try SMTPTestServer()
        let campaign = RichLetterIntegrationTests.campaign(csv: Self.csv, files: ["letters/Austria.pdf": Array("%PDF-1.4 Austria".utf8)])
        let secret = campaign.folder.write("private/secret.txt", "the office's private key material")
        try FileManager.default.createSymbolicLink(atPath: campaign.folder.file("letters/Belgium.pdf"), withDestinationPath: secret)
        for command in [["validate", campaign.path], ["preview", campaign.path, "--out", campaign.folder.file("preview")]] {
            let result = try Subprocess.herald(command)
            #expect(result.status == 65, "\(result)")
            #expect(
                result.stderr.contains(
                    "list.csv:3: Attachment: \(campaign.folder.file("letters/Belgium.pdf")) leads outside \(campaign.folder.file("letters"))"),
                "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: campaign.folder.file("preview")), "no letter is written")
        let send = try campaign.send(server)
        #expect(send.status == 65, "\(send)")
        #expect(server.connections() == 0 && server.messages().isEmpty, "not even Austria's letter")
        #expect(!(send.stdout + send.stderr).contains("private key material"))
    }

    @Test func aLetterOverTheLimitIsRefusedAtValidatePreviewAndSend() throws {
        let server = try SMTPTestServer()
        let campaign = RichLetterIntegrationTests.campaign(csv: Self.csv, files: ["letters/Austria.pdf": Array("%PDF-1.4 Austria".utf8)])
        Self.sparse(campaign.folder.file("letters/Belgium.pdf"), size: 8 << 20)
        for command in [
            ["validate", campaign.path], ["preview", campaign.path, "--out", campaign.folder.file("preview")],
            ["send", campaign.path, "--smtp-url", server.url],
        ] {
            let result = try Subprocess.herald(command)
            #expect(result.status == 65, "\(result)")
            #expect(
                result.stderr.contains(
                    "list.csv:3: Attachment: the attachments come to 11479150 bytes as sent (base64, 37% more than the files): \(campaign.folder.file("letters/Belgium.pdf")) (8.0 MiB, 10.9 MiB as sent); a letter may carry at most 10485760 bytes"
                ), "\(result.stderr)")
        }
        #expect(server.connections() == 0 && server.messages().isEmpty)
        #expect(campaign.folder.read("delivery.jsonl") == nil)

        // The campaign's own limit lets it through.
        let raised = RichLetterIntegrationTests.campaign(
            csv: Self.csv, files: ["letters/Austria.pdf": Array("%PDF-1.4 Austria".utf8)],
            extra: "[attachments]\nmax_bytes_per_letter = 12000000")
        Self.sparse(raised.folder.file("letters/Belgium.pdf"), size: 8 << 20)
        let validate = try Subprocess.herald(["validate", raised.path])
        #expect(validate.status == 0, "\(validate)")
    }

    /// The peak resident memory of `herald preview` of three letters, each with its own file of `size` bytes, in KiB.
    static func previewPeakKiB(fileSize size: Int) throws -> Int {
        let csv = "email,name,country\na@x.example,Ann,Austria\nb@x.example,Bo,Belgium\nc@x.example,Cy,Cyprus\n"
        var files: [String: [UInt8]] = [:]
        for country in ["Austria", "Belgium", "Cyprus"] {
            var generator = SplitMix(seed: UInt64(country.utf8.count))
            var bytes = [UInt8](repeating: 0, count: size)
            for index in stride(from: 0, to: size, by: 8) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            files["letters/\(country).pdf"] = bytes
        }
        let campaign = RichLetterIntegrationTests.campaign(csv: csv, files: files, extra: "[attachments]\nmax_bytes_per_letter = 40000000")
        let result = try Subprocess.run("/usr/bin/time", ["-f", "%M", PackagePaths.herald, "preview", campaign.path, "--out", campaign.folder.file("preview")])
        #expect(result.status == 0, "\(result)")
        return Int(result.stderr.split(separator: "\n").last ?? "") ?? -1
    }

    /// Composing a letter holds its attachment encoded once beside the letter itself, not the
    /// file, its encoding, a multipart body and the message (four copies, about 5.4 times the file).
    @Test func previewHoldsALettersAttachmentTwiceAtMost() throws {
        let small = try Self.previewPeakKiB(fileSize: 1 << 10)
        let large = try Self.previewPeakKiB(fileSize: 20 << 20)
        #expect(small > 0 && large > 0)
        // 20 MiB is 27 MiB as sent: the letter and its part, 54 MiB; four copies were 101 MiB.
        #expect(large - small < 70 * 1024, "peak \(small) KiB with 1 KiB files, \(large) KiB with 20 MiB files")
    }

    /// `herald check` warns when the campaign lets a letter's attachments reach the server's SIZE,
    /// and not when its limit is below it.
    @Test func checkWarnsWhenTheCampaignsLimitIsNotBelowTheServersSize() throws {
        let server = try SMTPTestServer(faults: ["--size-limit", "5000000"])
        let files = ["letters/Austria.pdf": Array("%PDF-1.4 Austria".utf8), "letters/Belgium.pdf": Array("%PDF-1.4 Belgium".utf8)]
        let loose = RichLetterIntegrationTests.campaign(csv: Self.csv, files: files)
        let warned = try Subprocess.herald(["check", loose.path, "--smtp-url", server.url])
        #expect(warned.status == 0, "\(warned)")
        #expect(
            warned.stderr.contains("warning: [attachments] max_bytes_per_letter is 10485760 bytes, not below the server's SIZE of 5000000 bytes"),
            "\(warned.stderr)")
        let tight = RichLetterIntegrationTests.campaign(csv: Self.csv, files: files, extra: "[attachments]\nmax_bytes_per_letter = 4000000")
        let quiet = try Subprocess.herald(["check", tight.path, "--smtp-url", server.url])
        #expect(quiet.status == 0, "\(quiet)")
        #expect(!quiet.stderr.contains("max_bytes_per_letter"), "\(quiet.stderr)")
        #expect(server.messages().isEmpty)
    }
}
