import Foundation
import HeraldCore

extension Application {
    /// Refuses a delivery log path that names something other than a regular file or a folder
    /// (a FIFO, `/dev/zero`, a socket) with 66, saying what it is, before anything opens it:
    /// opening a FIFO to read waits for a writer forever, and a device never ends. A missing
    /// log is fine (Herald creates it); a folder is left to the reader's own message.
    func refuseSpecialLog(_ path: String) throws(CommandFailure) {
        var info = stat()
        guard stat(path, &info) == 0, let what = InputFile.notRegular(info.st_mode) else { return }
        throw CommandFailure(
            .noInput,
            "\(VisibleText.of(path)): is \(what), not a regular file; a delivery log must be a regular file (or not exist yet: Herald creates it), so name another file as the campaign's log"
        )
    }
}
