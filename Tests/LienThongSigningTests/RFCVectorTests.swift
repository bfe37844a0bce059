import LienThongCore
import LienThongSigning
import Testing

/// RFC 8032 §7.1 and RFC 8037 Appendix A, typed in from the RFCs.
@Suite("RFC test vectors")
struct RFCVectorTests {
    struct Ed25519Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let secretKey: String
        let publicKey: String
        let message: String
        let signature: String
        var testDescription: String { name }
    }

    static let rfc8032Vectors: [Ed25519Vector] = [
        Ed25519Vector(
            name: "TEST 1",
            secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        Ed25519Vector(
            name: "TEST 2",
            secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
        Ed25519Vector(
            name: "TEST 3",
            secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
        Ed25519Vector(
            name: "TEST SHA(abc)",
            secretKey: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
        ),
    ]

    @Test("RFC 8032 §7.1: the secret key gives the public key and the exact signature", arguments: rfc8032Vectors)
    func rfc8032(vector: Ed25519Vector) throws {
        let key = try PrivateKey(pem: ed25519PrivateKeyPEM(seed: [UInt8](hex: vector.secretKey)))
        let expectedPublic = try PublicKey(jwk: .object([
            "kty": .string("OKP"), "crv": .string("Ed25519"), "x": .string(Base64URL.encode([UInt8](hex: vector.publicKey))),
        ]))
        #expect(key.publicKey == expectedPublic)
        let message = [UInt8](hex: vector.message)
        let signature = try key.signature(for: message)
        #expect(signature == [UInt8](hex: vector.signature))
        #expect(expectedPublic.isValidSignature(signature, for: message))
        var flipped = signature
        flipped[0] ^= 0x01
        #expect(!expectedPublic.isValidSignature(flipped, for: message))
    }

    // RFC 8037 Appendix A.1: the example key.
    static let rfc8037PrivateKeyD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let rfc8037PublicKeyX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    // A.4: the JWS of "Example of Ed25519 signing" with header {"alg":"EdDSA"}.
    static let rfc8037JWS =
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

    @Test("RFC 8037 A.1–A.3: the example key's public part and thumbprint")
    func rfc8037KeyAndThumbprint() throws {
        let key = try PrivateKey(pem: ed25519PrivateKeyPEM(seed: try Base64URL.decode(Self.rfc8037PrivateKeyD)))
        #expect(key.publicKey.jwk["x"] == .string(Self.rfc8037PublicKeyX))
        #expect(key.publicKey.keyID == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test("RFC 8037 A.4: the signature is reproduced and verifies; lienthong's profile then asks for a kid")
    func rfc8037SignedJWS() throws {
        let key = try PrivateKey(pem: ed25519PrivateKeyPEM(seed: try Base64URL.decode(Self.rfc8037PrivateKeyD)))
        let parts = Self.rfc8037JWS.split(separator: ".")
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        let signature = try Base64URL.decode(parts[2])
        #expect(try key.signature(for: signingInput) == signature)
        #expect(key.publicKey.isValidSignature(signature, for: signingInput))

        // The RFC's JWS names no key, and lienthong picks keys by kid only.
        let error = try #require(throws: JWSError.self) { try JWSVerifier(keys: [key.publicKey]).verify(Self.rfc8037JWS) }
        #expect(error.reason == .missingKeyID)
    }
}
