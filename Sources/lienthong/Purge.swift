import ArgumentParser
import LienThongAgency
import LienThongCore
import LienThongSigning
import LienThongStore

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.purge.abstract"),
        discussion: localized("help.purge.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var keyPermissions: KeyPermissionsOption
    @Flag(help: ArgumentHelp(localized("help.purge.dry-run"))) var dryRun = false

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let signer = JWSSigner(key: try keyPermissions.loadKey(configuration.signingKeyURL.path))
            let counts = try store.write { transaction in try configuration.purge(in: transaction, signer: signer, dryRun: dryRun) }
            let verb = dryRun ? localized("purge.column.would-remove") : localized("purge.column.removed")
            var rows = [[localized("purge.column.what"), localized("purge.column.dataset"), verb]]
            for (dataset, count) in counts.history.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                rows.append([localized("purge.superseded"), dataset.rawValue, String(count)])
            }
            for (dataset, count) in counts.quarantine.sorted(by: { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }) {
                rows.append([localized("purge.quarantined"), dataset?.rawValue ?? localized("purge.refused-pages"), String(count)])
            }
            if counts.audit > 0 { rows.append([localized("purge.audit"), "-", String(counts.audit)]) }
            printLine(rows.count == 1 ? localized("purge.nothing") : dryRun ? localized("purge.dry-run") : localized("purge.title"))
            if rows.count > 1 { print(textTable(rows)) }
            if counts.more { printLine(localized("purge.more")) }
        }
    }
}
