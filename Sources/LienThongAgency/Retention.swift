public import LienThongConfig
public import LienThongCore
public import LienThongSigning
public import LienThongStore
import LienThongFeed

extension Configuration {
    /// Each dataset's retention as the purge takes it.
    public var retentionDays: [DatasetName: RetentionDays] {
        datasets.mapValues { RetentionDays(history: $0.retention.historyDays, quarantine: $0.retention.quarantineDays) }
    }

    /// The datasets with `history_days: 0`, whose superseded versions are deleted as they are superseded
    /// (``LienThongStore/Store/keepNoHistory(of:)``).
    public var historylessDatasets: Set<DatasetName> {
        Set(datasets.filter { $0.value.retention.historyDays == 0 }.keys)
    }

    /// One purge under this configuration's retention (``RetentionPurge``), by the daily upkeep and by
    /// `lienthong purge`.
    public func purge(in transaction: StoreTransaction, signer: JWSSigner, dryRun: Bool) throws -> PurgeCounts {
        try RetentionPurge.run(
            in: transaction, agency: agency, signer: signer, retention: retentionDays, pagesDays: retention.quarantineDays,
            auditDays: retention.auditDays, dryRun: dryRun
        )
    }

    /// The work due once a day, by the daemon (checked every hour) and by `sync` (the timer deployment): when
    /// the newest audit checkpoint is a day old or there is none, the log's newest entry is checkpointed and
    /// what retention no longer keeps is purged (docs/PRIVACY.md). Nil when it was not due.
    public func dailyUpkeep(store: Store, signer: JWSSigner) async throws -> DailyUpkeep? {
        let now = store.clock.now
        let last = try await store.read { try $0.lastAuditCheckpoint() }
        guard last.map({ $0.madeAt <= now.milliseconds - DailyUpkeep.period }) ?? true else { return nil }
        let agency = agency
        // The checkpoint first, in a transaction of its own: a purge that cannot run still leaves the day signed.
        let signed = try await store.write { transaction in
            try AuditCheckpoint.checkpointHead(in: transaction, agency: agency, signer: signer, alwaysSign: true)
        }
        let purged = try await store.write { transaction in try self.purge(in: transaction, signer: signer, dryRun: false) }
        return DailyUpkeep(checkpointed: signed, purged: purged)
    }
}

/// What one run of ``LienThongConfig/Configuration/dailyUpkeep(store:signer:)`` did.
public struct DailyUpkeep: Sendable {
    /// The entry the new checkpoint covers; nil when the log has no chained entry yet.
    public let checkpointed: AuditHead?
    public let purged: PurgeCounts

    /// A day, in milliseconds.
    static let period: Int64 = 86_400_000
}
