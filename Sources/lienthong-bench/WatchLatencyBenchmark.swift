import ArgumentParser
import Foundation
import LienThongCore
import LienThongStore
import LienThongTestSupport

/// How soon `lienthong watch --follow` prints a change after its transaction commits: the real binary
/// follows a store into which this process commits one local edit at a time.
struct WatchLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-latency",
        abstract: "Time from a commit to its line from `lienthong watch --follow` (the binary beside this one, or --lienthong)."
    )

    @Option(help: "Changes to time, one at a time.") var changes = 100
    @Option(help: "The lienthong binary.") var lienthong: String?
    @Option(help: "Append the figures as one JSON line to this file.") var results: String?

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appending(path: "lienthong.yaml")
        try "agency: bo-y-te\nstore: lienthong.sqlite\nsigning_key: unused.key.pem\ndatasets:\n  tiem-chung: { policy: lww }\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let store = try Store(openingAt: folder.appending(path: "lienthong.sqlite"))
        let agency = try AgencyID("bo-y-te")
        let dataset = try DatasetName("tiem-chung")
        let binary = lienthong ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "lienthong").path
        let changes = changes
        let latencies = try await withChild(binary, ["watch", "--config", config.path, "--follow"]) { nextLine in
            var latencies: [Double] = []
            for index in 0..<changes {
                try await store.write { transaction in
                    try transaction.edit(dataset: dataset, id: "r\(index)", agency: agency, deleted: false, data: .object(["n": .integer(Int64(index))]), policy: .lww)
                }
                let committed = ContinuousClock.now
                guard let line = try await nextLine(), line.contains("\"id\":\"r\(index)\"") else {
                    throw BenchmarkFailure(description: "watch did not print change \(index + 1)")
                }
                let elapsed = ContinuousClock.now - committed
                latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                try await Task.sleep(for: .milliseconds(50))
            }
            return latencies
        }
        let sorted = latencies.sorted()
        let median = sorted[sorted.count / 2]
        let p95 = sorted[Int(Double(sorted.count - 1) * 0.95)]
        print(String(format: "watch --follow        commit to line: median %.2f ms, p95 %.2f ms, max %.2f ms (%d changes, one at a time)", median, p95, sorted.last ?? 0, changes))
        try keep(.object([
            "benchmark": .string("watch-latency"), "changes": .integer(Int64(changes)), "median_ms": .number(String(format: "%.2f", median)),
            "p95_ms": .number(String(format: "%.2f", p95)), "max_ms": .number(String(format: "%.2f", sorted.last ?? 0)),
            "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }
}
