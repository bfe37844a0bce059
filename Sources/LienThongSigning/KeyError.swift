public import LienThongCore

/// Why a key could not be read, made or used.
public struct KeyError: Error, Hashable, LienThongCore.LocalizedError {
    private enum Code: Hashable {
        case notPEM, wrongPEMLabel, malformedDER, unsupportedKeyType, invalidJWK, notForSignatures, unsafeKey, libcrypto
    }

    private let code: Code
    /// One line saying what was wrong and why; its English text is the ``description``.
    public let message: LocalizedMessage

    private init(_ code: Code, _ message: LocalizedMessage) {
        self.code = code
        self.message = message
    }

    /// A kind of error for `catch` patterns and tests, without a message.
    private init(_ code: Code) {
        self.init(code, LocalizedMessage("verbatim", ["text": ""]))
    }

    /// The text is not a PEM document.
    public static var notPEM: Self { .init(.notPEM) }
    /// The PEM document holds something other than the expected kind of key.
    public static var wrongPEMLabel: Self { .init(.wrongPEMLabel) }
    /// The DER inside is not a well-formed key.
    public static var malformedDER: Self { .init(.malformedDER) }
    /// A key that is neither Ed25519 nor P-256.
    public static var unsupportedKeyType: Self { .init(.unsupportedKeyType) }
    /// A JWK that lacks a member, or has one of the wrong form.
    public static var invalidJWK: Self { .init(.invalidJWK) }
    /// A JWK marked for another use than verifying signatures.
    public static var notForSignatures: Self { .init(.notForSignatures) }
    /// A public key that would make forged signatures verify: a point of small order, or an encoding that is not canonical.
    public static var unsafeKey: Self { .init(.unsafeKey) }
    /// libcrypto failed at something that should not fail.
    public static var libcrypto: Self { .init(.libcrypto) }

    static func notPEM(_ why: String) -> Self { .init(.notPEM, LocalizedMessage("key.not-pem", ["why": why])) }
    static func wrongPEMLabel(found: String, expected: String) -> Self {
        .init(.wrongPEMLabel, LocalizedMessage("key.pem-label", ["found": found.debugDescription, "expected": expected.debugDescription]))
    }
    static func malformedDER(_ what: String) -> Self { .init(.malformedDER, LocalizedMessage("key.der", ["what": what])) }
    static func unsupportedKeyType(_ what: String) -> Self {
        .init(.unsupportedKeyType, LocalizedMessage("key.unsupported", ["what": what]))
    }
    static func invalidJWK(_ why: String) -> Self { .init(.invalidJWK, LocalizedMessage("key.invalid-jwk", ["why": why])) }
    static func notForSignatures(_ why: String) -> Self { .init(.notForSignatures, LocalizedMessage("key.jwk-use", ["why": why])) }
    static func unsafeKey(_ why: String) -> Self { .init(.unsafeKey, LocalizedMessage("key.unsafe", ["why": why])) }
    static func libcrypto(_ operation: String) -> Self {
        .init(.libcrypto, LocalizedMessage("key.libcrypto", ["operation": operation, "reason": LibCrypto.drainErrors()]))
    }

    /// Compares the kind of problem only.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
