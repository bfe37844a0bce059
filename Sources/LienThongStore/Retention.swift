public import LienThongCore

/// How long one dataset's superseded versions and quarantined items are kept (docs/CONFIG.md `retention`,
/// docs/PRIVACY.md "How long").
public struct RetentionDays: Sendable, Hashable {
    /// Days a version is kept after it left the sibling set; 0: none is kept past the next purge.
    public let history: Int
    /// Days a refused item is kept after it was last seen.
    public let quarantine: Int

    public init(history: Int, quarantine: Int) {
        self.history = history
        self.quarantine = quarantine
    }
}

/// What a purge removed, or would remove (`--dry-run`).
public struct PurgeCounts: Sendable, Equatable {
    /// Superseded versions, by dataset.
    public var history: [DatasetName: Int] = [:]
    /// Quarantined items, by dataset; refused pages, which name none, under nil.
    public var quarantine: [DatasetName?: Int] = [:]
    /// Audit log entries.
    public var audit = 0
    /// Whether the run stopped at ``StoreTransaction/maximumVersionsPurgedPerRun`` with more to purge.
    public var more = false

    public init() {}

    /// The counts as the `purged` audit entry and `purge --json` give them: no record contents, no ids.
    public var json: JSONValue {
        .object([
            "history": .object(Dictionary(uniqueKeysWithValues: history.map { ($0.key.rawValue, .integer(Int64($0.value))) })),
            "quarantine": .object(Dictionary(uniqueKeysWithValues: quarantine.map { ($0.key?.rawValue ?? "(pages)", .integer(Int64($0.value))) })),
            "audit": .integer(Int64(audit)), "more": .bool(more),
        ])
    }
}

enum RetentionSQL {
    /// Versions that left the sibling set before a time, oldest first (the `history` view gives when).
    static let superseded = SQLStatement("SELECT seq, record_id FROM history WHERE dataset = ? AND superseded_at < ? ORDER BY seq LIMIT ?")
    static let deleteVersion = SQLStatement("DELETE FROM version WHERE seq = ?")
    static let staleQuarantine = SQLStatement("SELECT COUNT(*) FROM quarantine WHERE dataset = ? AND COALESCE(last_seen_at, received_at) < ?")
    static let deleteStaleQuarantine = SQLStatement("DELETE FROM quarantine WHERE dataset = ? AND COALESCE(last_seen_at, received_at) < ?")
    static let stalePages = SQLStatement("SELECT COUNT(*) FROM quarantine WHERE dataset IS NULL AND COALESCE(last_seen_at, received_at) < ?")
    static let deleteStalePages = SQLStatement("DELETE FROM quarantine WHERE dataset IS NULL AND COALESCE(last_seen_at, received_at) < ?")
}

extension StoreTransaction {
    /// The most superseded versions one purge removes: the rest wait for the next run (``PurgeCounts/more``).
    public static let maximumVersionsPurgedPerRun = 100_000

    /// Removes (or, when `dryRun`, counts) the versions of each dataset in `retention` superseded more than its
    /// `history` days ago, and its quarantined items last seen more than its `quarantine` days ago; refused
    /// pages, which name no dataset, after `pagesDays`. A version that is a sibling of its record — the shown
    /// one, or one of an open conflict — is never removed.
    public func purgeExpired(retention: [DatasetName: RetentionDays], pagesDays: Int, dryRun: Bool) throws -> PurgeCounts {
        var counts = PurgeCounts()
        var budget = Self.maximumVersionsPurgedPerRun
        for (dataset, days) in retention.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let cutoff = nowMilliseconds - Int64(days.history) * 86_400_000
            let candidates = try session.rows(RetentionSQL.superseded, dataset.rawValue, cutoff, budget + 1)
            if candidates.count > budget { counts.more = true }
            var siblingSeqs: [String: Set<Int64>] = [:]
            var removed = 0
            for row in candidates.prefix(budget) {
                let seq = row.int64(0)
                let id = row.text(1)
                if siblingSeqs[id] == nil {
                    siblingSeqs[id] = Set(try session.storedRecord(RecordKey(dataset: dataset, id: id)).siblings.map(\.seq))
                }
                guard siblingSeqs[id]?.contains(seq) == false else { continue }
                if !dryRun { try session.execute(RetentionSQL.deleteVersion, seq) }
                removed += 1
            }
            budget -= removed
            if removed > 0 { counts.history[dataset] = removed }
            let quarantineCutoff = nowMilliseconds - Int64(days.quarantine) * 86_400_000
            let stale = Int(try session.row(RetentionSQL.staleQuarantine, dataset.rawValue, quarantineCutoff)?.int64(0) ?? 0)
            if stale > 0 {
                if !dryRun { try session.execute(RetentionSQL.deleteStaleQuarantine, dataset.rawValue, quarantineCutoff) }
                counts.quarantine[dataset] = stale
            }
        }
        let pagesCutoff = nowMilliseconds - Int64(pagesDays) * 86_400_000
        let stalePages = Int(try session.row(RetentionSQL.stalePages, pagesCutoff)?.int64(0) ?? 0)
        if stalePages > 0 {
            if !dryRun { try session.execute(RetentionSQL.deleteStalePages, pagesCutoff) }
            counts.quarantine[nil] = stalePages
        }
        return counts
    }
}
