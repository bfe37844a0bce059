public import LienThongCore

/// Why a compact JWS was refused. Every rejection has its own ``reason`` and a one-line ``description``.
public struct JWSError: Error, Equatable, LienThongCore.LocalizedError {
    /// The rule a JWS broke, for callers that count or test rejections by kind.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        public static let whiteSpace = Reason("white space")
        public static let segmentCount = Reason("segment count")
        public static let invalidBase64URL = Reason("invalid base64url")
        public static let headerNotJSONObject = Reason("header not a JSON object")
        public static let duplicateHeaderMember = Reason("duplicate header member")
        public static let forbiddenHeaderMember = Reason("forbidden header member")
        public static let missingAlgorithm = Reason("missing alg")
        public static let missingKeyID = Reason("missing kid")
        public static let unknownKeyID = Reason("unknown kid")
        public static let algorithmNotAllowed = Reason("algorithm not allowed")
        public static let typeMismatch = Reason("typ mismatch")
        public static let emptySignature = Reason("empty signature")
        public static let signatureLength = Reason("signature length")
        public static let signatureInvalid = Reason("signature invalid")
        public static let payloadNotJSONObject = Reason("payload not a JSON object")
    }

    public let reason: Reason
    /// What was wrong, in one line, with no payload content in it; its English text is the ``description``.
    public let message: LocalizedMessage

    init(_ reason: Reason, _ message: LocalizedMessage) {
        self.reason = reason
        self.message = message
    }
}

extension String {
    /// The text quoted and escaped for an error message, cut short if long: header values come from peers.
    var quotedForMessage: String {
        count > 64 ? (String(prefix(64)) + "…").debugDescription : debugDescription
    }
}
