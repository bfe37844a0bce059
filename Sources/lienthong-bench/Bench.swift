import ArgumentParser

/// Benchmarks that measure lienthong against the physical baseline on the same machine, in the same run.
/// Build in release: `swift run -c release lienthong-bench <benchmark>`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong-bench",
        abstract: "Measure lienthong beside the physical baseline in the same run.",
        subcommands: [
            SigningBenchmark.self, StoreBenchmark.self, WorstPageBenchmark.self, SyncBenchmark.self, ServeFeed.self, PutBenchmark.self, IdleBenchmark.self, ServeIdlePeers.self,
            HostileSyncBenchmark.self, PointReads.self, WatchLatencyBenchmark.self, FleetBenchmark.self,
            LiveBenchmark.self, HeldRequestsBenchmark.self, AuditBenchmark.self,
        ]
    )
}

/// A benchmark that could not measure what it set out to, and why.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}
