import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongStore

struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make local edits from JSON Lines.",
        discussion: """
            Each line is {"id": "...", "data": {...}} or {"id": "...", "deleted": true}. Each becomes a local edit
            that this agency publishes. A bad line is reported with its number and nothing from the file is applied;
            data that breaks the dataset's schema (docs/SCHEMA.md) is a bad line, reported with the field's path,
            the rule and the value's shape, never the value.
            The input is read twice, a megabyte at a time (standard input is first copied to a temporary file
            beside the store, readable by its owner only, and removed afterwards): once to check every line,
            then to apply the edits in transactions of 10,000.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @OptionGroup var input: InputOption

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let (dataset, policy) = try dataset.resolve(in: configuration)
            // Beside the store file, or for PostgreSQL in the temporary folder; owner-only, removed at the end either way.
            let spoolFolder = configuration.store.fileURL?.deletingLastPathComponent() ?? FileManager.default.temporaryDirectory
            // Checked against the dataset's schema, and tagged with it in the own feed so that the publisher
            // need not check again (docs/SCHEMA.md).
            let schema = configuration.schema(for: dataset)
            let schemaTag = try schema.map { try DatasetList.schemaTag($0.declaration) } ?? 0
            let count = try input.withRereadableInput(spoolingInto: spoolFolder) { read in
                try store.applyLocalEdits(from: read, dataset: dataset, agency: configuration.agency, policy: policy, schemaTag: schemaTag) { data in
                    schema?.validate(data)?.description
                }
            }
            printDiagnostic("\(count) edits applied to \(dataset)")
        }
    }
}
