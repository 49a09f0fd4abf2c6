import Foundation

/// Reads the files a campaign names (the campaign file, templates, lists, attachments) and
/// words every way one can be unusable as a ``Diagnostic``.
///
/// In the base layer because every concern that reads an input (recipient lists, attachments,
/// the campaign file, the CLI's log path) words the same problems the same way: a missing file,
/// a folder, a pipe or device (which would block, or read differently twice), text that is not
/// UTF-8 (naming the line and byte).
public enum InputFile {
    /// Checks that `path` is a readable regular file: `missing` when it does not exist, and
    /// the same diagnostic reworded for a folder, a file that cannot be read, or anything that
    /// is not a regular file (a recipient list is read twice, to check it and then to send, which
    /// a pipe or a device cannot give; reading one would also block).
    static func checkReadable(_ path: String, missing: Diagnostic) throws(ValidationFailure) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ValidationFailure([missing]) }
        var diagnostic = missing
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard !FileManager.default.isReadableFile(atPath: path) else { return }
            diagnostic.message = "\(path) cannot be read (permissions?)"
        case S_IFDIR:
            diagnostic.message = "\(path) is a folder, not a file"
        default:
            diagnostic.message =
                "\(path) is not a regular file (a pipe or a device?); Herald reads a recipient list twice, to check it and then to send, so save the list to a file"
        }
        throw ValidationFailure([diagnostic])
    }

    /// Reads a UTF-8 text file; a missing file yields `missing`, undecodable bytes a `kind`
    /// diagnostic naming the line and byte of the first invalid sequence (`.badConfig` for the
    /// campaign file, `.badData` for a template or recipient list).
    ///
    /// Anything that is not a regular file (a FIFO, `/dev/zero`, a socket) is refused before it is
    /// opened, saying what it is: reading one would block, never end, or give other text each time.
    public static func readText(
        _ path: String, missing: Diagnostic,
        kind: Diagnostic.Kind = .badData
    ) throws(ValidationFailure) -> String {
        var info = stat()
        if stat(path, &info) == 0, let what = notRegular(info.st_mode) {
            var diagnostic = missing
            diagnostic.message =
                "\(path) is \(what), not a regular file; Herald reads it whole and checks it before sending, so save it to a file and name that"
            throw ValidationFailure([diagnostic])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                var diagnostic = missing
                diagnostic.message = isDirectory.boolValue ? "\(path) is a folder, not a file" : "\(path) cannot be read (permissions?)"
                throw ValidationFailure([diagnostic])
            }
            throw ValidationFailure([missing])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationFailure([notUTF8(path, bytes: [UInt8](data), kind: kind)])
        }
        return text
    }

    /// What a file of `mode` is when it is neither a regular file nor a folder (`a FIFO (named
    /// pipe)`, `a character device`, …); nil for those two.
    public static func notRegular(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG, S_IFDIR: nil
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    /// The diagnostic for a file that is not UTF-8: `file:LINE: byte N is not valid UTF-8 (…)`.
    static func notUTF8(_ path: String, bytes: [UInt8], kind: Diagnostic.Kind) -> Diagnostic {
        guard let invalid = firstInvalidUTF8(bytes) else {
            return Diagnostic(kind, file: path, "is not valid UTF-8 text; save the file as UTF-8")
        }
        return notUTF8(path, offset: invalid.offset, line: invalid.line, byte: bytes[invalid.offset], kind: kind)
    }

    /// The diagnostic for the invalid `byte` at `offset` (from 0) on `line` of a file.
    static func notUTF8(_ path: String, offset: Int, line: Int, byte: UInt8, kind: Diagnostic.Kind) -> Diagnostic {
        var detail = "0x" + String(byte, radix: 16, uppercase: true)
        if byte >= 0xA0 {
            // Latin-1 maps bytes A0-FF to U+00A0-U+00FF; Windows-1252 agrees there.
            detail += ", \"\(Character(Unicode.Scalar(byte)))\" in Latin-1 or Windows-1252, which the file is probably saved in"
        } else if byte >= 0x80 {
            detail += ", a Windows-1252 character, probably"
        }
        return Diagnostic(
            kind, file: path, line: line,
            "byte \(offset + 1) is not valid UTF-8 (\(detail)); save the file as UTF-8")
    }

    /// Where the first byte sequence that is not UTF-8 starts: its offset (from 0) and its line
    /// (from 1, counting LF); nil when all of `bytes` is valid UTF-8. Overlong forms, surrogates
    /// and code points past U+10FFFF are invalid, as are sequences cut short.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (offset: Int, line: Int)? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var line = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == 0x0A { line += 1 }
                offset += encoded.count
            case .error:
                return (offset, line)
            case .emptyInput:
                return nil
            }
        }
    }
}
