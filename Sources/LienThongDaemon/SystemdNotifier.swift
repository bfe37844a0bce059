public import Foundation

/// Speaks systemd's notify protocol (sd_notify(3)): datagrams of `KEY=value` lines sent to the socket named
/// by `NOTIFY_SOCKET`. Without that variable every message is dropped, so the daemon runs the same way
/// outside systemd.
public struct SystemdNotifier: Sendable {
    /// The socket address: a path, or an abstract name written with a leading `@`.
    public let socketPath: String?
    /// How often systemd expects `WATCHDOG=1` (from `WATCHDOG_USEC`), when it is addressed to this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        // WATCHDOG_PID, when set, names the process the watchdog is meant for: not a child that inherited it.
        let forThisProcess = environment["WATCHDOG_PID"].map { $0 == String(getpid()) } ?? true
        if path != nil, forThisProcess, let micro = environment["WATCHDOG_USEC"].flatMap(Int64.init), micro > 0 {
            watchdogInterval = .microseconds(micro)
        } else {
            watchdogInterval = nil
        }
    }

    /// `READY=1`: startup (or a reload) finished.
    public func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }

    /// `STATUS=`: one line that `systemctl status` shows.
    public func status(_ line: String) { send(["STATUS=\(line)"]) }

    /// `RELOADING=1`, with the monotonic time systemd asks for, while the configuration is re-read.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send(["RELOADING=1", "MONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)"])
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() { send(["STOPPING=1"]) }

    /// `WATCHDOG=1`: the service is alive and making progress.
    public func watchdog() { send(["WATCHDOG=1"]) }

    /// Sends one datagram of `fields`; returns whether it was sent. Newlines inside a value become spaces.
    @discardableResult
    public func send(_ fields: [String]) -> Bool {
        guard let socketPath else { return false }
        let message = fields.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in pathBytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes[0] == 0 ? 0 : 1))
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let sent = message.utf8CString.withUnsafeBufferPointer { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(descriptor, text.baseAddress, text.count - 1, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.utf8.count
    }
}
