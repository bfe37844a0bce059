import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongStore

struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.put.abstract"),
        discussion: localized("help.put.discussion")
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
            printDiagnostic(localized("put.applied", ["count": "\(count)", "dataset": "\(dataset)"]))
        }
    }
}
