import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongAgency
import LienThongDaemon
import LienThongFeed
import LienThongStore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.status.abstract"),
        discussion: localized("help.status.discussion")
    )

    @OptionGroup var config: ConfigOption
    @Flag(help: ArgumentHelp(localized("help.status.json"))) var json = false

    func run() async throws {
        try await reportingFailures {
            let configuration = try config.load()
            if let url = configuration.store.fileURL, !FileManager.default.fileExists(atPath: url.path) {
                throw Failure.unusable(localized("error.status.no-store", ["path": url.path]))
            }
            let store = try Store.forReading(configuration.store)
            let feeds = StatusReport.feedKeys(of: configuration)
            let report: StatusReport
            do {
                report = try await store.read { snapshot in try StatusReport(snapshot, feeds: feeds, datasets: configuration.datasets) }
            } catch {
                throw Failure.refused(localized("error.status.unreadable", ["reason": "\(error)"]))
            }
            let now = store.clock.now.milliseconds
            print(json ? report.json(now: now).displayText : report.text(now: now))
        }
    }
}

/// What `lienthong status` prints of the report (the report itself is the daemon's, which its status page shows too).
extension StatusReport {
    func text(now: Int64) -> String {
        var table = TerminalTable([
            localized("table.peer"), localized("table.dataset"), localized("table.mode"), localized("table.cursor"), localized("table.head"),
            localized("table.lag"), localized("table.delay"), localized("table.last-success"), localized("table.last-error"),
            localized("table.backoff"), localized("table.schema"),
        ])
        for feed in feeds {
            let position = feed.cursor?.position ?? 0
            let head = feed.cursor?.head ?? 0
            let error = feed.pull.flatMap { pull in
                pull.lastError.map { text in
                    let reason = Self.reason(of: text, feed: feed.key)
                    return "\(Self.time(pull.lastErrorAt)) \(reason.count > 110 ? reason.prefix(109) + "…" : reason)"
                }
            }
            table.append([
                feed.key.peer.rawValue, feed.key.dataset.rawValue, feed.pull?.mode?.rawValue ?? "-", String(position), String(head),
                String(max(0, head - position)), Self.delays(feed.pull), feed.pull?.lastSuccessAt.map { Self.time($0) } ?? localized("status.never"), error ?? "-", backoff(feed.pull, now: now),
                Self.schemaText(schemaComparison(feed)),
            ])
        }
        var lines = [table.text]
        if feeds.isEmpty { lines.append(localized("status.no-feeds")) }
        for feed in feeds where ["differs", "peer has none", "we have none"].contains(schemaComparison(feed)) {
            lines.append(
                localized("status.schema-warning", [
                    "peer": feed.key.peer.rawValue, "dataset": feed.key.dataset.rawValue, "comparison": Self.schemaText(schemaComparison(feed)),
                ])
            )
        }
        if !leases.isEmpty {
            lines.append("")
            var leaseTable = TerminalTable([
                localized("table.peer"), localized("table.dataset"), localized("table.lease-holder"), localized("table.fence"), localized("table.expires"),
            ])
            for lease in leases {
                leaseTable.append([
                    lease.peer.rawValue, lease.dataset.rawValue, lease.holder, String(lease.fence),
                    lease.expiresAt > now
                        ? localized("status.lease.in", ["seconds": "\(1 + (lease.expiresAt - now - 1) / 1000)"])
                        : localized("status.lease.expired", ["time": Self.time(lease.expiresAt)]),
                ])
            }
            lines.append(leaseTable.text)
        }
        lines.append("")
        var datasetTable = TerminalTable([localized("table.dataset"), localized("table.policy"), localized("table.open-conflicts")])
        for dataset in datasets { datasetTable.append([dataset.name.rawValue, dataset.policy, String(dataset.open)]) }
        lines.append(datasetTable.text)
        return lines.joined(separator: "\n")
    }

    func json(now: Int64) -> JSONValue {
        .object([
            "generated_at": .string(Self.time(now)),
            "feeds": .array(feeds.map(feedJSON)),
            "leases": .array(leases.map { lease in
                .object([
                    "peer": .string(lease.peer.rawValue), "dataset": .string(lease.dataset.rawValue), "holder": .string(lease.holder),
                    "fence": .integer(lease.fence), "expires_at": .string(Self.time(lease.expiresAt)), "held": .bool(lease.expiresAt > now),
                ])
            }),
            "datasets": .array(datasets.map { .object(["dataset": .string($0.name.rawValue), "policy": .string($0.policy), "open_conflicts": .integer(Int64($0.open))]) }),
        ])
    }

    private func feedJSON(_ feed: Feed) -> JSONValue {
        let position = feed.cursor?.position ?? 0
        let head = feed.cursor?.head ?? 0
        let peerSchema: JSONValue = feed.pull?.peerSchemaSHA256.flatMap { $0 == PeerSchema.none ? nil : JSONValue.string($0) } ?? .null
        return .object([
            "peer": .string(feed.key.peer.rawValue), "dataset": .string(feed.key.dataset.rawValue),
            "cursor": .integer(position), "head": .integer(head), "lag": .integer(max(0, head - position)),
            "last_success": feed.pull?.lastSuccessAt.map { .string(Self.time($0)) } ?? .null,
            "last_error": feed.pull?.lastError.map(JSONValue.string) ?? .null,
            "last_error_at": feed.pull?.lastErrorAt.map { .string(Self.time($0)) } ?? .null,
            "consecutive_failures": .integer(Int64(feed.pull?.consecutiveFailures ?? 0)),
            "next_attempt_at": feed.pull?.nextAttemptAt.map { .string(Self.time($0)) } ?? .null,
            "mode": feed.pull?.mode.map { .string($0.rawValue) } ?? .null,
            "propagation_delay": Self.delayJSON(feed.pull),
            "schema": .string(schemaComparison(feed)),
            "peer_schema_sha256": peerSchema,
        ])
    }

    /// The propagation delays' median and 99th percentile, as the buckets that hold them: `≤250ms/≤1000ms`.
    static func delays(_ pull: PullStatus?) -> String {
        guard let histogram = pull?.propagationDelays, let median = histogram.quantileBucket(0.5),
            let tail = histogram.quantileBucket(0.99)
        else { return "-" }
        return "\(DelayHistogram.bucketLabel(median))/\(DelayHistogram.bucketLabel(tail))"
    }

    /// The propagation delays as JSON: the bucket bounds in milliseconds and the count in each (the last
    /// count is above the last bound), and the buckets of the median and 99th percentile.
    static func delayJSON(_ pull: PullStatus?) -> JSONValue {
        guard let histogram = pull?.propagationDelays, histogram.total > 0 else { return .null }
        return .object([
            "bounds_ms": .array(DelayHistogram.boundsMilliseconds.map(JSONValue.integer)),
            "counts": .array(histogram.counts.map(JSONValue.integer)),
            "p50": histogram.quantileBucket(0.5).map { .string(DelayHistogram.bucketLabel($0)) } ?? .null,
            "p99": histogram.quantileBucket(0.99).map { .string(DelayHistogram.bucketLabel($0)) } ?? .null,
        ])
    }

    private func backoff(_ pull: PullStatus?, now: Int64) -> String {
        guard let pull, !pull.isHealthy else { return "-" }
        let count = ["count": "\(pull.consecutiveFailures)"]
        let failures = pull.consecutiveFailures == 1 ? localized("status.failures.one", count) : localized("status.failures.many", count)
        guard let next = pull.nextAttemptAt else { return failures }
        // Rounded up; a stored time in the past (or any value the store holds) cannot overflow here.
        let seconds = next > now ? 1 + (next - now - 1) / 1000 : 0
        return localized("status.retry", ["failures": failures, "seconds": "\(seconds)"])
    }

    /// ``schemaComparison(_:)``'s word in the operator's language, for the table (`--json` keeps the English word).
    static func schemaText(_ comparison: String) -> String {
        switch comparison {
        case "same": localized("status.schema.same")
        case "differs": localized("status.schema.differs")
        case "peer has none": localized("status.schema.peer-none")
        case "we have none": localized("status.schema.own-none")
        default: localized("status.schema.unknown")
        }
    }

    /// Milliseconds since the epoch as `2026-11-29T10:15:02Z`.
    static func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "-" }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}
