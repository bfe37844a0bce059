import Foundation
import LienThongCore
import LienThongSigning

/// Where the tests find the files they read: the project's fixtures and the shared Wycheproof vectors.
enum TestPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = packageRoot.appending(path: "fixtures")

    /// `../shared/vectors/wycheproof` beside the clone, or `LIENTHONG_WYCHEPROOF_DIR`.
    static let wycheproof: URL = {
        if let override = ProcessInfo.processInfo.environment["LIENTHONG_WYCHEPROOF_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appending(path: "shared/vectors/wycheproof")
    }()

    static var wycheproofIsPresent: Bool {
        FileManager.default.fileExists(atPath: wycheproof.appending(path: "ed25519_test.json").path)
    }
}

/// Keys made once per test run.
enum TestKeys {
    static let ed25519 = try! PrivateKey.generate(.ed25519)
    static let p256 = try! PrivateKey.generate(.p256)
    static let otherEd25519 = try! PrivateKey.generate(.ed25519)

    static func key(_ type: KeyType) -> PrivateKey { type == .ed25519 ? ed25519 : p256 }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }
}

/// Builds a compact JWS from any header and payload text, signed with a real key, so that a test can show
/// a rule is enforced even when the signature itself is good.
func forgeJWS(header: String, payload: String = #"{"ok":true}"#, key: PrivateKey) throws -> String {
    let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
    return signingInput + "." + Base64URL.encode(try key.signature(for: Array(signingInput.utf8)))
}

/// A PKCS#8 PEM for an Ed25519 private key given as its 32-byte seed (RFC 8410).
func ed25519PrivateKeyPEM(seed: [UInt8]) -> String {
    let der: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
    return "-----BEGIN PRIVATE KEY-----\n\(Data(der).base64EncodedString())\n-----END PRIVATE KEY-----\n"
}

/// The header of a JWS decoded back to JSON, for checks on what the signer wrote.
func headerJSON(of compact: String) throws -> JSONValue {
    let segment = compact.split(separator: ".", omittingEmptySubsequences: false)[0]
    return try JSONValue(parsing: try Base64URL.decode(segment))
}
