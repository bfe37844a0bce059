public import LienThongAgency
public import LienThongConfig
public import LienThongCore
import LienThongFeed
public import LienThongStore

/// How each pulled feed stands and the open conflicts of each dataset, read from one snapshot of the store:
/// what `lienthong status` prints and what the daemon's status page shows.
public struct StatusReport: Sendable {
    public struct Feed: Sendable {
        public let key: FeedKey
        public let cursor: Cursor?
        public let pull: PullStatus?

        /// The records the peer's last known head is ahead of the cursor.
        public var lagRecords: Int64 { max(0, (cursor?.head ?? 0) - (cursor?.position ?? 0)) }
    }

    public let feeds: [Feed]
    /// The SHA-256 of this agency's own declared schema of each dataset that has one.
    public let ownSchemas: [DatasetName: String]
    /// Which daemon holds each feed's lease (docs/STORE.md, "Several daemons").
    public let leases: [PullLease]
    /// Open conflicts and policy of every dataset held.
    public let datasets: [(name: DatasetName, policy: String, open: Int)]

    public init(_ snapshot: StoreSnapshot, feeds keys: [FeedKey], datasets: [DatasetName: DatasetSettings]) throws {
        feeds = try keys.map { key in
            Feed(
                key: key, cursor: try snapshot.cursor(peer: key.peer, dataset: key.dataset),
                pull: try snapshot.pullStatus(peer: key.peer, dataset: key.dataset)
            )
        }
        leases = try snapshot.pullLeases()
        ownSchemas = try datasets.compactMapValues { settings in try settings.schema.map { try DatasetList.schemaDigest($0.declaration) } }
        let open = try snapshot.openConflictCounts()
        self.datasets = datasets.sorted { $0.key < $1.key }.map { name, settings in (name, "\(settings.policy)", open[name] ?? 0) }
    }

    /// The feeds a configuration pulls, by peer and dataset.
    public static func feedKeys(of configuration: Configuration) -> [FeedKey] {
        configuration.peers.sorted { $0.key < $1.key }.flatMap { peer, settings in
            settings.pull.sorted().map { FeedKey(peer: peer, dataset: $0) }
        }
    }

    /// A stored error without what the row already says (its peer and dataset) and without the request's URL,
    /// so that the reason fits the column; `--json` has the whole text.
    public static func reason(of text: String, feed: FeedKey) -> String {
        var reason = Substring(text)
        let prefix = "\(feed.peer) \(feed.dataset): "
        if reason.hasPrefix(prefix) { reason = reason.dropFirst(prefix.count) }
        if reason.hasPrefix("GET "), let end = reason.range(of: ": ") { reason = reason[end.upperBound...] }
        return String(reason)
    }

    /// How the schema the peer lists for the feed's dataset compares with this agency's own: `same`,
    /// `differs`, `peer has none`, `we have none`, or `unknown` before a daemon read the peer's list.
    public func schemaComparison(_ feed: Feed) -> String {
        guard let listed = feed.pull?.peerSchemaSHA256 else { return "unknown" }
        let own = ownSchemas[feed.key.dataset]
        switch (listed == PeerSchema.none ? nil : listed, own) {
        case (nil, nil): return "same"
        case (nil, _?): return "peer has none"
        case (_?, nil): return "we have none"
        case (let theirs?, let ours?): return theirs == ours ? "same" : "differs"
        }
    }
}
