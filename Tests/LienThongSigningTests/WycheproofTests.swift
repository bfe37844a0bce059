import Foundation
import LienThongCore
import LienThongSigning
import Testing

/// Project Wycheproof's vectors, read from `../shared/vectors/wycheproof/` and never copied into the project.
/// Without that folder these tests are skipped, and the skip says why.
@Suite(
    "Wycheproof",
    .enabled(if: TestPaths.wycheproofIsPresent, "Wycheproof vectors not found at \(TestPaths.wycheproof.path): skipped")
)
struct WycheproofTests {
    struct SignatureFile: Decodable {
        struct Group: Decodable {
            let publicKeyPem: String
            let tests: [Case]
        }
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let msg: String
            let sig: String
            let result: String
        }
        let numberOfTests: Int
        let testGroups: [Group]
    }

    static func load<File: Decodable>(_ name: String, as type: File.Type) throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: TestPaths.wycheproof.appending(path: name)))
    }

    /// Runs every case of a signature file through `accepts` and checks valid ones pass and invalid ones fail.
    static func check(_ name: String, accepts: (PublicKey, _ signature: [UInt8], _ message: [UInt8]) -> Bool) throws -> Int {
        let file = try load(name, as: SignatureFile.self)
        var checked = 0
        for group in file.testGroups {
            let key = try PublicKey(pem: group.publicKeyPem)
            for test in group.tests {
                let accepted = accepts(key, [UInt8](hex: test.sig), [UInt8](hex: test.msg))
                #expect(test.result == "valid" || test.result == "invalid", "tcId \(test.tcId) has result \(test.result)")
                #expect(accepted == (test.result == "valid"), "tcId \(test.tcId) (\(test.comment)) should be \(test.result)")
                checked += 1
            }
        }
        #expect(checked == file.numberOfTests)
        return checked
    }

    @Test("Ed25519: every valid signature accepted, every invalid one rejected")
    func ed25519() throws {
        let checked = try Self.check("ed25519_test.json") { key, signature, message in
            key.isValidSignature(signature, for: message)
        }
        #expect(checked == 151)
    }

    @Test("ECDSA P-256 with SHA-256, R‖S form (as in JWS)")
    func ecdsaP1363() throws {
        let checked = try Self.check("ecdsa_secp256r1_sha256_p1363_test.json") { key, signature, message in
            key.isValidSignature(signature, for: message)
        }
        #expect(checked == 262)
    }

    @Test("ECDSA P-256 with SHA-256, DER form, through the strict DER to R‖S conversion")
    func ecdsaDER() throws {
        let checked = try Self.check("ecdsa_secp256r1_sha256_test.json") { key, signature, message in
            guard let raw = ECDSASignatureEncoding.raw(fromDER: signature) else { return false }
            // Whatever the parser accepts must encode back to the same bytes: one signature, one DER.
            #expect(ECDSASignatureEncoding.der(fromRaw: raw) == signature)
            return key.isValidSignature(raw, for: message)
        }
        #expect(checked == 484)
    }

    struct JWSFile: Decodable {
        struct Group: Decodable {
            let comment: String?
            let `public`: AnyJSON?
            let tests: [Case]
        }
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let jws: AnyJSON
            let result: String
        }
        let testGroups: [Group]
    }

    /// Keeps a JSON member as lienthong's own `JSONValue`, through its text.
    struct AnyJSON: Decodable {
        let value: JSONValue
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = .string(text)
            } else {
                let object = try container.decode([String: AnyJSONLeaf].self)
                value = .object(object.mapValues(\.value))
            }
        }
    }

    struct AnyJSONLeaf: Decodable {
        let value: JSONValue
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = .string(text)
            } else {
                value = .array(try container.decode([String].self).map(JSONValue.string))
            }
        }
    }

    /// The ES256 groups: the valid JWS verifies and every tampered, truncated or confused one is refused.
    @Test("JWS: ES256 cases")
    func jwsES256() throws {
        let file = try Self.load("json_web_signature_test.json", as: JWSFile.self)
        let groups = file.testGroups.filter { ["es256", "SpecialCaseEs256", "ec_key_for_encryption"].contains($0.comment) }
        var valid = 0
        var invalid = 0
        for group in groups {
            let jwk = try #require(group.public?.value)
            let kid = try #require(jwk["kid"]?.stringValue)
            let key: PublicKey
            do {
                key = try PublicKey(jwk: jwk)
            } catch {
                // A key marked for encryption is refused as a verification key: that is the rejection.
                #expect(group.tests.allSatisfy { $0.result == "invalid" }, "\(group.comment ?? "") key refused: \(error)")
                #expect(error == .notForSignatures)
                invalid += group.tests.count
                continue
            }
            let verifier = JWSVerifier(keysByID: [kid: key])
            for test in group.tests {
                let compact = try #require(test.jws.value.stringValue, "tcId \(test.tcId)")
                if test.result == "valid" {
                    valid += 1
                    try expectValidSignatureRefusedOnlyForPayload(compact, verifier: verifier, key: key, tcId: test.tcId)
                } else {
                    invalid += 1
                    #expect(throws: JWSError.self, "tcId \(test.tcId) (\(test.comment)) must be refused") {
                        try verifier.verify(compact)
                    }
                }
            }
        }
        #expect(valid == 2)
        #expect(invalid == 39)
    }

    /// Wycheproof's valid ES256 JWS sign the text `foo`. Their signatures must verify; lienthong's profile
    /// then refuses the payload because it is not a JSON object, a check that runs only after the signature held.
    private func expectValidSignatureRefusedOnlyForPayload(_ compact: String, verifier: JWSVerifier, key: PublicKey, tcId: Int) throws {
        let parts = compact.split(separator: ".")
        #expect(key.isValidSignature(try Base64URL.decode(parts[2]), for: Array("\(parts[0]).\(parts[1])".utf8)), "tcId \(tcId)")
        let error = try #require(throws: JWSError.self) { try verifier.verify(compact) }
        #expect(error.reason == .payloadNotJSONObject, "tcId \(tcId): \(error)")
    }

    @Test("JWS: alg none is refused, whichever key its kid names")
    func jwsAlgNone() throws {
        let file = try Self.load("json_web_signature_test.json", as: JWSFile.self)
        let noneCases = file.testGroups.flatMap(\.tests).filter { test in
            guard let compact = test.jws.value.stringValue, let header = try? headerJSON(of: compact) else { return false }
            return header["alg"]?.stringValue?.lowercased() == "none"
        }
        #expect(noneCases.count == 5)
        for test in noneCases {
            #expect(test.result == "invalid")
            let compact = try #require(test.jws.value.stringValue)
            let kid = try headerJSON(of: compact)["kid"]?.stringValue
            // Pin a real key under the very kid the header names, so only the JWS rules can refuse it.
            let verifier = JWSVerifier(keysByID: kid.map { [$0: TestKeys.ed25519.publicKey] } ?? [:])
            let asGiven = try #require(throws: JWSError.self) { try verifier.verify(compact) }
            #expect(asGiven.reason == .emptySignature, "tcId \(test.tcId): \(asGiven)")
            // With 64 bytes in place of the missing signature, the algorithm rule is what refuses it.
            let withSignature = compact + Base64URL.encode([UInt8](repeating: 0x5A, count: 64))
            let error = try #require(throws: JWSError.self) { try verifier.verify(withSignature) }
            #expect(error.reason == (kid == nil ? .missingKeyID : .algorithmNotAllowed), "tcId \(test.tcId): \(error)")
        }
    }
}
