internal import CLibCrypto
public import LienThongCore

/// An agency's public key: what a peer pins to check that agency's signatures.
///
/// Its ``keyID`` is the RFC 7638 JWK thumbprint, so the same key has the same id whichever form it came in.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let type: KeyType
    /// The RFC 7638 thumbprint: base64url of the SHA-256 of the key's required JWK members.
    public let keyID: String
    /// Ed25519: the 32-byte key. P-256: the 32-byte x then the 32-byte y coordinate.
    let rawKey: [UInt8]
    let evp: EVPKey

    /// Reads a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    public init(pem text: String) throws(KeyError) {
        let document = try PEMDocument(text: text)
        guard document.label == "PUBLIC KEY" else { throw .wrongPEMLabel(found: document.label, expected: "PUBLIC KEY") }
        try self.init(subjectPublicKeyInfo: document.der)
    }

    /// Reads a DER SubjectPublicKeyInfo, all of it and nothing after it.
    public init(subjectPublicKeyInfo der: [UInt8]) throws(KeyError) {
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            guard let key, cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let decoded else {
            _ = LibCrypto.drainErrors()
            throw .malformedDER("the public key")
        }
        let evp = EVPKey(taking: decoded)
        let type = try evp.keyType()
        try self.init(type: type, rawKey: try Self.rawKey(of: evp, type: type), evp: evp)
    }

    /// Reads a public JWK (RFC 7517, RFC 8037): `OKP`/`Ed25519` or `EC`/`P-256`. A JWK whose `use`,
    /// `key_ops` or `alg` says it is not for these signatures is refused, and so is one that holds a private key.
    public init(jwk: JSONValue) throws(KeyError) {
        guard let members = jwk.objectValue else { throw .invalidJWK("it is \(jwk.kindName), not an object") }
        func text(_ name: String) throws(KeyError) -> String {
            guard let value = members[name]?.stringValue else { throw .invalidJWK("no string member \"\(name)\"") }
            return value
        }
        func coordinate(_ name: String) throws(KeyError) -> [UInt8] {
            let encoded = try text(name)
            guard let bytes = try? Base64URL.decode(encoded), bytes.count == 32 else {
                throw .invalidJWK("\"\(name)\" is not the base64url of 32 bytes")
            }
            return bytes
        }
        if members["d"] != nil { throw .invalidJWK("it holds a private key (\"d\"); share only the public part") }
        let type: KeyType
        switch (try text("kty"), try text("crv")) {
        case ("OKP", "Ed25519"): type = .ed25519
        case ("EC", "P-256"): type = .p256
        case let (kty, crv): throw .unsupportedKeyType("a JWK with kty \(kty.debugDescription) and crv \(crv.debugDescription)")
        }
        if let use = members["use"], use != .string("sig") { throw .notForSignatures("its \"use\" is \(use.serializedText)") }
        if let operations = members["key_ops"], !(operations.arrayValue ?? []).contains(.string("verify")) {
            throw .notForSignatures("its \"key_ops\" do not include \"verify\"")
        }
        if let algorithm = members["alg"] {
            guard let name = algorithm.stringValue, let named = JWSAlgorithm(rawValue: name),
                type.acceptedAlgorithms.contains(named)
            else { throw .notForSignatures("its \"alg\" \(algorithm.serializedText) is not one a \(type) key signs with") }
        }
        let raw = type == .ed25519 ? try coordinate("x") : try coordinate("x") + coordinate("y")
        try self.init(subjectPublicKeyInfo: Self.subjectPublicKeyInfo(type: type, rawKey: raw))
    }

    private init(type: KeyType, rawKey: [UInt8], evp: EVPKey) throws(KeyError) {
        if type == .ed25519 { try Ed25519PointCheck.refuseUnsafe(rawKey) }
        self.type = type
        self.rawKey = rawKey
        self.evp = evp
        self.keyID = Base64URL.encode(try LibCrypto.sha256(Self.thumbprintMembers(type: type, rawKey: rawKey).serialized()))
    }

    /// The key as SubjectPublicKeyInfo PEM.
    public var pemText: String {
        PEMDocument(label: "PUBLIC KEY", der: Self.subjectPublicKeyInfo(type: type, rawKey: rawKey)).text
    }

    /// The key as a public JWK with its `kid` and `"use": "sig"`.
    public var jwk: JSONValue {
        guard case .object(var members) = Self.thumbprintMembers(type: type, rawKey: rawKey) else { return .null }
        members["kid"] = .string(keyID)
        members["use"] = .string("sig")
        return .object(members)
    }

    public var description: String { "\(type) key \(keyID)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.type == rhs.type && lhs.rawKey == rhs.rawKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawKey) }

    /// Whether `signature` is a valid signature of `message` by this key: for Ed25519 the 64-byte
    /// signature of RFC 8032, for P-256 the 64-byte R‖S of an ECDSA signature over SHA-256.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        let derOrRaw: [UInt8]
        switch type {
        case .ed25519:
            guard signature.count == 64 else { return false }
            derOrRaw = signature
        case .p256:
            guard let der = ECDSASignatureEncoding.der(fromRaw: signature) else { return false }
            derOrRaw = der
        }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let digest = type == .ed25519 ? nil : EVP_sha256()
        let verified =
            EVP_DigestVerifyInit(context, nil, digest, nil, evp.pointer) == 1
            && EVP_DigestVerify(context, derOrRaw, derOrRaw.count, message, message.count) == 1
        if !verified { ERR_clear_error() }
        return verified
    }

    // MARK: - Forms of the key

    private static let ed25519Prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    private static let p256Prefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE,
        0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ]

    /// The canonical DER: the fixed algorithm prefix, then the key (uncompressed point for P-256).
    static func subjectPublicKeyInfo(type: KeyType, rawKey: [UInt8]) -> [UInt8] {
        (type == .ed25519 ? ed25519Prefix : p256Prefix) + rawKey
    }

    private static func thumbprintMembers(type: KeyType, rawKey: [UInt8]) -> JSONValue {
        switch type {
        case .ed25519:
            .object(["kty": .string("OKP"), "crv": .string("Ed25519"), "x": .string(Base64URL.encode(rawKey))])
        case .p256:
            .object([
                "kty": .string("EC"), "crv": .string("P-256"),
                "x": .string(Base64URL.encode(rawKey[0..<32])), "y": .string(Base64URL.encode(rawKey[32...])),
            ])
        }
    }

    private static func rawKey(of evp: EVPKey, type: KeyType) throws(KeyError) -> [UInt8] {
        switch type {
        case .ed25519:
            var key = [UInt8](repeating: 0, count: 32)
            var length = key.count
            guard EVP_PKEY_get_raw_public_key(evp.pointer, &key, &length) == 1, length == 32 else {
                throw .libcrypto("read an Ed25519 public key")
            }
            return key
        case .p256:
            return try coordinate(OSSL_PKEY_PARAM_EC_PUB_X, of: evp) + coordinate(OSSL_PKEY_PARAM_EC_PUB_Y, of: evp)
        }
    }

    private static func coordinate(_ parameter: String, of evp: EVPKey) throws(KeyError) -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(evp.pointer, parameter, &number) == 1, let number else {
            throw .libcrypto("read a P-256 public key")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard BN_bn2binpad(number, &bytes, 32) == 32 else { throw .libcrypto("read a P-256 public key") }
        return bytes
    }
}
