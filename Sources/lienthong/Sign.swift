import ArgumentParser
import LienThongCore
import Foundation
import LienThongSigning

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.sign.abstract"),
        discussion: localized("help.sign.discussion")
    )

    @Option(help: ArgumentHelp(localized("help.sign.key"), valueName: "PRIVATE.pem"))
    var key: String

    @Option(help: ArgumentHelp(localized("help.sign.typ")))
    var typ: String?

    @OptionGroup var keyPermissions: KeyPermissionsOption

    @OptionGroup var input: InputOption

    func run() throws {
        try reportingFailures {
            let privateKey = try keyPermissions.loadKey(key)
            let payload = try input.readAll(limit: InputLimit.payload, what: localized("input.payload"))
            print(try JWSSigner(key: privateKey).sign(payload: payload, type: typ))
        }
    }
}
