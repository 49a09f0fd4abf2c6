import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldCurl

/// The bounce mailbox's errors quote the failing command's own answer (its tagged `NO` or
/// `BAD`), never the `LOGOUT`'s `OK` read after it, and name the two fetches apart.
@Suite(.serialized, .tags(.integration, .dovecot)) struct CurlIMAPMailboxTests {
    @Test func theRefusalIsTheLastTaggedNoOrBadNotTheLogoutsOK() {
        let session = """
            * OK [CAPABILITY IMAP4rev1] ready\r
            A001 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r
            A002 NO [TRYCREATE] Mailbox doesn't exist: Archive\r
            * BYE Logging out\r
            A003 OK Logout completed.\r

            """
        #expect(CurlIMAPMailbox.refusal(in: Array(session.utf8)) == "A002 NO [TRYCREATE] Mailbox doesn't exist: Archive")
        #expect(CurlIMAPMailbox.refusal(in: Array("A004 BAD Error in IMAP command\r\nA005 OK Logout completed\r\n".utf8)) == "A004 BAD Error in IMAP command")
        #expect(CurlIMAPMailbox.refusal(in: Array("* NO [ALERT] quota\r\nA005 OK Logout completed\r\n".utf8)) == nil)
    }

    static func mailbox(_ server: DovecotServer, folder: String = "INBOX") throws -> CurlIMAPMailbox {
        let url = try IMAPURL(parsing: server.url.replacingOccurrences(of: "/INBOX", with: "/\(folder)"))
        return try CurlIMAPMailbox(endpoint: .init(url: url, username: server.username, password: server.password))
    }

    @Test func aMissingFolderQuotesDovecotsAnswerToTheSelect() throws {
        let server = try DovecotServer()
        let mailbox = try Self.mailbox(server, folder: "NoSuchFolder")
        do throws(BounceMailboxError) {
            _ = try mailbox.list()
            Issue.record("a missing folder was listed")
        } catch {
            #expect(error.kind == .refused, "\(error)")
            #expect(error.message.contains("SELECT NoSuchFolder") && error.message.contains("doesn't exist"), "\(error.message)")
            #expect(!error.message.contains("Logout"), "the LOGOUT's answer was quoted: \(error.message)")
        }
    }

    @Test func aRefusedMoveQuotesDovecotsAnswerToTheMove() throws {
        let server = try DovecotServer()
        try server.deliver(Array("From: a@b.example\r\nTo: bounces@x.example\r\nSubject: x\r\nMessage-ID: <m1@b.example>\r\n\r\nhi\r\n".utf8))
        let mailbox = try Self.mailbox(server)
        let listing = try mailbox.list()
        try #require(listing.messages.count == 1)
        // A name Dovecot refuses to create (too long), so the MOVE into it is refused too.
        let folder = String(repeating: "P", count: 400)
        do throws(BounceMailboxError) {
            try mailbox.move([listing.messages[0].uid], uidValidity: listing.uidValidity, to: folder)
            Issue.record("a move to a folder that cannot exist succeeded")
        } catch {
            #expect(error.message.contains("UID MOVE: "), "\(error.message)")
            #expect(
                error.message.range(of: #"[A-Z]\d+ (NO|BAD) \[TRYCREATE\] Mailbox doesn.t exist"#, options: .regularExpression) != nil,
                "no server refusal quoted: \(error.message)")
            #expect(!error.message.contains("Logout"), "the LOGOUT's answer was quoted: \(error.message)")
        }
        #expect(server.messages().count == 1, "the message stays where it was")
    }
}
