import Foundation
import HeraldCore
import HeraldTestSupport
import Synchronization
import Testing

@testable import HeraldStorage

/// `LOG.key`: created once, 0600, whole or not at all, and every later reader (or a racing
/// creator) gets the same key; a file others may read, or that is not a key, is refused.
@Suite struct MessageIDKeyFileTests {
    @Test func theFirstCallCreatesAPrivateKeyAndLaterCallsReadIt() throws {
        let folder = TemporaryDirectory("herald-key")
        let file = MessageIDKeyFile(besideLog: folder.file("logs/delivery.jsonl"))
        #expect(try file.load() == nil)
        let key = try file.loadOrCreate()
        #expect(file.path.hasSuffix("logs/delivery.jsonl.key"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try file.loadOrCreate() == key && file.load() == key)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.file("logs")).filter { $0.contains(".new-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func racingCreatorsAllGetOneKey() throws {
        let folder = TemporaryDirectory("herald-key")
        let log = folder.file("delivery.jsonl")
        let keys = Mutex<[MessageIDKey]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let key = try? MessageIDKeyFile(besideLog: log).loadOrCreate() { keys.withLock { $0.append(key) } }
        }
        let all = keys.withLock { $0 }
        #expect(all.count == 8 && Set(all.map(\.fileText)).count == 1)
        #expect(try MessageIDKeyFile(besideLog: log).load() == all.first)
    }

    @Test func anExposedOrDamagedKeyIsRefused() throws {
        let folder = TemporaryDirectory("herald-key")
        let file = MessageIDKeyFile(besideLog: folder.file("delivery.jsonl"))
        let key = try file.loadOrCreate()
        chmod(file.path, 0o640)
        #expect { try file.loadOrCreate() } throws: { ($0 as? MessageIDKeyFile.Failure)?.kind == .exposed }
        chmod(file.path, 0o600)
        folder.write("delivery.jsonl.key", "0123\n")
        chmod(file.path, 0o600)
        #expect { try file.loadOrCreate() } throws: { error in
            guard let failure = error as? MessageIDKeyFile.Failure else { return false }
            return failure.kind == .damaged && !failure.description.contains(String(key.fileText.dropLast()))
        }
    }

    /// Hostile review, round 2: a FIFO in the key's place held `preview`, `send` and the daemon
    /// in open(2) (and deaf to SIGTERM). It is refused at once, named for what it is.
    @Test func aFIFOInTheKeysPlaceIsRefusedWithoutWaiting() throws {
        let folder = TemporaryDirectory("herald-key")
        let file = MessageIDKeyFile(besideLog: folder.file("delivery.jsonl"))
        #expect(mkfifo(file.path, 0o600) == 0)
        let started = Date()
        #expect { try file.loadOrCreate() } throws: { error in
            guard let failure = error as? MessageIDKeyFile.Failure else { return false }
            return failure.kind == .damaged && failure.description.contains("FIFO")
        }
        #expect(Date().timeIntervalSince(started) < 5, "refused without waiting for a writer")
    }
}
