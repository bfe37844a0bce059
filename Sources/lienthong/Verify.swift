import ArgumentParser
import Foundation
import LienThongCore
import LienThongSigning

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.verify.abstract"),
        discussion: localized("help.verify.discussion")
    )

    @Option(help: ArgumentHelp(localized("help.verify.key"), valueName: "PUBLIC.pem"))
    var key: [String]

    @Option(help: ArgumentHelp(localized("help.verify.typ")))
    var typ: String?

    @OptionGroup var input: InputOption

    func validate() throws {
        if key.isEmpty { throw ValidationError(localized("error.verify.no-key")) }
    }

    func run() throws {
        try reportingFailures {
            var keys: [PublicKey] = []
            for path in key {
                keys.append(try PublicKey(contentsOf: URL(fileURLWithPath: path)))
            }
            let compact = Array(try input.readAll(limit: InputLimit.signedDocument, what: localized("input.signed-document")).trimmingASCIIWhiteSpace())
            // A refusal is a JWSError: exit 1.
            let verified = try JWSVerifier(keys: keys, requiredType: typ).verify(utf8: compact)
            if isatty(STDOUT_FILENO) == 1 {
                // On a terminal the payload is text for a person: each line escaped, so that a peer's document
                // cannot act on the terminal. Into a pipe or a file it goes byte for byte.
                let lines = verified.payload.split(separator: 0x0A, omittingEmptySubsequences: false)
                writeStandardOutput(Array(lines.map { String(decoding: $0, as: UTF8.self).terminalSafe }.joined(separator: "\n").utf8))
            } else {
                writeStandardOutput(verified.payload)
            }
        }
    }
}
