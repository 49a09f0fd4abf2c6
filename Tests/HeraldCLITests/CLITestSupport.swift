import Foundation
import HeraldTestSupport

/// A campaign written into a temporary folder: the real letter and list unless told otherwise.
struct TestCampaign {
    let folder: TemporaryDirectory
    let path: String
    var log: String { folder.file("delivery.jsonl") }

    init(url: String = "smtp://127.0.0.1:9", template: String? = nil, csv: String? = nil, extra: String = "") {
        let folder = TemporaryDirectory("herald-cli")
        self.folder = folder
        let templatePath = template.map { folder.write("letter.mustache", $0) } ?? PackagePaths.path("Templates/eu-china-dialogue-1999.mustache")
        let csvPath = csv.map { folder.write("list.csv", $0) } ?? PackagePaths.path("Recipients/eu-member-states-1999.csv")
        path = folder.write(
            "campaign.toml",
            """
            name = "cli-test"
            template = "\(templatePath)"
            recipients = ["\(csvPath)"]
            log = "delivery.jsonl"
            \(extra)
            [smtp]
            url = "\(url)"
            """)
    }

    func records() -> [[String: Any]] {
        guard let text = folder.read("delivery.jsonl") else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func send(_ server: SMTPTestServer?, _ more: [String] = []) throws -> Subprocess.Result {
        var arguments = ["send", path]
        if let server { arguments += ["--smtp-url", server.url] }
        return try Subprocess.herald(arguments + more)
    }

    func statusJSON() throws -> [String: Int] {
        let result = try Subprocess.herald(["status", path, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? Int }
    }
}

/// The real recipient list's lines, its header row first, for campaigns that change one thing.
func realRecipientRows() -> [String] {
    let text = (try? String(contentsOfFile: PackagePaths.path("Recipients/eu-member-states-1999.csv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map(String.init)
}
