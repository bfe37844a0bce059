import LienThongStore
import Logging
import ServiceLifecycle

/// Prunes the store's change log past its retention (`changes_retention_days`) when the daemon starts and
/// then every ``interval``: the log grows by one row per change and a reader has that long to come back.
struct ChangeLogPruning: Service {
    let store: Store
    let keptDays: Int
    let logger: Logger

    /// How often the log is pruned: rows live at most this much longer than the retention.
    static let interval: Duration = .seconds(3600)

    func run() async throws {
        _ = try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let deleted = try await store.pruneChanges(keptDays: keptDays)
                    if deleted > 0 { logger.info("change log pruned", metadata: ["deleted": "\(deleted)", "kept_days": "\(keptDays)"]) }
                } catch {
                    logger.warning("cannot prune the change log", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: Self.interval)
            }
        }
    }
}
