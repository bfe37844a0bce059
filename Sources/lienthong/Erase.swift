import ArgumentParser
import LienThongCore
import LienThongMerge
import LienThongStore

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.erase.abstract"),
        discussion: localized("help.erase.discussion")
    )

    /// The longest reason kept in the audit log.
    static let maximumReasonLength = 500

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @Option(help: ArgumentHelp(localized("help.record.id"))) var id: String
    @Option(help: ArgumentHelp(localized("help.erase.reason"))) var reason: String

    func validate() throws {
        do {
            try RecordVersion.checkID(id)
        } catch {
            throw ValidationError("--id: \(error)")
        }
        guard (1...Self.maximumReasonLength).contains(reason.count) else {
            throw ValidationError(localized("error.erase.reason", ["most": "\(Self.maximumReasonLength)", "count": "\(reason.count)"]))
        }
    }

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let (dataset, policy) = try dataset.resolve(in: configuration)
            let (tombstone, purged) = try store.write { transaction in
                try transaction.erase(dataset: dataset, id: id, agency: configuration.agency, reason: reason, policy: policy)
            }
            printLine(localized("erase.done", ["dataset": "\(dataset)", "id": id.terminalField, "vv": tombstone.vv.json.displayText, "purged": purged.message.text(in: .current)]))
        }
    }
}
