public import LienThongCore
public import LienThongSigning

/// Checks request tokens (publisher side) and remembers each accepted one until it expires, so that
/// none is taken twice. Safe to share between concurrent requests.
///
/// The checks run in a fixed order and the first that fails is the rejection: the signature (with the
/// union of all peers' pinned keys, so that nothing is read from a token before its signature holds),
/// the payload's shape, the issuer and its keys, `aud`, `iat`, `exp`, the lifetime, `htm`, `htu`, and
/// last the replay cache, so that only tokens good in every other way take room in it.
public final class RequestTokenVerifier: Sendable {
    public let audience: AgencyID
    public let clockSkewSeconds: Int64
    private let peers: [AgencyID: Set<PublicKey>]
    private let jws: JWSVerifier
    private let replayCache: ReplayCache

    /// The most tokens remembered at once by default: at the longest lifetime, about 300 requests a second.
    public static let defaultReplayCapacity = 100_000

    /// A verifier for tokens addressed to `audience` by the agencies in `peers`, each with its pinned keys.
    public convenience init(
        audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64, replayCapacity: Int = defaultReplayCapacity
    ) {
        self.init(audience: audience, peers: peers, clockSkewSeconds: clockSkewSeconds, replayCache: ReplayCache(capacity: replayCapacity))
    }

    private init(audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64, replayCache: ReplayCache) {
        self.audience = audience
        self.clockSkewSeconds = clockSkewSeconds
        self.peers = peers.mapValues(Set.init)
        self.replayCache = replayCache
        jws = JWSVerifier(keys: peers.values.joined(), requiredType: RequestToken.type)
    }

    /// A verifier with new settings that still remembers every token this one accepted: reloading the
    /// configuration must not open a window for replays.
    public func reconfigured(audience: AgencyID, peers: [AgencyID: [PublicKey]], clockSkewSeconds: Int64) -> RequestTokenVerifier {
        RequestTokenVerifier(audience: audience, peers: peers, clockSkewSeconds: clockSkewSeconds, replayCache: replayCache)
    }

    /// Checks `token` for a request of `method` on `pathAndQuery` (the request target exactly as received,
    /// percent-encoding untouched) at `now` (Unix seconds), and returns the requesting agency.
    public func verify(_ token: String, method: String, pathAndQuery: String, now: Int64) throws(RequestTokenRejection) -> AgencyID {
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
        guard claims.method == method else {
            throw RequestTokenRejection(.wrongMethod, issuer: issuer, "request token is for another method than \(method)")
        }
        guard claims.target == pathAndQuery else {
            throw RequestTokenRejection(.wrongTarget, issuer: issuer, "request token is for another request target")
        }
        switch replayCache.remember(issuer: issuer, jti: claims.jti, expiresAt: claims.expiresAt, now: now) {
        case .remembered:
            return issuer
        case .replayed:
            throw RequestTokenRejection(.replayed, issuer: issuer, "request token was already used")
        case .full:
            throw RequestTokenRejection(.replayCacheFull, issuer: issuer, "too many live request tokens to remember another")
        }
    }

    /// How many accepted tokens are remembered now.
    public var rememberedTokenCount: Int { replayCache.count }
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
    }

    private static func malformed(_ problem: String) -> RequestTokenRejection {
        RequestTokenRejection(.malformed, "request token \(problem)")
    }
}
