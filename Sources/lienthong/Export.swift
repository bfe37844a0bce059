import ArgumentParser
import Foundation
import LienThongStore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every visible record of a dataset, tombstones included, one JSON object a line, sorted by id.",
        discussion: """
            Each line has exactly the keys id, data, deleted, origin, hlc, vv, conflict and siblings. Characters
            that act on a terminal (controls, DEL, C1 and bidirectional controls) are written as \\u escapes.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStoreForReading()
            let (dataset, _) = try dataset.resolve(in: configuration)
            var buffer: [UInt8] = []
            try store.read { snapshot in
                try snapshot.forEachVisibleRecord(dataset: dataset) { record in
                    buffer += record.exportJSON.displaySerialized()
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
