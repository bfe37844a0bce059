import ArgumentParser
import LienThongCore
import LienThongStore

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.get.abstract"),
        discussion: localized("help.reveal.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @OptionGroup var reveal: RevealOption

    @Argument(help: ArgumentHelp(localized("help.record.id")))
    var id: String

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try reveal.openStore(config)
            let (dataset, _) = try dataset.resolve(in: configuration)
            guard let record = try store.read({ try $0.visibleRecord(dataset: dataset, id: id) }) else {
                throw Failure.refused(localized("error.no-record", ["id": id.debugDescription, "dataset": "\(dataset)"]))
            }
            let shown = try reveal.display(of: dataset, in: configuration).show([record.exportJSON], ids: [id], by: .get, in: store)
            writeStandardOutput(shown.flatMap { $0.displaySerialized() + [0x0A] })
        }
    }
}
