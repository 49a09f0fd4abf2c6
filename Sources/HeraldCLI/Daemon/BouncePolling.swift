import Foundation
import HeraldCore
import Logging

/// The bounce poller's loop and state: one mailbox per campaign, and when each is next read.
struct BouncePolling {
    /// One campaign's bounce mailbox and when it is next read.
    struct Mailbox: Equatable {
        var path: String
        var name: String
        var seconds: Int
        var next: Date
    }

    let directory: String
    let firing: DaemonFiring
    let reloads: ReloadSignal
    var mailboxes: [Mailbox] = []
    /// The folder as last loaded (nil: it could not be listed).
    var stamp: [String: Date]?
    var seenReload = 0

    var clock: any HeraldClock { firing.clock }

    init(directory: String, firing: DaemonFiring, reloads: ReloadSignal) {
        self.directory = directory
        self.firing = firing
        self.reloads = reloads
    }

    /// Reads each mailbox when due, until the task is cancelled; between passes it sleeps on
    /// the clock until the next one, the next folder check or a reload request.
    mutating func run() async {
        seenReload = reloads.generation
        reload()
        while !Task.isCancelled {
            let generation = reloads.generation
            if generation != seenReload {
                seenReload = generation
                reload()
            } else if CampaignFolder.stamp(directory) != stamp {
                reload()
            }
            for index in mailboxes.indices where mailboxes[index].next <= clock.now() && !Task.isCancelled {
                let mailbox = mailboxes[index]
                await firing.readBounces(mailbox.path, name: mailbox.name, nextInSeconds: mailbox.seconds)
                mailboxes[index].next = clock.now().addingTimeInterval(Double(mailbox.seconds))
            }
            guard !Task.isCancelled else { break }
            let wake = mailboxes.map(\.next).reduce(clock.now().addingTimeInterval(CampaignFolder.pollSeconds), min)
            await reloads.sleep(on: clock, until: wake, unlessNewerThan: seenReload)
        }
    }

    /// Reads every campaign file in the folder again; each mailbox is read at once.
    mutating func reload() {
        let paths: [String]
        (stamp, paths) = CampaignFolder.load(directory, logger: firing.logger)
        let now = clock.now()
        mailboxes = paths.compactMap { path in
            let campaign: Campaign
            do {
                // Through the campaign reader's own check: a FIFO or a device named `*.toml` is
                // refused by what it is, never opened (a read could block the poller).
                let text = try InputFile.readText(
                    path, missing: Diagnostic(.missingInput, file: path, "campaign file not found"), kind: .badConfig)
                campaign = try Campaign.parse(text, file: path)
            } catch {
                // The scheduler reports the file too, if it is a campaign of its own; this says
                // that its mailbox, if it has one, is not read until the file is fixed.
                firing.logger.warning(
                    "bounce mailbox not polled: the campaign file cannot be read",
                    metadata: [
                        "file": "\(path)", "problem": "\(Self.describe(error))",
                    ])
                return nil
            }
            guard let bounces = campaign.bounces else { return nil }
            return Mailbox(path: path, name: campaign.name, seconds: bounces.pollSeconds, next: now)
        }
        firing.logger.info("loaded bounce mailboxes", metadata: ["bounce_mailboxes": "\(mailboxes.count)", "files": "\(paths.count)"])
    }

    /// One line for a read or parse failure: the diagnostics of a campaign that does not parse.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? ValidationFailure { return failure.diagnostics.map(\.description).joined(separator: "; ") }
        return "\(error)"
    }
}
