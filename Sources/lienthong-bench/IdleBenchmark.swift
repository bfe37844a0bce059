import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Logging

/// What polling many peers whose feeds do not change costs: CPU time per minute and memory of the poller,
/// with the peers' publishers in a child process so their work is not counted.
struct IdleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Poll N unchanged peers every interval for a while; report the poller's CPU per minute and memory."
    )

    @Option(help: "Peers.") var peers = 100
    @Option(help: "Seconds between polls of each peer.") var interval = 10
    @Option(help: "Seconds to measure.") var seconds = 60

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pollerAgency = try AgencyID("bo-y-te")
        let pollerKey = try PrivateKey.generate(.ed25519)
        try pollerKey.publicKey.pemText.write(to: folder.appending(path: "poller.pub.pem"), atomically: true, encoding: .utf8)

        try await withChild(
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
            ["serve-idle-peers", "--count", String(peers), "--folder", folder.path]
        ) { nextLine in
            guard let line = try await nextLine(), line.hasPrefix("PORTS ") else { throw BenchmarkFailure(description: "the peers did not start") }
            let ports = line.dropFirst(6).split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await measure(ports: ports, folder: folder, pollerAgency: pollerAgency, pollerKey: pollerKey)
        }
    }

    /// Polls the peers at `ports` for the benchmark's time and prints what it cost.
    private func measure(ports: [Int], folder: URL, pollerAgency: AgencyID, pollerKey: PrivateKey) async throws {
        let dataset = try DatasetName("dan-cu")
        let store = try Store(openingAt: folder.appending(path: "poller.sqlite"))
        let puller = FeedPuller(
            agency: pollerAgency, client: runningForTheProcess(try HTTPClient()), store: store,
            tokens: RequestTokenSigner(agency: pollerAgency, key: pollerKey), clockSkewSeconds: 300
        )
        var feeds: [PulledFeed] = []
        for (index, port) in ports.enumerated() {
            let key = try PublicKey(contentsOf: folder.appending(path: "peer-\(index).pub.pem"))
            feeds.append(PulledFeed(
                peer: try AgencyID("peer-\(index)"), baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: dataset, policy: .lww,
                keys: [key], transfer: TransferOptions()
            ))
        }
        // One first poll each (an empty page with an ETag), then the measured steady state: 304s.
        for feed in feeds { _ = try await puller.pullUntilCaughtUp(feed) }
        let before = Self.cpuSeconds()
        let deadline = ContinuousClock.now + .seconds(seconds)
        let polls = try await withThrowingTaskGroup(of: Int.self) { group in
            for feed in feeds {
                group.addTask {
                    var count = 0
                    // Each peer on its own schedule, started at a random point of the interval.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0..<(interval * 1000))))
                    while ContinuousClock.now < deadline {
                        _ = try await puller.pullUntilCaughtUp(feed)
                        count += 1
                        try await Task.sleep(for: .milliseconds(interval * 1000 + Int.random(in: -500...500)))
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let cpu = Self.cpuSeconds() - before
        print("\(peers) unchanged peers polled every \(interval) s for \(seconds) s: \(polls) polls")
        print(String(format: "poller CPU time %.2f s per minute (%.2f%% of one core); peak memory %.0f MB (resident)",
                     cpu * 60 / Double(seconds), cpu * 100 / Double(seconds), StoreBenchmark.peakMemoryMegabytes()))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// The child process of the idle benchmark: N publishers with empty feeds, each a distinct agency.
struct ServeIdlePeers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-idle-peers", shouldDisplay: false)

    @Option var count = 100
    @Option var folder: String

    func run() async throws {
        let folder = URL(fileURLWithPath: folder)
        let pollerKey = try PublicKey(contentsOf: folder.appending(path: "poller.pub.pem"))
        let store = try Store(openingAt: folder.appending(path: "peers.sqlite"))
        let dataset = try DatasetName("dan-cu")
        let publishers = try (0..<count).map { index in
            let key = try PrivateKey.generate(.ed25519)
            try key.publicKey.pemText.write(to: folder.appending(path: "peer-\(index).pub.pem"), atomically: true, encoding: .utf8)
            return Publisher(
                settings: PublisherSettings(
                    agency: try AgencyID("peer-\(index)"), signingKey: key,
                    peers: [try AgencyID("bo-y-te"): PublisherPeer(keys: [pollerKey], grants: [dataset: DatasetGrant(fields: nil)])],
                    datasets: [dataset]
                ),
                store: store, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
            )
        }
        try await Publisher.serving(publishers) { ports in
            FileHandle.standardOutput.write(Data(("PORTS " + ports.map(String.init).joined(separator: ",") + "\n").utf8))
            // Served until the benchmark kills this process.
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
