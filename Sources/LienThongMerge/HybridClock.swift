public import LienThongCore

/// A hybrid logical clock stamp: milliseconds since the Unix epoch and a counter that orders stamps
/// within one millisecond. Stamps compare as the pair (milliseconds, counter).
public struct HybridTimestamp: Hashable, Comparable, Sendable {
    public let milliseconds: Int64
    public let counter: Int64

    public init(milliseconds: Int64, counter: Int64) {
        self.milliseconds = milliseconds
        self.counter = counter
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.milliseconds, lhs.counter) < (rhs.milliseconds, rhs.counter)
    }

    /// The JSON form, `[milliseconds, counter]`.
    public var json: JSONValue { .array([.integer(milliseconds), .integer(counter)]) }
}

/// An agency's clock for stamping its edits: it never runs backwards and stays ahead of every stamp it
/// has observed, so a local edit sorts after every version the agency had seen when it made it.
///
/// The caller keeps ``last`` across restarts; a clock started again from zero could stamp behind itself.
public struct HybridClock: Sendable {
    /// The greatest stamp issued or observed so far.
    public private(set) var last: HybridTimestamp

    public init(last: HybridTimestamp = .init(milliseconds: 0, counter: 0)) {
        self.last = last
    }

    /// A stamp greater than every earlier one: the physical time when it is ahead of ``last``, else
    /// ``last`` with the counter one higher.
    public mutating func tick(physicalMilliseconds: Int64) -> HybridTimestamp {
        if physicalMilliseconds > last.milliseconds {
            last = HybridTimestamp(milliseconds: physicalMilliseconds, counter: 0)
        } else if last.counter < Int64.max {
            last = HybridTimestamp(milliseconds: last.milliseconds, counter: last.counter + 1)
        } else {
            // A peer's stamp may carry any counter; stepping to the next millisecond still moves forward.
            last = HybridTimestamp(milliseconds: last.milliseconds + 1, counter: 0)
        }
        return last
    }

    /// Takes in a stamp from a received version, so that later ticks come after it.
    public mutating func observe(_ stamp: HybridTimestamp) {
        last = max(last, stamp)
    }
}
