import LienThongCore

/// The bytes that pages fetched ahead of need may hold, shared by every feed one process pulls, so that a
/// peer serving large pages with a far `head` cannot make a puller keep more than this in memory.
///
/// A fetch ahead reserves the transfer's body limit before it starts (its body is not known yet) and keeps,
/// once the page is in, the bytes of its body until the page is applied or dropped. When the budget cannot
/// take a reservation the page is not fetched ahead: it is fetched when needed. A budget below the body
/// limit turns fetching ahead off. The page being applied is not counted.
public final class PrefetchBudget: Sendable {
    /// The default: 64 MiB.
    public static let defaultBytes = 64 << 20

    public let limitBytes: Int
    private let held = Locked<(now: Int, peak: Int)>((0, 0))

    public init(limitBytes: Int = PrefetchBudget.defaultBytes) {
        self.limitBytes = max(0, limitBytes)
    }

    /// The bytes reserved now, never above ``limitBytes``.
    public var heldBytes: Int { held.withLock { $0.now } }
    /// The most bytes reserved at any one time so far.
    public var peakHeldBytes: Int { held.withLock { $0.peak } }

    /// Reserves `bytes`, or nil when the budget cannot take them now.
    func reserve(_ bytes: Int) -> Reservation? {
        let taken = held.withLock { held -> Bool in
            guard bytes >= 0, bytes <= limitBytes - held.now else { return false }
            held.now += bytes
            held.peak = max(held.peak, held.now)
            return true
        }
        return taken ? Reservation(self, bytes: bytes) : nil
    }

    fileprivate func release(_ bytes: Int) {
        held.withLock { $0.now -= bytes }
    }

    /// Bytes taken from a budget, given back when the reservation is dropped: it lives exactly as long as
    /// the page it pays for.
    final class Reservation: Sendable {
        private let budget: PrefetchBudget
        private let bytes: Locked<Int>

        fileprivate init(_ budget: PrefetchBudget, bytes: Int) {
            self.budget = budget
            self.bytes = Locked(bytes)
        }

        /// Gives back what is above `size`, once the page's real size is known.
        func shrink(to size: Int) {
            let freed = bytes.withLock { bytes -> Int in
                let freed = max(0, bytes - max(0, size))
                bytes -= freed
                return freed
            }
            budget.release(freed)
        }

        deinit { budget.release(bytes.withLock { $0 }) }
    }
}
