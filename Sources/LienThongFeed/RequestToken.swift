public import LienThongCore
public import LienThongSigning

/// The request token of protocol v1 (docs/PROTOCOL.md): a JWS by which a requesting agency says who it
/// is, to whom it speaks and which request it makes, valid for a few minutes and for one request only.
public enum RequestToken {
    public static let type = "lienthong-req"
    /// The longest a token may be valid for, `exp - iat`.
    public static let maximumLifetimeSeconds: Int64 = 300
    /// Bounds on the length of `jti`: long enough to be unguessable, short enough to remember many.
    public static let jtiLengths: ClosedRange<Int> = 16...128
}

/// Makes request tokens (requester side): one per request, each with a fresh random `jti`.
public struct RequestTokenSigner: Sendable {
    public let agency: AgencyID
    public let lifetimeSeconds: Int64
    private let signer: JWSSigner

    /// A signer for `agency` with its private key. `lifetimeSeconds` is clamped to 1 through
    /// ``RequestToken/maximumLifetimeSeconds``: a publisher refuses longer-lived tokens.
    public init(agency: AgencyID, key: PrivateKey, lifetimeSeconds: Int64 = 60) {
        self.agency = agency
        self.lifetimeSeconds = min(max(lifetimeSeconds, 1), RequestToken.maximumLifetimeSeconds)
        signer = JWSSigner(key: key)
    }

    /// A token for one `GET` of `pathAndQuery` (the request target exactly as it will be sent, such as
    /// `/v1/feeds/dan-cu?after=0&limit=1000`) from `audience`, issued at `now` (in whole seconds, as tokens count).
    /// `purpose`, the purpose stated for a feed request, becomes the `purpose` claim; nil states none.
    public func token(
        audience: AgencyID, pathAndQuery: String, now: UnixTime, method: String = "GET", purpose: PurposeCode? = nil
    ) throws(JWSSigningError) -> String {
        let issuedAt = now.seconds
        var claims: [String: JSONValue] = [
            // A time in seconds is at most Int64.max / 1000, so adding a lifetime of minutes cannot overflow.
            "iss": .string(agency.rawValue), "aud": .string(audience.rawValue), "iat": .integer(issuedAt), "exp": .integer(issuedAt + lifetimeSeconds),
            "jti": .string(Self.randomJTI()), "htm": .string(method), "htu": .string(pathAndQuery),
        ]
        if let purpose { claims["purpose"] = .string(purpose.rawValue) }
        return try signer.sign(json: .object(claims), type: RequestToken.type)
    }

    /// 128 random bits from the system's generator, as 22 base64url characters.
    private static func randomJTI() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
