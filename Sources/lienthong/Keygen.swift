import ArgumentParser
import Foundation
import LienThongCore
import LienThongSigning
import Logging

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.keygen.abstract"),
        discussion: localized("help.keygen.discussion")
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case Ed25519, ES256

        var keyType: KeyType { self == .Ed25519 ? .ed25519 : .p256 }
    }

    @Option(help: ArgumentHelp(localized("help.keygen.agency")))
    var agency: String

    @Option(help: ArgumentHelp(localized("help.keygen.alg")))
    var alg: Algorithm = .Ed25519

    @Option(help: ArgumentHelp(localized("help.keygen.out"), valueName: "DIR"))
    var out: String

    func validate() throws {
        do {
            _ = try AgencyID(agency)
        } catch {
            throw ValidationError(localizedText(of: error))
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
