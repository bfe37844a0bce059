import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongMerge
import LienThongStore

struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make local edits from JSON Lines.",
        discussion: """
            Each line is {"id": "...", "data": {...}} or {"id": "...", "deleted": true}. Each becomes a local edit
            that this agency publishes. A bad line is reported with its number and nothing from the file is applied.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @OptionGroup var input: InputOption

    func run() throws {
        try reportingFailures {
            let (configuration, store) = try config.openStore()
            let (dataset, policy) = try dataset.resolve(in: configuration)
            let bytes = try input.readAll(limit: InputLimit.recordLines, what: "the records for one put")
            let count = try store.write { transaction in
                var count = 0
                do {
                    try LocalEditLines.forEach(in: bytes) { edit in
                        let version = try transaction.edit(
                            dataset: dataset, id: edit.id, agency: configuration.agency, deleted: edit.deleted, data: edit.data, policy: policy
                        )
                        // What a peer would refuse is refused here: a version too large for a page never leaves.
                        do {
                            try version.checkSize()
                        } catch {
                            throw Failure.unusable("line \(edit.line): \(error); nothing was applied")
                        }
                        count += 1
                    }
                } catch let problem as LocalEditLines.LineError {
                    throw Failure.unusable("\(problem); nothing was applied")
                }
                return count
            }
            printDiagnostic("\(count) edits applied to \(dataset)")
        }
    }
}
