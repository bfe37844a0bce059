import Foundation
import LienThongCore
@testable import LienThongDaemon
import Logging
import Testing

@Suite("journald log lines")
struct JournalLogHandlerTests {
    @Test("under journald a line starts with its syslog priority, then label, message and sorted metadata", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func journalPriority(level: Logger.Level, priority: Int) {
        let line = JournalLogHandler.line(
            level: level, label: "lienthong", message: "pull failed", metadata: ["peer": "bo-cong-an", "dataset": "dan-cu"],
            forJournal: true, now: Date(timeIntervalSince1970: 0)
        )
        #expect(line == "<\(priority)>lienthong: pull failed dataset=dan-cu peer=bo-cong-an\n")
    }

    @Test("one event is one line: newlines and controls are escaped, values with spaces or quotes are quoted")
    func oneLine() {
        let line = JournalLogHandler.line(
            level: .warning, label: "lienthong", message: "first\nsecond\u{1B}[2J",
            metadata: ["error": "connect failed: \"refused\"\nagain", "id": "a\u{202E}b\\t"],
            forJournal: false, now: Date(timeIntervalSince1970: 1_790_000_000)
        )
        #expect(line == #"2026-09-21T14:13:20Z warning lienthong: first\nsecond\u{1B}[2J error="connect failed: \"refused\"\nagain" id="a\u{202E}b\\t""# + "\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(!line.unicodeScalars.dropLast().contains { $0.controlsTerminal })
    }
}

@Suite("systemd notify protocol")
struct SystemdNotifierTests {
    @Test("without NOTIFY_SOCKET nothing is sent and there is no watchdog")
    func outsideSystemd() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"])
        #expect(notifier.socketPath == nil)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.send(["READY=1"]))
    }

    @Test("the watchdog interval is taken only when WATCHDOG_PID is absent or names this process")
    func watchdogForThisProcess() {
        let socket = ["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"]
        #expect(SystemdNotifier(environment: socket).watchdogInterval == .seconds(30))
        #expect(SystemdNotifier(environment: socket.merging(["WATCHDOG_PID": String(getpid())]) { $1 }).watchdogInterval == .seconds(30))
        #expect(SystemdNotifier(environment: socket.merging(["WATCHDOG_PID": "1"]) { $1 }).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "0"]) { $1 }).watchdogInterval == nil)
    }

    @Test("messages reach a datagram socket, by path and by abstract name, one datagram each", arguments: [false, true])
    func sends(abstract: Bool) throws {
        let name = "lt-notify-test-\(UUID().uuidString.prefix(8))"
        let path = abstract ? "@\(name)" : "/tmp/\(name).sock"
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            if !abstract { unlink(path) }
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = abstract ? [0] + Array(name.utf8) : Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { for (index, byte) in bytes.enumerated() { $0[index] = byte } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        try #require(bound == 0)

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        notifier.ready(status: "listening on 127.0.0.1:8440\nsecond line")
        notifier.stopping()
        var buffer = [UInt8](repeating: 0, count: 512)
        let first = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(0, first)], as: UTF8.self) == "READY=1\nSTATUS=listening on 127.0.0.1:8440 second line")
        let second = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(0, second)], as: UTF8.self) == "STOPPING=1")
    }
}
