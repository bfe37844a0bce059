import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongAgency
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongSigning
import LienThongStore

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.sync.abstract"),
        discussion: localized("help.sync.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var keyPermissions: KeyPermissionsOption
    @Option(help: ArgumentHelp(localized("help.sync.peer"))) var peer: [String] = []
    @Option(help: ArgumentHelp(localized("help.sync.dataset"))) var dataset: [String] = []
    @Option(help: ArgumentHelp(localized("help.sync.attempts"))) var attempts = 3
    @Flag(help: ArgumentHelp(localized("help.sync.json"))) var json = false

    func validate() throws {
        guard (1...10).contains(attempts) else { throw ValidationError(localized("error.sync.attempts")) }
    }

    func run() async throws {
        try await reportingFailures {
            let (configuration, store) = try config.openStore()
            let plan = try AgencyPlan(configuration: configuration, keyAccess: keyPermissions.access)
            plan.keyWarnings.forEach(keyPermissions.warn)
            let feeds = try selectedFeeds(plan)
            try await withHTTPClient { client in
                    let puller = FeedPuller(
                        agency: configuration.agency, client: client, store: store,
                        tokens: RequestTokenSigner(agency: configuration.agency, key: plan.signingKey), clockSkewSeconds: configuration.clockSkewSeconds,
                        prefetchBudget: PrefetchBudget(limitBytes: configuration.prefetchBytes)
                    )
                    let progress = SyncProgress(live: isatty(STDERR_FILENO) == 1)
                    let attempts = attempts
                    let results = await withTaskGroup(of: RetriedPull.self) { group in
                        for feed in feeds {
                            group.addTask {
                                await puller.pullRetrying(feed, store: store, attempts: attempts, backoff: Self.backoff) { page in progress.update(page) }
                            }
                        }
                        var rows: [RetriedPull] = []
                        for await row in group { rows.append(row) }
                        return rows.sorted { ($0.feed.peer, $0.feed.dataset) < ($1.feed.peer, $1.feed.dataset) }
                    }
                    progress.finish()
                    if json { printJSON(SyncProgress.json(results)) } else { print(SyncProgress.table(results)) }
                    // The daemon prunes every hour and runs the daily upkeep; a site that runs the timer instead does both here.
                    try await store.pruneChanges(keptDays: configuration.changesRetentionDays)
                    _ = try await configuration.dailyUpkeep(store: store, signer: JWSSigner(key: plan.signingKey))
                    let failed = Set(results.compactMap { $0.error?.peer.rawValue }).sorted()
                    if !failed.isEmpty {
                        for row in results { if let error = row.error { printDiagnostic(localizedText(of: error)) } }
                        throw Failure.peersFailed(localized("error.sync.failed", ["peers": failed.joined(separator: ", ")]))
                    }
                }
        }
    }

    /// How long a one-shot sync waits between attempts at one feed: a peer asking for longer fails now.
    private static let backoff = Backoff(base: .seconds(1), cap: .seconds(30))

    /// The (peer, dataset) pairs to pull: all that the configuration pulls, narrowed by --peer and --dataset.
    private func selectedFeeds(_ plan: AgencyPlan) throws -> [PulledFeed] {
        let peers = try Set(peer.map(AgencyID.init))
        let datasets = try Set(dataset.map(DatasetName.init))
        if let unknown = peers.first(where: { plan.configuration.peers[$0] == nil }) {
            throw Failure.unusable(localized("error.not-a-peer", ["peer": "\(unknown)", "path": plan.configuration.fileURL.path]))
        }
        let feeds = plan.feeds.map(\.feed).filter { feed in
            (peers.isEmpty || peers.contains(feed.peer)) && (datasets.isEmpty || datasets.contains(feed.dataset))
        }
        if feeds.isEmpty { throw Failure.unusable(localized("error.sync.no-feed")) }
        return feeds
    }
}

/// Live progress on a terminal (one line, redrawn) and the closing table.
final class SyncProgress: Sendable {
    private struct Line {
        var records = 0
        var pages = 0
        var rate = 0.0
    }

    private let live: Bool
    private let start = ContinuousClock.now
    private let lines = Locked<[String: Line]>([:])

    init(live: Bool) {
        self.live = live
    }

    func update(_ page: PulledPage) {
        guard live else { return }
        let text = lines.withLock { lines in
            var line = lines[page.feed] ?? Line()
            line.pages += 1
            line.records += page.application.applied + page.application.redundant + page.application.quarantined
            line.rate = Double(line.records) / max(0.001, (ContinuousClock.now - start).seconds)
            lines[page.feed] = line
            return lines.sorted { $0.key < $1.key }
                .map { localized("sync.progress", ["feed": $0.key, "pages": "\($0.value.pages)", "records": "\($0.value.records)", "rate": "\(Int($0.value.rate))"]) }
                .joined(separator: " | ")
        }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text.prefix(200))".utf8))
    }

    func finish() {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    static func table(_ rows: [RetriedPull]) -> String {
        var table = TerminalTable([
            localized("table.peer"), localized("table.dataset"), localized("table.pages"), localized("table.applied"), localized("table.already"),
            localized("table.quarantined"), localized("table.rate"), localized("table.cursor-head"), localized("table.result"),
        ])
        for row in rows.map({ row -> [String] in
            let records = row.summary.applied + row.summary.redundant + row.summary.quarantined
            let rate = Int(Double(records) / max(0.001, row.elapsed.seconds))
            let result = row.error.map { localized("sync.failed", ["reason": "\($0.reason)"]) } ?? (row.summary.unchanged ? localized("sync.unchanged") : localized("sync.ok"))
            return [
                row.feed.peer.rawValue, row.feed.dataset.rawValue, String(row.summary.pages), String(row.summary.applied),
                String(row.summary.redundant), String(row.summary.quarantined), String(rate), "\(row.summary.cursor)/\(row.summary.head)", result,
            ]
        }) { table.append(row) }
        return table.text
    }

    static func json(_ rows: [RetriedPull]) -> JSONValue {
        .array(rows.map { row in
            .object([
                "peer": .string(row.feed.peer.rawValue), "dataset": .string(row.feed.dataset.rawValue),
                "pages": .integer(Int64(row.summary.pages)), "applied": .integer(Int64(row.summary.applied)),
                "already_here": .integer(Int64(row.summary.redundant)), "quarantined": .integer(Int64(row.summary.quarantined)),
                "cursor": .integer(row.summary.cursor), "head": .integer(row.summary.head), "unchanged": .bool(row.summary.unchanged),
                "milliseconds": .integer(Int64(row.elapsed.seconds * 1000)), "error": row.error.map { .string("\($0.reason)") } ?? .null,
            ])
        })
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
