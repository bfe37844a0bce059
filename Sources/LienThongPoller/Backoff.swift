/// Exponential backoff with jitter, capped, for retrying one peer: after `failures` failures in a row the
/// next attempt waits between half and all of `base × 2^(failures−1)`, at most `cap`, and never less than
/// what the peer asked for with `Retry-After` — itself cut to `cap`, so a peer cannot park a feed for longer.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before the next attempt, never above `cap`; `unit` in 0...1 picks the point within the jitter range.
    public func delay(afterFailures failures: Int, retryAfter: Duration? = nil, unit: Double = Double.random(in: 0...1)) -> Duration {
        let asked = min(max(retryAfter ?? .zero, .zero), cap)
        guard failures > 0 else { return asked }
        let exponential = base * Double(1 << min(failures - 1, 30))
        let ceiling = min(exponential, cap)
        let jittered = ceiling * (0.5 + 0.5 * min(max(unit, 0), 1))
        return max(jittered, asked)
    }
}

/// The `Retry-After` header of a refusal, read as a peer's number: delay-seconds only (1 to 19 ASCII digits,
/// as RFC 9110 writes it; an HTTP date or anything else is ignored), saturated at ``maximumSeconds`` so that
/// no arithmetic on it can overflow. The backoff cuts it further to its own cap.
public enum RetryAfter {
    /// The longest wait read from a peer: one day.
    public static let maximumSeconds: Int64 = 86_400

    /// The wait `value` asks for, or nil when it is not delay-seconds.
    public static func duration(_ value: String?) -> Duration? {
        guard let value else { return nil }
        let digits = value.utf8
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        // More than six significant digits is above the maximum however long it is; six always fit in Int64.
        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= 6 else { return .seconds(maximumSeconds) }
        let seconds = significant.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
        return .seconds(min(seconds, maximumSeconds))
    }
}
