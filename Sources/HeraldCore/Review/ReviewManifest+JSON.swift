import Foundation

/// `manifest.json` (and an approval record), written as the letters come so a manifest of
/// 100,000 letters is never held: the opening with the inputs, one line per letter, then the
/// closing with the count and the manifest hash, known only at the end. Key order in the file
/// does not matter to JSON; one letter per line keeps the file readable with `grep`.
extension ReviewManifest {
    /// The text before the first letter.
    public static func jsonOpening(campaign: String, inputs: [Input]) -> String {
        var text = "{\n  \"format\": \(jsonString(format)),\n  \"campaign\": \(jsonString(campaign)),\n  \"inputs\": [\n"
        text += inputs.map(jsonInput).joined(separator: ",\n")
        return text + "\n  ],\n  \"letters\": ["
    }

    /// One input's object; the campaign's with its covered settings.
    static func jsonInput(_ input: Input) -> String {
        var text = "    {\"role\": \(jsonString(input.role)), \"path\": \(jsonString(input.path)), \"sha256\": \(jsonString(input.sha256))"
        if let settings = input.settings { text += ", \"settings\": [" + settings.map(jsonString).joined(separator: ", ") + "]" }
        return text + "}"
    }

    /// One letter's line; `first` for the first letter (no comma before it).
    public static func jsonLetter(_ letter: Letter, first: Bool) -> String {
        var text = first ? "\n    " : ",\n    "
        text += "{\"recipient\": \(jsonString(letter.recipient)), \"envelope\": ["
        text += letter.envelope.map(jsonString).joined(separator: ", ")
        text += "], \"sha256\": \(jsonString(letter.sha256))"
        if let file = letter.file { text += ", \"file\": \(jsonString(file))" }
        return text + "}"
    }

    /// The text after the last letter: the count, the hash, the attached files (when any).
    public static func jsonClosing(count: Int, manifestSHA256: String, attachments: [Input] = [], approvedAt: String? = nil) -> String {
        var text = (count == 0 ? "]" : "\n  ]") + ",\n  \"count\": \(count),\n  \"manifest_sha256\": \(jsonString(manifestSHA256))"
        if !attachments.isEmpty {
            text += ",\n  \"attachments\": [\n" + attachments.map(jsonInput).joined(separator: ",\n") + "\n  ]"
        }
        if let approvedAt { text += ",\n  \"approved_at\": \(jsonString(approvedAt))" }
        return text + "\n}\n"
    }

    /// Reads a manifest or an approval record; nil when it is not one.
    public static func read(_ data: Data) -> ReviewManifest? {
        guard let manifest = try? JSONDecoder().decode(ReviewManifest.self, from: data), manifest.format == format else { return nil }
        return manifest
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
