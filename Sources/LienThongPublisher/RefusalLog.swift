import Logging
import LienThongCore

/// Logs refused request tokens as summaries, never one line each: the first refusal after a quiet
/// interval is logged at once, and the ones after it are counted by reason and logged as one line with
/// the next refusal once `interval` has passed. Refusals that no later one follows stay in the counts of
/// `lienthong_rejections_total` only.
final class RefusalLog: Sendable {
    private struct Window {
        var openedAt: ContinuousClock.Instant?
        var counts: [String: Int] = [:]
    }

    let interval: Duration
    private let logger: Logger
    private let window = Locked(Window())

    init(interval: Duration, logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    /// Counts one refusal for `reason`, and logs the summary when the interval is over.
    func refused(reason: String, at now: ContinuousClock.Instant = .now) {
        let summary: [String: Int]? = window.withLock { window in
            window.counts[reason, default: 0] += 1
            if let openedAt = window.openedAt, openedAt.duration(to: now) < interval { return nil }
            defer { window = Window(openedAt: now) }
            return window.counts
        }
        guard let summary else { return }
        let reasons = summary.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        logger.notice("request tokens refused", metadata: [
            "count": "\(summary.values.reduce(0, +))", "reasons": "\(reasons)", "interval_seconds": "\(interval.components.seconds)",
        ])
    }
}
