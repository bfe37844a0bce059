#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment as whole milliseconds since the Unix epoch (1970-01-01T00:00:00Z), the unit the store keeps.
///
/// Arithmetic with `Duration` never traps: a duration counts in whole milliseconds (rounded toward zero),
/// and a result past either end of `Int64` milliseconds saturates at that end, so that a peer's absurd
/// `Retry-After` or a time an older release stored cannot bring the daemon down. The difference of two
/// times is exact.
public struct UnixTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the epoch; negative before it.
    public let milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// `seconds` since the epoch, saturated at the ends of the range.
    public init(seconds: Int64) {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        milliseconds = overflow ? (seconds < 0 ? .min : .max) : product
    }

    /// Whole seconds since the epoch, rounded down (toward the past), as request tokens and pages count them.
    public var seconds: Int64 {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    public var description: String { "\(milliseconds) ms since the Unix epoch" }

    /// The whole second in UTC as `YYYY-MM-DDTHH:MM:SSZ`, for messages to operators.
    public var iso8601: String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return description }
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(twoDigits(parts.tm_mon + 1))-\(twoDigits(parts.tm_mday))"
            + "T\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec))Z"
    }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// `time` moved on by `duration`, saturated at the ends of the range.
    public static func + (time: UnixTime, duration: Duration) -> UnixTime {
        let step = duration.saturatedMilliseconds
        let (sum, overflow) = time.milliseconds.addingReportingOverflow(step)
        return UnixTime(milliseconds: overflow ? (step < 0 ? .min : .max) : sum)
    }

    /// `time` moved back by `duration`, saturated at the ends of the range.
    public static func - (time: UnixTime, duration: Duration) -> UnixTime {
        let step = duration.saturatedMilliseconds
        let (difference, overflow) = time.milliseconds.subtractingReportingOverflow(step)
        return UnixTime(milliseconds: overflow ? (step < 0 ? .max : .min) : difference)
    }

    /// How long after `earlier` `later` is (negative if it is before): exact, whatever the two times.
    public static func - (later: UnixTime, earlier: UnixTime) -> Duration {
        // Any Int64 of milliseconds, and the difference of two, fits Duration's 128 bits of attoseconds.
        .milliseconds(later.milliseconds) - .milliseconds(earlier.milliseconds)
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero, saturated at the ends of Int64.
    fileprivate var saturatedMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        // Both components carry the duration's sign, so the sum can leave the range only on that side.
        let (sum, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowed ? (seconds < 0 ? .min : .max) : sum
    }
}

/// Where the time comes from: ``SystemClock`` in the daemon and the commands, a manual clock in tests
/// (`ManualClock` in LienThongTestSupport), so that code reading the time can be tested at any time
/// without waiting for it.
public protocol UnixClock: Sendable {
    /// The time now.
    var now: UnixTime { get }

    /// Returns once `deadline` has come (at once if it has passed); throws `CancellationError` if the task is
    /// cancelled first. Returning means the deadline has come even if `now` reads a little earlier: the
    /// system clock measures the wait on the monotonic clock, so a step of the wall clock does not move it.
    func sleep(until deadline: UnixTime) async throws
}

/// The system's wall clock (`CLOCK_REALTIME`); waits run on the monotonic clock.
public struct SystemClock: UnixClock {
    public init() {}

    public var now: UnixTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(seconds: Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }

    public func sleep(until deadline: UnixTime) async throws {
        let wait = deadline - now
        guard wait > .zero else { return }
        try await Task.sleep(for: wait)
    }
}

/// A clock stopped at one moment: what `lienthong apply --now` and the fixtures tool check recorded pages at,
/// so that their outcome never depends on the day they run. A sleep past that moment lasts until cancelled.
public struct FixedClock: UnixClock {
    public let now: UnixTime

    public init(_ now: UnixTime) {
        self.now = now
    }

    public func sleep(until deadline: UnixTime) async throws {
        guard deadline > now else { return }
        // The deadline never comes: wait, without holding a thread, until the task is cancelled.
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

extension UnixTime {
    private static let monthAbbreviations = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A moment in UTC from the parts that HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`) and OpenSSL's
    /// certificate dates (`Nov  6 08:49:37 1994 GMT`) are written with: the month as its English abbreviation,
    /// the time as `HH:MM:SS`. Nil when a part is not one.
    public init?(year: some StringProtocol, month: some StringProtocol, day: some StringProtocol, time: some StringProtocol) {
        let clock = time.split(separator: ":")
        guard let monthIndex = Self.monthAbbreviations.firstIndex(of: String(month)), clock.count == 3,
            let year = Int32(year), (1970...9999).contains(year), let day = Int32(day), (1...31).contains(day),
            let hour = Int32(clock[0]), (0...23).contains(hour), let minute = Int32(clock[1]), (0...59).contains(minute),
            let second = Int32(clock[2]), (0...60).contains(second)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(monthIndex)
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        self.init(seconds: Int64(timegm(&parts)))
    }

    /// An HTTP date (RFC 9110 §5.6.7, IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`), or nil.
    public init?(httpDate text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT" else { return nil }
        self.init(year: parts[3], month: parts[2], day: parts[1], time: parts[4])
    }
}
