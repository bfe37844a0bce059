import ArgumentParser
import Foundation
import LienThongCore
import LienThongDoctor
import LienThongHTTP

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: localized("help.doctor.abstract"),
        discussion: localized("help.doctor.discussion")
    )

    @OptionGroup var config: ConfigOption
    @Flag(help: ArgumentHelp(localized("help.doctor.json"))) var json = false

    func run() async throws {
        try await reportingFailures {
            let url = URL(fileURLWithPath: config.path)
            let checks = try await withHTTPClient { client in await Doctor(client: client).run(configurationURL: url) }
            let failures = checks.filter { $0.outcome == .fail }.count
            if json {
                let list = checks.map { check in
                    JSONValue.object(["check": .string(check.name), "result": .string(check.outcome.rawValue), "detail": .string(check.finding.text(in: .current))])
                }
                print(JSONValue.object(["checks": .array(list), "failures": .integer(Int64(failures))]).displayText)
            } else {
                let outcomeWidth = [localized("doctor.outcome.ok"), localized("doctor.outcome.warn"), localized("doctor.outcome.fail")].map(\.count).max() ?? 4
                for check in checks {
                    let word = switch check.outcome {
                    case .ok: localized("doctor.outcome.ok")
                    case .warn: localized("doctor.outcome.warn")
                    case .fail: localized("doctor.outcome.fail")
                    }
                    let outcome = word + String(repeating: " ", count: max(1, outcomeWidth + 2 - word.count))
                    print("\(outcome)\(check.title.text(in: .current)): \(check.finding.text(in: .current))".terminalSafe)
                }
            }
            if failures > 0 { throw Failure.refused(localized("doctor.failed", ["count": "\(failures)"])) }
        }
    }
}
