import ArgumentParser
import Foundation
import LienThongCore
import LienThongSigning
import Logging

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an agency's signing key pair and print its key id.",
        discussion: """
            Writes DIR/ID.key.pem (PKCS#8, mode 0600), DIR/ID.pub.pem and DIR/ID.jwk.json, and prints the
            key id (the RFC 7638 thumbprint) that peers will see in every header. Never overwrites a key.
            """
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case Ed25519, ES256

        var keyType: KeyType { self == .Ed25519 ? .ed25519 : .p256 }
    }

    @Option(help: "The agency id: 1 to 64 of a-z, 0-9 and -, starting with a letter.")
    var agency: String

    @Option(help: "The signature algorithm.")
    var alg: Algorithm = .Ed25519

    @Option(help: ArgumentHelp("The folder to write the key files into.", valueName: "DIR"))
    var out: String

    func validate() throws {
        do {
            _ = try AgencyID(agency)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        try reportingFailures {
            let files = AgencyKeyFiles(agency: try AgencyID(agency), directory: URL(fileURLWithPath: out))
            let key = try PrivateKey.generate(alg.keyType)
            try files.writeNew(key)
            Logger(label: "lienthong.keygen").info(
                "wrote agency key pair",
                metadata: ["agency": "\(agency)", "kid": "\(key.publicKey.keyID)", "folder": "\(files.directory.path)"]
            )
            print(key.publicKey.keyID)
        }
    }
}
