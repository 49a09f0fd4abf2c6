extension Mailbox {
    /// Why an address header value could not be read as a list of mailboxes.
    public enum ListProblem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case unbalanced(String)
        case badAddress(String, EmailAddress.Problem)

        public var description: String {
            switch self {
            case .empty: return "names no address"
            case .unbalanced(let item): return "cannot read \"\(item)\": unbalanced quotes or angle brackets"
            case .badAddress(let text, let problem): return "address \"\(text)\" \(problem)"
            }
        }
    }

    /// Reads a rendered address header value: `Name <a@b.example>, "Last, First" <c@d.example>, e@f.example`.
    ///
    /// Display names may be bare or quoted; non-ASCII names are allowed (they are
    /// encoded when composed). Comments and groups are not supported.
    public static func parseList(_ text: String) throws(ListProblem) -> [Mailbox] {
        var result: [Mailbox] = []
        for item in try splitList(text) {
            let address: EmailAddress
            do { address = try EmailAddress(parsing: item.address) } catch { throw .badAddress(item.address, error) }
            result.append(Mailbox(displayName: item.displayName, address: address))
        }
        return result
    }

    /// One mailbox of a list, read but not yet checked: the display name unquoted, the
    /// address as written (between the angle brackets, or the whole item).
    public struct Parts: Sendable, Equatable {
        public var displayName: String?
        public var address: String
    }

    /// Splits an address list into display names and addresses without checking the
    /// addresses. The template renderer reads the list's *structure* this way from a
    /// skeleton in which every field value is a placeholder, so that no value can add,
    /// remove or change a mailbox.
    public static func splitList(_ text: String) throws(ListProblem) -> [Parts] {
        var items: [String] = []
        var current = ""
        var inQuotes = false, inAngle = false, escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where inQuotes: escaped = true; current.append(character)
            case "\"" where !inAngle: inQuotes.toggle(); current.append(character)
            case "<" where !inQuotes:
                if inAngle { throw .unbalanced(text) }
                inAngle = true; current.append(character)
            case ">" where !inQuotes:
                if !inAngle { throw .unbalanced(text) }
                inAngle = false; current.append(character)
            case "," where !inQuotes && !inAngle:
                items.append(current); current = ""
            default: current.append(character)
            }
        }
        if inQuotes || inAngle { throw .unbalanced(text) }
        items.append(current)
        let trimmed = items.map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        if trimmed.isEmpty { throw .empty }
        var result: [Parts] = []
        for item in trimmed { result.append(try splitOne(item)) }
        return result
    }

    private static func splitOne(_ item: String) throws(ListProblem) -> Parts {
        guard let open = item.lastIndex(of: "<") else { return Parts(displayName: nil, address: item) }
        guard item.hasSuffix(">") else { throw .unbalanced(item) }
        let addressText = String(item[item.index(after: open)..<item.index(before: item.endIndex)]).trimmingSpaces
        var name = String(item[..<open]).trimmingSpaces
        if name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 {
            var unescaped = ""
            var escaped = false
            for character in name.dropFirst().dropLast() {
                if escaped { unescaped.append(character); escaped = false } else if character == "\\" { escaped = true } else { unescaped.append(character) }
            }
            name = unescaped
        } else if name.contains("\"") {
            throw .unbalanced(item)
        }
        return Parts(displayName: name.isEmpty ? nil : name, address: addressText)
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
