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

    /// One purge under this configuration's retention (``RetentionPurge``), by the daemon once a day and by
    /// `lienthong purge`.
    public func purge(in transaction: StoreTransaction, signer: JWSSigner, dryRun: Bool) throws -> PurgeCounts {
        try RetentionPurge.run(
            in: transaction, agency: agency, signer: signer, retention: retentionDays, pagesDays: retention.quarantineDays,
            auditDays: retention.auditDays, dryRun: dryRun
        )
    }
}
