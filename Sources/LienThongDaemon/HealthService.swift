import Foundation
import LienThongAgency
import LienThongConfig
import LienThongHTTP
import LienThongStore
import Logging
import ServiceLifecycle
import LienThongCore

/// Keeps systemd told how the daemon is: a `STATUS=` line, and `WATCHDOG=1` only while the daemon is
/// really making progress — its store answers, its listener answers `/healthz`, and no pull has been stuck
/// without applying a page for longer than ``stallLimit``. On graceful shutdown it sends `STOPPING=1`.
struct HealthService: Service {
    let store: Store
    let scheduler: PullScheduler
    let client: HTTPClient
    let notifier: SystemdNotifier
    let listener: ListenerAddress
    let logger: Logger

    /// A pull in flight that has applied nothing for this long is stuck: longer than libcurl's total timeout
    /// of one request plus the time to apply one page.
    static let stallLimit: Duration = .seconds(300)
    /// How often the status line is refreshed when systemd asks for no watchdog.
    static let statusInterval: Duration = .seconds(30)

    func run() async throws {
        let interval = notifier.watchdogInterval.map { $0 / 2 } ?? Self.statusInterval
        await withGracefulShutdownHandler {
            _ = try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await check()
                    try await Task.sleep(for: interval)
                }
            }
        } onGracefulShutdown: {
            notifier.stopping()
        }
    }

    /// Refreshes the status line, and pings the watchdog if everything answered.
    func check() async {
        var problems: [String] = []
        let line: String
        do {
            line = try await statusLine()
        } catch {
            problems.append("the store does not answer: \(error)")
            line = "store unreadable"
        }
        let stalled = scheduler.stalledFeeds(limit: Self.stallLimit)
        if !stalled.isEmpty { problems.append("pulls stuck: \(stalled.map(\.description).joined(separator: ", "))") }
        // Until the listener is bound there is nothing to vouch for: no ping, and no alarm either.
        guard let port = listener.port else {
            notifier.status(line)
            return
        }
        if let problem = await probe(port: port) { problems.append(problem) }
        notifier.status(problems.isEmpty ? line : "\(line); unhealthy: \(problems.joined(separator: "; "))")
        if problems.isEmpty {
            notifier.watchdog()
        } else if notifier.watchdogInterval != nil {
            logger.warning("watchdog ping withheld", metadata: ["problems": "\(problems.joined(separator: "; "))"])
        }
    }

    /// `listening on …; peers healthy h/n; records r; open conflicts c`.
    func statusLine() async throws -> String {
        let feeds = scheduler.feeds.map(\.key)
        let (statuses, records, conflicts) = try await store.read { snapshot in
            (try snapshot.pullStatuses(), try snapshot.liveRecordCount(), try snapshot.openConflictCounts().values.reduce(0, +))
        }
        let healthyFeeds = Set(statuses.filter(\.isHealthy).map { FeedKey(peer: $0.peer, dataset: $0.dataset) })
        let peers = Set(feeds.map(\.peer))
        let healthyPeers = peers.filter { peer in feeds.filter { $0.peer == peer }.allSatisfy(healthyFeeds.contains) }
        let address = listener.port.map { "listening on \(ListenAddress(host: listener.host, port: $0))" } ?? "starting"
        return "\(address); peers healthy \(healthyPeers.count)/\(peers.count); records \(records); open conflicts \(conflicts)"
    }

    /// Asks the daemon's own listener for `/healthz`; returns the problem, or nil when it answered 200.
    private func probe(port: Int) async -> String? {
        var options = TransferOptions()
        options.connectTimeout = .seconds(2)
        options.totalTimeout = .seconds(5)
        let host = ["0.0.0.0", "*", ""].contains(listener.host) ? "127.0.0.1" : listener.host == "::" ? "::1" : listener.host
        let url = "http://\(ListenAddress(host: host, port: port))/healthz"
        do {
            let response = try await client.get(HTTPRequest(url: url, options: options))
            return response.status == 200 ? nil : "the listener answered /healthz with \(response.status)"
        } catch {
            return "the listener does not answer /healthz: \(error)"
        }
    }
}

/// Where the publisher listens: the configured host, and the port once bound (port 0 picks any free one).
final class ListenerAddress: Sendable {
    let host: String
    private let bound = Locked<Int?>(nil)

    init(host: String) {
        self.host = host
    }

    var port: Int? { bound.withLock { $0 } }

    func bind(_ port: Int) { bound.withLock { $0 = port } }
}
