import ArgumentParser
import Foundation
import LienThongCore
import LienThongDoctor
import LienThongHTTP

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything this agency depends on, one line per check, and say what to do.",
        discussion: """
            In order: the configuration; the signing key and client certificates (files, modes, expiry); the store
            (opens, quick_check); then for each peer its name, a TCP connection, the TLS handshake (chain,
            expiry, pin, our client certificate), its clock, a signed request for its dataset list and the
            datasets it grants us. Each line is ok, warn or fail. Writes nothing. Exits 0 when nothing fails, 1
            otherwise; --json prints one JSON object for scripts.
            """
    )

    @OptionGroup var config: ConfigOption
    @Flag(help: "Print JSON instead of lines.") var json = false

    func run() async throws {
        try await reportingFailures {
            let url = URL(fileURLWithPath: config.path)
            let checks = try await withHTTPClient { client in await Doctor(client: client).run(configurationURL: url) }
            let failures = checks.filter { $0.outcome == .fail }.count
            if json {
                let list = checks.map { check in
                    JSONValue.object(["check": .string(check.name), "result": .string(check.outcome.rawValue), "detail": .string(check.detail)])
                }
                print(JSONValue.object(["checks": .array(list), "failures": .integer(Int64(failures))]).displayText)
            } else {
                for check in checks {
                    let outcome = check.outcome.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                    print("\(outcome) \(check.name): \(check.detail)".terminalSafe)
                }
            }
            if failures > 0 { throw Failure.refused("doctor: \(failures) check(s) failed") }
        }
    }
}
