import Foundation
import HeraldCore
import Logging

/// A swift-log handler writing one line per event to stderr: readable text, or JSON for machines.
///
/// Text: `2026-11-29T09:00:00Z info fired campaign=eu-china-dialogue-1999 exit=0`.
/// JSON: `{"time":"…","level":"info","message":"fired","campaign":"…"}`.
public struct HeraldLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let format: Format
    /// Stamps each line: the daemon's clock, so a test's lines carry its mock time.
    let clock: any HeraldClock
    let write: @Sendable (String) -> Void

    public init(
        format: Format, clock: any HeraldClock,
        write: @escaping @Sendable (String) -> Void = { line in
            StandardStreams.error(line)
        }
    ) {
        self.format = format
        self.clock = clock
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = RFC5322Date.rfc3339(clock.now())
        switch format {
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            write(([time, event.level.rawValue, event.message.description] + fields).joined(separator: " "))
        case .json:
            var object: [String: String] = ["time": time, "level": event.level.rawValue, "message": event.message.description]
            for (key, value) in merged where object[key] == nil { object[key] = "\(value)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // A dictionary of strings always encodes; the fallback only keeps the line one JSON object.
            write(String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self))
        }
    }
}
