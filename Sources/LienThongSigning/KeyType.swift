/// The kinds of agency key lienthong signs with. The key decides which JWS algorithms it accepts.
public enum KeyType: String, Sendable, CaseIterable, CustomStringConvertible {
    case ed25519 = "Ed25519"
    case p256 = "P-256"

    /// The algorithm written into headers signed with this kind of key.
    public var signingAlgorithm: JWSAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .p256: .es256
        }
    }

    /// The algorithms a header may name for this kind of key: Ed25519 keys also accept the older `EdDSA` (RFC 8037).
    public var acceptedAlgorithms: Set<JWSAlgorithm> {
        switch self {
        case .ed25519: [.ed25519, .edDSA]
        case .p256: [.es256]
        }
    }

    public var description: String { rawValue }
}

/// The JWS algorithms lienthong knows. Any other `alg` value, `none` and HMAC among them, is refused.
public enum JWSAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Ed25519 as RFC 9864 names it.
    case ed25519 = "Ed25519"
    /// Ed25519 under the older, curve-agnostic name of RFC 8037.
    case edDSA = "EdDSA"
    /// ECDSA on P-256 with SHA-256, signature as the 64-byte R‖S (RFC 7518 §3.4).
    case es256 = "ES256"

    public var description: String { rawValue }
}
