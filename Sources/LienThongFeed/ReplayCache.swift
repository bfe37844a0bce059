import LienThongCore

/// The `jti` of every request token accepted and not yet expired, per issuer, so that each token is
/// taken once. Each issuer has its own share of `capacityPerIssuer` entries: when one issuer's share is
/// full of live tokens its new tokens are refused rather than a live one forgotten, and no other issuer
/// is affected.
final class ReplayCache: Sendable {
    enum Outcome: Equatable {
        case remembered, replayed, full
    }

    private struct Share {
        var expiries: [String: Int64] = [:]
        var nextSweep: Int64 = .min
    }

    /// How often an issuer's expired entries are dropped, at the latest.
    private static let sweepIntervalSeconds: Int64 = 30

    let capacityPerIssuer: Int
    private let shares = Locked<[AgencyID: Share]>([:])

    init(capacityPerIssuer: Int) {
        self.capacityPerIssuer = max(capacityPerIssuer, 1)
    }

    /// Whether `jti` from `issuer` is remembered and not yet expired at `now`.
    func contains(issuer: AgencyID, jti: String, now: Int64) -> Bool {
        shares.withLock { shares in (shares[issuer]?.expiries[jti]).map { $0 > now } ?? false }
    }

    /// Remembers `jti` from `issuer` until `expiresAt`, unless it is already remembered or the issuer's
    /// share has no room.
    func remember(issuer: AgencyID, jti: String, expiresAt: Int64, now: Int64) -> Outcome {
        shares.withLock { shares in
            var share = shares[issuer] ?? Share()
            defer { shares[issuer] = share }
            if let expiry = share.expiries[jti], expiry > now { return .replayed }
            if now >= share.nextSweep || share.expiries.count >= capacityPerIssuer {
                share.expiries = share.expiries.filter { $0.value > now }
                share.nextSweep = now + Self.sweepIntervalSeconds
            }
            guard share.expiries.count < capacityPerIssuer else { return .full }
            share.expiries[jti] = expiresAt
            return .remembered
        }
    }

    /// How many tokens are remembered now, for tests.
    var count: Int { shares.withLock { $0.values.reduce(0) { $0 + $1.expiries.count } } }
}
