import ArgumentParser
import LienThongCore
import Foundation
import LienThongDemo

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.demo.abstract"),
        discussion: localized("help.demo.discussion")
    )

    @Option(help: ArgumentHelp(localized("help.demo.records"))) var records = 10_000
    @Option(help: ArgumentHelp(localized("help.demo.keep"), valueName: "DIR")) var keep: String?

    func validate() throws {
        guard (1...1_000_000).contains(records) else { throw ValidationError(localized("error.demo.records")) }
    }

    func run() async throws {
        try await reportingFailures {
            let folder = keep.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appending(path: "lienthong-demo-\(UUID().uuidString)")
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: folder.path), !existing.isEmpty {
                throw Failure.unusable(localized("error.demo.not-empty", ["path": folder.path]))
            }
            defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
            let outcome: LienThongDemo.Demo.Outcome
            do {
                outcome = try await LienThongDemo.Demo.run(records: records, folder: folder) { print($0) }
            } catch {
                throw Failure.refused(localized("error.demo.failed", ["reason": "\(error)"]))
            }
            if let keep {
                print("\n" + localized("demo.kept", ["folder": keep]))
            }
            guard outcome.converged else { throw Failure.refused(localized("error.demo.diverged")) }
        }
    }
}
