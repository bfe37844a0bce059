import Foundation

/// A small HTTP/1.1 server on 127.0.0.1 for tests: it answers each request as its handler scripts, including
/// the ways a hostile or broken server misbehaves (a slow drip, a truncated body, a reset connection).
/// One thread accepts; each connection gets its own thread and is closed after one response.
public final class LoopbackServer: @unchecked Sendable {
    // Unchecked: the listening socket is set once in init; `stopped` is only read and written under `lock`.
    public struct Request: Sendable {
        public let method: String
        /// The request target exactly as sent: path and query.
        public let target: String
        /// Header values by lower-cased name.
        public let headers: [String: String]
    }

    public enum Reply: Sendable {
        case response(status: Int, headers: [(String, String)], body: [UInt8])
        /// Sends the headers, then the body `chunk` bytes at a time, one chunk per `interval`.
        case drip(status: Int, body: [UInt8], chunk: Int, interval: Duration)
        /// Declares `declaredLength` bytes but sends only `body`, then closes.
        case truncated(status: Int, body: [UInt8], declaredLength: Int)
        /// Closes the connection with a TCP reset before answering.
        case reset
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply
    private let lock = NSLock()
    private var stopped = false

    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let (listener, boundPort) = try boundLoopbackSocket(backlog: 64)
        self.listener = listener
        port = boundPort
        let acceptor = Thread { [self] in acceptLoop() }
        acceptor.start()
    }

    deinit { stop() }

    /// The base URL, such as `http://127.0.0.1:41234`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting connections. Connections in progress finish on their own threads.
    ///
    /// The listening socket is only shut down here; the accepting thread, its one owner, closes it once
    /// `accept` fails. Closing it here would free its descriptor number while that thread may still be about
    /// to call `accept` with it, and a socket another test opens next could get the number: the stopped
    /// server would then take that test's connections (and, scripted to reset them, fail it).
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                // Only the shut-down listener ends the loop; a connection aborted before it was accepted, or a
                // moment without descriptors or memory on a busy machine, must not stop the server.
                if errno == EINVAL || errno == EBADF || errno == ENOTSOCK || lock.withLock({ stopped }) { return }
                if errno != EINTR { Thread.sleep(forTimeInterval: 0.01) }
                continue
            }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        guard let request = readRequest(connection) else { return }
        switch handler(request) {
        case .response(let status, let headers, let body):
            send(connection, head(status: status, headers: headers, length: body.count) + body)
        case .drip(let status, let body, let chunk, let interval):
            guard send(connection, head(status: status, headers: [], length: body.count)) else { return }
            var offset = 0
            while offset < body.count {
                Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
                let end = min(body.count, offset + chunk)
                guard send(connection, Array(body[offset..<end])) else { return }
                offset = end
            }
        case .truncated(let status, let body, let declaredLength):
            send(connection, head(status: status, headers: [], length: declaredLength) + body)
        case .reset:
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
    }

    private func head(status: Int, headers: [(String, String)], length: Int) -> [UInt8] {
        var lines = ["HTTP/1.1 \(status) Scripted", "Content-Length: \(length)", "Connection: close"]
        lines += headers.map { "\($0.0): \($0.1)" }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    @discardableResult
    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = Array("\r\n\r\n".utf8)
        while received.count < 65536 {
            let count = recv(connection, &buffer, buffer.count, 0)
            // A signal (SIGCHLD from a test's child process, say) interrupts the wait; it is not the end.
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            received += buffer[0..<count]
            // Anything but plain-text HTTP (a TLS handshake, say) is dropped at once.
            if !received.starts(with: Array("GET ".utf8).prefix(received.count)) { return nil }
            if received.count >= 4, (0...(received.count - 4)).contains(where: { Array(received[$0..<$0 + 4]) == end }) { break }
        }
        let text = String(decoding: received, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers)
    }
}

/// A TCP socket bound to a free port on 127.0.0.1, listening with `backlog` when given; the caller closes it.
func boundLoopbackSocket(backlog: Int32?) throws -> (socket: Int32, port: Int) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(listener, socketAddress, length) == 0 && (backlog.map { listen(listener, $0) == 0 } ?? true)
                && getsockname(listener, socketAddress, &length) == 0
        }
    }
    guard bound else {
        close(listener)
        throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    return (listener, Int(UInt16(bigEndian: address.sin_port)))
}

/// A loopback port free now, for a server started elsewhere (a daemon's `listen`): bound, then released.
public func freeLoopbackPort() throws -> Int {
    let (descriptor, port) = try boundLoopbackSocket(backlog: nil)
    close(descriptor)
    return port
}
