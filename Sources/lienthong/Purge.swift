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
            let verb = dryRun ? "would remove" : "removed"
            var rows = [["what", "dataset", verb]]
            for (dataset, count) in counts.history.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                rows.append(["superseded versions", dataset.rawValue, String(count)])
            }
            for (dataset, count) in counts.quarantine.sorted(by: { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }) {
                rows.append(["quarantined items", dataset?.rawValue ?? "(refused pages)", String(count)])
            }
            if counts.audit > 0 { rows.append(["audit entries", "-", String(counts.audit)]) }
            printLine(rows.count == 1 ? "nothing to remove" : "\(dryRun ? "dry run: " : "")purge")
            if rows.count > 1 { print(textTable(rows)) }
            if counts.more { printLine("more superseded versions remain past their retention: run purge again") }
        }
    }
}
