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

/// An initial sync between two agencies over loopback (a real publisher, the libcurl poller, two on-disk
/// stores), beside the plain apply rate measured in the same run.
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Initial sync of N records in pages between two local agencies, beside the store's plain apply rate."
    )

    @Option(help: "Records to sync.") var records = 1_000_000
    @Option(help: "Records per page.") var pageSize = 1_000

    func run() async throws {
        let workFolder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workFolder) }
        let publisherAgency = try AgencyID("bo-cong-an")
        let pullerAgency = try AgencyID("bo-y-te")
        let dataset = try DatasetName("dan-cu")
        let publisherKey = try PrivateKey.generate(.ed25519)
        let pullerKey = try PrivateKey.generate(.ed25519)
        print("\(records) records in pages of \(pageSize) over loopback, in \(workFolder.path)")

        // The publisher's own feed, written before anything is timed.
        let publisherStore = try Store(openingAt: workFolder.appending(path: "publisher.sqlite"))
        try await publisherStore.write { transaction in
            for index in 0..<records {
                try transaction.edit(dataset: dataset, id: "cd-\(index)", agency: publisherAgency, deleted: false, data: StoreBenchmark.data(index), policy: .lww)
            }
        }
        let publisher = Publisher(
            settings: PublisherSettings(
                agency: publisherAgency, signingKey: publisherKey,
                peers: [pullerAgency: PublisherPeer(keys: [pullerKey.publicKey], grants: [dataset: DatasetGrant(fields: nil)])],
                datasets: [dataset]
            ),
            store: publisherStore, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        )
        let pullerStore = try Store(openingAt: workFolder.appending(path: "puller.sqlite"))
        let puller = FeedPuller(
            agency: pullerAgency, client: runningForTheProcess(try HTTPClient()), store: pullerStore,
            tokens: RequestTokenSigner(agency: pullerAgency, key: pullerKey), clockSkewSeconds: 300, pageLimit: Int64(pageSize)
        )

        let (summary, seconds) = try await publisher.serving { port in
            let feed = PulledFeed(
                peer: publisherAgency, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: dataset, policy: .lww,
                keys: [publisherKey.publicKey], transfer: TransferOptions()
            )
            let start = ContinuousClock.now
            let summary = try await puller.pullUntilCaughtUp(feed)
            let elapsed = ContinuousClock.now - start
            return (summary, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let syncPeak = StoreBenchmark.peakMemoryMegabytes()
        guard summary.applied == records else {
            throw BenchmarkFailure(description: "the sync applied \(summary.applied) of \(records) records")
        }
        let syncRate = Double(records) / seconds
        let (plainRate, applyRate) = try StoreBenchmark.measureApply(records: records, pageSize: pageSize, in: workFolder)
        print(String(format: "initial sync          %10.0f records/s  (%.1f s, %d pages)  = %.2f × plain apply", syncRate, seconds, summary.pages, syncRate / applyRate))
        print(String(format: "plain apply           %10.0f records/s  (verified pages into the store, same run)", applyRate))
        print(String(format: "plain SQLite insert   %10.0f records/s", plainRate))
        print(String(format: "peak memory during the sync %.0f MB (resident; publisher and puller in one process)", syncPeak))
    }
}
