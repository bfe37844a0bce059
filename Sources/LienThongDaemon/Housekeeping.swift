import LienThongAgency
import LienThongCore
import LienThongSigning
import LienThongStore
import Logging
import ServiceLifecycle

/// The store's upkeep while the daemon runs, under the configuration in force (reloads included): every
/// ``interval`` the change log is pruned past `changes_retention_days`, so that a reader has that long to come
/// back, and the daily upkeep runs when it is due — a signed checkpoint of the audit log's newest entry and the
/// purge of what retention no longer keeps (docs/PRIVACY.md) — the first time when the daemon starts.
struct Housekeeping: Service {
    let store: Store
    let plan: Locked<AgencyPlan>
    let logger: Logger

    /// How often the change log is pruned and the daily upkeep looked at: rows live at most this much longer
    /// than their retention.
    static let interval: Duration = .seconds(3600)

    func run() async throws {
        _ = try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let plan = self.plan.withLock { $0 }
                await pruneChanges(keptDays: plan.configuration.changesRetentionDays)
                await dailyUpkeep(plan)
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

    private func dailyUpkeep(_ plan: AgencyPlan) async {
        do {
            guard let done = try await plan.configuration.dailyUpkeep(store: store, signer: JWSSigner(key: plan.signingKey)) else { return }
            logger.info("daily upkeep done", metadata: [
                "checkpoint_seq": "\(done.checkpointed.map { String($0.seq) } ?? "none")",
                "purged_versions": "\(done.purged.history.values.reduce(0, +))", "purged_quarantined": "\(done.purged.quarantine.values.reduce(0, +))",
                "purged_audit_entries": "\(done.purged.audit)", "more": "\(done.purged.more)",
            ])
        } catch {
            logger.warning("cannot run the daily upkeep (audit checkpoint, purge)", metadata: ["error": "\(error)"])
        }
    }
}
