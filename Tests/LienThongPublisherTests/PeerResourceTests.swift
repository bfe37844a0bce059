import Foundation
import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongTestSupport
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Log entries kept in memory, for tests that read what the publisher logs.
final class CapturedLog: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var logger: Logger { Logger(label: "lienthong-test") { _ in Handler(log: self) } }
    var all: [Entry] { entries.withLock { $0 } }

    fileprivate func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// An idle TCP connection to the publisher from `source` (an address on the loopback interface), closed on deinit.
final class IdleConnection {
    let descriptor: Int32

    init(port: Int, from source: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketFailed(step: "socket") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            throw SocketFailed(step: bound == 0 ? "connect" : "bind")
        }
    }

    /// Whether the server closed this connection within `milliseconds` (end of stream or a reset).
    func isClosedByServer(within milliseconds: Int) async throws -> Bool {
        guard try await isReadable(within: milliseconds) else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) <= 0
    }

    /// Whether the server sent something (or closed) within `milliseconds`. Looks without blocking and
    /// sleeps between looks: a blocking `poll` would hold one of the cooperative threads that the
    /// publisher's own handlers run on.
    func isReadable(within milliseconds: Int) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) == 1 { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    deinit { close(descriptor) }
}

struct SocketFailed: Error {
    let step: String
}

@Suite("Publisher: each peer's resources are its own")
struct PeerResourceTests {
    // Row 4: one issuer filling its share of the replay memory never refuses another issuer.
    @Test("the replay memory is shared out per issuer: one issuer's full share refuses only it")
    func replayMemoryPerIssuer() throws {
        let now = wallClock()
        let verifier = RequestTokenVerifier(
            audience: boCongAn, peers: [boYTe: [requesterKey.publicKey], soTuPhap: [soTuPhapKey.publicKey]], clockSkewSeconds: 300,
            startedAt: UnixTime(seconds: now - 10), replayCapacityPerIssuer: 3
        )
        // At the limit: three live tokens of bo-y-te are remembered.
        for _ in 0..<3 { #expect(try verifier.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == boYTe) }
        // Past it: bo-y-te's fourth waits, so-tu-phap's tokens are still taken.
        let error = #expect(throws: RequestTokenRejection.self) {
            try verifier.verify(try handMadeToken(now: now), method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now))
        }
        #expect(error?.reason == .replayCacheFull)
        for _ in 0..<3 {
            let token = try handMadeToken(now: now, key: soTuPhapKey) { $0["iss"] = .string(soTuPhap.rawValue) }
            #expect(try verifier.verify(token, method: "GET", pathAndQuery: tokenTarget, now: UnixTime(seconds: now)) == soTuPhap)
        }
        #expect(verifier.rememberedTokenCount == 6)
    }

    // Row 4: a token refused by the rate limit is not remembered, so it takes no room in the replay memory.
    @Test("a request refused by the rate limit leaves its token unremembered")
    func rateLimitBeforeReplayMemory() async throws {
        let limited = publisherSettings(rateLimit: PublisherRateLimit(requestsPerSecond: 0.01, burst: 1))
        try await withPublisher(settings: limited) { server in
            #expect(try await server.get("/v1/datasets").status == 200)
            let token = try boYTeSigner.token(audience: boCongAn, pathAndQuery: "/v1/datasets", now: wallTime())
            let headers = [("Authorization", "Bearer \(token)")]
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 429)
            // A peer with a rate of its own overrides the default; the same token now goes through once.
            var generous = limited
            generous.peers[boYTe]?.rateLimit = PublisherRateLimit(requestsPerSecond: 100, burst: 100)
            server.publisher.update(generous)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 200)
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 401)
        }
    }

    // Row 11: connections are capped in all and per remote address; /healthz and an honest peer get through.
    @Test("one address cannot take every connection; beyond the cap new connections wait for a free slot")
    func connectionCaps() async throws {
        try await withPublisher(connectionLimits: PublisherConnectionLimits(maximum: 4, perAddress: 2)) { server in
            // Three idle connections from 127.0.0.2: two (the limit) stay open, the one past it is closed at
            // once. Each is set up on its own event loop, so which of them is the third is the server's order.
            var connections = try (0..<3).map { _ in try IdleConnection(port: server.port, from: "127.0.0.2") }
            try await Task.sleep(for: .milliseconds(300))
            var closed: [IdleConnection] = []
            for connection in connections where try await connection.isClosedByServer(within: 1000) { closed.append(connection) }
            #expect(closed.count == 1)
            #expect(try await httpGet(port: server.port, target: "/healthz").status == 200)
            #expect(try await server.get("/v1/feeds/dan-cu").status == 200)
            // The overall cap: two from 127.0.0.2 (and any connection the test client keeps) hold slots, so of
            // eight new connections, each carrying a request, some wait. The listener takes up to four
            // connections each time it wakes, so it may hold up to three past the cap (PROTOCOL.md): at most
            // 4 + 3 - 2 = 5 of the eight are answered while the first slots are held.
            let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            var newcomers: [IdleConnection] = []
            for address in ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"] {
                for _ in 0..<2 { newcomers.append(try IdleConnection(port: server.port, from: address)) }
            }
            for connection in newcomers {
                #expect(send(connection.descriptor, request, request.count, 0) == request.count)
            }
            var answered: [IdleConnection] = []
            var waiting: [IdleConnection] = []
            for connection in newcomers {
                if try await connection.isReadable(within: 500) { answered.append(connection) } else { waiting.append(connection) }
            }
            newcomers.removeAll()
            #expect(answered.count <= 5, "\(answered.count) of 8 new connections answered: the cap let too many in")
            #expect(!waiting.isEmpty)
            // Freeing the slots held lets a waiting connection in, and its request is answered then.
            answered.removeAll()
            connections.removeAll()
            var oneAnswered = false
            for _ in 0..<50 where !oneAnswered {
                for connection in waiting where !oneAnswered { oneAnswered = try await connection.isReadable(within: 25) }
            }
            #expect(oneAnswered, "no waiting connection was let in once slots were freed")
            waiting.removeAll()
            #expect(try await server.get("/v1/feeds/dan-cu").status == 200)
        }
    }

    // Row 15: a flood of refused tokens gives one summary line per interval, not one line each.
    @Test("refused tokens are logged as one summary line per interval, with the count and the reasons")
    func refusalsSummarised() async throws {
        let log = CapturedLog()
        let start = ContinuousClock.now
        try await withPublisher(logger: log.logger, refusalLogInterval: .seconds(2)) { server in
            for _ in 0..<60 { #expect(try await server.get("/v1/datasets", as: nil).status == 401) }
            try await Task.sleep(for: .milliseconds(2100))
            #expect(try await server.get("/v1/datasets", headers: [("Authorization", "Bearer x.y.z")]).status == 401)
        }
        let lines = log.all.filter { $0.level >= .notice && $0.message.contains("refused") }
        // One line per interval at most, however loaded the machine (a sanitizer build sends the 61 requests
        // slowly): never one line per refusal.
        let intervals = Int(((ContinuousClock.now - start) / .seconds(2)).rounded(.up)) + 1
        #expect(lines.count <= intervals && lines.count < 61, "\(lines.map(\.message))")
        #expect(lines.allSatisfy { $0.message == "request tokens refused" })
        let summaries = lines.filter { $0.message == "request tokens refused" }
        #expect(summaries.reduce(0) { $0 + (Int($1.metadata["count"] ?? "") ?? 0) } == 61)
        #expect(summaries.count >= 2)
        #expect(summaries.first?.metadata["reasons"] == "missing: 1")
    }

    // Row 16: a token accepted before a restart is refused after it, on the same store.
    @Test("a token accepted by one publisher is refused by the next one started on the same store")
    func replayAfterRestart() async throws {
        let store = try TemporaryStore()
        try seedOwnFeed(store.store)
        let now = wallClock()
        // Valid for the longest lifetime, so that a slow machine (a sanitizer build) cannot expire it first.
        let token = try handMadeToken(target: "/v1/datasets", now: now - 5) { $0["exp"] = .integer(now - 5 + RequestToken.maximumLifetimeSeconds) }
        let headers = [("Authorization", "Bearer \(token)")]
        try await withPublisher(store: store, startedAt: UnixTime(seconds: now - 10)) { server async throws in
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 200)
        }
        try await withPublisher(store: store) { server in
            let reply = try await httpGet(port: server.port, target: "/v1/datasets", headers: headers)
            #expect(reply.status == 401)
            #expect(try errorBody(reply)?.message == "request token refused: issued before start")
            #expect(try await server.get("/v1/datasets").status == 200)
        }
    }
}
