import Foundation

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; true if it held.
public func waitUntil(_ timeout: TimeInterval = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return false
}
