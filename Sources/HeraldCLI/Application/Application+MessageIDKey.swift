import HeraldCore
import HeraldStorage

extension Application {
    /// The campaign with its Message-ID key (``MessageIDKeyFile``, beside its log as the
    /// campaign now names it) read, or created when this is the first command to compose its
    /// letters: what `preview`, `approve`, `send` and a daemon firing compose with, so all
    /// four give a letter the same unguessable Message-ID.
    ///
    /// - Throws: 74 when the key cannot be read or created, 65 for a file that is not a key,
    ///   77 for a key others may read. The key itself is never printed.
    func keyed(_ prepared: PreparedCampaign) throws(CommandFailure) -> PreparedCampaign {
        var prepared = prepared
        do throws(MessageIDKeyFile.Failure) {
            prepared.messageIDKey = try MessageIDKeyFile(besideLog: prepared.campaign.logPath).loadOrCreate()
        } catch {
            switch error.kind {
            case .io: throw CommandFailure(.ioError, error.description)
            case .damaged: throw CommandFailure(.dataError, error.description)
            case .exposed: throw CommandFailure(.noPermission, error.description)
            }
        }
        return prepared
    }
}
