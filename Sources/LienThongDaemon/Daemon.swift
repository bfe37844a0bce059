public import Foundation
import Hummingbird
import LienThongAgency
import LienThongConfig
import LienThongFeed
import LienThongHTTP
import LienThongMetrics
import LienThongPoller
import LienThongPublisher
public import LienThongSigning
import LienThongStore
public import Logging
import ServiceLifecycle
import LienThongCore
import UnixSignals

/// The long-lived service an agency runs (`lienthong daemon`): its publisher, and one pull schedule per
/// (peer, dataset), under swift-service-lifecycle. SIGTERM and SIGINT shut it down gracefully: the listener
/// stops accepting, requests in flight finish, the page being applied commits or rolls back. SIGHUP reloads
/// the configuration. With `NOTIFY_SOCKET` set it speaks systemd's notify protocol.
public enum Daemon {
    /// How long a graceful shutdown may take before what is left is cancelled, and how long that may take:
    /// together well within the 10 seconds an operator (and the unit's TimeoutStopSec) allows.
    static let gracefulShutdownLimit: Duration = .seconds(6)
    static let cancellationLimit: Duration = .seconds(2)

    /// Runs until SIGTERM or SIGINT. Fails before anything starts if the configuration, a key, the store or
    /// the listener cannot be had. `keyAccess` says whether a signing key file its group or others may read
    /// is loaded (with a warning), at the start and on every reload. `build` names the program and its version
    /// on the status page.
    public static func run(
        configurationURL: URL, keyAccess: PrivateKeyFileAccess = .ownerOnly, build: String = "lienthong", logger: Logger,
        notifier: SystemdNotifier = SystemdNotifier()
    ) async throws(DaemonError) {
        // Trapped first, so that a stop asked for while the daemon is still starting is a graceful one too.
        let terminations = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let plan = try AgencyPlan.reading(configurationURL, keyAccess: keyAccess)
        plan.logKeyWarnings(logger)
        let configuration = plan.configuration
        let store: Store
        do {
            store = try Store(opening: configuration.store)
            store.keepNoHistory(of: configuration.historylessDatasets)
        } catch {
            throw DaemonError(.store, "\(error)")
        }
        let client: HTTPClient
        do {
            client = try HTTPClient()
        } catch {
            throw DaemonError(.startup, "\(error)")
        }
        let metrics = FeedMetrics()
        // The daemon's one clock: the schedule, the status page's times and its per-minute counts.
        let clock = SystemClock()
        let startedAt = clock.now
        let activity = PullActivity(clock: clock)
        // One budget for the whole process, kept across reloads (a new `prefetch_bytes` takes a restart).
        let prefetchBudget = PrefetchBudget(limitBytes: configuration.prefetchBytes)
        let makePull: @Sendable (AgencyPlan) -> PullScheduler.Pull = { plan in
            let puller = FeedPuller(
                agency: plan.configuration.agency, client: client, store: store,
                tokens: RequestTokenSigner(agency: plan.configuration.agency, key: plan.signingKey),
                clockSkewSeconds: plan.configuration.clockSkewSeconds, metrics: metrics, prefetchBudget: prefetchBudget
            )
            return PullScheduler.recordingStatus(puller, store: store, metrics: metrics, activity: activity)
        }
        let publisher = Publisher(settings: plan.publisherSettings, store: store, metrics: metrics, logger: logger)
        // Each feed is pulled by one daemon at a time, through its lease (docs/STORE.md, "Several daemons"); with a
        // store of its own, this daemon takes every lease at once and keeps it.
        let leases = LeaseTerms(holder: configuration.daemonID ?? Self.defaultDaemonID, seconds: Int64(configuration.leaseSeconds))
        let scheduler = PullScheduler(
            feeds: plan.feeds, store: store, clock: clock, leases: leases, logger: logger, pull: makePull(plan)
        )
        logger.info("pulling under leases", metadata: ["daemon_id": "\(leases.holder)", "lease_seconds": "\(leases.seconds)"])
        let listener = ListenerAddress(host: configuration.listen.host)
        let health = HealthService(store: store, scheduler: scheduler, client: client, notifier: notifier, listener: listener, logger: logger)
        // Trapped before anything runs, so that a SIGHUP right after READY=1 reloads rather than kills.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // The plan in force, replaced by each reload, read by the housekeeping.
        let running = Locked(plan)
        let reload = ReloadService(
            configurationURL: configurationURL, keyAccess: keyAccess, signals: hangups, running: running, store: store, publisher: publisher, scheduler: scheduler,
            makePull: makePull, health: health, notifier: notifier, logger: logger
        )
        let application = publisher.application(
            host: configuration.listen.host, port: configuration.listen.port, connectionLimits: plan.connectionLimits
        ) { port in
            listener.bind(port)
            logger.notice("ready", metadata: [
                "agency": "\(configuration.agency)", "listen": "\(configuration.listen.host):\(port)", "feeds": "\(plan.feeds.count)",
            ])
            notifier.ready(status: try? await health.statusLine())
        }
        // Shutdown goes in reverse order: health (STOPPING=1), reloads, pulls (cancelled: the page being
        // applied commits or rolls back), the publisher, which finishes the requests in flight, and last the
        // HTTP client that the pulls and the health check used.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: client, serviceName: "http client"),
            .init(service: application, serviceName: "publisher"), .init(service: scheduler, serviceName: "pulls"),
            .init(service: reload, serviceName: "reload"), .init(service: health, serviceName: "health"),
            .init(service: Housekeeping(store: store, plan: running, logger: logger), serviceName: "housekeeping"),
        ]
        // The status page, on its own listener (docs/STATUS.md); `admin_listen: off` leaves it out.
        if let admin = configuration.adminListen {
            let status = StatusService(store: store, running: running, activity: activity, clock: clock, build: build, startedAt: startedAt, logger: logger)
            let page = status.application(host: admin.host, port: admin.port) { port in
                logger.notice("status page ready", metadata: ["admin_listen": "\(ListenAddress(host: admin.host, port: port))"])
            }
            services.insert(.init(service: page, serviceName: "status page"), at: 1)
        }
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.maximumGracefulShutdownDuration = gracefulShutdownLimit
        group.maximumCancellationDuration = cancellationLimit
        let serviceGroup = ServiceGroup(configuration: group)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await serviceGroup.run() }
                tasks.addTask {
                    for await signal in terminations {
                        logger.notice("shutting down", metadata: ["signal": "\(signal)"])
                        await serviceGroup.triggerGracefulShutdown()
                    }
                }
                // The services end after a graceful shutdown (or fail); then stop listening for signals.
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch {
            throw DaemonError(.startup, "stopped: \(error)")
        }
        logger.notice("stopped", metadata: ["agency": "\(configuration.agency)"])
    }
}

extension AgencyPlan {
    /// Logs the plan's ``keyWarnings``, if any: the operator chose to load keys others may read.
    func logKeyWarnings(_ logger: Logger) {
        for warning in keyWarnings {
            logger.warning("a private key is readable by more than its owner; loaded because of --insecure-key-permissions", metadata: [
                "warning": "\(warning)",
            ])
        }
    }
}

extension Daemon {
    /// This daemon's name in the feeds' leases when `daemon_id` is not set: the host's name, the same after a
    /// restart, so that a restarted daemon takes its feeds back at once rather than after its old leases run
    /// out. Two daemons on one host sharing a store need a `daemon_id` each.
    static var defaultDaemonID: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return "localhost" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
