import ArgumentParser
import LienThongCore
import LienThongSchema
import LienThongStore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the records of a dataset that break its schema; exit 1 if there are any.",
        discussion: """
            Reads the store, never writes it. Every visible record that is not a deletion is checked against the
            dataset's schema as it is declared now (docs/SCHEMA.md); each that breaks it is a line with its id, the
            field's path, the rule and the shape of the value found, never the value. Then the versions of this
            agency's own feed that the publisher withholds from peers for the same reason are counted: a schema
            tightened after the records were made leaves them in the store, neither served nor dropped, until they
            are corrected with `lienthong put` or deleted.
            """
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @Flag(help: "Print one JSON object for scripts instead of the table.") var json = false

    func run() throws {
        var broken = false
        try reportingFailures {
            let (configuration, store) = try config.openStoreForReading()
            let (dataset, _) = try dataset.resolve(in: configuration)
            guard let schema = configuration.schema(for: dataset) else {
                throw Failure.unusable("dataset \(dataset) has no schema in \(configuration.fileURL.path)")
            }
            var table = TerminalTable([localized("table.id"), localized("table.field"), localized("table.rule"), localized("table.found")])
            var breaking: [JSONValue] = []
            var checked = 0
            var withheld = 0
            try store.read { snapshot in
                try snapshot.forEachVisibleRecord(dataset: dataset) { record in
                    guard !record.version.deleted else { return }
                    checked += 1
                    if let violation = schema.validate(record.version.data) {
                        table.append([record.version.id, violation.path, "\(violation.rule) (\(violation.expected))", violation.shape])
                        breaking.append(.object([
                            "id": .string(record.version.id), "field": .string(violation.path), "rule": .string("\(violation.rule)"),
                            "expected": .string(violation.expected), "found": .string(violation.shape),
                        ]))
                    }
                }
                var after: Int64 = 0
                while true {
                    let versions = try snapshot.ownFeed(dataset: dataset, after: after, limit: 10_000)
                    guard let last = versions.last else { break }
                    withheld += versions.count { !$0.version.deleted && schema.validate($0.version.data) != nil }
                    after = last.seq
                }
            }
            if json {
                printJSON(.object([
                    "dataset": .string(dataset.rawValue), "checked": .integer(Int64(checked)), "breaking": .array(breaking),
                    "withheld": .integer(Int64(withheld)),
                ]))
            } else {
                print(table.text)
            }
            printDiagnostic(
                "\(dataset): \(breaking.count) of \(checked) records break the schema; \(withheld) versions of the own feed are withheld from peers"
            )
            broken = !breaking.isEmpty || withheld > 0
        }
        if broken { throw ExitCode(ExitStatus.refused) }
    }
}
