import HeraldCore

/// Why a command stops: the lines it prints on stderr and the exit status it ends with.
///
/// The error carries its own status, as Hummingbird's `HTTPResponseError` carries an HTTP
/// status: `Application`'s helpers throw it where they find the problem, and `Application.run`
/// turns it into output once, at the top of each command. Thrown with typed throws
/// (`throws(CommandFailure)`), so every way a command can stop has its status by construction.
public struct CommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var exitStatus: ExitStatus
    /// Printed on stderr, in order, before the command ends.
    public var messages: [String]

    public init(_ exitStatus: ExitStatus, _ messages: [String]) {
        self.exitStatus = exitStatus
        self.messages = messages
    }

    public init(_ exitStatus: ExitStatus, _ message: String) {
        self.init(exitStatus, [message])
    }

    public var description: String { messages.joined(separator: "\n") }
}

extension CommandFailure {
    /// Every diagnostic on its own line; the status of the most serious kind (78, 66, 65).
    init(_ failure: ValidationFailure) {
        // One line each, whatever a quoted value holds.
        self.init(ExitStatus(failure.kind), failure.diagnostics.map { TerminalText.visible($0.description) })
    }

    /// A transport that cannot be made for `campaign`: its settings are the problem (78,
    /// named as the campaign file's `smtp.tls`), or the transport is unavailable here (69).
    init(_ error: TransportSetupError, campaign: Campaign) {
        switch error {
        case .conflictingTLS:
            self.init(.config, "\(campaign.file): smtp.tls: \(error)")
        case .unavailable:
            self.init(.unavailable, "cannot set up the SMTP transport: \(error)")
        }
    }

    /// A journal that cannot be locked or read: 75 while another process holds the campaign,
    /// 74 when it cannot be opened or read, 65 when it is damaged or another campaign's.
    init(_ error: JournalError) {
        switch error {
        case .busy(let message): self.init(.tempFail, message)
        case .unavailable(let message): self.init(.ioError, message)
        case .damaged(let message): self.init(.dataError, message)
        }
    }
}
