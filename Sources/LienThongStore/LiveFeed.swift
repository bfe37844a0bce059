public import LienThongCore

/// How a feed is pulled: held requests that the publisher answers as soon as it commits (`live`), or one
/// request per interval (`polled`) from a publisher that does not advertise `wait_max` (docs/PROTOCOL.md).
public enum FeedMode: String, Sendable, Equatable, CaseIterable {
    case live
    case polled
}

/// Counts of propagation delays — from a version's own clock stamp at its origin to its application here —
/// in fixed buckets, so that a feed's distribution is kept in a few bytes and adds up across pulls.
public struct DelayHistogram: Sendable, Equatable {
    /// Each bucket's upper bound in milliseconds; the last bucket takes everything above the last bound.
    public static let boundsMilliseconds: [Int64] = [50, 100, 250, 500, 1000, 2500, 5000, 15_000, 60_000]
    /// One count per bucket: ``boundsMilliseconds`` and the overflow.
    public private(set) var counts: [Int64]

    public init() {
        counts = Array(repeating: 0, count: Self.boundsMilliseconds.count + 1)
    }

    /// The stored form, counts separated by commas; anything else reads as empty.
    init(stored: String?) {
        self.init()
        let parts = stored?.split(separator: ",").compactMap { Int64($0) } ?? []
        if parts.count == counts.count, parts.allSatisfy({ $0 >= 0 }) { counts = parts }
    }

    var stored: String { counts.map(String.init).joined(separator: ",") }

    /// How many delays it holds.
    public var total: Int64 { counts.reduce(0) { $0.addingReportingOverflow($1).partialValue } }

    /// Counts one delay; a negative one (the origin's clock ahead of ours) counts as zero.
    public mutating func add(milliseconds: Int64) {
        let bucket = Self.boundsMilliseconds.firstIndex { milliseconds <= $0 } ?? Self.boundsMilliseconds.count
        counts[bucket] = counts[bucket].addingReportingOverflow(1).partialValue
    }

    /// Adds another histogram's counts.
    public mutating func add(_ other: DelayHistogram) {
        for index in counts.indices { counts[index] = counts[index].addingReportingOverflow(other.counts[index]).partialValue }
    }

    /// The bucket that holds the `fraction` quantile (0...1), as ``bucketLabel(_:)`` names it; nil when empty.
    public func quantileBucket(_ fraction: Double) -> Int? {
        let total = total
        guard total > 0 else { return nil }
        let rank = max(Int64((Double(total) * min(max(fraction, 0), 1)).rounded(.up)), 1)
        var seen: Int64 = 0
        return counts.indices.first { index in
            seen = seen.addingReportingOverflow(counts[index]).partialValue
            return seen >= rank
        }
    }

    /// A bucket as people read it: `≤250ms`, or `>60000ms` for the last.
    public static func bucketLabel(_ index: Int) -> String {
        index < boundsMilliseconds.count ? "≤\(boundsMilliseconds[index])ms" : ">\(boundsMilliseconds.last ?? 0)ms"
    }
}

/// The schema and statements of live feeds (issue 15): the ETag kept with each cursor, each feed's mode and
/// propagation delays in its pull status, and the notification a commit to the own feed sends on PostgreSQL.
enum LiveFeedSQL {
    static let migrationIdentifier = "v8: ETags with cursors, live feeds"
    static let migration = """
        ALTER TABLE cursor ADD COLUMN entity_tag TEXT;
        ALTER TABLE pull_status ADD COLUMN mode TEXT CHECK (mode IN ('live', 'polled'));
        ALTER TABLE pull_status ADD COLUMN delay_counts TEXT
        """
    /// The channel a commit that adds to the own feed notifies on PostgreSQL; the payload is empty: the store
    /// stays the truth, the notification is a hint to look.
    static let channel = "lienthong_own_feed"
    static let announceOwnFeedCommit = SQLStatement("SELECT pg_notify('\(channel)', '')")
    static let recordMode = SQLStatement("""
        UPDATE pull_status SET mode = ?3,
            delay_counts = CASE WHEN ?4 IS NULL THEN delay_counts ELSE ?4 END
        WHERE peer = ?1 AND dataset = ?2
        """)
}

extension StoreTransaction {
    /// Notes how `peer`'s `dataset` is pulled now, and adds `delays` to its propagation delays. Call it after
    /// ``recordPullSuccess(peer:dataset:)`` or ``recordPullFailure(peer:dataset:reason:nextAttemptAt:)``.
    public func recordFeedMode(peer: AgencyID, dataset: DatasetName, mode: FeedMode, delays: DelayHistogram) throws {
        var total = try pullStatus(peer: peer, dataset: dataset)?.propagationDelays ?? DelayHistogram()
        total.add(delays)
        try session.execute(LiveFeedSQL.recordMode, peer.rawValue, dataset.rawValue, mode.rawValue, delays.total > 0 ? total.stored : nil)
    }
}
