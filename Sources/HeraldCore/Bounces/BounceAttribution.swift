/// Which letter a bounce is about, decided only from what identifies a letter, and whether
/// it was recorded already.
///
/// Built from a campaign's delivery log (every occurrence: a recurring campaign's letters
/// differ by occurrence, and a bounce may come days later): each letter's Message-ID (the
/// log has the one it went out with), and every report already recorded, by its IMAP
/// position and by its own Message-ID. Pure: the `bounces` command feeds it records and
/// messages, and writes what it decides.
public struct BounceAttribution: Sendable {
    /// A letter that went out: the log's key for it and its Message-ID.
    public struct Letter: Sendable, Equatable {
        public var recipient: String
        public var occurrence: String?
        public var messageID: String
        /// Attempts recorded for it; a bounce record repeats the count (it is no new attempt).
        public var attempts: Int
        /// The addresses a report may be about, lowercased, the row's own first: the letter's
        /// envelope as its `sent` record logs it (`envelope`), less those the server refused
        /// (`refused`: the letter never went to them). Only the row's address for a log
        /// written before envelopes were recorded.
        public var envelope: [String]
    }

    /// How a bounce was tied to its letter.
    public enum Clue: String, Sendable, Equatable {
        /// The letter's Message-ID in the returned headers (`text/rfc822-headers`, `message/rfc822`, quoted headers).
        case returnedHeaders = "returned headers"
        /// The letter's Message-ID in the bounce's `In-Reply-To` or `References`.
        case reference = "In-Reply-To/References"
        /// The VERP token in the address the bounce was delivered to.
        case verp = "VERP address"
    }

    /// What to do with one message of the mailbox.
    public enum Decision: Sendable, Equatable {
        /// Append these records (`bounced` or `delayed`, one per envelope address the report
        /// names, the row's own first), then move the message.
        case record([DeliveryRecord], clue: Clue)
        /// Its report is in the log already (a run stopped between writing and moving): move it, write nothing.
        case alreadyRecorded(recipient: String)
        /// Leave it where it is and say why: not a bounce, an auto-reply, no letter of this campaign identified.
        case leave(reason: String)
    }

    public let campaign: String
    private var letters: [String: Letter] = [:]
    private var byToken: [String: String] = [:]
    /// Attempts per Message-ID (lowercased), whatever their outcome.
    private var attempts: [String: Int] = [:]
    /// Letters of the log never accepted by the server, by Message-ID, with their last status.
    private var unsent: [String: DeliveryStatus] = [:]
    /// Addresses already recorded per report, by its IMAP position and by its own Message-ID (lowercased).
    private var recordedPositions: [MailboxPosition: Set<String>] = [:]
    private var recordedReports: [String: Set<String>] = [:]

    public init(campaign: String, records: [DeliveryRecord] = []) {
        self.campaign = campaign
        for record in records { apply(record) }
    }

    /// Folds one log record in (records of other campaigns are ignored).
    ///
    /// Only a `sent` record makes a letter a report can be about: a letter that was never
    /// accepted (only `sending`, `deferred` or `failed` records) went nowhere, so no report
    /// about it is genuine, and recording one would stop a deferred letter being sent or turn
    /// a refused one into a suppression. Its envelope is the `sent` record's, less the
    /// addresses the server refused.
    public mutating func apply(_ record: DeliveryRecord) {
        guard record.campaign == campaign else { return }
        let key = record.messageID.lowercased()
        switch record.status {
        case .sending, .failed, .deferred:
            attempts[key] = max(attempts[key] ?? 0, record.attempt)
            if var letter = letters[key] {
                letter.attempts = max(letter.attempts, record.attempt)
                letters[key] = letter
            } else {
                unsent[key] = record.status
            }
        case .sent:
            let count = max(attempts[key] ?? 0, letters[key]?.attempts ?? 0, record.attempt)
            attempts[key] = count
            var envelope = [record.recipient.lowercased()]
            if let recorded = record.envelope {
                envelope = BounceMessage.unique(envelope + recorded.map { $0.lowercased() })
            }
            let refused = Set((record.refused ?? []).map { $0.recipient.lowercased() })
            envelope = envelope.filter { !refused.contains($0) }
            letters[key] = Letter(
                recipient: record.recipient, occurrence: record.occurrence, messageID: record.messageID,
                attempts: count, envelope: envelope)
            unsent[key] = nil
            if let token = VERP.token(ofMessageID: record.messageID) { byToken[token] = key }
        case .bounced, .delayed:
            let address = (record.dsnRecipient ?? record.recipient).lowercased()
            if let validity = record.imapUIDValidity, let uid = record.imapUID {
                recordedPositions[MailboxPosition(uidValidity: validity, uid: uid), default: []].insert(address)
            }
            if let id = record.bounceMessageID { recordedReports[id.lowercased(), default: []].insert(address) }
        }
    }

    /// The letter a bounce is about, and by which clue; nil with the reason when there is none
    /// or the clues disagree (two letters named: never a guess).
    public func letter(for bounce: BounceMessage, verp: Bool) -> Result<(Letter, Clue), Unattributed> {
        func known(_ ids: [String]) -> [Letter] {
            var found: [Letter] = []
            for id in ids { if let letter = letters[id.lowercased()], !found.contains(letter) { found.append(letter) } }
            return found
        }
        // Every clue is read, and all must agree: returned headers naming one letter and
        // References (or the VERP address) naming another is a contradiction, never a guess.
        var candidates: [(Letter, Clue)] = known(bounce.returnedMessageIDs).map { ($0, .returnedHeaders) }
        for letter in known(bounce.referencedMessageIDs) where !candidates.contains(where: { $0.0 == letter }) {
            candidates.append((letter, .reference))
        }
        if verp {
            let ids = bounce.deliveredTo.compactMap(VERP.token(inAddress:)).compactMap { byToken[$0] }
            for letter in known(ids) where !candidates.contains(where: { $0.0 == letter }) { candidates.append((letter, .verp)) }
        }
        switch candidates.count {
        case 1: return .success(candidates[0])
        case 0:
            let seen = BounceMessage.unique(bounce.returnedMessageIDs + bounce.referencedMessageIDs)
            if let id = seen.first(where: { unsent[$0.lowercased()] != nil }), let status = unsent[id.lowercased()] {
                return .failure(
                    Unattributed(
                        reason: "it names the letter \(id), which the server never accepted (its last record is "
                            + "\(status.rawValue)): a report about a letter that did not go out is not genuine; not counted, nothing suppressed"))
            }
            return .failure(
                Unattributed(
                    reason: seen.isEmpty
                        ? (verp ? "no returned headers and no VERP token of this campaign" : "no returned headers (VERP is off)")
                        : "no letter of campaign \"\(campaign)\" has Message-ID \(seen.joined(separator: " or "))"))
        default:
            return .failure(
                Unattributed(
                    reason:
                        "it names \(candidates.count) letters (\(candidates.map { "\($0.0.recipient) by \($0.1.rawValue)" }.joined(separator: ", "))); not guessing"
                ))
        }
    }

    /// Why a message was not tied to a letter.
    public struct Unattributed: Error, Sendable, Equatable {
        public var reason: String
    }

    /// What to do with the message at `position`, read now (`time`, RFC 3339).
    public func decide(_ bounce: BounceMessage, at position: MailboxPosition?, verp: Bool, time: String) -> Decision {
        switch bounce.kind {
        case .autoReply:
            return .leave(reason: "an auto-reply (\(bounce.autoReplySigns.joined(separator: ", "))), not a bounce")
        case .other:
            return .leave(reason: "not a delivery report")
        case .deliveryReport, .textBounce:
            break
        }
        let failures = bounce.failures
        guard !failures.isEmpty else {
            return .leave(reason: "a delivery report without a failure or delay (\(bounce.recipients.compactMap(\.action).joined(separator: ", ")))")
        }
        let letter: Letter, clue: Clue
        switch self.letter(for: bounce, verp: verp) {
        case .success(let found): (letter, clue) = found
        case .failure(let unattributed): return .leave(reason: unattributed.reason)
        }
        // Only reports about an address the letter went to count: everyone the letter reached
        // sees its Message-ID, and anyone can write to the bounce mailbox.
        let reports = failures.compactMap { report in Self.envelopeAddress(of: report, in: letter).map { (report, $0) } }
        guard !reports.isEmpty else { return .leave(reason: Self.strangerReason(failures, letter: letter)) }
        // What an earlier run recorded from this report (found by its position or its own
        // Message-ID) is not written again; an address it did not get to still is.
        var recorded = position.flatMap { recordedPositions[$0] } ?? []
        if let id = bounce.messageID { recorded.formUnion(recordedReports[id.lowercased()] ?? []) }
        // One record per envelope address the report names (a row delayed and its Cc failed are
        // two results, neither lost), the row's own first; a second group about the same
        // address keeps the first one's.
        var seen = Set<String>()
        let ordered = reports.filter { $0.1 == letter.recipient.lowercased() } + reports.filter { $0.1 != letter.recipient.lowercased() }
        let fresh = ordered.filter { seen.insert($0.1).inserted && !recorded.contains($0.1) }
        guard !fresh.isEmpty else { return .alreadyRecorded(recipient: letter.recipient) }
        let records = fresh.map { report, address in
            DeliveryRecord(
                time: time, campaign: campaign, recipient: letter.recipient, messageID: letter.messageID,
                status: report.outcome == .bounced ? .bounced : .delayed, attempt: letter.attempts, occurrence: letter.occurrence,
                bounce: BounceFields(
                    dsnStatus: report.status, dsnRecipient: address, diagnosticCode: report.diagnosticCode,
                    remoteMTA: report.remoteMTA, bounceMessageID: bounce.messageID, bounceDate: bounce.date,
                    imapUIDValidity: position?.uidValidity, imapUID: position?.uid))
        }
        return .record(records, clue: clue)
    }

    /// The address of the letter's envelope a report is about: its `Final-Recipient`, else its
    /// `Original-Recipient` (the address as the sender gave it, where a forward started); nil
    /// when it names neither, or only addresses the letter never went to.
    static func envelopeAddress(of report: RecipientStatus, in letter: Letter) -> String? {
        for candidate in [report.finalRecipient, report.originalRecipient] {
            if let address = candidate?.lowercased(), letter.envelope.contains(address) { return address }
        }
        return nil
    }

    /// Why a report that names a letter is still not counted: it names no address, or only
    /// addresses outside the letter's envelope (a forgery, or a report about another message).
    static func strangerReason(_ failures: [RecipientStatus], letter: Letter) -> String {
        let named = BounceMessage.unique(failures.flatMap { [$0.finalRecipient, $0.originalRecipient].compactMap { $0?.lowercased() } })
        guard !named.isEmpty else {
            return "unattributed: it names the letter \(letter.messageID) to \(letter.recipient) but no recipient address, "
                + "so it cannot be checked against that letter's envelope; not counted"
        }
        return "unattributed: it names the letter \(letter.messageID) to \(letter.recipient) but reports on \(named.joined(separator: ", ")), "
            + "not an address that letter went to; not counted, nothing suppressed"
    }
}

/// Where a message sits in an IMAP mailbox: its UID, meaningful only with the folder's UIDVALIDITY.
public struct MailboxPosition: Sendable, Hashable, CustomStringConvertible {
    public var uidValidity: Int
    public var uid: Int

    public init(uidValidity: Int, uid: Int) {
        self.uidValidity = uidValidity
        self.uid = uid
    }

    public var description: String { "UID \(uid) (UIDVALIDITY \(uidValidity))" }
}
