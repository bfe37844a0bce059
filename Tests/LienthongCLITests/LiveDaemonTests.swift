import Foundation
import LienThongCore
import LienThongFeed
import LienThongStore
import LienThongTestSupport
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let boYTe = try! AgencyID("bo-y-te")
private let danCu = try! DatasetName("dan-cu")
private let tiemChung = try! DatasetName("tiem-chung")

/// The daemon with live feeds (docs/PROTOCOL.md, "Live feeds"), as a process of its own: its cooperative pool
/// is not shared with the suites running at once, so its answers are timed as an agency's would be.
@Suite("lienthong daemon: live feeds", .serialized)
struct LiveDaemonTests {
    /// How many requests the daemon holds now, from its `/metrics` (served to loopback clients).
    private static func heldRequests(port: Int) throws -> Int? {
        let metrics = try BlockingHTTPRequest(port: port, target: "/metrics", headers: [], timeoutSeconds: 10).response()
        let line = String(decoding: metrics.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("lienthong_held_requests ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }

    /// Waits, on the calling thread and a bounded while, until the daemon holds `count` requests.
    private static func untilHeld(port: Int, _ count: Int) throws -> Bool {
        for _ in 0..<1000 {
            if try heldRequests(port: port) == count { return true }
            usleep(10_000)
        }
        return false
    }

    @Test("pulls a peer that lists wait_max live; answers a held request within 100 ms of a commit by another process; SIGTERM answers held requests at once")
    func live() async throws {
        let scratch = try ScratchFolder()
        try scratch.makeKeys(for: ["bo-y-te", "bo-cong-an"])
        let keys = scratch.url.appending(path: "keys")
        let peer = try InTestAgency(boCongAn, keys: keys, store: scratch.url.appending(path: "bo-cong-an.sqlite"), sharing: danCu, with: boYTe)
        try await peer.seed(danCu, count: 10, prefix: "cd")
        let config = scratch.path("lienthong.yaml")
        let storePath = scratch.path("state/store.sqlite")

        try await peer.publisher.serving { port in
            // Polled, the peer would be asked every 300 s: only a live pull brings its edits within seconds.
            try daemonConfig(publisherPort: port, sharedFields: "ma_dinh_danh", intervalSeconds: 300).write(toFile: config, atomically: true, encoding: .utf8)
            let notify = try NotifySocket()
            let daemon = try DaemonProcess(config: config, folder: scratch.url, notifySocket: notify.path)
            let ready = try #require(try await notify.waitFor { $0.contains("READY=1") }, "no READY=1; log: \(daemon.log)")
            let listening = try #require(ready.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/), "\(ready)")
            let daemonPort = try #require(Int(listening.1))
            let stored = StoreFile(path: storePath)
            #expect(try await stored.waitFor("SELECT COUNT(*) FROM record WHERE dataset = 'dan-cu'", equals: 10), "log: \(daemon.log)")

            // An edit at the peer reaches the daemon's store through the held request, long before the interval.
            try await peer.seed(danCu, records: [10], prefix: "cd")
            // (The peer's publisher runs in this test process, beside the suites running at once: allow it seconds.)
            #expect(try await stored.waitFor("SELECT COUNT(*) FROM record WHERE dataset = 'dan-cu'", equals: 11, timeout: .seconds(20)), "log: \(daemon.log)")
            let status = try CommandRunner.run(["status", "--config", config, "--json"])
            let feeds = try #require(try JSONValue(parsing: Array(status.stdout))["feeds"]?.arrayValue)
            let pulled = try #require(feeds.first { $0["peer"]?.stringValue == "bo-cong-an" })
            #expect(pulled["mode"] == .string("live"), "\(pulled)")
            #expect(pulled["propagation_delay"]?["counts"]?.arrayValue != nil, "\(pulled)")
            #expect(try CommandRunner.run(["status", "--config", config]).stdoutText.contains("live"))
            // The metrics say so too: the feed live, its propagation delays in a histogram.
            let metrics = try await onOwnThread {
                String(decoding: try BlockingHTTPRequest(port: daemonPort, target: "/metrics", headers: [], timeoutSeconds: 10).response().body, as: UTF8.self)
            }
            let liveLine = metrics.split(separator: "\n").first { $0.hasPrefix("lienthong_feed_live{") && $0.contains("peer=\"bo-cong-an\"") }
            #expect(liveLine.flatMap { Double($0.split(separator: " ").last ?? "") } == 1, "\(metrics)")
            #expect(metrics.contains("lienthong_propagation_delay_seconds_bucket{"), "\(metrics)")

            // bo-cong-an's held requests at the daemon, each answered after a commit made here, in another
            // process, timed on a thread of its own from the end of the commit to the end of the answer.
            let daemonStore = try Store(openingAt: URL(fileURLWithPath: storePath))
            let signer = RequestTokenSigner(agency: boCongAn, key: peer.key)
            let delays = try await onOwnThread { () throws -> [Duration] in
                var delays: [Duration] = []
                for round in 1...5 {
                    let target = "/v1/feeds/tiem-chung?after=\(round - 1)&wait=20"
                    let token = try signer.token(audience: boYTe, pathAndQuery: target, now: wallTime())
                    let request = try BlockingHTTPRequest(port: daemonPort, target: target, headers: [("Authorization", "Bearer \(token)")], timeoutSeconds: 30)
                    guard try Self.untilHeld(port: daemonPort, 1) else { break }
                    try daemonStore.write { transaction in
                        try transaction.edit(
                            dataset: tiemChung, id: "tc-\(round)", agency: boYTe, deleted: false, data: .object(["ma_dinh_danh": .string("00\(round)")]),
                            policy: .lww
                        )
                    }
                    let committed = ContinuousClock.now
                    let answer = request.response()
                    delays.append(ContinuousClock.now - committed)
                    guard answer.status == 200 else { break }
                }
                return delays
            }
            #expect(delays.count == 5, "log: \(daemon.log)")
            // One of five may lose its turn on the two cores to the suites running at once; most may not.
            #expect(delays.count { $0 < .milliseconds(100) } >= 4, "answered \(delays) after the commits")
            #expect(delays.allSatisfy { $0 < .seconds(1) }, "answered \(delays) after the commits")

            // SIGTERM while a request is held: it is answered at once, and the daemon stops well within 10 s.
            let target = "/v1/feeds/tiem-chung?after=5&wait=20"
            let token = try signer.token(audience: boYTe, pathAndQuery: target, now: wallTime())
            let request = try BlockingHTTPRequest(port: daemonPort, target: target, headers: [("Authorization", "Bearer \(token)")], timeoutSeconds: 30)
            #expect(try await onOwnThread { try Self.untilHeld(port: daemonPort, 1) })
            let stopAsked = ContinuousClock.now
            daemon.send(SIGTERM)
            let answer = try await onOwnThread { request.response() }
            #expect(answer.status == 200, "log: \(daemon.log)")
            #expect(ContinuousClock.now - stopAsked < .seconds(3))
            #expect(try await daemon.waitForExit(.seconds(10)) == 0, "log: \(daemon.log)")
            #expect(ContinuousClock.now - stopAsked < .seconds(10))
        }
    }
}
