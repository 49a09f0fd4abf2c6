import Foundation
import HeraldCLI
import HeraldStorage
import HeraldTestSupport
import Testing

/// The `herald` binary against a real SMTP server (aiosmtpd) started on a free loopback port.
@Suite(.tags(.integration)) struct SendIntegrationTests {
    @Test func sendsTheLetterToAllFifteenGovernmentsAsPreviewed() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        let previewFolder = campaign.folder.file("preview")
        let preview = try Subprocess.herald(["preview", campaign.path, "--out", previewFolder])
        #expect(preview.status == 0, "\(preview)")
        let sent = try campaign.send(server)
        #expect(sent.status == 0, "\(sent)")
        #expect(sent.stdout.contains("cli-test: 15 sent, 0 failed, 0 deferred, 0 in doubt, 0 already done"))

        let received = server.messages()
        #expect(received.count == 15)
        #expect(server.connections() == 1, "one SMTP connection is reused for every message")
        let previews = try FileManager.default.contentsOfDirectory(atPath: previewFolder).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(previews.count == 15)
        for (file, message) in zip(previews, received) {
            let previewed = try #require(FileManager.default.contents(atPath: (previewFolder as NSString).appendingPathComponent(file)))
            #expect(
                message.body == SMTPTestServer.Received.split([UInt8](previewed)).body, "\(file): the body that arrived is the body previewed, byte for byte")
            #expect(String(decoding: previewed, as: UTF8.self).contains("Message-ID: \(message.messageID ?? "?")\r\n"))
        }
        let reports = try EmailOracle.check(received.map(\.file))
        #expect(reports.allSatisfy { $0.ok }, "\(reports.filter { !$0.ok }.map(\.problems))")
        let rows = realRecipientRows().dropFirst()
        #expect(Set(reports.map(\.to_address)) == Set(rows.map { String($0.prefix { $0 != "," }) }))
        #expect(reports.contains { $0.to_display_name == "Hubert Védrine" && $0.body.contains("Government of France") })

        let records = campaign.records()
        #expect(records.filter { $0["status"] as? String == "sent" }.count == 15)
        #expect(
            records.filter { $0["status"] as? String == "sent" }.allSatisfy {
                ($0["smtp_code"] as? Int) == 250 && ($0["smtp_reply"] as? String)?.hasPrefix("250 2.0.0 Ok: queued as") == true
            })

        let again = try campaign.send(server)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("0 sent, 0 failed, 0 deferred, 0 in doubt, 15 already done"))
        #expect(server.messages().count == 15, "a second send sends nothing new")
        #expect(
            try campaign.statusJSON() == [
                "total": 15, "sent": 15, "failed": 0, "deferred": 0, "pending": 0, "in_doubt": 0, "bounced": 0, "delayed": 0, "suppressed": 0,
            ])
    }

    @Test func rejectedRecipientIsFailedAndTheOthersGoOn() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "minister@mfa.greece.example=550"])
        let campaign = TestCampaign()
        let result = try campaign.send(server)
        #expect(result.status == 1, "\(result)")
        #expect(server.messages().count == 14)
        let failed = campaign.records().filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1)
        #expect(failed.first?["recipient"] as? String == "minister@mfa.greece.example")
        #expect(failed.first?["smtp_code"] as? Int == 550)
        #expect(try campaign.statusJSON()["failed"] == 1)
        #expect(try campaign.send(server).status == 0, "a permanent failure is not retried")
        #expect(server.messages().count == 14)
    }

    @Test func rcpt451TwiceIsRetriedWithinTheRun() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "minister@ud.sweden.example=451x2"])
        let campaign = TestCampaign(extra: "[retry]\ninitial_backoff_seconds = 0.2\n")
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        #expect(server.messages().count == 15)
        #expect(server.messages().filter { $0.recipients == ["minister@ud.sweden.example"] }.count == 1)
        let sweden = campaign.records().filter { $0["recipient"] as? String == "minister@ud.sweden.example" }
        #expect(sweden.map { $0["status"] as? String ?? "" } == ["sending", "deferred", "sending", "deferred", "sending", "sent"])
        #expect(sweden.compactMap { $0["smtp_code"] as? Int } == [451, 451, 250])
    }

    @Test func deferredRecipientIsSentOnTheNextRun() throws {
        let server = try SMTPTestServer(faults: ["--rcpt-reply", "minister@ud.sweden.example=451x1"])
        let campaign = TestCampaign(extra: "[retry]\nmax_attempts = 1\n")
        let first = try campaign.send(server)
        #expect(first.status == 75, "\(first)")
        #expect(server.messages().count == 14)
        #expect(try campaign.statusJSON()["deferred"] == 1)
        let second = try campaign.send(server)
        #expect(second.status == 0, "\(second)")
        let sweden = server.messages().filter { $0.recipients == ["minister@ud.sweden.example"] }
        #expect(sweden.count == 1)
        #expect(campaign.records().last?["attempt"] as? Int == 2)
    }

    @Test func serverDownExits69AndLosesNothing() throws {
        let port = unusedLoopbackPort()
        let campaign = TestCampaign(url: "smtp://127.0.0.1:\(port)", extra: "[retry]\nmax_attempts = 3\ninitial_backoff_seconds = 0.1\n")
        let down = try campaign.send(nil)
        #expect(down.status == 69, "\(down)")
        #expect(down.stderr.contains("server unavailable"))
        #expect(campaign.records().filter { $0["status"] as? String == "deferred" }.count == 3, "three attempts, each logged")
        let server = try SMTPTestServer()
        let up = try campaign.send(server)
        #expect(up.status == 0, "\(up)")
        #expect(server.messages().count == 15)
    }

    @Test func aSecondSenderOfTheSameCampaignExits75() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        let lock = try CampaignLock(logPath: campaign.log, campaign: "cli-test")
        let blocked = try campaign.send(server)
        #expect(blocked.status == 75)
        #expect(blocked.stderr.contains("campaign cli-test is being sent by pid \(getpid())"))
        #expect(server.connections() == 0)
        withExtendedLifetime(lock) {}
    }

    @Test func inDoubtRecipientIsReportedAndOnlyResentWhenAsked() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        // A crash after the intent for Austria was written and before its outcome.
        let intent =
            #"{"attempt":1,"campaign":"cli-test","message_id":"<x@amnesty.example>","recipient":"minister@bmaa.austria.example","status":"sending","time":"2026-11-29T00:00:00Z"}"#
        campaign.folder.write("delivery.jsonl", intent + "\n")
        let first = try campaign.send(server)
        #expect(first.status == 75, "\(first)")
        #expect(first.stderr.contains("in doubt: minister@bmaa.austria.example <x@amnesty.example>"))
        #expect(server.messages().count == 14)
        #expect(!server.messages().contains { $0.recipients == ["minister@bmaa.austria.example"] })
        #expect(try campaign.statusJSON()["in_doubt"] == 1)
        let resend = try campaign.send(server, ["--resend-in-doubt"])
        #expect(resend.status == 0, "\(resend)")
        #expect(server.messages().filter { $0.recipients == ["minister@bmaa.austria.example"] }.count == 1)
    }

    @Test func tornLastLogLineIsSkippedAndRepaired() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        campaign.folder.write("delivery.jsonl", #"{"attempt":1,"campaign":"cli-te"#)
        let result = try campaign.send(server)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("delivery.jsonl:1: ignoring an incomplete last line"))
        let text = campaign.folder.read("delivery.jsonl") ?? ""
        #expect(!text.contains(#""campaign":"cli-te{"#) && text.hasPrefix("{\"attempt\":1,\"campaign\":\"cli-test\""))
        #expect(campaign.records().count == 30)
    }

    @Test func malformedLogLineStopsTheRun() throws {
        let server = try SMTPTestServer()
        let campaign = TestCampaign()
        campaign.folder.write("delivery.jsonl", "not json\n{}\n")
        let result = try campaign.send(server)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("delivery.jsonl:1: not a delivery record"))
        #expect(server.connections() == 0)
    }
}
