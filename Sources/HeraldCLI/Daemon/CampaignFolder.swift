import Foundation

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

    /// Each campaign file in `directory` and its modification time (distant past when it cannot
    /// be read: a file that appears or becomes readable is then a change); empty when the
    /// folder cannot be listed, which the next load reports as no campaigns.
    static func stamp(_ directory: String) -> [String: Date] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [:] }
        var result: [String: Date] = [:]
        for name in names where name.hasSuffix(".toml") {
            let path = (directory as NSString).appendingPathComponent(name)
            let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            result[path] = modified ?? .distantPast
        }
        return result
    }
}
