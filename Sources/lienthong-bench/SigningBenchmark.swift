import ArgumentParser
import Foundation
import LienThongCore
import LienThongSigning

/// Verifications per second through lienthong's wrapper, beside `openssl speed` in the same run.
struct SigningBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing",
        abstract: "Ed25519 and ES256 verification rates on 1 KiB and 64 KiB payloads, beside openssl speed."
    )

    @Option(help: "Seconds to spend on each measurement.")
    var seconds = 3

    func run() async throws {
        print("Measuring openssl speed (\(seconds) s per figure)…")
        let baseline = try await OpenSSLSpeed.verifyRates(["ed25519", "ecdsap256"], seconds: seconds)
        let rows: [(KeyType, String, String)] = [(.ed25519, "Ed25519", "sha512"), (.p256, "nistp256", "sha256")]
        print("""

            Signature verification, one core, verifications per second
            key:         what lienthong's PublicKey.isValidSignature does (libcrypto through the wrapper)
            JWS:         JWSVerifier.verify, the whole check (base64url, header, key, signature, payload JSON)
            openssl:     openssl speed's verify rate (a 32-byte digest or short message, no payload hashing)
            openssl+h:   the same with the hashing of the payload added, from openssl speed -evp DIGEST
            """)
        print(pad(["alg", "payload", "key/s", "JWS/s", "openssl/s", "openssl+h/s", "key÷openssl", "key÷openssl+h", "JWS÷openssl+h"]))
        for (type, opensslName, digest) in rows {
            guard let opensslRate = baseline[opensslName] else {
                throw BenchmarkFailure(description: "openssl speed printed no \(opensslName) row")
            }
            for size in [1024, 65536] {
                let key = try PrivateKey.generate(type)
                let payload = Self.payload(bytes: size)
                let compact = try JWSSigner(key: key).sign(payload: payload, type: "lienthong-page")
                let parts = compact.split(separator: ".")
                let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
                let signature = try Base64URL.decode(parts[2])
                let publicKey = key.publicKey
                let verifier = JWSVerifier(keys: [publicKey], requiredType: "lienthong-page")

                let keyRate = try measure(seconds: Double(seconds)) { publicKey.isValidSignature(signature, for: signingInput) }
                let jwsRate = try measure(seconds: Double(seconds)) { (try? verifier.verify(compact)) != nil }
                let hashRate = try await OpenSSLSpeed.digestRate(digest, bytes: signingInput.count, seconds: 1)
                let hashedBaseline = 1 / (1 / opensslRate + Double(signingInput.count) / hashRate)
                print(pad([
                    type.signingAlgorithm.rawValue, "\(size / 1024) KiB", format(keyRate), format(jwsRate), format(opensslRate),
                    format(hashedBaseline), ratio(keyRate / opensslRate), ratio(keyRate / hashedBaseline), ratio(jwsRate / hashedBaseline),
                ]))
            }
        }
    }

    /// A JSON object of exactly `bytes` bytes, shaped like a feed page of records.
    static func payload(bytes: Int) -> [UInt8] {
        var records: [JSONValue] = []
        func document(padding: Int) -> [UInt8] {
            JSONValue.object([
                "v": .integer(1), "records": .array(records), "pad": .string(String(repeating: "x", count: padding)),
            ]).serialized()
        }
        while document(padding: 0).count < bytes - 200 {
            let index = records.count
            records.append(.object([
                "id": .string("cd-\(index)"), "ho_ten": .string("Nguyễn Văn \(index)"), "tinh": .string("Hà Nội"), "seq": .integer(index),
            ]))
        }
        return document(padding: bytes - document(padding: 0).count)
    }

    private func measure(seconds: Double, _ operation: () -> Bool) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        var failures = 0
        while clock.now < deadline {
            for _ in 0..<16 {
                if !operation() { failures += 1 }
                count += 1
            }
        }
        if failures > 0 { throw BenchmarkFailure(description: "\(failures) verifications failed during the benchmark") }
        let elapsed = clock.now - start
        return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func format(_ rate: Double) -> String { String(format: "%.0f", rate) }
    private func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
    private func pad(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index < 2 ? cell.padding(toLength: 9, withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, 14 - cell.count)) + cell
        }.joined()
    }
}
