import LienThongCore
import LienThongSigning
import Testing

/// One row for each rule that refuses a JWS. Headers are built by hand and signed with a real key, so a
/// row fails only if its rule is not enforced.
@Suite("JWS rejections")
struct JWSRejectionTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let reason: JWSError.Reason
        let requiredType: String?
        let make: @Sendable () throws -> String
        var testDescription: String { "\(name) → \(reason)" }

        init(_ name: String, _ reason: JWSError.Reason, requiredType: String? = nil, _ make: @escaping @Sendable () throws -> String) {
            self.name = name
            self.reason = reason
            self.requiredType = requiredType
            self.make = make
        }
    }

    static let key = TestKeys.ed25519
    static let kid = key.publicKey.keyID
    static func valid() throws -> String { try JWSSigner(key: key).sign(payload: Array(#"{"n":1}"#.utf8), type: "lienthong-page") }
    static func header(_ members: String) -> String { #"{"alg":"Ed25519","kid":"\#(kid)"\#(members)}"# }
    static func replacingSegment(_ index: Int, of compact: String, with text: String) -> String {
        var parts = compact.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[index] = text
        return parts.joined(separator: ".")
    }

    static let rows: [Row] = [
        Row("space inside", .whiteSpace) { let jws = try valid(); return String(jws.prefix(10)) + " " + jws.dropFirst(10) },
        Row("newline inside", .whiteSpace) { let jws = try valid(); return String(jws.prefix(30)) + "\n" + jws.dropFirst(30) },
        Row("two segments", .segmentCount) { String(try valid().split(separator: ".").prefix(2).joined(separator: ".")) },
        Row("four segments", .segmentCount) { try valid() + ".e30" },
        Row("one segment", .segmentCount) { "e30" },
        Row("empty string", .segmentCount) { "" },
        Row("padded header", .invalidBase64URL) { let jws = try valid(); return replacingSegment(0, of: jws, with: Base64URL.encode(Array(header("").utf8)) + "=") },
        Row("standard base64 character", .invalidBase64URL) { replacingSegment(2, of: try valid(), with: String(repeating: "+", count: 86)) },
        Row("non-canonical signature", .invalidBase64URL) {
            let jws = try valid()
            let signature = jws.split(separator: ".")[2]
            // The last of 86 characters carries 2 unused bits; setting one keeps the bytes but breaks canonical form.
            let last = signature.last!
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            let bumped = alphabet[alphabet.firstIndex(of: last)! ^ 1]
            return replacingSegment(2, of: jws, with: String(signature.dropLast()) + String(bumped))
        },
        Row("header is an array", .headerNotJSONObject) { try forgeJWS(header: "[]", key: key) },
        Row("header is not UTF-8", .headerNotJSONObject) {
            let jws = try valid()
            return replacingSegment(0, of: jws, with: Base64URL.encode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))
        },
        Row("header is empty", .headerNotJSONObject) { replacingSegment(0, of: try valid(), with: "") },
        Row("duplicate alg", .duplicateHeaderMember) { try forgeJWS(header: header(#","alg":"Ed25519""#), key: key) },
        Row("crit", .forbiddenHeaderMember) { try forgeJWS(header: header(#","crit":["exp"],"exp":1"#), key: key) },
        Row("b64 false", .forbiddenHeaderMember) { try forgeJWS(header: header(#","b64":false"#), key: key) },
        Row("zip", .forbiddenHeaderMember) { try forgeJWS(header: header(#","zip":"DEF""#), key: key) },
        Row("jku", .forbiddenHeaderMember) { try forgeJWS(header: header(#","jku":"https://attacker.example/keys""#), key: key) },
        Row("embedded jwk", .forbiddenHeaderMember) { try forgeJWS(header: header(#","jwk":\#(key.publicKey.jwk.serializedText)"#), key: key) },
        Row("x5u", .forbiddenHeaderMember) { try forgeJWS(header: header(#","x5u":"https://attacker.example/cert""#), key: key) },
        Row("x5c", .forbiddenHeaderMember) { try forgeJWS(header: header(#","x5c":["MIIB"]"#), key: key) },
        Row("no alg", .missingAlgorithm) { try forgeJWS(header: #"{"kid":"\#(kid)"}"#, key: key) },
        Row("alg is a number", .missingAlgorithm) { try forgeJWS(header: #"{"alg":1,"kid":"\#(kid)"}"#, key: key) },
        Row("no kid", .missingKeyID) { try forgeJWS(header: #"{"alg":"Ed25519"}"#, key: key) },
        Row("unknown kid", .unknownKeyID) { try JWSSigner(key: TestKeys.otherEd25519).sign(payload: Array("{}".utf8)) },
        Row("kid differs in case", .unknownKeyID) { try forgeJWS(header: #"{"alg":"Ed25519","kid":"\#(kid.uppercased())"}"#, key: key) },
        Row("alg none", .algorithmNotAllowed) { try forgeJWS(header: #"{"alg":"none","kid":"\#(kid)"}"#, key: key) },
        Row("alg HS256", .algorithmNotAllowed) { try forgeJWS(header: #"{"alg":"HS256","kid":"\#(kid)"}"#, key: key) },
        Row("alg ES256 for an Ed25519 key", .algorithmNotAllowed) { try forgeJWS(header: #"{"alg":"ES256","kid":"\#(kid)"}"#, key: key) },
        Row("alg RS256", .algorithmNotAllowed) { try forgeJWS(header: #"{"alg":"RS256","kid":"\#(kid)"}"#, key: key) },
        Row("alg in other case", .algorithmNotAllowed) { try forgeJWS(header: #"{"alg":"eddsa","kid":"\#(kid)"}"#, key: key) },
        Row("alg Ed25519 for a P-256 key", .algorithmNotAllowed) {
            try forgeJWS(header: #"{"alg":"Ed25519","kid":"\#(TestKeys.p256.publicKey.keyID)"}"#, key: TestKeys.p256)
        },
        Row("typ differs", .typeMismatch, requiredType: "lienthong-page") {
            try JWSSigner(key: key).sign(payload: Array("{}".utf8), type: "lienthong-req")
        },
        Row("typ absent", .typeMismatch, requiredType: "lienthong-page") { try JWSSigner(key: key).sign(payload: Array("{}".utf8)) },
        Row("empty signature", .emptySignature) { replacingSegment(2, of: try valid(), with: "") },
        Row("signature of 63 bytes", .signatureLength) { replacingSegment(2, of: try valid(), with: Base64URL.encode([UInt8](repeating: 1, count: 63))) },
        Row("signature of 65 bytes", .signatureLength) { replacingSegment(2, of: try valid(), with: Base64URL.encode([UInt8](repeating: 1, count: 65))) },
        Row("flipped signature bit", .signatureInvalid) {
            let jws = try valid()
            var signature = try Base64URL.decode(jws.split(separator: ".")[2])
            signature[10] ^= 0x04
            return replacingSegment(2, of: jws, with: Base64URL.encode(signature))
        },
        Row("payload changed", .signatureInvalid) { replacingSegment(1, of: try valid(), with: Base64URL.encode(Array(#"{"n":2}"#.utf8))) },
        Row("header changed", .signatureInvalid) {
            replacingSegment(0, of: try valid(), with: Base64URL.encode(Array(header(#","typ":"lienthong-page","x":1"#).utf8)))
        },
        Row("signed by another key under this kid", .signatureInvalid) {
            try forgeJWS(header: header(""), key: TestKeys.otherEd25519)
        },
        Row("payload is an array", .payloadNotJSONObject) { try forgeJWS(header: header(""), payload: "[1]", key: key) },
        Row("payload is text", .payloadNotJSONObject) { try forgeJWS(header: header(""), payload: "foo", key: key) },
        Row("payload names a member twice", .payloadNotJSONObject) {
            try forgeJWS(header: header(""), payload: #"{"audience":"a","audience":"b"}"#, key: key)
        },
        Row("payload is empty", .payloadNotJSONObject) { try forgeJWS(header: header(""), payload: "", key: key) },
    ]

    @Test("each broken rule is refused with its own reason", arguments: rows)
    func refused(row: Row) throws {
        let verifier = JWSVerifier(keys: [Self.key.publicKey, TestKeys.p256.publicKey], requiredType: row.requiredType)
        let compact = try row.make()
        let error = try #require(throws: JWSError.self) { try verifier.verify(compact) }
        #expect(error.reason == row.reason, "\(error)")
        #expect(!error.description.contains("\n"))
        #expect(!error.description.isEmpty)
    }

    @Test("messages say why, in the words operators will search for")
    func messages() throws {
        let verifier = JWSVerifier(keys: [Self.key.publicKey])
        let hs256 = try forgeJWS(header: #"{"alg":"HS256","kid":"\#(Self.kid)"}"#, key: Self.key)
        #expect(throws: JWSError.self) { try verifier.verify(hs256) }
        #expect((try? verifier.verify(hs256)) == nil)
        do {
            _ = try verifier.verify(hs256)
        } catch {
            #expect(error.description == #"algorithm "HS256" is not allowed for an Ed25519 key"#)
        }
        let tampered = try forgeJWS(header: Self.header(""), key: TestKeys.otherEd25519)
        do {
            _ = try verifier.verify(tampered)
            Issue.record("a JWS signed by another key verified")
        } catch {
            #expect(error.description == "signature does not verify with key \(Self.kid)")
        }
    }

    @Test("a valid JWS passes the same verifier the rows use")
    func controlCase() throws {
        let verifier = JWSVerifier(keys: [Self.key.publicKey, TestKeys.p256.publicKey], requiredType: "lienthong-page")
        let verified = try verifier.verify(try Self.valid())
        #expect(verified.payloadJSON == .object(["n": .number("1")]))
        #expect(verified.key == Self.key.publicKey)
    }
}
