public import LienThongCore
import Metrics
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import struct Prometheus.MetricNameDescriptor

/// The metrics lienthong exports at `/metrics`, by name and labels (docs/PROTOCOL.md), kept in a
/// Prometheus registry of their own: nothing is bootstrapped globally, so two publishers in one process
/// count apart. The publisher and the poller of one agency share one instance.
///
/// Label values come only from configured agency ids, dataset names and fixed reason names, never from
/// what a request or a page claims before it is verified, so that a stranger cannot grow the series.
public struct FeedMetrics: Sendable {
    /// Pages this publisher signed and served. Labels: `peer` (the requester), `dataset`.
    public static let pagesServed = "lienthong_pages_served_total"
    /// Pages pulled from a peer and applied. Labels: `peer` (the publisher), `dataset`.
    public static let pagesApplied = "lienthong_pages_applied_total"
    /// Records that joined the store from a peer's pages. Labels: `peer`, `dataset`.
    public static let recordsApplied = "lienthong_records_applied_total"
    /// Refused requests, pages and records. Labels: `kind` (`request`, `page`, `record`), `peer` (empty
    /// when nobody was authenticated), `reason` (the rejection's reason name).
    public static let rejections = "lienthong_rejections_total"
    /// Records with more than one sibling now. Label: `dataset`.
    public static let conflictsOpen = "lienthong_conflicts_open"
    /// How many records of a peer's feed are not applied here yet (`head - cursor`). Labels: `peer`, `dataset`.
    public static let lagRecords = "lienthong_peer_lag_records"
    /// Seconds since a peer's feed was last caught up with. Labels: `peer`, `dataset`.
    public static let lagSeconds = "lienthong_peer_lag_seconds"

    /// Whether a peer's feed is pulled live (1: held requests) or polled (0). Labels: `peer`, `dataset`.
    public static let feedLive = "lienthong_feed_live"
    /// From a version's clock stamp at the peer that authored it to its application here, for versions
    /// pulled from their author. Labels: `peer`, `dataset`.
    public static let propagationDelay = "lienthong_propagation_delay_seconds"
    /// Feed requests this publisher holds now, waiting for the feed to grow.
    public static let heldRequests = "lienthong_held_requests"

    /// What was refused, the `kind` label of ``rejections``.
    public enum RejectionKind: String, Sendable {
        /// A request to this publisher (its token, or a rate limit).
        case request
        /// A page pulled from a peer.
        case page
        /// One record of a page, quarantined.
        case record
    }

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    public func pageServed(to peer: AgencyID, dataset: DatasetName) {
        Counter(label: Self.pagesServed, dimensions: Self.labels(peer, dataset), factory: factory).increment()
    }

    /// Counts one page applied from `peer` and the `records` of it that joined the store.
    public func pageApplied(from peer: AgencyID, dataset: DatasetName, records: Int) {
        let labels = Self.labels(peer, dataset)
        Counter(label: Self.pagesApplied, dimensions: labels, factory: factory).increment()
        Counter(label: Self.recordsApplied, dimensions: labels, factory: factory).increment(by: records)
    }

    /// Counts one refusal. `reason` must come from a fixed set, such as a rejection's reason name.
    public func rejected(_ kind: RejectionKind, reason: String, peer: AgencyID?) {
        let labels = [("kind", kind.rawValue), ("peer", peer?.rawValue ?? ""), ("reason", reason)]
        Counter(label: Self.rejections, dimensions: labels, factory: factory).increment()
    }

    public func setConflictsOpen(_ count: Int, dataset: DatasetName) {
        Gauge(label: Self.conflictsOpen, dimensions: [("dataset", dataset.rawValue)], factory: factory).record(count)
    }

    public func setLag(peer: AgencyID, dataset: DatasetName, records: Int64, seconds: Int64) {
        let labels = Self.labels(peer, dataset)
        Gauge(label: Self.lagRecords, dimensions: labels, factory: factory).record(records)
        Gauge(label: Self.lagSeconds, dimensions: labels, factory: factory).record(seconds)
    }

    /// Notes whether `peer`'s feed of `dataset` is pulled live or polled.
    public func setLive(_ live: Bool, peer: AgencyID, dataset: DatasetName) {
        Gauge(label: Self.feedLive, dimensions: Self.labels(peer, dataset), factory: factory).record(live ? 1 : 0)
    }

    /// Counts the propagation delays of versions pulled from `peer`, in milliseconds.
    public func propagationDelays(_ milliseconds: [Int64], peer: AgencyID, dataset: DatasetName) {
        guard !milliseconds.isEmpty else { return }
        let histogram = registry.makeDurationHistogram(
            descriptor: Self.propagationDelayName, labels: Self.labels(peer, dataset), buckets: Self.delayBuckets
        )
        for delay in milliseconds { histogram.record(.milliseconds(max(delay, 0))) }
    }

    private static var propagationDelayName: MetricNameDescriptor {
        MetricNameDescriptor(
        namespace: "lienthong", metricName: "propagation_delay", unitName: "seconds",
            helpText: "From a version's clock stamp at its author to its application here"
        )
    }
    /// The bounds the store's propagation delay counts use too: 50 ms to a minute.
    private static let delayBuckets: [Duration] = [50, 100, 250, 500, 1000, 2500, 5000, 15_000, 60_000].map { .milliseconds($0) }

    public func setHeldRequests(_ count: Int) {
        Gauge(label: Self.heldRequests, dimensions: [], factory: factory).record(count)
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> [UInt8] {
        var text: [UInt8] = []
        registry.emit(into: &text)
        return text
    }

    private static func labels(_ peer: AgencyID, _ dataset: DatasetName) -> [(String, String)] {
        [("peer", peer.rawValue), ("dataset", dataset.rawValue)]
    }
}
