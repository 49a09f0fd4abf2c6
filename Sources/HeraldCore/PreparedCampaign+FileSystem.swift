import Foundation

/// Reading a campaign and the files it names from disk: the only file access in HeraldCore.
extension PreparedCampaign {
    /// Loads and checks the campaign file, its template and its recipient lists.
    ///
    /// - Throws: `ValidationFailure`; its `kind` gives the exit status (78 campaign file,
    ///   66 missing input, 65 bad data).
    public static func load(campaignFile path: String, date: Date = Date(),
                            allowDuplicates: Bool = false) throws(ValidationFailure) -> PreparedCampaign {
        let text = try readText(path, missing: Diagnostic(.missingInput, file: path, "campaign file not found"))
        let campaign = try Campaign.parse(text, file: path)
        let locator = TOMLKeyLocator(text)
        var problems: [Diagnostic] = []
        var template: LetterTemplate?
        do {
            let source = try readText(campaign.templatePath,
                                      missing: Diagnostic(.missingInput, file: path, line: locator.line(of: "template", in: nil), field: "template",
                                                          "template file \(campaign.templatePath) not found"))
            template = try LetterTemplate(source: source, file: campaign.templatePath)
        } catch { problems += error.diagnostics }
        var lists: [RecipientList] = []
        for listPath in campaign.recipientPaths {
            do {
                let csv = try readText(listPath,
                                       missing: Diagnostic(.missingInput, file: path, line: locator.line(of: "recipients", in: nil), field: "recipients",
                                                           "recipient file \(listPath) not found"))
                lists.append(try RecipientList.parse(csv, file: listPath))
            } catch { problems += error.diagnostics }
        }
        guard problems.isEmpty, let template else { throw ValidationFailure(problems) }
        return try prepare(campaign: campaign, template: template, lists: lists, date: date, allowDuplicates: allowDuplicates)
    }

    /// Reads a UTF-8 text file; a missing file yields `missing`, undecodable bytes a bad-data diagnostic.
    static func readText(_ path: String, missing: Diagnostic) throws(ValidationFailure) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                var diagnostic = missing
                diagnostic.message = isDirectory.boolValue ? "\(path) is a folder, not a file" : "\(path) cannot be read (permissions?)"
                throw ValidationFailure([diagnostic])
            }
            throw ValidationFailure([missing])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationFailure([Diagnostic(.badData, file: path, "is not valid UTF-8 text; save it as UTF-8")])
        }
        return text
    }
}
