import ArgumentParser
import LienThongStore

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one visible record as JSON (tombstones too); exit 1 if the store has none."
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption

    @Argument(help: "The record's id.")
    var id: String

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStoreForReading()
            let (dataset, _) = try dataset.resolve(in: configuration)
            guard let record = try store.read({ try $0.visibleRecord(dataset: dataset, id: id) }) else {
                throw Failure.refused("no record \(id.debugDescription) in \(dataset)")
            }
            writeStandardOutput(record.exportJSON.displaySerialized() + [0x0A])
        }
    }
}
