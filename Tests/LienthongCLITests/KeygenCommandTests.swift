import Foundation
import LienThongSigning
import Testing

@Suite("lienthong keygen")
struct KeygenCommandTests {
    @Test("writes the three files, the private one readable by its owner only, and prints the kid", arguments: ["Ed25519", "ES256"])
    func writesKeyFiles(alg: String) throws {
        let scratch = try ScratchFolder()
        let folder = scratch.path("keys")
        let outcome = try CommandRunner.run(["keygen", "--agency", "bo-y-te", "--alg", alg, "--out", folder])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let kid = outcome.stdoutText.trimmingCharacters(in: .newlines)

        let privateKey = try PrivateKey(contentsOf: URL(fileURLWithPath: "\(folder)/bo-y-te.key.pem"))
        let publicKey = try PublicKey(contentsOf: URL(fileURLWithPath: "\(folder)/bo-y-te.pub.pem"))
        let jwkKey = try PublicKey(contentsOf: URL(fileURLWithPath: "\(folder)/bo-y-te.jwk.json"))
        #expect(kid == privateKey.publicKey.keyID)
        #expect(publicKey == privateKey.publicKey)
        #expect(jwkKey == privateKey.publicKey)
        #expect(privateKey.type == (alg == "Ed25519" ? .ed25519 : .p256))
        #expect(try permissions("\(folder)/bo-y-te.key.pem") == 0o600)
        #expect(try permissions(folder) == 0o700)
    }

    @Test("refuses to overwrite an existing key and leaves it as it was")
    func refusesOverwrite() throws {
        let scratch = try ScratchFolder()
        let first = try CommandRunner.run(["keygen", "--agency", "bo-cong-an", "--out", scratch.path("keys")])
        #expect(first.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.path("keys/bo-cong-an.key.pem")))
        let second = try CommandRunner.run(["keygen", "--agency", "bo-cong-an", "--out", scratch.path("keys")])
        #expect(second.status == 2)
        #expect(second.stderr.contains("already exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("keys/bo-cong-an.key.pem"))) == before)
    }

    @Test("refuses when only the public file is left over, writing nothing")
    func refusesPartialLeftovers() throws {
        let scratch = try ScratchFolder()
        try Data("old".utf8).write(to: URL(fileURLWithPath: scratch.path("ubnd-ha-noi.jwk.json")))
        let outcome = try CommandRunner.run(["keygen", "--agency", "ubnd-ha-noi", "--out", scratch.url.path])
        #expect(outcome.status == 2)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("ubnd-ha-noi.key.pem")))
    }

    @Test("an agency id that could escape the folder or break the naming rule is refused", arguments: ["../etc", "Bo-Y-Te", "1abc", "", "bo_y_te"])
    func refusesBadAgency(agency: String) throws {
        let scratch = try ScratchFolder()
        let outcome = try CommandRunner.run(["keygen", "--agency", agency, "--out", scratch.url.path])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("agency id"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    private func permissions(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
    }
}
