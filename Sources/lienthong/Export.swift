import ArgumentParser
import Foundation
import LienThongStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every visible record of a dataset, tombstones included, one JSON object a line, sorted by id.",
        discussion: """
            Each line has exactly the keys id, data, deleted, origin, hlc, vv, conflict and siblings. Characters
            that act on a terminal (controls, DEL, C1 and bidirectional controls) are written as \\u escapes.
            Fields the dataset's schema marks pii are printed as "***" unless --reveal, which first writes a
            local disclosure of the whole dataset to the audit log and fails, printing nothing, if it cannot.
            """
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
