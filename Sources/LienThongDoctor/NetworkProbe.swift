import Dispatch
import Foundation
import LienThongCore

/// The name and connection checks of ``Doctor``, with the system's resolver and sockets. Both block, so they
/// run on a thread of their own, never on Swift's cooperative pool.
enum NetworkProbe {
    /// The addresses `host` resolves to, as text.
    static func resolve(_ host: String) async throws(ProbeError) -> [String] {
        try await offPool { () throws(ProbeError) -> [String] in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let list else { throw ProbeError("\(host) does not resolve: \(String(cString: gai_strerror(status)))") }
            defer { freeaddrinfo(list) }
            var addresses: [String] = []
            var entry: UnsafeMutablePointer<addrinfo>? = list
            while let current = entry {
                var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !addresses.contains(address) { addresses.append(address) }
                }
                entry = current.pointee.ai_next
            }
            return addresses
        }
    }

    /// Opens and closes a TCP connection to `host:port`, waiting at most `timeout`.
    static func connect(_ host: String, port: Int, timeout: Duration) async throws(ProbeError) {
        try await offPool { () throws(ProbeError) in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { throw ProbeError("\(host) does not resolve") }
            defer { freeaddrinfo(list) }
            var lastError = "no address"
            var entry: UnsafeMutablePointer<addrinfo>? = list
            while let current = entry {
                entry = current.pointee.ai_next
                let descriptor = socket(current.pointee.ai_family, current.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), current.pointee.ai_protocol)
                guard descriptor >= 0 else { continue }
                defer { close(descriptor) }
                if Glibc.connect(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return }
                guard errno == EINPROGRESS else {
                    lastError = String(cString: strerror(errno))
                    continue
                }
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                let milliseconds = Int32(timeout.components.seconds * 1000)
                guard poll(&poller, 1, milliseconds) == 1 else {
                    lastError = "no answer within \(timeout)"
                    continue
                }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
                if failure == 0 { return }
                lastError = String(cString: strerror(failure))
            }
            throw ProbeError("cannot connect to \(host):\(port): \(lastError)")
        }
    }

    private static func offPool<Value: Sendable>(_ body: @escaping @Sendable () throws(ProbeError) -> Value) async throws(ProbeError) -> Value {
        let result: Result<Value, ProbeError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { () throws(ProbeError) in try body() }) }
        }
        return try result.get()
    }
}

/// Why a name or connection check failed, in one line.
struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
