import ArgumentParser
import LienThongAgency
import LienThongCore
import LienThongSigning
import LienThongStore

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what the retention settings no longer keep: superseded versions, quarantined items, old audit entries.",
        discussion: """
            What the daemon does once a day (docs/PRIVACY.md, "How long"): each dataset's versions superseded more
            than `history_days` ago and its quarantined items last seen more than `quarantine_days` ago, refused
            pages after the top-level `quarantine_days`, and audit entries older than `audit_days` after a signed
            checkpoint of the last one removed. A record's current versions, those of open conflicts included, are
            never removed. The purge is itself audited. With --dry-run, only counts.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var keyPermissions: KeyPermissionsOption
    @Flag(help: "Count what would be removed, remove nothing.") var dryRun = false

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
