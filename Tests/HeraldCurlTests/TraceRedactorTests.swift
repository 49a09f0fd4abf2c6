import Foundation
import HeraldCurl
import Testing

@Suite struct TraceRedactorTests {
    static let secret = Data("\u{0}press\u{0}hunter2".utf8).base64EncodedString()

    @Test func authPlainLineIsRedacted() {
        var redactor = TraceRedactor()
        let shown = redactor.filter(.toServer, "AUTH PLAIN \(Self.secret)\r\n")
        #expect(shown == "> AUTH PLAIN [credentials redacted]")
    }

    @Test func answersToLoginChallengesAreRedacted() {
        var redactor = TraceRedactor()
        var shown: [String?] = []
        shown.append(redactor.filter(.toServer, "AUTH LOGIN"))
        shown.append(redactor.filter(.fromServer, "334 VXNlcm5hbWU6"))
        shown.append(redactor.filter(.toServer, Data("press".utf8).base64EncodedString()))
        shown.append(redactor.filter(.fromServer, "334 UGFzc3dvcmQ6"))
        shown.append(redactor.filter(.toServer, Data("hunter2".utf8).base64EncodedString()))
        shown.append(redactor.filter(.fromServer, "235 2.7.0 Authentication successful"))
        shown.append(redactor.filter(.toServer, "MAIL FROM:<a@b.example> SIZE=300"))
        #expect(
            shown == [
                "> AUTH LOGIN [credentials redacted]", "< 334 [challenge]", "> [credentials redacted]",
                "< 334 [challenge]", "> [credentials redacted]", "< 235 2.7.0 Authentication successful",
                "> MAIL FROM:<a@b.example> SIZE=300",
            ])
    }

    @Test func messageDataIsNotShown() {
        var redactor = TraceRedactor()
        #expect(redactor.filter(.other, "Subject: private letter") == nil)
        #expect(redactor.filter(.text, "Connected to 127.0.0.1") == "* Connected to 127.0.0.1")
    }
}
