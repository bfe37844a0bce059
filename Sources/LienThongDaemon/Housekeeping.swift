import LienThongAgency
import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongStore
import Logging
import ServiceLifecycle

/// The store's upkeep while the daemon runs, under the configuration in force (reloads included): every
/// ``interval`` the change log is pruned past `changes_retention_days`, so that a reader has that long to come
/// back; once a day, first when the daemon starts, the audit log's newest entry gets a signed checkpoint and
/// what the retention settings no longer keep is purged (docs/PRIVACY.md).
struct Housekeeping: Service {
    let store: Store
    let plan: Locked<AgencyPlan>
    let logger: Logger

    /// How often the change log is pruned: rows live at most this much longer than the retention.
    static let interval: Duration = .seconds(3600)
    /// Every how many intervals the daily work runs.
    static let intervalsPerDay = 24

    func run() async throws {
        _ = try? await cancelWhenGracefulShutdown {
            var intervals = 0
            while !Task.isCancelled {
                let plan = self.plan.withLock { $0 }
                await pruneChanges(keptDays: plan.configuration.changesRetentionDays)
                if intervals % Self.intervalsPerDay == 0 { await daily(plan) }
                intervals += 1
                try await Task.sleep(for: Self.interval)
            }
        }
    }

    private func pruneChanges(keptDays: Int) async {
        do {
            let deleted = try await store.pruneChanges(keptDays: keptDays)
            if deleted > 0 { logger.info("change log pruned", metadata: ["deleted": "\(deleted)", "kept_days": "\(keptDays)"]) }
        } catch {
            logger.warning("cannot prune the change log", metadata: ["error": "\(error)"])
        }
    }

    /// The checkpoint first: a purge that cannot run still leaves the day's head signed.
    private func daily(_ plan: AgencyPlan) async {
        let configuration = plan.configuration
        let signer = JWSSigner(key: plan.signingKey)
        do {
            let signed = try await store.write { transaction in
                try AuditCheckpoint.checkpointHead(in: transaction, agency: configuration.agency, signer: signer)
            }
            if let signed { logger.info("audit checkpoint signed", metadata: ["seq": "\(signed.seq)"]) }
        } catch {
            logger.warning("cannot sign an audit checkpoint", metadata: ["error": "\(error)"])
        }
        do {
            let counts = try await store.write { transaction in try configuration.purge(in: transaction, signer: signer, dryRun: false) }
            if counts != PurgeCounts() {
                logger.info("purged past retention", metadata: [
                    "versions": "\(counts.history.values.reduce(0, +))", "quarantined": "\(counts.quarantine.values.reduce(0, +))",
                    "audit_entries": "\(counts.audit)", "more": "\(counts.more)",
                ])
            }
        } catch {
            logger.warning("cannot purge past retention", metadata: ["error": "\(error)"])
        }
    }
}
