/// What changed between an approved (or reviewed) manifest and the current inputs, in words:
/// the input files whose hashes differ, then the letters changed, added or removed.
extension ReviewManifest {
    /// The input files that differ, one line each; empty when all are the same.
    public static func inputChanges(reviewed: [Input], current: [Input]) -> [String] {
        var lines: [String] = []
        let roles = [
            "campaign": "the campaign file", "template": "the template", "recipients": "the recipient list",
            "attachment": "the attachment",
        ]
        func name(_ input: Input) -> String { "\(roles[input.role] ?? input.role) \(input.path)" }
        // Matched by role and place among that role's files (a list renamed is still the second list).
        var currentByRole: [String: [Input]] = [:]
        for input in current { currentByRole[input.role, default: []].append(input) }
        var reviewedByRole: [String: [Input]] = [:]
        for input in reviewed { reviewedByRole[input.role, default: []].append(input) }
        for role in ["campaign", "template", "recipients", "attachment"] + Set(reviewedByRole.keys).union(currentByRole.keys).sorted()
        where reviewedByRole[role] != nil || currentByRole[role] != nil {
            let before = reviewedByRole.removeValue(forKey: role) ?? []
            let now = currentByRole.removeValue(forKey: role) ?? []
            for index in 0..<max(before.count, now.count) {
                switch (index < before.count ? before[index] : nil, index < now.count ? now[index] : nil) {
                case (let then?, let current?) where then.sha256 != current.sha256:
                    if role == "campaign", let before = then.settings, let now = current.settings {
                        let changes = settingChanges(reviewed: before, current: now)
                        lines.append(
                            "\(name(current)) changed what its letters are since the review: "
                                + (changes.isEmpty ? "its settings differ" : changes.joined(separator: "; ")))
                    } else {
                        lines.append("\(name(current)) changed since the review (sha256 \(then.sha256.prefix(12))… then, \(current.sha256.prefix(12))… now)")
                    }
                case (let then?, nil):
                    lines.append("\(name(then)) was reviewed but is no longer in the campaign")
                case (nil, let current?):
                    lines.append("\(name(current)) is new since the review")
                default:
                    break
                }
            }
        }
        return lines
    }

    /// The attached files that differ, matched by absolute path, one line each; empty when all are the same.
    ///
    /// Paths are compared absolute (``absolutePath(_:)``), as manifests record them, so a
    /// review and a check run from different working folders match; a relative path (a
    /// manifest of an earlier Herald) is taken from the working folder.
    public static func attachmentChanges(reviewed: [Input], current: [Input]) -> [String] {
        func key(_ path: String) -> String { path.hasPrefix("/") ? path : absolutePath(path) }
        let before = Dictionary(reviewed.map { (key($0.path), $0.sha256) }, uniquingKeysWith: { first, _ in first })
        let now = Dictionary(current.map { (key($0.path), $0.sha256) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        for input in current {
            guard let then = before[key(input.path)] else {
                lines.append("the attachment \(input.path) is new since the review")
                continue
            }
            if then != input.sha256 {
                lines.append("the attachment \(input.path) changed since the review (sha256 \(then.prefix(12))… then, \(input.sha256.prefix(12))… now)")
            }
        }
        for input in reviewed where now[key(input.path)] == nil {
            lines.append("the attachment \(input.path) was reviewed but no letter attaches it now")
        }
        return lines
    }

    /// Compares the current letters, as they come, with a reviewed manifest's.
    public final class LetterComparison {
        private var reviewed: [String: String]
        private var changed: [String] = []
        private var added: [String] = []
        /// Letters named per kind of change; the rest are counted.
        public let limit: Int

        public init(reviewed letters: [Letter], limit: Int = 10) {
            var byKey: [String: String] = [:]
            for letter in letters { byKey[letter.recipient] = letter.sha256 }
            reviewed = byKey
            self.limit = limit
        }

        /// Takes the next current letter.
        public func visit(_ letter: Letter) {
            guard let was = reviewed.removeValue(forKey: letter.recipient) else { added.append(letter.recipient); return }
            if was != letter.sha256 { changed.append(letter.recipient) }
        }

        /// The letters that differ, one line per kind.
        public func finish() -> [String] {
            func listed(_ keys: [String]) -> String {
                keys.prefix(limit).joined(separator: ", ") + (keys.count > limit ? " and \(keys.count - limit) more" : "")
            }
            var lines: [String] = []
            if !changed.isEmpty { lines.append("\(changed.count) letter\(changed.count == 1 ? "" : "s") changed: \(listed(changed))") }
            if !added.isEmpty { lines.append("\(added.count) letter\(added.count == 1 ? "" : "s") not in the review: \(listed(added))") }
            let removed = reviewed.keys.sorted()
            if !removed.isEmpty { lines.append("\(removed.count) reviewed letter\(removed.count == 1 ? "" : "s") no longer sent: \(listed(removed))") }
            return lines
        }
    }
}
