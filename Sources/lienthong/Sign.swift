import ArgumentParser
import Foundation
import LienThongSigning

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a JSON object and print the compact JWS.",
        discussion: "The file's bytes are signed exactly as they are; they must be one UTF-8 JSON object."
    )

    @Option(help: ArgumentHelp("The PKCS#8 PEM private key, readable by its owner only.", valueName: "PRIVATE.pem"))
    var key: String

    @Option(help: "The typ header value to write, such as lienthong-page.")
    var typ: String?

    @OptionGroup var keyPermissions: KeyPermissionsOption

    @OptionGroup var input: InputOption

    func run() throws {
        try reportingFailures {
            let privateKey = try keyPermissions.loadKey(key)
            let payload = try input.readAll(limit: InputLimit.payload, what: "a payload")
            print(try JWSSigner(key: privateKey).sign(payload: payload, type: typ))
        }
    }
}
