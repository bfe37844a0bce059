import Foundation
import LienThongCore
import LienThongSigning
import Testing

@Suite("Sign and verify")
struct RoundTripTests {
    @Test("a signed payload verifies and comes back byte for byte", arguments: KeyType.allCases)
    func roundTrip(type: KeyType) throws {
        let key = TestKeys.key(type)
        let payload = Array(#"{"ten":"Nguyễn Thị Hoa","tinh":"Hà Nội","so":[1,2.5,-3e2],"null":null}"#.utf8)
        let compact = try JWSSigner(key: key).sign(payload: payload, type: "lienthong-page")
        let verified = try JWSVerifier(keys: [TestKeys.otherEd25519.publicKey, key.publicKey], requiredType: "lienthong-page")
            .verify(compact)
        #expect(verified.payload == payload)
        #expect(verified.algorithm == type.signingAlgorithm)
        #expect(verified.key == key.publicKey)
    }

    @Test("the signer writes exactly alg, kid and typ", arguments: KeyType.allCases)
    func headerMembers(type: KeyType) throws {
        let key = TestKeys.key(type)
        let withType = try headerJSON(of: try JWSSigner(key: key).sign(payload: Array("{}".utf8), type: "lienthong-req"))
        #expect(withType == .object([
            "alg": .string(type == .ed25519 ? "Ed25519" : "ES256"), "kid": .string(key.publicKey.keyID), "typ": .string("lienthong-req"),
        ]))
        let withoutType = try headerJSON(of: try JWSSigner(key: key).sign(payload: Array("{}".utf8)))
        #expect(withoutType.objectValue?.keys.sorted() == ["alg", "kid"])
    }

    @Test("the older EdDSA name verifies with an Ed25519 key")
    func edDSAName() throws {
        let key = TestKeys.ed25519
        let compact = try forgeJWS(header: #"{"alg":"EdDSA","kid":"\#(key.publicKey.keyID)"}"#, key: key)
        #expect(try JWSVerifier(keys: [key.publicKey]).verify(compact).algorithm == .edDSA)
    }

    @Test("only a JSON object can be signed", arguments: ["[1]", "\"text\"", "{\"a\":1,\"a\":2}", "", "{"])
    func signerRefusesNonObjects(payload: String) {
        #expect(throws: JWSSigningError.self) { try JWSSigner(key: TestKeys.ed25519).sign(payload: Array(payload.utf8)) }
    }

    @Test("ES256 signatures are 64 bytes of R‖S and randomised", arguments: 0..<8)
    func es256Shape(_ attempt: Int) throws {
        let message = Array("message \(attempt)".utf8)
        let first = try TestKeys.p256.signature(for: message)
        let second = try TestKeys.p256.signature(for: message)
        #expect(first.count == 64)
        #expect(first != second)
        #expect(TestKeys.p256.publicKey.isValidSignature(first, for: message))
        #expect(TestKeys.p256.publicKey.isValidSignature(second, for: message))
    }
}

@Suite("Agency keys")
struct KeyTests {
    @Test("PEM, JWK and PKCS#8 forms round trip to the same key and kid", arguments: KeyType.allCases)
    func forms(type: KeyType) throws {
        let key = try PrivateKey.generate(type)
        let reread = try PrivateKey(pem: try key.pemText())
        #expect(reread.publicKey == key.publicKey)
        #expect(try PublicKey(pem: key.publicKey.pemText) == key.publicKey)
        let jwk = key.publicKey.jwk
        #expect(try PublicKey(jwk: jwk).keyID == key.publicKey.keyID)
        #expect(jwk["kid"] == .string(key.publicKey.keyID))
        #expect(jwk["use"] == .string("sig"))
        #expect(key.publicKey.keyID.count == 43)
        #expect(try key.pemText().hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(key.publicKey.pemText.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
    }

    @Test("the kid is the RFC 7638 thumbprint of the required members")
    func thumbprint() throws {
        let key = TestKeys.p256.publicKey
        let required = JSONValue.object(["crv": .string("P-256"), "kty": .string("EC"), "x": key.jwk["x"]!, "y": key.jwk["y"]!])
        let text = required.serializedText
        #expect(text.hasPrefix(#"{"crv":"P-256","kty":"EC","x":""#))
        #expect(!text.contains(" "))
        // Other members of a JWK do not change its thumbprint.
        guard case .object(var extended) = key.jwk else { Issue.record("JWK is not an object"); return }
        extended["alg"] = .string("ES256")
        extended["kid"] = .string("something-else")
        #expect(try PublicKey(jwk: .object(extended)).keyID == key.keyID)
    }

    static let badPublicKeyTexts: [(String, KeyError)] = [
        ("", .notPEM),
        ("not a key", .notPEM),
        ("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PRIVATE KEY-----\n", .notPEM),
        ("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", .notPEM),
        (TestKeys.ed25519.publicKey.pemText + TestKeys.p256.publicKey.pemText, .notPEM),
        ((try? TestKeys.ed25519.pemText()) ?? "", .wrongPEMLabel),
        ("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n", .malformedDER),
        // RSA-2048 SubjectPublicKeyInfo prefix only: not a usable key at all.
        ("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n", .malformedDER),
    ]

    @Test("public key texts that are not keys are refused with a reason", arguments: badPublicKeyTexts)
    func badPublicKeys(text: String, expected: KeyError) {
        let error = #expect(throws: KeyError.self) { try PublicKey(pem: text) }
        #expect(error == expected, "\(String(describing: error))")
    }

    @Test("trailing bytes after the DER key are refused")
    func trailingDER() throws {
        let der = try #require(Data(base64Encoded: pemBody(TestKeys.ed25519.publicKey.pemText)))
        #expect(throws: KeyError.malformedDER) { try PublicKey(subjectPublicKeyInfo: Array(der) + [0]) }
    }

    @Test("keys of other types or curves are refused as unsupported", arguments: [
        // P-384, secp256k1, Ed448 and RSA-1024 public keys, made with `openssl genpkey`.
        "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE9gpA5BSCbTDN8PBCm8ZTZ9qGdBGlIbCYIcmIdsBm9qyIdoPa/yg7yaVZHiqMqPLJN3HaRZjNMCd5iGROtWkaLwJWc0iLr8/uEyBHM3a6dSRkyxpC8h5Ytx9kHfKfGryw",
        "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEKXh6pjK9Soo6/ewLWULugERN2+XNIe/cBiFK2FMSMa8qndJFOdmcwXBpayAbi2FMub2dmJWHZZM8SnrF2bmYBQ==",
        "MEMwBQYDK2VxAzoAmQfm0BdnOPY9ZbxRvwdo1OuvCN38YnyUePo1qTJJU3ZN2cmG2owZwqI3EPiSOBjtAcJ4/ASJVnKA",
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCo1ioqydknkDOc82XShzLQIP1BqONrqpgKTAealjsI9F9sybaofHqV5BsFJyRUriJj2Zlbwc8aNBf5dCq9xzwmKi4442qzch8R5rfapr5C9hFo5NFSGMdddb1Zyg1GDDsV8DsCNkU4xxcwXNuUig5/9iRnH/dBqCktdNXIhQT9nQIDAQAB",
    ])
    func otherKeyTypes(body: String) {
        let error = #expect(throws: KeyError.self) { try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n") }
        #expect(error == .unsupportedKeyType, "\(String(describing: error))")
    }

    static let badJWKs: [(String, KeyError)] = [
        (#"[]"#, .invalidJWK),
        (#"{"kty":"OKP","crv":"Ed25519"}"#, .invalidJWK),
        (#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#, .invalidJWK),
        (#"{"kty":"OKP","crv":"Ed448","x":"AAAA"}"#, .unsupportedKeyType),
        (#"{"kty":"oct","crv":"none","k":"AAAA"}"#, .unsupportedKeyType),
        (#"{"kty":"RSA","crv":"","n":"AQAB","e":"AQAB"}"#, .unsupportedKeyType),
    ]

    @Test("malformed JWKs are refused with a reason", arguments: badJWKs)
    func badJWK(text: String, expected: KeyError) throws {
        let jwk = try JSONValue(parsing: text)
        let error = #expect(throws: KeyError.self) { try PublicKey(jwk: jwk) }
        #expect(error == expected, "\(String(describing: error))")
    }

    @Test("a JWK not meant for verifying signatures, or holding a private key, is refused")
    func jwkUseAndPrivate() throws {
        guard case .object(let members) = TestKeys.ed25519.publicKey.jwk else { Issue.record("JWK is not an object"); return }
        let cases: [(String, JSONValue, KeyError)] = [
            ("use", .string("enc"), .notForSignatures),
            ("key_ops", .array([.string("encrypt")]), .notForSignatures),
            ("alg", .string("ES256"), .notForSignatures),
            ("d", .string("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"), .invalidJWK),
        ]
        for (name, value, expected) in cases {
            var changed = members
            changed[name] = value
            let error = #expect(throws: KeyError.self) { try PublicKey(jwk: .object(changed)) }
            #expect(error == expected, "\(name): \(String(describing: error))")
        }
        var verifyOnly = members
        verifyOnly["key_ops"] = .array([.string("verify")])
        #expect(try PublicKey(jwk: .object(verifyOnly)) == TestKeys.ed25519.publicKey)
    }

    @Test("an EC point that is not on P-256 is refused")
    func pointOffCurve() throws {
        guard case .object(var members) = TestKeys.p256.publicKey.jwk else { Issue.record("JWK is not an object"); return }
        var y = try Base64URL.decode(members["y"]!.stringValue!)
        y[31] ^= 0x01
        members["y"] = .string(Base64URL.encode(y))
        #expect(throws: KeyError.self) { try PublicKey(jwk: .object(members)) }
    }
}

func pemBody(_ pem: String) -> String {
    pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
}
