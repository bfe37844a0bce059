import ArgumentParser
import LienThongCore
import LienThongSchema
import LienThongStore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.check.abstract"),
        discussion: localized("help.check.discussion")
    )

    @OptionGroup var config: ConfigOption
    @OptionGroup var dataset: DatasetOption
    @Flag(help: ArgumentHelp(localized("help.json.object"))) var json = false

    func run() throws {
        var broken = false
        try reportingFailures {
            let (configuration, store) = try config.openStoreForReading()
            let (dataset, _) = try dataset.resolve(in: configuration)
            guard let schema = configuration.schema(for: dataset) else {
                throw Failure.unusable(localized("error.check.no-schema", ["dataset": "\(dataset)", "path": configuration.fileURL.path]))
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
            printDiagnostic(localized("check.summary", [
                "dataset": "\(dataset)", "broken": "\(breaking.count)", "checked": "\(checked)", "withheld": "\(withheld)",
            ]))
            broken = !breaking.isEmpty || withheld > 0
        }
        if broken { throw ExitCode(ExitStatus.refused) }
    }
}
