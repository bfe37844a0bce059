public import LienThongCore

/// How many things of one kind the quarantine holds: what a status page may show of it, counts and reasons
/// but never what was refused.
public struct QuarantineCount: Sendable, Equatable {
    /// The peer it came from.
    public let peer: String
    /// The dataset, or nil for a refused page that named none the agency knows.
    public let dataset: String?
    /// The reason as the `reason` column holds it (``QuarantineReason``).
    public let reason: String
    /// The rows, and the times they were seen (a page refused again counts once more).
    public let items: Int
    public let timesSeen: Int
    /// When the last of them was received, in milliseconds since the Unix epoch.
    public let lastReceivedAt: Int64
}

enum StatusCountSQL {
    static let recordCounts = SQLStatement(
        "SELECT r.dataset, COUNT(*) FROM record r JOIN version v ON v.seq = r.visible WHERE v.deleted = 0 GROUP BY r.dataset ORDER BY r.dataset"
    )
    static let quarantineCounts = SQLStatement("""
        SELECT peer, dataset, reason, COUNT(*), CAST(SUM(times_seen) AS BIGINT), MAX(received_at) FROM quarantine
        GROUP BY peer, dataset, reason ORDER BY dataset, peer, reason
        """)
}

extension StoreSnapshot {
    /// How many records each dataset holds that are not deletions; datasets with none are absent.
    public func liveRecordCounts() throws -> [DatasetName: Int] {
        var counts: [DatasetName: Int] = [:]
        for row in try session.rows(StatusCountSQL.recordCounts) {
            counts[try DatasetName(row.text(0))] = Int(row.int64(1))
        }
        return counts
    }

    /// The quarantine counted by dataset, peer and reason, without anything of what was refused.
    public func quarantineCounts() throws -> [QuarantineCount] {
        try session.rows(StatusCountSQL.quarantineCounts).map { row in
            QuarantineCount(
                peer: row.text(0), dataset: row.optionalText(1), reason: row.text(2), items: Int(row.int64(3)), timesSeen: Int(row.int64(4)),
                lastReceivedAt: row.int64(5)
            )
        }
    }
}
