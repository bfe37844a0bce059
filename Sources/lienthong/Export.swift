import ArgumentParser
import LienThongCore
import Foundation
import LienThongStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.export.abstract"),
        discussion: localized("help.export.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @OptionGroup var reveal: RevealOption

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try reveal.openStore(config)
            let (dataset, _) = try dataset.resolve(in: configuration)
            let show = try reveal.display(of: dataset, in: configuration).showingWholeDataset(by: .export, in: store)
            var buffer: [UInt8] = []
            try store.read { snapshot in
                try snapshot.forEachVisibleRecord(dataset: dataset) { record in
                    buffer += show(record.exportJSON).displaySerialized()
                    buffer.append(0x0A)
                    if buffer.count > 1 << 16 {
                        writeStandardOutput(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
            }
            writeStandardOutput(buffer)
        }
    }
}
