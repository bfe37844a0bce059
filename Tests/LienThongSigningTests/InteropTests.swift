import Foundation
import LienThongCore
import LienThongSigning
import LienThongTestSupport
import Testing

/// JWS and keys made by implementations other than lienthong.
@Suite("Interoperability")
struct InteropTests {
    static let folder = TestPaths.fixtures.appending(path: "interop")

    @Test("JWS signed by joserfc verify", arguments: [
        ("joserfc-ed25519.EdDSA.jws", "joserfc-ed25519"),
        ("joserfc-ed25519.Ed25519.jws", "joserfc-ed25519"),
        ("joserfc-p256.ES256.jws", "joserfc-p256"),
    ])
    func joserfc(file: String, keyName: String) throws {
        let key = try PublicKey(contentsOf: Self.folder.appending(path: "\(keyName).pub.pem"))
        let compact = try String(contentsOf: Self.folder.appending(path: file), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try JWSVerifier(keys: [key], requiredType: "lienthong-page").verify(compact)
        #expect(verified.payload == Array(try Data(contentsOf: Self.folder.appending(path: "payload.json"))))
        #expect(verified.payloadJSON["publisher"] == .string("so-tu-phap"))
    }

    @Test("private keys written by another library are read, and sign for their public keys", arguments: ["joserfc-ed25519", "joserfc-p256"])
    func foreignPrivateKeys(name: String) throws {
        // Committed test keys: git checks them out 0644.
        let key = try PrivateKeyFile(reading: Self.folder.appending(path: "\(name).key.pem"), access: .groupOrOthersAllowed).key
        #expect(key.publicKey == (try PublicKey(contentsOf: Self.folder.appending(path: "\(name).pub.pem"))))
        let compact = try JWSSigner(key: key).sign(payload: Array("{}".utf8))
        #expect(try JWSVerifier(keys: [key.publicKey]).verify(compact).payload == Array("{}".utf8))
    }

    /// The `openssl` command line checks lienthong's signatures, and lienthong checks its.
    @Test("the openssl command line and lienthong verify each other's Ed25519 signatures", .enabled(if: OpenSSLTool.isPresent))
    func opensslEd25519() async throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appending(path: "key.pem")
        try await OpenSSLTool.run(["genpkey", "-algorithm", "ed25519", "-out", keyFile.path])
        let key = try PrivateKey(contentsOf: keyFile)

        let ours = try JWSSigner(key: key).sign(payload: Array(#"{"from":"lienthong"}"#.utf8))
        let parts = ours.split(separator: ".")
        let input = folder.appending(path: "input")
        let signature = folder.appending(path: "signature")
        try Data("\(parts[0]).\(parts[1])".utf8).write(to: input)
        try Data(try Base64URL.decode(parts[2])).write(to: signature)
        try await OpenSSLTool.run(["pkeyutl", "-verify", "-rawin", "-inkey", keyFile.path, "-in", input.path, "-sigfile", signature.path])

        let header = Base64URL.encode(Array(#"{"alg":"Ed25519","kid":"\#(key.publicKey.keyID)"}"#.utf8))
        let theirsInput = header + "." + Base64URL.encode(Array(#"{"from":"openssl"}"#.utf8))
        try Data(theirsInput.utf8).write(to: input)
        try await OpenSSLTool.run(["pkeyutl", "-sign", "-rawin", "-inkey", keyFile.path, "-in", input.path, "-out", signature.path])
        let theirs = theirsInput + "." + Base64URL.encode(Array(try Data(contentsOf: signature)))
        let verified = try JWSVerifier(keys: [key.publicKey]).verify(theirs)
        #expect(verified.payloadJSON["from"] == .string("openssl"))
    }

    @Test("the openssl command line and lienthong verify each other's ES256 signatures", .enabled(if: OpenSSLTool.isPresent))
    func opensslES256() async throws {
        let folder = try OpenSSLTool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appending(path: "key.pem")
        try await OpenSSLTool.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile.path])
        let key = try PrivateKey(contentsOf: keyFile)
        let input = folder.appending(path: "input")
        let signature = folder.appending(path: "signature")

        let ours = try JWSSigner(key: key).sign(payload: Array(#"{"from":"lienthong"}"#.utf8))
        let parts = ours.split(separator: ".")
        try Data("\(parts[0]).\(parts[1])".utf8).write(to: input)
        let der = try #require(ECDSASignatureEncoding.der(fromRaw: try Base64URL.decode(parts[2])))
        try Data(der).write(to: signature)
        let publicFile = folder.appending(path: "pub.pem")
        try await OpenSSLTool.run(["pkey", "-in", keyFile.path, "-pubout", "-out", publicFile.path])
        try await OpenSSLTool.run(["dgst", "-sha256", "-verify", publicFile.path, "-signature", signature.path, input.path])

        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"\#(key.publicKey.keyID)"}"#.utf8))
        let theirsInput = header + "." + Base64URL.encode(Array(#"{"from":"openssl"}"#.utf8))
        try Data(theirsInput.utf8).write(to: input)
        try await OpenSSLTool.run(["dgst", "-sha256", "-sign", keyFile.path, "-out", signature.path, input.path])
        let raw = try #require(ECDSASignatureEncoding.raw(fromDER: Array(try Data(contentsOf: signature))))
        let verified = try JWSVerifier(keys: [key.publicKey]).verify(theirsInput + "." + Base64URL.encode(raw))
        #expect(verified.payloadJSON["from"] == .string("openssl"))
    }
}

/// Runs the `openssl` command line, failing the test with its output when it exits non-zero.
enum OpenSSLTool {
    static let path = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isPresent: Bool { path != nil }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ arguments: [String]) async throws {
        let outcome = try await runChild(try #require(path), arguments)
        if outcome.status != 0 {
            throw Failed(description: "openssl \(arguments.joined(separator: " ")) exited \(outcome.status): \(outcome.standardOutputText)\(outcome.standardError)")
        }
    }
}
