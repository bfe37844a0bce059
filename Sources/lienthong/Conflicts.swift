import ArgumentParser
import Foundation
import LienThongCore
import LienThongMerge
import LienThongStore

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.conflicts.abstract"),
        subcommands: [List.self, Show.self, Resolve.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: localized("help.conflicts.list.abstract"))

        @OptionGroup var config: ConfigOption
        @Option(help: ArgumentHelp(localized("help.conflicts.list.dataset"))) var dataset: String?

        func run() throws {
            try reportingFailures {
                let (_, store) = try config.openStoreForReading()
                let filter = try dataset.map { name in
                    try DatasetName(name)
                }
                for record in try store.read({ try $0.openConflicts(dataset: filter) }) {
                    let state = record.awaitsReview ? "awaits review" : "decided by policy"
                    let fields = ["\(record.version.dataset)", record.version.id, "\(record.siblingCount) siblings", state]
                    print(fields.map(\.terminalField).joined(separator: "\t"))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: localized("help.conflicts.show.abstract"),
            discussion: localized("help.reveal.discussion")
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var dataset: DatasetOption
        @OptionGroup var reveal: RevealOption
        @Argument(help: ArgumentHelp(localized("help.record.id"))) var id: String

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try reveal.openStore(config)
                let (dataset, policy) = try dataset.resolve(in: configuration)
                let siblings = try store.read { try $0.siblings(dataset: dataset, id: id) }
                guard let resolution = Merge.resolve(siblings, policy: policy) else {
                    throw Failure.refused(localized("error.no-record", ["id": id.debugDescription, "dataset": "\(dataset)"]))
                }
                let shown = try reveal.display(of: dataset, in: configuration)
                    .show(resolution.siblings.map(\.json), ids: [id], by: .conflictsShow, in: store)
                printLine("\(dataset) \(id.terminalField): \(siblings.count) siblings under policy \(policy)")
                for (sibling, json) in zip(resolution.siblings, shown) {
                    let mark = sibling == resolution.visible ? "visible" : "sibling"
                    print("\(mark)\t\(json.displayText)")
                }
            }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: localized("help.conflicts.resolve.abstract"),
            discussion: localized("help.conflicts.resolve.discussion")
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var dataset: DatasetOption
        @Argument(help: ArgumentHelp(localized("help.record.id"))) var id: String
        @Option(help: ArgumentHelp(localized("help.conflicts.resolve.pick"))) var pick: String?
        @Option(help: ArgumentHelp(localized("help.conflicts.resolve.data"), valueName: "FILE")) var data: String?

        func validate() throws {
            guard (pick == nil) != (data == nil) else { throw ValidationError(localized("error.resolve.pick-or-data")) }
        }

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try config.openStore()
                let (dataset, policy) = try dataset.resolve(in: configuration)
                let replacement = try data.map { path in
                    let bytes = try InputOption(file: path).readAll(limit: InputLimit.recordData, what: localized("input.record-data"))
                    guard let value = try? JSONValue(parsing: bytes), case .object = value else {
                        throw Failure.unusable(localized("error.resolve.not-an-object", ["path": path]))
                    }
                    // The rules every peer applies on receipt, so that the resolution can be served.
                    do {
                        try RecordVersion.checkData(value)
                    } catch {
                        throw Failure.unusable("\(path): \(error)")
                    }
                    return value
                }
                let resolution: ConflictResolution = if let pick { .pick(origin: pick) } else { .replace(data: replacement ?? .object([:])) }
                let version = try store.write { transaction in
                    try transaction.resolveConflict(dataset: dataset, id: id, agency: configuration.agency, policy: policy, by: resolution)
                }
                printLine(localized("resolve.done", ["dataset": "\(dataset)", "id": id.terminalField, "vv": version.vv.json.displayText]))
            }
        }
    }
}
