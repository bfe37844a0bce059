import Foundation
import LienThongAgency
import LienThongFeed
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import Logging
import ServiceLifecycle
import LienThongCore
import UnixSignals

/// Re-reads the configuration on SIGHUP and applies it without dropping the listener or work in flight:
/// the publisher takes the new peers, keys, grants and datasets for the next request, the scheduler the new
/// feeds and intervals. A configuration that cannot be read, or that changes what needs a restart, is
/// logged and the one in force stays.
final class ReloadService: Service {
    let configurationURL: URL
    let keyAccess: PrivateKeyFileAccess
    let signals: UnixSignalsSequence
    let running: Locked<AgencyPlan>
    let store: Store
    let publisher: Publisher
    let scheduler: PullScheduler
    let makePull: @Sendable (AgencyPlan) -> PullScheduler.Pull
    let health: HealthService
    let notifier: SystemdNotifier
    let logger: Logger

    init(
        configurationURL: URL, keyAccess: PrivateKeyFileAccess, signals: UnixSignalsSequence, running: Locked<AgencyPlan>, store: Store,
        publisher: Publisher, scheduler: PullScheduler,
        makePull: @escaping @Sendable (AgencyPlan) -> PullScheduler.Pull, health: HealthService, notifier: SystemdNotifier, logger: Logger
    ) {
        self.configurationURL = configurationURL
        self.keyAccess = keyAccess
        self.signals = signals
        self.running = running
        self.store = store
        self.publisher = publisher
        self.scheduler = scheduler
        self.makePull = makePull
        self.health = health
        self.notifier = notifier
        self.logger = logger
    }

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        notifier.reloading()
        logger.notice("reloading the configuration", metadata: ["config": "\(configurationURL.path)"])
        do throws(DaemonError) {
            // The same rule for the signing key as at the start: a key made readable by others since is refused.
            let plan = try AgencyPlan.reading(configurationURL, keyAccess: keyAccess)
            try running.withLock { running throws(DaemonError) in
                if let reason = plan.restartReason(replacing: running) {
                    throw DaemonError(.needsRestart, "\(reason): restart the service to apply it")
                }
                running = plan
            }
            plan.logKeyWarnings(logger)
            store.keepNoHistory(of: plan.configuration.historylessDatasets)
            publisher.update(plan.publisherSettings)
            scheduler.update(feeds: plan.feeds, pull: makePull(plan))
            logger.notice("configuration reloaded", metadata: [
                "peers": "\(plan.configuration.peers.count)", "feeds": "\(plan.feeds.count)", "datasets": "\(plan.configuration.datasets.count)",
            ])
        } catch {
            logger.error("configuration not reloaded; the previous one stays in force", metadata: [
                "reason": "\(error.reason)", "error": "\(error.description)",
            ])
        }
        notifier.ready(status: try? await health.statusLine())
    }
}
