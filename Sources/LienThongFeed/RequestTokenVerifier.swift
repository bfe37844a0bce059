public import LienThongCore
public import LienThongSigning

/// Checks request tokens (publisher side) and remembers each accepted one until it expires, so that
/// none is taken twice. Safe to share between concurrent requests.
///
/// The checks run in a fixed order and the first that fails is the rejection: the signature (with the
/// union of all peers' pinned keys, so that nothing is read from a token before its signature holds),
/// the payload's shape, the issuer and its keys, `aud`, `iat` not in the future, `exp`, the lifetime,
/// `iat` not before the publisher started, `htm`, `htu`, and last the replay memory. ``check(_:method:pathAndQuery:now:)``
/// runs them all without remembering the token; ``accept(_:now:)`` remembers it, once the caller's own
/// admission (the rate limit) let the request through, so that only admitted tokens take room.
public final class RequestTokenVerifier: Sendable {
    public let audience: AgencyID
    public let clockSkewSeconds: Int64
    /// When the publisher started: tokens issued before its second are refused, because the replay memory
    /// of an earlier process is gone.
    public let startedAt: UnixTime
    private let peers: [AgencyID: Set<PublicKey>]
    private let jws: JWSVerifier
    private let replayCache: ReplayCache

    /// The most live tokens remembered per issuer by default: at the default rate limit (20 a second after
    /// a burst of 40) a peer has at most about 12,000 live tokens, so an honest peer never fills its share.
    public static let defaultReplayCapacityPerIssuer = 20_000

    /// A verifier for tokens addressed to `audience` by the agencies in `peers`, each with its pinned keys,
    /// in a publisher that started at `startedAt`.
    public convenience init(
        audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64, startedAt: UnixTime,
        replayCapacityPerIssuer: Int = defaultReplayCapacityPerIssuer
    ) {
        self.init(
            audience: audience, peers: peers, clockSkewSeconds: clockSkewSeconds, startedAt: startedAt,
            replayCache: ReplayCache(capacityPerIssuer: replayCapacityPerIssuer)
        )
    }

    private init(audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64, startedAt: UnixTime, replayCache: ReplayCache) {
        self.audience = audience
        self.clockSkewSeconds = clockSkewSeconds
        self.startedAt = startedAt
        self.peers = peers.mapValues(Set.init)
        self.replayCache = replayCache
        jws = JWSVerifier(keys: peers.values.joined(), requiredType: RequestToken.type)
    }

    /// A verifier with new settings that still remembers every token this one accepted: reloading the
    /// configuration must not open a window for replays.
    public func reconfigured(audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64) -> RequestTokenVerifier {
        RequestTokenVerifier(audience: audience, peers: peers, clockSkewSeconds: clockSkewSeconds, startedAt: startedAt, replayCache: replayCache)
    }

    /// ``check(_:method:pathAndQuery:now:)`` then ``accept(_:now:)``: for callers with no admission of their own.
    public func verify(_ token: String, method: String, pathAndQuery: String, now: UnixTime) throws(RequestTokenRejection) -> AgencyID {
        let checked = try check(token, method: method, pathAndQuery: pathAndQuery, now: now)
        try accept(checked, now: now)
        return checked.issuer
    }

    /// Remembers a checked token until its `exp`; refuses it if it was accepted meanwhile [`replayed`] or
    /// its issuer's share of the replay memory is full of live tokens [`replay cache full`].
    public func accept(_ token: CheckedRequestToken, now: UnixTime) throws(RequestTokenRejection) {
        switch replayCache.remember(issuer: token.issuer, jti: token.jti, expiresAt: token.expiresAt, now: now.seconds) {
        case .remembered:
            return
        case .replayed:
            throw RequestTokenRejection(.replayed, issuer: token.issuer, "request token was already used")
        case .full:
            throw RequestTokenRejection(.replayCacheFull, issuer: token.issuer, "too many live request tokens from \(token.issuer) to remember another")
        }
    }

    /// Checks `token` for a request of `method` on `pathAndQuery` (the request target exactly as received,
    /// percent-encoding untouched) at `now`, without remembering it: a token already accepted
    /// is refused, but this one is not accepted until ``accept(_:now:)``.
    public func check(_ token: String, method: String, pathAndQuery: String, now time: UnixTime) throws(RequestTokenRejection) -> CheckedRequestToken {
        // Tokens count whole seconds.
        let now = time.seconds
        let startedAt = self.startedAt.seconds
        let verified: VerifiedJWS
        do {
            verified = try jws.verify(token)
        } catch {
            throw RequestTokenRejection(.signature, "request token refused: \(error.reason)")
        }
        let claims = try Claims(verified.payloadJSON)

        guard let keys = peers[claims.issuer] else {
            throw RequestTokenRejection(.unknownIssuer, "request token names an issuer that is not a configured peer")
        }
        let issuer = claims.issuer
        guard keys.contains(verified.key) else {
            throw RequestTokenRejection(.signature, issuer: issuer, "request token is signed with a key not pinned for \(issuer)")
        }
        guard claims.audience == audience else {
            throw RequestTokenRejection(.wrongAudience, issuer: issuer, "request token is addressed to another agency than \(audience)")
        }
        guard claims.issuedAt <= now + clockSkewSeconds else {
            throw RequestTokenRejection(
                .issuedInFuture, issuer: issuer,
                "request token is issued \(claims.issuedAt - now) s in the future, more than the \(clockSkewSeconds) s skew allowed"
            )
        }
        guard now < claims.expiresAt else {
            throw RequestTokenRejection(.expired, issuer: issuer, "request token expired at \(claims.expiresAt), now is \(now)")
        }
        // A peer's numbers may be anything a 64-bit integer holds: no arithmetic on them may overflow.
        let (lifetime, overflow) = claims.expiresAt.subtractingReportingOverflow(claims.issuedAt)
        guard !overflow, lifetime > 0, lifetime <= RequestToken.maximumLifetimeSeconds else {
            throw RequestTokenRejection(
                .lifetime, issuer: issuer, "request token is valid from \(claims.issuedAt) to \(claims.expiresAt), not for 1 to \(RequestToken.maximumLifetimeSeconds) s"
            )
        }
        guard claims.issuedAt >= startedAt else {
            throw RequestTokenRejection(
                .issuedBeforeStart, issuer: issuer, "request token is issued at \(claims.issuedAt), before this publisher started at \(startedAt)"
            )
        }
        guard claims.method == method else {
            throw RequestTokenRejection(.wrongMethod, issuer: issuer, "request token is for another method than \(method)")
        }
        guard claims.target == pathAndQuery else {
            throw RequestTokenRejection(.wrongTarget, issuer: issuer, "request token is for another request target")
        }
        guard !replayCache.contains(issuer: issuer, jti: claims.jti, now: now) else {
            throw RequestTokenRejection(.replayed, issuer: issuer, "request token was already used")
        }
        return CheckedRequestToken(issuer: issuer, purpose: claims.purpose, jti: claims.jti, expiresAt: claims.expiresAt)
    }

    /// How many accepted tokens are remembered now, all issuers together.
    public var rememberedTokenCount: Int { replayCache.count }
}

/// A request token that passed every check but has not been remembered yet (``RequestTokenVerifier/accept(_:now:)``).
public struct CheckedRequestToken: Sendable {
    /// The requesting agency.
    public let issuer: AgencyID
    /// The purpose the request states (the `purpose` claim), checked against the grant by the publisher; nil
    /// when it states none.
    public let purpose: PurposeCode?
    fileprivate let jti: String
    fileprivate let expiresAt: Int64
}

/// The claims of a request token, each of the right type, or a rejection naming the first that is not.
private struct Claims {
    let issuer: AgencyID
    let audience: AgencyID
    let issuedAt: Int64
    let expiresAt: Int64
    let jti: String
    let method: String
    let target: String
    let purpose: PurposeCode?

    init(_ payload: JSONValue) throws(RequestTokenRejection) {
        func string(_ name: String) throws(RequestTokenRejection) -> String {
            guard let value = payload[name]?.stringValue else { throw Self.malformed("has no string \"\(name)\"") }
            return value
        }
        func integer(_ name: String) throws(RequestTokenRejection) -> Int64 {
            guard let value = payload[name]?.int64Value else { throw Self.malformed("has no integer \"\(name)\"") }
            return value
        }
        func agency(_ name: String) throws(RequestTokenRejection) -> AgencyID {
            let text = try string(name)
            guard let value = try? AgencyID(text) else { throw Self.malformed("has a \"\(name)\" that is not an agency id") }
            return value
        }
        issuer = try agency("iss")
        audience = try agency("aud")
        issuedAt = try integer("iat")
        expiresAt = try integer("exp")
        jti = try string("jti")
        let lengths = RequestToken.jtiLengths
        guard lengths.contains(jti.unicodeScalars.count) else {
            throw Self.malformed("has a \"jti\" of \(jti.unicodeScalars.count) characters, not \(lengths.lowerBound) to \(lengths.upperBound)")
        }
        method = try string("htm")
        target = try string("htu")
        // Optional; present, it must be a purpose code.
        if let claim = payload["purpose"] {
            guard let text = claim.stringValue, let code = try? PurposeCode(text) else {
                throw Self.malformed("has a \"purpose\" that is not a purpose code (1 to 64 of a-z, 0-9, - and .)")
            }
            purpose = code
        } else {
            purpose = nil
        }
    }

    private static func malformed(_ problem: String) -> RequestTokenRejection {
        RequestTokenRejection(.malformed, "request token \(problem)")
    }
}
