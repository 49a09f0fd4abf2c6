import CCurl
import Foundation

extension SMTPProbe {
    /// How long `herald check` waits for the server's answer to `QUIT` at most.
    ///
    /// The session is over either way: a server slow to say goodbye must not hold the check
    /// for the campaign's whole reply timeout (ten minutes by default).
    static let quitTimeout = 10

    /// Ends a connect-only session politely: sends `QUIT` and reads the server's reply.
    ///
    /// libcurl 7.88 never sends `QUIT` on a `CURLOPT_CONNECT_ONLY` connection (it treats such
    /// a connection as dead when the handle is cleaned up and just closes it), so a probe that
    /// only called `curl_easy_cleanup` left every server logging a lost connection (Postfix:
    /// "lost connection after EHLO"). This speaks the one command itself, through
    /// `curl_easy_send`/`curl_easy_recv` (over TLS when the session uses it), waits at most
    /// `timeout` seconds, and returns the final reply line (`221 …`), or nil when the server
    /// closed or did not answer in time: the check's verdict does not depend on it.
    static func quit(_ handle: UnsafeMutableRawPointer, timeout: Int, tracer: Tracer?) -> String? {
        var socket: curl_socket_t = -1
        guard herald_curl_getinfo_socket(handle, &socket) == CURLE_OK, socket >= 0 else { return nil }
        let deadline = Date().addingTimeInterval(Double(timeout))
        let command = Array("QUIT\r\n".utf8)
        var offset = 0
        while offset < command.count {
            var sent = 0
            let result = command.withUnsafeBytes { bytes in
                curl_easy_send(handle, bytes.baseAddress! + offset, command.count - offset, &sent)
            }
            if result == CURLE_AGAIN {
                guard wait(for: socket, Int16(POLLOUT), until: deadline) else { return nil }
                continue
            }
            guard result == CURLE_OK else { return nil }
            offset += sent
        }
        if let tracer, let shown = tracer.redactor.filter(.toServer, "QUIT") { tracer.sink(shown) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            var received = 0
            let result = chunk.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress!, $0.count, &received) }
            if result == CURLE_AGAIN {
                guard wait(for: socket, Int16(POLLIN), until: deadline) else { return nil }
                continue
            }
            guard result == CURLE_OK, received > 0 else { return nil }  // an error, or the server closed
            pending.append(contentsOf: chunk[0..<received])
            while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[...end], as: UTF8.self)
                pending.removeSubrange(...end)
                guard let reply = SMTPReply(line: line) else { continue }
                if let tracer, let shown = tracer.redactor.filter(.fromServer, reply.text) { tracer.sink(shown) }
                if reply.isFinal { return reply.text }
            }
        }
    }

    /// Waits until `socket` is ready for `events` or `deadline` passes; false when it passed
    /// or the socket failed.
    private static func wait(for socket: curl_socket_t, _ events: Int16, until deadline: Date) -> Bool {
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { return false }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&descriptor, 1, Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
        return ready > 0
    }
}
