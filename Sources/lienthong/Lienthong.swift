import ArgumentParser
import LienThongHTTP
import LienThongSigning
import Foundation
import LienThongDaemon
import Logging
import LienThongCore

/// The `lienthong` command: a thin front over the libraries, one file per subcommand.
@main
struct Lienthong: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lienthong",
        abstract: localized("help.lienthong.abstract"),
        discussion: "--lang en|vi  \(localized("lang.help"))",
        version: """
            lienthong \(lienthongVersion)
            \(LibCryptoRuntime.versionDescription)
            \(CurlRuntime.versionDescription)
            """,
        subcommands: [Keygen.self, Sign.self, Verify.self, Put.self, Check.self, Get.self, Export.self, Apply.self, Conflicts.self, Erase.self, Audit.self, Purge.self, Sync.self, DaemonCommand.self, Status.self, Watch.self, DoctorCommand.self, Demo.self]
    )

    static let lienthongVersion = "0.1.0"

    /// Only the executable chooses where logs go: stderr, one line per event, which journald reads well.
    static func main() async {
        let level = ProcessInfo.processInfo.environment["LIENTHONG_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let arguments: [String]
        switch LanguageOption.taken(from: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment) {
        case .success(let chosen):
            Language.current = chosen.language
            arguments = chosen.rest
        case .failure(let failure):
            printDiagnostic(failure.description)
            Foundation.exit(failure.status)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
