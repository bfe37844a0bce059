import Foundation
import LienThongCore
import LienThongSigning
import Testing

@Suite("Unsafe Ed25519 public keys")
struct UnsafeKeyTests {
    /// The eight points of small order in their canonical encodings, the same points encoded otherwise
    /// (x = 0 with the sign bit set, y + p), and other encodings with y ≥ p.
    static let unsafeEncodings: [(hex: String, what: String)] = [
        ("0100000000000000000000000000000000000000000000000000000000000000", "identity (order 1)"),
        ("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p - 1 (order 2)"),
        ("0000000000000000000000000000000000000000000000000000000000000000", "y = 0 (order 4)"),
        ("0000000000000000000000000000000000000000000000000000000000000080", "y = 0, x negative (order 4)"),
        ("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", "order 8"),
        ("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", "order 8, x negative"),
        ("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "order 8"),
        ("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "order 8, x negative"),
        ("0100000000000000000000000000000000000000000000000000000000000080", "identity, x = 0 with the sign bit set (small order)"),
        ("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "order 2, x = 0 with the sign bit set (small order)"),
        ("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p, that is 0 (non-canonical)"),
        ("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "y = p with the sign bit (non-canonical)"),
        ("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p + 1, that is the identity (non-canonical)"),
        ("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "y = p + 1 with the sign bit (non-canonical)"),
        ("efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p + 2 (non-canonical)"),
        ("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = 2^255 - 1 (non-canonical)"),
        ("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "y = 2^255 - 1 with the sign bit (non-canonical)"),
    ]

    static func pem(_ raw: [UInt8]) -> String {
        let der: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + raw
        return "-----BEGIN PUBLIC KEY-----\n\(Data(der).base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    static func jwk(_ raw: [UInt8]) -> JSONValue {
        .object(["kty": .string("OKP"), "crv": .string("Ed25519"), "x": .string(Base64URL.encode(raw))])
    }

    @Test("small-order and non-canonical Ed25519 keys are refused as PEM", arguments: unsafeEncodings)
    func refusedAsPEM(hex: String, what: String) {
        let error = #expect(throws: KeyError.unsafeKey, "\(what)") { try PublicKey(pem: Self.pem([UInt8](hex: hex))) }
        #expect(error?.description.contains(what.contains("non-canonical") ? "not canonically encoded" : "small order") == true, "\(what): \(String(describing: error))")
    }

    @Test("small-order and non-canonical Ed25519 keys are refused as JWK", arguments: unsafeEncodings)
    func refusedAsJWK(hex: String, what: String) {
        #expect(throws: KeyError.unsafeKey, "\(what)") { try PublicKey(jwk: Self.jwk([UInt8](hex: hex))) }
    }

    @Test("a pinned key file of small order is refused when loaded, naming the file")
    func refusedFromFile() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-unsafe-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "peer.jwk.json")
        try Data(Self.jwk([0x01] + [UInt8](repeating: 0, count: 31)).serialized()).write(to: file)
        let error = #expect(throws: KeyFileError.self) { try PublicKey(contentsOf: file) }
        #expect(error?.description.contains(file.path) == true)
        #expect(error?.description.contains("small order") == true)
    }

    @Test("honest keys, and the keys next to the refused encodings, still load and verify")
    func honestKeysLoad() throws {
        let key = TestKeys.ed25519.publicKey
        #expect(try PublicKey(pem: key.pemText) == key)
        #expect(try PublicKey(jwk: key.jwk) == key)
        let message = Array("bản ghi".utf8)
        #expect(key.isValidSignature(try TestKeys.ed25519.signature(for: message), for: message))
        // y = 2 and y = p - 2 are canonical and not of small order: refused by none of these rules.
        for hex in ["0200000000000000000000000000000000000000000000000000000000000000", "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"] {
            do {
                _ = try PublicKey(pem: Self.pem([UInt8](hex: hex)))
            } catch {
                #expect(error != .unsafeKey, "\(hex): \(error)")
            }
        }
    }
}
