import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongSigning
import LienThongStore
import LienThongTestSupport

/// Propagation with live feeds (issue 15): two `lienthong daemon` processes on loopback, A publishing and B
/// pulling A's dataset; this process commits one local edit at A every `--every-ms` for `--seconds` (updates
/// spread over the records A holds) and times each from the end of its commit at A to the moment B's
/// `visible_records` shows it, watching B's store with inotify on a thread of its own.
struct LiveBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Edit at A every 100 ms; time until B, another daemon pulling A live, shows each edit."
    )

    @Option(help: "Seconds of edits.") var seconds = 60
    @Option(help: "Milliseconds between edits.") var everyMs = 100
    @Option(help: "Records A holds; each edit updates one at random.") var records = 10_000
    @Option(help: "Poll instead (A lists no wait_max); B asks every this many seconds.") var polledInterval: Int?
    @Option(help: "The lienthong binary the daemons run (default: the one built beside this benchmark).") var lienthong: String?
    @Option(help: "Append the figures as JSON lines to this file.") var results: String?

    func run() async throws {
        let binary = try lienthongBinary(lienthong)
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try DatasetName("dan-cu")
        let publisherAgency = try AgencyID("bo-cong-an")
        for agency in ["bo-cong-an", "bo-y-te"] {
            let key = try PrivateKey.generate(.ed25519)
            try CreatedFile.create(atPath: folder.appending(path: "\(agency).key.pem").path, mode: CreatedFile.ownerOnly)
            try key.pemText().write(to: folder.appending(path: "\(agency).key.pem"), atomically: false, encoding: .utf8)
            try key.publicKey.pemText.write(to: folder.appending(path: "\(agency).pub.pem"), atomically: true, encoding: .utf8)
        }
        let storeA = try Store(openingAt: folder.appending(path: "a/store.sqlite"))
        try await Workload.author(Array(0..<records), agency: publisherAgency, dataset: dataset, into: storeA)
        let portA = try freeLoopbackPort()
        let waitMax = polledInterval == nil ? 25 : 0
        try Self.configuration(agency: "bo-cong-an", port: portA, store: "a/store.sqlite", waitMax: waitMax, peer: "bo-y-te", peerURL: nil, interval: 30)
            .write(to: folder.appending(path: "a.yaml"), atomically: true, encoding: .utf8)
        try Self.configuration(
            agency: "bo-y-te", port: 0, store: "b/store.sqlite", waitMax: 25, peer: "bo-cong-an", peerURL: "http://127.0.0.1:\(portA)",
            interval: polledInterval ?? 30
        ).write(to: folder.appending(path: "b.yaml"), atomically: true, encoding: .utf8)
        let daemons = try ["a", "b"].map { try startDaemon(binary, config: folder.appending(path: "\($0).yaml")) }
        defer { daemons.forEach(stopDaemon) }
        // B has caught up with A's records before the edits start.
        let storeBURL = folder.appending(path: "b/store.sqlite")
        let started = ContinuousClock.now
        var storeB: Store?
        while true {
            guard ContinuousClock.now - started < .seconds(300) else { throw BenchmarkFailure(description: "B did not catch up with A in 300 s") }
            try await Task.sleep(for: .milliseconds(200))
            storeB = storeB ?? (try? Store(readingAt: storeBURL))
            if let storeB, (try? await storeB.read({ try $0.cursor(peer: publisherAgency, dataset: dataset) }))??.position == Int64(records) { break }
        }
        guard let storeB else { throw BenchmarkFailure(description: "B's store cannot be read") }
        let mode = polledInterval.map { "polled every \($0) s" } ?? "live (wait_max 25 s)"
        print("\(seconds) s of edits every \(everyMs) ms at A (\(records) records, updates at random), B pulling \(mode); A and B lienthong daemons on loopback")
        let (seconds, everyMs, records) = (seconds, everyMs, records)
        let delays = try await onOwnThread {
            try Self.measure(at: storeA, seeing: storeB, folder: storeBURL, dataset: dataset, seconds: seconds, everyMs: everyMs, records: records)
        }
        let sorted = delays.sorted()
        func quantile(_ fraction: Double) -> Double {
            sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
        print(String(format: "%d edits: propagation p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", sorted.count, quantile(0.5), quantile(0.9), quantile(0.99), sorted.last ?? .nan))
        try keep(.object([
            "benchmark": .string("live"), "mode": .string(polledInterval == nil ? "live" : "polled"), "edits": .integer(Int64(sorted.count)),
            "p50_ms": .number(String(format: "%.1f", quantile(0.5))), "p90_ms": .number(String(format: "%.1f", quantile(0.9))),
            "p99_ms": .number(String(format: "%.1f", quantile(0.99))), "max_ms": .number(String(format: "%.1f", sorted.last ?? 0)),
            "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }

    /// Commits the edits on schedule and times each until B shows it, in milliseconds. Runs on a thread of its
    /// own: one commit, then B's store read after every write in its folder until the edit shows.
    private static func measure(
        at storeA: Store, seeing storeB: Store, folder: URL, dataset: DatasetName, seconds: Int, everyMs: Int, records: Int
    ) throws -> [Double] {
        let agency = try AgencyID("bo-cong-an")
        let watch = try StoreFileWatch(storeURL: folder)
        var generator = SystemRandomNumberGenerator()
        let start = ContinuousClock.now
        var pending: [(number: Int, id: String, committed: ContinuousClock.Instant)] = []
        var delays: [Double] = []
        var number = 0
        let end = start + .seconds(seconds)
        while ContinuousClock.now < end || !pending.isEmpty {
            guard ContinuousClock.now < end + .seconds(120) else { throw BenchmarkFailure(description: "\(pending.count) edits not seen at B after 120 s") }
            let due = start + .milliseconds(number * everyMs)
            if ContinuousClock.now >= due, due < end {
                let id = "cd-\(Int.random(in: 0..<records, using: &generator))"
                let edit = number
                try storeA.write { transaction in
                    try transaction.edit(dataset: dataset, id: id, agency: agency, deleted: false, data: .object(["lan": .integer(Int64(edit))]), policy: .lww)
                }
                pending.append((number, id, ContinuousClock.now))
                number += 1
            }
            if !pending.isEmpty {
                let ids = pending.map(\.id)
                let seen = try storeB.read { snapshot in
                    try ids.map { try snapshot.visibleRecord(dataset: dataset, id: $0)?.version.data["lan"]?.int64Value ?? -1 }
                }
                let now = ContinuousClock.now
                var still: [(number: Int, id: String, committed: ContinuousClock.Instant)] = []
                for (edit, shown) in zip(pending, seen) {
                    if shown >= Int64(edit.number) {
                        let delay = now - edit.committed
                        delays.append(Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15)  // fractional ms
                    } else {
                        still.append(edit)
                    }
                }
                pending = still
            }
            // Until the next edit is due, or a write at B.
            let untilDue = (start + .milliseconds(number * everyMs) - ContinuousClock.now).milliseconds
            _ = watch.waitForWrite(timeoutMilliseconds: Int32(min(max(untilDue, 1), 1000)))
        }
        return delays
    }

    static func configuration(agency: String, port: Int, store: String, waitMax: Int, peer: String, peerURL: String?, interval: Int) -> String {
        let pull = peerURL == nil ? "" : "\n    pull: [dan-cu]\n    url: \"\(peerURL!)\""
        let share = peerURL == nil ? "\n    share: { dan-cu: {} }\n    url: \"http://127.0.0.1:1\"" : ""
        return """
            agency: \(agency)
            store: \(store)
            signing_key: \(agency).key.pem
            listen: "127.0.0.1:\(port)"
            long_poll: { wait_max_seconds: \(waitMax) }
            datasets:
              dan-cu: { policy: lww }
            peers:
              \(peer):
                keys: [\(peer).pub.pem]\(pull)\(share)
                interval_seconds: \(interval)

            """
    }
}

/// The lienthong binary built beside this benchmark, or `path`.
func lienthongBinary(_ path: String?) throws -> String {
    let binary = path ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "lienthong").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw BenchmarkFailure(description: "no lienthong binary at \(binary): build it (swift build -c release) or pass --lienthong")
    }
    return binary
}

/// `lienthong daemon --config config` as a child process, its output discarded.
func startDaemon(_ binary: String, config: URL) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["daemon", "--config", config.path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Stops a daemon ``startDaemon(_:config:)`` started (SIGTERM) and waits for it.
func stopDaemon(_ process: Process) {
    guard process.isRunning else { return }
    process.terminate()
    process.waitUntilExit()
}
