import Foundation
import LienThongHTTP
import LienThongTestSupport
import Testing

/// The libcurl client against a real server on loopback that misbehaves on request.
@Suite("HTTP client over libcurl")
struct HTTPClientTests {
    let client = runningForTheProcess(try! HTTPClient())

    @Test("a GET returns status, headers and body, and sends the request's headers")
    func simpleGet() async throws {
        let server = try LoopbackServer { request in
            .response(status: 200, headers: [("Content-Type", "application/jose"), ("ETag", "\"v1\"")],
                      body: Array("auth=\(request.headers["authorization"] ?? "none") target=\(request.target)".utf8))
        }
        let response = try await client.get(HTTPRequest(url: server.url + "/v1/feeds/dan-cu?after=0&limit=10", headers: [("Authorization", "Bearer abc")]))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/jose")
        #expect(response.header("ETag") == "\"v1\"")
        #expect(String(decoding: response.body, as: UTF8.self) == "auth=Bearer abc target=/v1/feeds/dan-cu?after=0&limit=10")
    }

    @Test("any HTTP status is a response, not an error", arguments: [304, 401, 404, 429, 500, 503])
    func statuses(status: Int) async throws {
        let server = try LoopbackServer { _ in .response(status: status, headers: [("Retry-After", "7")], body: []) }
        let response = try await client.get(HTTPRequest(url: server.url + "/"))
        #expect(response.status == status)
        #expect(response.header("retry-after") == "7")
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let name: String
        let reason: HTTPError.Reason
        let reply: LoopbackServer.Reply
        var options = TransferOptions()
        var testDescription: String { name }
    }

    static let failures: [Failure] = {
        var small = TransferOptions()
        small.maximumBodyBytes = 1000
        var impatient = TransferOptions()
        impatient.lowSpeedLimit = 1000
        impatient.lowSpeedTime = .seconds(1)
        var hurried = TransferOptions()
        hurried.totalTimeout = .milliseconds(500)
        hurried.lowSpeedLimit = 0
        return [
            Failure(name: "a body over the limit", reason: .bodyTooLarge, reply: .response(status: 200, headers: [], body: [UInt8](repeating: 1, count: 5000)), options: small),
            Failure(name: "a slow drip under the low-speed limit", reason: .tooSlow, reply: .drip(status: 200, body: [UInt8](repeating: 1, count: 20000), chunk: 10, interval: .milliseconds(100)), options: impatient),
            Failure(name: "a transfer past the total timeout", reason: .timedOut, reply: .drip(status: 200, body: [UInt8](repeating: 1, count: 2000), chunk: 100, interval: .milliseconds(100)), options: hurried),
            Failure(name: "a truncated body", reason: .truncated, reply: .truncated(status: 200, body: [UInt8](repeating: 1, count: 100), declaredLength: 1000)),
            Failure(name: "a reset connection", reason: .connectionLost, reply: .reset),
        ]
    }()

    @Test("a broken transfer fails with its own reason", arguments: failures)
    func failure(_ failure: Failure) async throws {
        let server = try LoopbackServer { _ in failure.reply }
        let error = await #expect(throws: HTTPError.self) { try await client.get(HTTPRequest(url: server.url + "/", options: failure.options)) }
        #expect(error?.reason == failure.reason, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("GET \(server.url)/") == true)
    }

    @Test("a port nobody listens on is a connect failure")
    func connectRefused() async throws {
        // A port held bound but not listening: connecting is refused, and no other test can take the port
        // meanwhile (a port freed by a stopped server could be given to a server of a test running in parallel).
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        try #require(bound)
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        do {
            _ = try await client.get(HTTPRequest(url: url + "/"))
            Issue.record("a port nobody listens on answered")
        } catch {
            #expect(error.reason == .connectFailed, "\(error)")
        }
    }

    @Test("TLS is verified: https to a server that does not speak it fails, it never falls back")
    func tlsAlwaysOn() async throws {
        let server = try LoopbackServer { _ in .response(status: 200, headers: [], body: []) }
        let error = await #expect(throws: HTTPError.self) {
            try await client.get(HTTPRequest(url: "https://127.0.0.1:\(server.port)/"))
        }
        #expect(error?.reason == .tls, "\(String(describing: error))")
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjection() async throws {
        let error = await #expect(throws: HTTPError.self) {
            try await client.get(HTTPRequest(url: "http://127.0.0.1:9/", headers: [("X", "a\r\nHost: evil")]))
        }
        #expect(error?.reason == .invalidRequest)
    }

    @Test("one slow transfer does not hold up the others")
    func slowPeerDoesNotBlock() async throws {
        // The slow server answers only once the 20 fast transfers have ended (or after a minute): if the slow
        // transfer held up the others, they would end after it. No clock is read, so a machine busy with other
        // tests (a sanitizer, a database starting) cannot make the answer wrong either way.
        let fastDone = DispatchSemaphore(value: 0)
        let slow = try LoopbackServer { _ in
            _ = fastDone.wait(timeout: .now() + 60)
            return .response(status: 200, headers: [], body: Array("slow".utf8))
        }
        let fast = try LoopbackServer { _ in .response(status: 200, headers: [], body: Array("ok".utf8)) }
        let client = client
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                _ = try await client.get(HTTPRequest(url: slow.url + "/"))
                return "slow"
            }
            for _ in 0..<20 {
                group.addTask {
                    let response = try await client.get(HTTPRequest(url: fast.url + "/"))
                    #expect(response.body == Array("ok".utf8))
                    return "fast"
                }
            }
            var ended: [String] = []
            for try await transfer in group {
                ended.append(transfer)
                if ended.count(where: { $0 == "fast" }) == 20 { fastDone.signal() }
            }
            #expect(ended.last == "slow", "\(ended)")
        }
    }

    @Test("cancelling the task cancels its transfer at once")
    func cancellation() async throws {
        let server = try LoopbackServer { _ in .drip(status: 200, body: [UInt8](repeating: 1, count: 1000), chunk: 1, interval: .milliseconds(100)) }
        let client = client
        let task = Task { try await client.get(HTTPRequest(url: server.url + "/")) }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        let result = await task.result
        // The drip would take 100 s; the bound is loose because other tests share the two cores.
        #expect(clock.now - start < .seconds(5))
        guard case .failure(let error) = result else {
            Issue.record("a cancelled transfer completed")
            return
        }
        #expect((error as? HTTPError)?.reason == .cancelled, "\(error)")
    }
}

@Suite("HTTP client as a service")
struct HTTPClientServiceTests {
    @Test("a GET made before run() waits for it; shutdown ends a transfer in flight and refuses later ones")
    func lifecycle() async throws {
        let fast = try LoopbackServer { _ in .response(status: 200, headers: [], body: Array("ok".utf8)) }
        let slow = try LoopbackServer { _ in .drip(status: 200, body: [UInt8](repeating: 1, count: 1000), chunk: 1, interval: .milliseconds(100)) }
        let client = try HTTPClient()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Asked for before the client runs: it waits, then completes once run() starts.
            let early = Task { try await client.get(HTTPRequest(url: fast.url + "/")) }
            try await Task.sleep(for: .milliseconds(200))
            group.addTask { await client.run() }
            #expect(try await early.value.body == Array("ok".utf8))

            let inFlight = Task { try await client.get(HTTPRequest(url: slow.url + "/")) }
            try await Task.sleep(for: .milliseconds(300))
            client.shutdown()
            // run() returns once the driver thread has let go of its handle.
            try await group.next()
            let ended = await #expect(throws: HTTPError.self) { try await inFlight.value }
            #expect(ended?.reason == .shutDown)
            let refused = await #expect(throws: HTTPError.self) { try await client.get(HTTPRequest(url: fast.url + "/")) }
            #expect(refused?.reason == .shutDown)
        }
    }

    @Test("withHTTPClient runs a client for its body and shuts it down after, on success and on a throw")
    func scoped() async throws {
        let fast = try LoopbackServer { _ in .response(status: 204, headers: [], body: []) }
        let (escaped, status) = try await withHTTPClient { client in
            (client, try await client.get(HTTPRequest(url: fast.url + "/")).status)
        }
        #expect(status == 204)
        let refused = await #expect(throws: HTTPError.self) { try await escaped.get(HTTPRequest(url: fast.url + "/")) }
        #expect(refused?.reason == .shutDown)
        await #expect(throws: CancellationError.self) {
            try await withHTTPClient { _ in throw CancellationError() }
        }
    }
}
