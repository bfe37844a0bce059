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
    @Flag(help: ArgumentHelp(localized("help.json.object"))) var json = false

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
            printLine(removed.isEmpty ? localized("purge.nothing") : dryRun ? localized("purge.dry-run") : localized("purge.title"))
            print(table.text)
            if counts.more { printLine(localized("purge.more")) }
        }
    }
}
