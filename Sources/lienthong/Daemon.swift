import ArgumentParser
import Foundation
import LienThongDaemon
import LienThongSigning
import Logging

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the publisher and pull every peer on its schedule, until SIGTERM (the systemd service).",
        discussion: """
            Serves this agency's feed on `listen` and pulls each (peer, dataset) at the peer's interval_seconds with
            jitter, backing off after failures. Speaks systemd's notify protocol when NOTIFY_SOCKET is set
            (READY, STATUS, WATCHDOG, RELOADING, STOPPING). SIGHUP re-reads the configuration; a bad one is logged
            and the one in force stays. SIGTERM or SIGINT stop it within 10 seconds, exit status 0. Logs go to
            stderr, one line per event; LIENTHONG_LOG_LEVEL sets the level (default info). The signing key file must be
            readable by its owner only, at the start and on every reload, unless --insecure-key-permissions is given.
            """
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
