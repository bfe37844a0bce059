import Foundation
import ArgumentParser
import LienThongCore
import LienThongMerge
import LienThongStore

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.watch.abstract"),
        discussion: localized("help.watch.discussion")
    )

    @OptionGroup var config: ConfigOption

    @Option(help: ArgumentHelp(localized("help.watch.dataset")))
    var dataset: String?

    @Option(help: ArgumentHelp(localized("help.watch.since"), valueName: "N"))
    var since: Int64?

    @Flag(help: ArgumentHelp(localized("help.watch.follow")))
    var follow = false

    /// How many changes one read takes at most.
    static let batch = 1000
    /// How long --follow sleeps without a write in the store's folder before it looks anyway: a safety net
    /// only, as every commit writes the `-wal` file.
    static let idleLookMilliseconds: Int32 = 5000
    /// How often a PostgreSQL store is looked at for new changes while following.
    static let databaseLookMicroseconds: useconds_t = 1_000_000

    func validate() throws {
        if let since, since < 0 { throw ValidationError(localized("error.watch.since")) }
        if let dataset {
            do { _ = try DatasetName(dataset) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        try reportingFailures {
            let configuration = try config.load()
            let store = try Store(reading: configuration.store)
            // A SQLite store's folder is watched for writes; a PostgreSQL store is looked at every second.
            let watch = try configuration.store.fileURL.flatMap { follow ? try StoreFileWatch(storeURL: $0) : nil }
            let dataset = try self.dataset.map(DatasetName.init)
            var position = try since ?? store.read { try $0.changeLogBounds().prunedThrough }
            while true {
                let (changes, last) = try store.read { snapshot in
                    (try snapshot.changes(after: position, dataset: dataset, limit: Self.batch), try snapshot.changeLogBounds().last)
                }
                var output: [UInt8] = []
                for change in changes {
                    output += Self.line(change).displaySerialized()
                    output.append(0x0A)
                }
                writeStandardOutput(output)
                guard changes.count < Self.batch else {
                    position = changes.last?.changeSeq ?? position
                    continue
                }
                // Every change of the dataset up to the snapshot's last is printed: the next look starts there,
                // not at the dataset's last change, so that other datasets' changes are not read again.
                position = max(position, last)
                guard follow else { return }
                if let watch {
                    _ = watch.waitForWrite(timeoutMilliseconds: Self.idleLookMilliseconds)
                } else {
                    usleep(Self.databaseLookMicroseconds)
                }
            }
        }
    }

    /// The line printed for `change`.
    static func line(_ change: Change) -> JSONValue {
        .object([
            "change_seq": .integer(change.changeSeq), "changed_at": .integer(change.changedAt), "dataset": .string(change.dataset.rawValue),
            "id": .string(change.id), "kind": .string(change.kind.rawValue), "record": change.record.exportJSON,
        ])
    }
}
