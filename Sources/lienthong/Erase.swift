import ArgumentParser
import LienThongMerge
import LienThongStore

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a record: publish an erasure tombstone and purge every stored body of it here.",
        discussion: """
            In one transaction: this agency's tombstone for the record, marked as an erasure, which peers apply by
            purging what it dominates (docs/MERGE.md, "Erasure"); and here every other stored version of the
            record, its held and quarantined versions, and its earlier versions in the own feed are deleted, and
            refused pages that name it are blanked. Audited as "erasure" with the reason and what was purged,
            never the record's contents.
            """
    )

    /// The longest reason kept in the audit log.
    static let maximumReasonLength = 500

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @Option(help: "The record's id.") var id: String
    @Option(help: "Why the record is erased (1 to 500 characters), kept in the audit log: never the record's contents.") var reason: String

    func validate() throws {
        do {
            try RecordVersion.checkID(id)
        } catch {
            throw ValidationError("--id: \(error)")
        }
        guard (1...Self.maximumReasonLength).contains(reason.count) else {
            throw ValidationError("--reason must have 1 to \(Self.maximumReasonLength) characters, not \(reason.count)")
        }
    }

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let (dataset, policy) = try dataset.resolve(in: configuration)
            let (tombstone, purged) = try store.write { transaction in
                try transaction.erase(dataset: dataset, id: id, agency: configuration.agency, reason: reason, policy: policy)
            }
            printLine("\(dataset) \(id.terminalField): erased as \(tombstone.vv.json.displayText); purged \(purged)")
        }
    }
}
