public import Hummingbird
public import ServiceLifecycle
import LienThongFeed
public import LienThongMetrics
import HummingbirdCore
public import LienThongStore
public import Logging
import Foundation
import LienThongSigning
public import LienThongCore

/// The publisher of protocol v1 (docs/PROTOCOL.md): serves this agency's own feed, as signed pages
/// addressed to each requester and reduced to what it is granted, over HTTP with Hummingbird.
///
/// Settings can be replaced while it runs (``update(_:)``); every request reads the settings in force
/// when it arrives, and the memory of used request tokens survives the change.
public struct Publisher: Sendable {
    private let state: PublisherState
    private let store: Store
    private let metrics: FeedMetrics
    private let logger: Logger
    private let rateLimiter = RateLimiter()
    private let refusalLog: RefusalLog
    private let clock: any UnixClock
    private let heldRequests: HeldRequests

    /// A publisher of `store`'s own feed. `metrics` is shared with the poller so that `/metrics` shows both.
    /// `clock` stamps pages and checks request tokens. Tokens issued before `startedAt` (default: the clock's
    /// now) are refused, since the memory of the tokens an earlier process accepted is gone. Refused tokens
    /// are logged as one summary line per `refusalLogInterval` at most.
    public init(
        settings: PublisherSettings, store: Store, metrics: FeedMetrics = FeedMetrics(), logger: Logger,
        clock: any UnixClock = SystemClock(), startedAt: UnixTime? = nil, refusalLogInterval: Duration = .seconds(10)
    ) {
        state = PublisherState(settings, startedAt: startedAt ?? clock.now)
        self.clock = clock
        self.store = store
        self.metrics = metrics
        self.logger = logger
        refusalLog = RefusalLog(interval: refusalLogInterval, logger: logger)
        heldRequests = HeldRequests(metrics: metrics)
    }

    /// The settings in force.
    public var settings: PublisherSettings { state.current.settings }

    /// Replaces the settings; requests that arrive from now on see the new ones.
    public func update(_ settings: PublisherSettings) {
        state.update(settings)
        // Held requests look at the new settings: one whose grant was withdrawn ends with 403.
        heldRequests.wakeAll()
    }

    /// Feed requests held now, waiting for their feed to grow.
    public var heldRequestCount: Int { heldRequests.count }

    /// The HTTP server, listening on `host:port` (port 0: any free port), with the follower of the store's
    /// commits that wakes held requests: a swift-service-lifecycle `Service` that runs until it is cancelled
    /// or shut down gracefully. A graceful shutdown answers every held request at once, then lets the requests
    /// in flight finish.
    /// `onServerRunning` is called with the bound port once it accepts connections. At most
    /// `connectionLimits.maximum` connections are open at once (more wait in the listen backlog) and at
    /// most `connectionLimits.perAddress` from one remote address (more are closed at once).
    public func application(
        host: String, port: Int, connectionLimits: PublisherConnectionLimits = .default,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some Service {
        let handlers = PublisherHandlers(
            state: state, store: store, metrics: metrics, logger: logger, rateLimiter: rateLimiter, refusalLog: refusalLog, clock: clock,
            heldRequests: heldRequests
        )
        let router = Router(context: PublisherRequestContext.self)
        router.add(middleware: PublisherErrorMiddleware())
        router.get("/healthz") { _, _ in handlers.health() }
        router.get("/metrics") { _, context in try await handlers.metrics(context) }
        router.get("/v1/datasets") { request, _ in try await handlers.datasets(request) }
        router.get("/v1/feeds/:dataset") { request, context in try await handlers.feed(request, dataset: context.parameters.get("dataset")) }
        let application = Application(
            router: router,
            server: Self.server(connectionLimits: connectionLimits),
            configuration: .init(
                address: .hostname(host, port: port),
                availableConnectionsDelegate: MaximumAvailableConnections(connectionLimits.maximum, logger: logger)
            ),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
        return PublisherService(application: application, follower: CommitFollower(store: store, heldRequests: heldRequests, logger: logger))
    }

    /// HTTP/1.1 with the request head bounded, each connection counted against its address's share.
    private static func server(connectionLimits: PublisherConnectionLimits) -> HTTPServerBuilder {
        let limiter = ConnectionLimiter(perAddress: connectionLimits.perAddress)
        return HTTPServerBuilder { responder in
            AddressLimitedHTTP1Channel(
                http1: HTTP1Channel(responder: responder, configuration: .init(
                    idleTimeout: .seconds(idleTimeoutSeconds),
                    // The request head a peer may send: a request is a path, a token and a few headers.
                    httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 64)
                )),
                limiter: limiter
            )
        }
    }

    /// A connection with nothing to read or write for this long is closed.
    static let idleTimeoutSeconds: Int64 = 30
}

/// The settings in force and what is derived from them, swapped whole when they change.
final class PublisherState: Sendable {
    struct Current: Sendable {
        let settings: PublisherSettings
        let verifier: RequestTokenVerifier
        let signer: JWSSigner
    }

    private let box: Locked<Current>

    init(_ settings: PublisherSettings, startedAt: UnixTime) {
        let verifier = RequestTokenVerifier(
            audience: settings.agency, peers: settings.peers.mapValues(\.keys), clockSkewSeconds: settings.clockSkewSeconds,
            startedAt: startedAt
        )
        box = Locked(Current(settings: settings, verifier: verifier, signer: JWSSigner(key: settings.signingKey)))
    }

    var current: Current { box.withLock { $0 } }

    func update(_ settings: PublisherSettings) {
        box.withLock { current in
            let verifier = current.verifier.reconfigured(
                audience: settings.agency, peers: settings.peers.mapValues(\.keys), clockSkewSeconds: settings.clockSkewSeconds
            )
            current = Current(settings: settings, verifier: verifier, signer: JWSSigner(key: settings.signingKey))
        }
    }
}
