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
        @Flag(help: ArgumentHelp(localized("help.json.array"))) var json = false

        func run() throws {
            try reportingFailures {
                let (_, store) = try config.openStoreForReading()
                let filter = try dataset.map { name in
                    try DatasetName(name)
                }
                let conflicts = try store.read({ try $0.openConflicts(dataset: filter) })
                if json {
                    printJSON(.array(conflicts.map { record in
                        .object([
                            "dataset": .string(record.version.dataset.rawValue), "id": .string(record.version.id),
                            "siblings": .integer(Int64(record.siblingCount)), "awaits_review": .bool(record.awaitsReview),
                        ])
                    }))
                    return
                }
                var table = TerminalTable([localized("table.dataset"), localized("table.id"), localized("table.siblings"), localized("table.decision")])
                for record in conflicts {
                    table.append([
                        record.version.dataset.rawValue, record.version.id, String(record.siblingCount),
                        record.awaitsReview ? localized("conflicts.list.awaits-review") : localized("conflicts.list.by-policy"),
                    ])
                }
                print(table.text)
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
        @Flag(help: ArgumentHelp(localized("help.conflicts.show.json"))) var json = false
        @Argument(help: ArgumentHelp(localized("help.record.id"))) var id: String

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try reveal.openStore(config)
                let (dataset, policy) = try dataset.resolve(in: configuration)
                let siblings = try store.read { try $0.siblings(dataset: dataset, id: id) }
                guard let resolution = Merge.resolve(siblings, policy: policy) else {
                    throw Failure.refused(localized("error.no-record", ["id": id.debugDescription, "dataset": "\(dataset)"]))
                }
                // The visible sibling first, the others in canonical order.
                let ordered = resolution.siblings.filter { $0 == resolution.visible } + resolution.siblings.filter { $0 != resolution.visible }
                let shown = try reveal.display(of: dataset, in: configuration)
                    .show(ordered.map(\.json), ids: [id], by: .conflictsShow, in: store)
                let comparison = SiblingComparison(ordered.indices.map { index in
                    SiblingComparison.Sibling(version: ordered[index], visible: index == 0, data: shown[index]["data"] ?? .null)
                })
                if json {
                    printJSON(comparison.json(dataset: dataset, id: id, policy: "\(policy)", awaitsReview: resolution.awaitsReview))
                    return
                }
                printLine(localized("conflicts.show.title", [
                    "dataset": dataset.rawValue, "id": id.terminalField, "count": String(ordered.count), "policy": "\(policy)",
                ]))
                print(comparison.table.text)
                printLine(localized("conflicts.show.legend"))
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

/// A record's siblings side by side for `conflicts show`: one row per top-level field of their data (the union
/// of their members, sorted by bytes), one column per sibling, the visible one first, and `≠` before each field
/// whose values differ. Values are compared as shown: masked personal data is `"***"` in every sibling that
/// holds it, so the masked view never says whether two masked values differ (docs/PRIVACY.md).
struct SiblingComparison {
    struct Sibling {
        let version: RecordVersion
        let visible: Bool
        /// The data as shown: masked unless revealed.
        let data: JSONValue
    }

    /// How many columns of a terminal one value may take in the table; `--json` has every value whole.
    static let cellWidth = 40

    let siblings: [Sibling]
    /// Every top-level member of the siblings' data, sorted by the bytes of its name.
    let fields: [String]
    let differing: Set<String>

    init(_ siblings: [Sibling]) {
        self.siblings = siblings
        let names = Set(siblings.flatMap { $0.data.objectValue.map { Array($0.keys) } ?? [] })
        fields = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        differing = Set(fields.filter { name in Set(siblings.map { $0.data[name] }).count > 1 })
    }

    var table: TerminalTable {
        let headers = siblings.map { sibling in
            sibling.visible ? localized("conflicts.show.visible", ["origin": sibling.version.origin.rawValue]) : sibling.version.origin.rawValue
        }
        var table = TerminalTable(["", localized("table.field")] + headers, cellWidthLimit: Self.cellWidth)
        table.append(["", localized("conflicts.show.state")] + siblings.map { sibling in
            if sibling.version.erasure { return localized("conflicts.show.erased") }
            return sibling.version.deleted ? localized("conflicts.show.deleted") : localized("conflicts.show.present")
        })
        table.append(["", localized("conflicts.show.vector")] + siblings.map { $0.version.vv.json.serializedText })
        for field in fields {
            table.append([differing.contains(field) ? "≠" : "", field] + siblings.map { sibling in
                sibling.data[field].map(\.serializedText) ?? "-"
            })
        }
        return table
    }

    func json(dataset: DatasetName, id: String, policy: String, awaitsReview: Bool) -> JSONValue {
        .object([
            "dataset": .string(dataset.rawValue), "id": .string(id), "policy": .string(policy), "awaits_review": .bool(awaitsReview),
            "siblings": .array(siblings.map { sibling in
                .object([
                    "origin": .string(sibling.version.origin.rawValue), "visible": .bool(sibling.visible),
                    "deleted": .bool(sibling.version.deleted), "erasure": .bool(sibling.version.erasure),
                    "hlc": sibling.version.hlc.json, "vv": sibling.version.vv.json, "data": sibling.data,
                ])
            }),
            "differing_fields": .array(fields.filter(differing.contains).map(JSONValue.string)),
        ])
    }
}
