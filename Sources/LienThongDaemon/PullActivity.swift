public import LienThongAgency
public import LienThongCore
public import LienThongPoller

/// What the daemon's pull loops learn that the store's pull status does not keep: why each feed's last
/// attempt failed, as a stable code, and how many records were applied in each of the last 60 minutes. The
/// status page reads it; the pull (``PullScheduler/recordingStatus(_:store:metrics:activity:)``) writes it.
/// Bounded: one entry per configured feed, and 60 counters.
public final class PullActivity: Sendable {
    /// The last failure of one feed, as the pull saw it.
    public struct Failure: Sendable, Equatable {
        /// A stable code: a page check (`signature`, `expired`…) or the kind of failure (`transfer`, `status`,
        /// `local`…), with `_` for spaces.
        public let code: String
        /// The HTTP status the peer answered with, when it refused the request.
        public let httpStatus: Int?
        public let at: UnixTime
    }

    private struct State {
        var failures: [FeedKey: Failure] = [:]
        var applied = AppliedPerMinute()
    }

    private let state = Locked(State())
    private let clock: any UnixClock

    /// `clock` is the daemon's clock: it dates the applied records and the failures.
    public init(clock: any UnixClock) {
        self.clock = clock
    }

    /// Notes that a page applied `count` records now.
    public func applied(_ count: Int) {
        guard count > 0 else { return }
        let now = clock.now
        state.withLock { $0.applied.add(count, at: now) }
    }

    /// Notes how one attempt at `key` ended: a failure replaces the one kept; a success keeps it, as the store
    /// keeps the last error's text after a success, so that the two still describe the same failure.
    public func noteOutcome(_ result: Result<PullSummary, PullError>, of key: FeedKey) {
        guard case .failure(let error) = result else { return }
        let failure = Failure(code: Self.code(of: error), httpStatus: error.status, at: clock.now)
        state.withLock { $0.failures[key] = failure }
    }

    /// The last failure of `key` since this daemon started, if any.
    public func failure(of key: FeedKey) -> Failure? { state.withLock { $0.failures[key] } }

    /// The records applied in each of the 60 minutes up to `now`, oldest first.
    public func appliedPerMinute(endingAt now: UnixTime) -> [Int] { state.withLock { $0.applied.lastHour(endingAt: now) } }

    /// The failure's stable code: the page check that refused a page, or the kind of failure.
    static func code(of error: PullError) -> String {
        (error.rejection?.description ?? error.reason.description).replacing(" ", with: "_")
    }
}

/// Records applied per minute over the last hour, in 60 counters that each remember which minute they count.
public struct AppliedPerMinute: Sendable, Equatable {
    public static let minutes = 60
    private var counts = [Int](repeating: 0, count: minutes)
    /// The minute (since the Unix epoch) each counter holds; -1 for none yet.
    private var minuteOf = [Int64](repeating: -1, count: minutes)

    public init() {}

    /// Adds `count` records applied at `time`; a time older than its counter's minute is an hour gone and dropped.
    public mutating func add(_ count: Int, at time: UnixTime) {
        let minute = Self.minute(of: time)
        let slot = Int(minute % Int64(Self.minutes))
        if minuteOf[slot] < minute {
            minuteOf[slot] = minute
            counts[slot] = 0
        }
        if minuteOf[slot] == minute { counts[slot] += count }
    }

    /// The counts of the 60 minutes up to and including `now`'s, oldest first; 0 for a minute without any.
    public func lastHour(endingAt now: UnixTime) -> [Int] {
        let last = Self.minute(of: now)
        return (0..<Int64(Self.minutes)).map { step in
            let minute = last - Int64(Self.minutes - 1) + step
            guard minute >= 0 else { return 0 }
            let slot = Int(minute % Int64(Self.minutes))
            return minuteOf[slot] == minute ? counts[slot] : 0
        }
    }

    private static func minute(of time: UnixTime) -> Int64 { max(0, time.milliseconds) / 60_000 }
}
