public import LienThongCore
public import LienThongSigning
public import LienThongStore

/// The daily purge and `lienthong purge` (docs/PRIVACY.md, "How long"): superseded versions and quarantined
/// items past their dataset's retention, then audit entries past `audit_days` — after a signed checkpoint of
/// the last one removed, so that the chain stays verifiable from the first entry kept. The newest entry is
/// always kept. A purge that removed anything is itself audited (`purged`, counts only).
public enum RetentionPurge {
    /// Runs one purge in `transaction`, at its time; with `dryRun`, only counts.
    public static func run(
        in transaction: StoreTransaction, agency: AgencyID, signer: JWSSigner, retention: [DatasetName: RetentionDays], pagesDays: Int,
        auditDays: Int, dryRun: Bool
    ) throws -> PurgeCounts {
        var counts = try transaction.purgeExpired(retention: retention, pagesDays: pagesDays, dryRun: dryRun)
        let cutoff = transaction.now.milliseconds - Int64(auditDays) * 86_400_000
        if let head = try transaction.auditHead(), let last = try transaction.lastAuditEntry(before: cutoff, below: head.seq) {
            if !dryRun, let sha256 = last.sha256 {
                try AuditCheckpoint.checkpoint(AuditHead(seq: last.seq, sha256: sha256), in: transaction, agency: agency, signer: signer)
            }
            counts.audit = try transaction.pruneAudit(through: last.seq, dryRun: dryRun)
        }
        if !dryRun, counts != PurgeCounts() {
            try transaction.audit("purged", peer: nil, dataset: nil, detail: counts.json)
        }
        return counts
    }
}
