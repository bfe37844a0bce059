internal import CLibCrypto

/// An agency's private signing key. It never leaves the agency; only ``publicKey`` is shared.
public struct PrivateKey: Sendable {
    public let type: KeyType
    /// The matching public key, whose ``PublicKey/keyID`` goes into every header signed with this key.
    public let publicKey: PublicKey
    private let evp: EVPKey

    /// Makes a new key from the operating system's randomness (through libcrypto's generator).
    public static func generate(_ type: KeyType) throws(KeyError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type == .ed25519 ? "ED25519" : "EC", nil) else {
            throw .libcrypto("make a key generation context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw .libcrypto("start key generation") }
        if type == .p256, EVP_PKEY_CTX_set_group_name(context, "P-256") != 1 { throw .libcrypto("choose the P-256 curve") }
        var generated: OpaquePointer?
        guard EVP_PKEY_generate(context, &generated) == 1, let generated else { throw .libcrypto("generate a key") }
        return try PrivateKey(evp: EVPKey(taking: generated))
    }

    /// Reads an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public init(pem text: String) throws(KeyError) {
        var document = try PEMDocument(text: text)
        defer { document.wipe() }
        guard document.label == "PRIVATE KEY" else {
            throw .wrongPEMLabel(found: document.label, expected: "PRIVATE KEY")
        }
        guard let decoded = Self.decodePKCS8(document.der) else {
            _ = LibCrypto.drainErrors()
            throw .malformedDER("the PKCS#8 private key")
        }
        try self.init(evp: EVPKey(taking: decoded))
    }

    /// The `EVP_PKEY` (any algorithm) of an unencrypted PKCS#8 DER with nothing after it, owned by the caller;
    /// nil when it is not one.
    static func decodePKCS8(_ der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else { return nil }
            return EVP_PKCS82PKEY(info)
        }
    }

    private init(evp: EVPKey) throws(KeyError) {
        self.evp = evp
        self.type = try evp.keyType()
        self.publicKey = try PublicKey(subjectPublicKeyInfo: try evp.encoded("encode a public key") { i2d_PUBKEY($0, $1) })
    }

    /// The key as unencrypted PKCS#8 PEM, for a file only its owner can read.
    public func pemText() throws(KeyError) -> String {
        guard let info = EVP_PKEY2PKCS8(evp.pointer) else { throw .libcrypto("convert the key to PKCS#8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
        guard length > 0 else { throw .libcrypto("encode the key as PKCS#8") }
        var document = PEMDocument(label: "PRIVATE KEY", der: [UInt8](repeating: 0, count: Int(length)))
        defer { document.wipe() }
        let written = document.der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_PKCS8_PRIV_KEY_INFO(info, &cursor)
        }
        guard written == length else { throw .libcrypto("encode the key as PKCS#8") }
        return document.text
    }

    /// Signs `message`: Ed25519 gives its 64-byte signature, P-256 the 64-byte R‖S of ECDSA over SHA-256.
    public func signature(for message: [UInt8]) throws(KeyError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw .libcrypto("make a signing context") }
        defer { EVP_MD_CTX_free(context) }
        let digest = type == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestSignInit(context, nil, digest, nil, evp.pointer) == 1 else { throw .libcrypto("start signing") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw .libcrypto("size a signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw .libcrypto("sign") }
        signature.removeSubrange(length...)
        switch type {
        case .ed25519:
            return signature
        case .p256:
            guard let raw = ECDSASignatureEncoding.raw(fromDER: signature) else {
                throw .malformedDER("the ECDSA signature from libcrypto")
            }
            return raw
        }
    }
}
