import ArgumentParser
import LienThongCore
import Foundation
import LienThongDaemon
import LienThongSigning
import Logging

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: localized("help.daemon.abstract"),
        discussion: localized("help.daemon.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var keyPermissions: KeyPermissionsOption

    func run() async throws {
        try await reportingFailures {
            try await Daemon.run(
                configurationURL: URL(fileURLWithPath: config.path), keyAccess: keyPermissions.access,
                build: "lienthong \(Lienthong.lienthongVersion)", logger: Logger(label: "lienthong")
            )
        }
    }
}
