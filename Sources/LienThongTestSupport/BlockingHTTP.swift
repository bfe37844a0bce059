import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 GET over loopback TCP, sent and read on the calling thread with plain blocking sockets: for
/// latency measurements taken on a thread of their own, which must not wait for a turn on Swift's
/// cooperative pool (shared with every suite running at once). Plain HTTP only; the answer is read to the
/// end of the connection (`Connection: close`).
public struct BlockingHTTPRequest: Sendable {
    private let descriptor: Int32

    /// Connects to `127.0.0.1:port` and sends the request; the answer is read by ``response()``. Waits at most
    /// `timeoutSeconds` for any one read.
    public init(port: Int, target: String, headers: [(String, String)], timeoutSeconds: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code) ?? .ECONNREFUSED)
        }
        let lines = ["GET \(target) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers.map { "\($0.0): \($0.1)" }
        let request = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            close(descriptor)
            throw POSIXError(.EIO)
        }
    }

    /// Reads the answer to its end and closes the connection: its status and body (nil status when none came).
    public func response() -> (status: Int?, body: [UInt8]) {
        defer { close(descriptor) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        guard let end = received.firstRange(of: Array("\r\n\r\n".utf8)) else { return (nil, received) }
        let statusLine = String(decoding: received[..<end.lowerBound], as: UTF8.self).split(separator: " ", maxSplits: 2)
        return (statusLine.count > 1 ? Int(statusLine[1]) : nil, Array(received[end.upperBound...]))
    }
}

/// Runs `body` on a thread of its own and gives its result: for work that blocks, timed without the
/// cooperative pool.
public func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}
