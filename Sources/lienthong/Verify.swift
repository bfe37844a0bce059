import ArgumentParser
import Foundation
import LienThongCore
import LienThongSigning

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a compact JWS and print its payload.",
        discussion: """
            Prints the payload bytes exactly and exits 0 when the JWS verifies with one of the keys.
            Otherwise prints why on stderr and exits 1. An unreadable file or a key file that is not a
            key exits 2. White space around the JWS is ignored; white space inside it is an error.
            """
    )

    @Option(help: ArgumentHelp("A public key (SubjectPublicKeyInfo PEM or JWK); repeat for several.", valueName: "PUBLIC.pem"))
    var key: [String]

    @Option(help: "Require this typ header value.")
    var typ: String?

    @OptionGroup var input: InputOption

    func validate() throws {
        if key.isEmpty { throw ValidationError("give at least one --key") }
    }

    func run() throws {
        try reportingFailures {
            var keys: [PublicKey] = []
            for path in key {
                keys.append(try PublicKey(contentsOf: URL(fileURLWithPath: path)))
            }
            let compact = Array(try input.readAll(limit: InputLimit.signedDocument, what: "a signed document").trimmingASCIIWhiteSpace())
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
