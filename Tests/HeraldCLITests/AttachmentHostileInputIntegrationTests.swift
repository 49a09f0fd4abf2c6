import Foundation
import HeraldTestSupport
import Testing

/// The hostile review's attacks on attachments and logs, through the built `herald` and the
/// test server: each is refused before anything is sent, never hangs, and prints nothing raw.
@Suite(.tags(.integration)) struct AttachmentHostileInputIntegrationTests {
    /// A campaign with relative paths, run from its own folder (as the review's scripts did).
    static func campaign(attachment: String?, csv: String, extra: String = "") -> TemporaryDirectory {
        let folder = TemporaryDirectory("herald-hostile")
        _ = folder.write("t.mustache", "From: S <s@example.org>\nTo: {{email}}\nSubject: x\n" + (attachment.map { "Attachment: \($0)\n" } ?? "") + "\nbody\n")
        _ = folder.write("r.csv", csv)
        _ = folder.write(
            "c.toml",
            "name = \"hostile\"\ntemplate = \"t.mustache\"\nrecipients = [\"r.csv\"]\nlog = \"log.jsonl\"\n\(extra)[smtp]\nurl = \"smtp://127.0.0.1:9\"\n")
        return folder
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// NFC and NFD names are two files: each letter sent carries its own (the cache merged them).
    @Test func canonicallyEquivalentNamesAttachTheirOwnFiles() throws {
        let server = try SMTPTestServer()
        let folder = Self.campaign(attachment: "letters/{{file}}", csv: "email,file\na@example.org,\u{D6}sterreich.txt\nb@example.org,O\u{308}sterreich.txt\n")
        #expect(mkdir(folder.file("letters"), 0o700) == 0)
        AttachmentHostileInputFiles.make(folder.file("letters/\u{D6}sterreich.txt"), "FILE-A for Austria")
        AttachmentHostileInputFiles.make(folder.file("letters/O\u{308}sterreich.txt"), "FILE-B for Bob")
        let send = try Subprocess.herald(["send", "c.toml", "--smtp-url", server.url], directory: folder.path)
        #expect(send.status == 0, "\(send)")
        var byRecipient: [String: [UInt8]] = [:]
        for message in server.messages() {
            let report = try EmailOracle.check([message.file])[0]
            #expect(report.ok, "\(report.problems)")
            byRecipient[message.recipients.joined()] = report.parts.last?.data
        }
        #expect(byRecipient == ["a@example.org": Array("FILE-A for Austria".utf8), "b@example.org": Array("FILE-B for Bob".utf8)])
    }

    /// The review's secret.sh: a row naming the SMTP password file (or a hard link to it, or the
    /// list itself) is refused on its row at validate, preview and send; nothing is sent or printed.
    @Test func aFieldCannotAttachThePasswordFileOrTheList() throws {
        let server = try SMTPTestServer()
        let folder = Self.campaign(
            attachment: "{{file}}", csv: "email,file\nb@example.org,smtp-password\nc@example.org,r.csv\nd@example.org,notes.pdf\n",
            extra: "")
        _ = folder.write(
            "c.toml",
            "name = \"hostile\"\ntemplate = \"t.mustache\"\nrecipients = [\"r.csv\"]\nlog = \"log.jsonl\"\n[smtp]\nurl = \"smtp://127.0.0.1:9\"\nusername = \"u\"\npassword_file = \"smtp-password\"\n"
        )
        AttachmentHostileInputFiles.make(folder.file("smtp-password"), "hunter2\n")
        #expect(link(folder.file("smtp-password"), folder.file("notes.pdf")) == 0)
        let real = Self.realPath(folder.path)
        for command in [["validate", "c.toml"], ["preview", "c.toml", "--out", "pv"], ["send", "c.toml", "--smtp-url", server.url]] {
            let result = try Subprocess.herald(command, directory: folder.path)
            #expect(result.status == 65, "\(command): \(result)")
            #expect(result.stderr.contains("r.csv:2: Attachment: smtp-password is smtp.password_file, one of Herald's own files"), "\(result.stderr)")
            #expect(result.stderr.contains("r.csv:3: Attachment: r.csv is a recipient list of the campaign"), "\(result.stderr)")
            #expect(result.stderr.contains("r.csv:4: Attachment: notes.pdf is smtp.password_file"), "a hard link: \(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains("hunter2"))
            _ = real
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("pv")))
        #expect(server.connections() == 0 && server.messages().isEmpty)
    }

    /// The review's esc.sh: a value's escape sequences never reach the terminal raw, and a bare
    /// `{{file}}` link out names the folder by its real path, not `.`.
    @Test func diagnosticsShowValuesVisiblyAndNameTheRealFolder() throws {
        let escaped = Self.campaign(attachment: "letters/{{file}}", csv: "email,file\nb@example.org,\u{1B}]0;pwned\u{07}\u{1B}[2J.pdf\n")
        #expect(mkdir(escaped.file("letters"), 0o700) == 0)
        let validate = try Subprocess.herald(["validate", "c.toml"], directory: escaped.path)
        #expect(validate.status == 65, "\(validate)")
        #expect(!validate.stderr.contains("\u{1B}") && !validate.stderr.contains("\u{07}"))
        #expect(validate.stderr.contains("r.csv:2: Attachment: letters/\\u001B]0;pwned\\u0007\\u001B[2J.pdf does not exist"), "\(validate.stderr)")

        let bare = Self.campaign(attachment: "{{file}}", csv: "email,file\nb@example.org,leak.txt\n")
        let outside = TemporaryDirectory("herald-outside")
        let secret = outside.write("private.txt", "PRIVATE")
        #expect(symlink(secret, bare.file("leak.txt")) == 0)
        let result = try Subprocess.herald(["validate", "c.toml"], directory: bare.path)
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr.contains("r.csv:2: Attachment: leak.txt leads outside \(Self.realPath(bare.path)) (to \(Self.realPath(secret)))"), "\(result.stderr)")
    }

    /// The peak resident memory, in KiB, of `herald send` of `letters` letters, each with its own
    /// file of `size` bytes (none: `size` 0), to the test server over one connection.
    static func sendPeakKiB(letters: Int, fileSize size: Int) throws -> Int {
        let server = try SMTPTestServer()
        let rows = (0..<letters).map { "r\($0)@example.org,c\($0)" }.joined(separator: "\n")
        let folder = Self.campaign(attachment: size > 0 ? "letters/{{country}}.pdf" : nil, csv: "email,country\n\(rows)\n")
        #expect(mkdir(folder.file("letters"), 0o700) == 0)
        var generator = SplitMix(seed: UInt64(size))
        for index in 0..<letters where size > 0 {
            var bytes = [UInt8](repeating: 0, count: size)
            for offset in stride(from: 0, to: size, by: 8) { bytes[offset] = UInt8(truncatingIfNeeded: generator.next()) }
            FileManager.default.createFile(atPath: folder.file("letters/c\(index).pdf"), contents: Data(bytes))
        }
        let result = try Subprocess.run("/usr/bin/time", ["-f", "%M", PackagePaths.herald, "send", "c.toml", "--smtp-url", server.url], directory: folder.path)
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == letters)
        return Int(result.stderr.split(separator: "\n").last ?? "") ?? -1
    }

    /// `send` holds a letter it handed over no longer: its queue slot kept it (attachments
    /// included) until a thousand more were taken, so memory grew with every letter sent.
    @Test func sendDoesNotKeepLettersItHandedOver() throws {
        let bare = try Self.sendPeakKiB(letters: 12, fileSize: 0)
        let heavy = try Self.sendPeakKiB(letters: 12, fileSize: 4 << 20)
        #expect(bare > 0 && heavy > 0)
        // A letter is 5.4 MiB as sent: about two of them at a time, not twelve (65 MiB).
        #expect(heavy - bare < 20 * 1024, "peak \(bare) KiB without attachments, \(heavy) KiB with twelve letters of 4 MiB files")
    }

    /// The review's fifo.sh: a FIFO as the log, or a device given to verify-log, is refused with
    /// 66 saying what it is; no command waits on it.
    @Test func aLogThatIsNotARegularFileIsRefusedWithoutHanging() throws {
        let folder = Self.campaign(attachment: nil, csv: "email\nb@example.org\n")
        #expect(mkfifo(folder.file("log.jsonl"), 0o600) == 0)
        for command in [
            ["verify-log", "log.jsonl"], ["validate", "c.toml"], ["status", "c.toml"], ["send", "c.toml"], ["preview", "c.toml", "--out", "pv"],
        ] {
            let result = try Subprocess.herald(command, directory: folder.path, timeout: 20)
            if command[0] == "preview" {
                #expect(result.status == 0, "preview does not read the log: \(result)")
                continue
            }
            #expect(result.status == 66, "\(command): \(result)")
            #expect(result.stderr.contains("log.jsonl: is a FIFO (named pipe), not a regular file"), "\(command): \(result.stderr)")
        }
        let zero = try Subprocess.herald(["verify-log", "/dev/zero"], timeout: 20)
        #expect(zero.status == 66, "\(zero)")
        #expect(zero.stderr.contains("/dev/zero: is a character device, not a regular file"), "\(zero.stderr)")
    }
}

/// Files written byte for byte, as the kernel will name them.
enum AttachmentHostileInputFiles {
    static func make(_ path: String, _ text: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path)")
        _ = Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
}
