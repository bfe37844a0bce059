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
    @Flag(help: "Print one JSON object for scripts instead of the table.") var json = false

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let signer = JWSSigner(key: try keyPermissions.loadKey(configuration.signingKeyURL.path))
            let counts = try store.write { transaction in try configuration.purge(in: transaction, signer: signer, dryRun: dryRun) }
            // (what in --json, what in the table, dataset, count)
            var removed: [(String, String, String?, Int)] = []
            for (dataset, count) in counts.history.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                removed.append(("superseded_versions", localized("purge.superseded"), dataset.rawValue, count))
            }
            for (dataset, count) in counts.quarantine.sorted(by: { ($0.key?.rawValue ?? "") < ($1.key?.rawValue ?? "") }) {
                removed.append(("quarantined_items", localized("purge.quarantined"), dataset?.rawValue, count))
            }
            if counts.audit > 0 { removed.append(("audit_entries", localized("purge.audit"), nil, counts.audit)) }
            if json {
                printJSON(.object([
                    "dry_run": .bool(dryRun), "more": .bool(counts.more),
                    "removed": .array(removed.map { what, _, dataset, count in
                        .object(["what": .string(what), "dataset": dataset.map(JSONValue.string) ?? .null, "count": .integer(Int64(count))])
                    }),
                ]))
                return
            }
            var table = TerminalTable([localized("table.what"), localized("table.dataset"), dryRun ? localized("table.would-remove") : localized("table.removed")])
            for (what, label, dataset, count) in removed {
                table.append([label, dataset ?? (what == "quarantined_items" ? localized("purge.refused-pages") : "-"), String(count)])
            }
            printLine(removed.isEmpty ? "nothing to remove" : "\(dryRun ? "dry run: " : "")purge")
            print(table.text)
            if counts.more { printLine("more superseded versions remain past their retention: run purge again") }
        }
    }
}
