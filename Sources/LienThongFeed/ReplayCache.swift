import LienThongCore
import Synchronization

/// The `jti` of every request token accepted and not yet expired, per issuer, so that each token is
/// taken once. Bounded: when full of live tokens it refuses new ones rather than forget a live one.
final class ReplayCache: Sendable {
    enum Outcome: Equatable {
        case remembered, replayed, full
    }

    private struct Key: Hashable {
        let issuer: AgencyID
        let jti: String
    }

    private struct State {
        var expiries: [Key: Int64] = [:]
        var nextSweep: Int64 = .min
    }

    /// How often expired entries are dropped, at the latest.
    private static let sweepIntervalSeconds: Int64 = 30

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Remembers `jti` from `issuer` until `expiresAt`, unless it is already remembered or there is no room.
    func remember(issuer: AgencyID, jti: String, expiresAt: Int64, now: Int64) -> Outcome {
        state.withLock { state in
            let key = Key(issuer: issuer, jti: jti)
            if let expiry = state.expiries[key], expiry > now { return .replayed }
            if now >= state.nextSweep || state.expiries.count >= capacity {
                state.expiries = state.expiries.filter { $0.value > now }
                state.nextSweep = now + Self.sweepIntervalSeconds
            }
            guard state.expiries.count < capacity else { return .full }
            state.expiries[key] = expiresAt
            return .remembered
        }
    }

    /// How many tokens are remembered now, for tests.
    var count: Int { state.withLock { $0.expiries.count } }
}
