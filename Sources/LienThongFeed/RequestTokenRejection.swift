public import LienThongCore

/// Why a request token was refused. The publisher answers `401` for every reason but
/// ``Reason/replayCacheFull``, which is `503`: the token may be good, the publisher is overwhelmed.
public struct RequestTokenRejection: Error, Equatable, CustomStringConvertible {
    /// The rule a token broke, for counting and tests.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The request has no `Authorization: Bearer` token.
        public static let missing = Reason("missing")
        /// The JWS failed a check, or its key is not one pinned for its issuer.
        public static let signature = Reason("signature")
        public static let malformed = Reason("malformed")
        /// The issuer signed with a pinned key but is not configured as a peer under that name.
        public static let unknownIssuer = Reason("unknown issuer")
        public static let wrongAudience = Reason("wrong audience")
        public static let issuedInFuture = Reason("issued in the future")
        /// `iat` is before the publisher started: an earlier process may have accepted it.
        public static let issuedBeforeStart = Reason("issued before start")
        public static let expired = Reason("expired")
        public static let lifetime = Reason("lifetime")
        public static let wrongMethod = Reason("wrong method")
        public static let wrongTarget = Reason("wrong target")
        public static let replayed = Reason("replayed")
        /// Too many live tokens of this issuer are remembered to take another without forgetting one too early.
        public static let replayCacheFull = Reason("replay cache full")
    }

    public let reason: Reason
    /// The issuer, when the signature held and named a configured peer; nil when the token proves nobody.
    public let issuer: AgencyID?
    /// One line saying what was wrong. It never quotes the token or its claims, which are the requester's.
    public let description: String

    package init(_ reason: Reason, issuer: AgencyID? = nil, _ description: String) {
        self.reason = reason
        self.issuer = issuer
        self.description = description
    }
}
