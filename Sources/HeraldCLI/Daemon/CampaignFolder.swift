import Foundation
import Logging

/// The daemon's campaign folder as the services see it: which `*.toml` files it holds and
/// when each last changed, checked on the daemon's clock.
///
/// Polled, once a second: nothing portable notifies a change to a folder's files (inotify is
/// Linux-only and needs a descriptor of its own read off the cooperative pool), a second is
/// quick enough for an operator's edit or `herald approve`, and SIGHUP reloads at once.
/// Polling on the injected clock also keeps the check under a test's control.
enum CampaignFolder {
    /// How often the folder (and a waited-for approval record) is checked, in the clock's seconds.
    static let pollSeconds = 1.0

    /// Each campaign file in `directory` and its modification time (distant past for a file
    /// gone between the listing and its `stat`: the next check sees it gone); nil when the
    /// folder cannot be listed, which the services log when they load.
    static func stamp(_ directory: String) -> [String: Date]? {
        let manager = FileManager.default
        let names: [String]
        do { names = try manager.contentsOfDirectory(atPath: directory) } catch { return nil }
        var result: [String: Date] = [:]
        for name in names where name.hasSuffix(".toml") {
            let path = (directory as NSString).appendingPathComponent(name)
            let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            result[path] = modified ?? .distantPast
        }
        return result
    }

    /// The campaign files to load, in order; an unlistable folder is logged and holds none.
    static func load(_ directory: String, logger: Logger) -> (stamp: [String: Date]?, paths: [String]) {
        let stamp = Self.stamp(directory)
        if stamp == nil {
            logger.error("the campaign folder cannot be read; no campaign is loaded until it can be", metadata: ["campaigns": "\(directory)"])
        }
        return (stamp, (stamp ?? [:]).keys.sorted())
    }
}
