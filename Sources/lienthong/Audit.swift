import ArgumentParser
import Foundation
import LienThongAgency
import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongStore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.audit.abstract"),
        discussion: localized("help.audit.discussion"),
        subcommands: [Verify.self, Export.self, Disclosures.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: localized("help.audit.verify.abstract"),
            discussion: localized("help.audit.verify.discussion")
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var keyPermissions: KeyPermissionsOption
        @Option(help: ArgumentHelp(localized("help.audit.verify.public-key"), valueName: "FILE"))
        var publicKey: [String] = []

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try config.openStoreForReading()
                var keys = [try keyPermissions.loadKey(configuration.signingKeyURL.path).publicKey]
                for path in publicKey { keys.append(try PublicKey(pem: String(contentsOfFile: path, encoding: .utf8))) }
                let result = try store.read { try AuditVerification.run(in: $0, agency: configuration.agency, keys: keys) }
                if let problem = result.problem { throw Failure.refused(localized("error.audit.broken", ["problem": problem.text(in: .current)])) }
                let head = result.head.map { localized("audit.verify.head", ["seq": "\($0.seq)"]) } ?? localized("audit.verify.no-head")
                let counts = ["chained": "\(result.chained)", "head": head, "checkpoints": "\(result.checkpoints)", "unchained": "\(result.unchained)"]
                printLine(result.unchained > 0 ? localized("audit.verify.ok-unchained", counts) : localized("audit.verify.ok", counts))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: localized("help.audit.export.abstract"),
            discussion: localized("help.audit.export.discussion")
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var keyPermissions: KeyPermissionsOption
        @Option(help: ArgumentHelp(localized("help.audit.export.from"), valueName: "DATE")) var from: String
        @Option(help: ArgumentHelp(localized("help.audit.export.to"), valueName: "DATE")) var to: String
        @Option(help: ArgumentHelp(localized("help.audit.export.output"), valueName: "FILE"))
        var output: String?

        func validate() throws {
            guard let start = AuditExport.startOfDay(from), let end = AuditExport.startOfDay(to) else {
                throw ValidationError(localized("error.audit.dates"))
            }
            guard start <= end else { throw ValidationError(localized("error.audit.order")) }
        }

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try config.openStoreForReading()
                let signer = JWSSigner(key: try keyPermissions.loadKey(configuration.signingKeyURL.path))
                let start = AuditExport.startOfDay(from) ?? 0
                let end = (AuditExport.startOfDay(to) ?? 0) + 86_400_000
                let handle = try output.map { path in
                    guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]),
                        let handle = FileHandle(forWritingAtPath: path)
                    else { throw Failure.unusable(localized("error.cannot-create", ["path": path])) }
                    return handle
                }
                defer { try? handle?.close() }
                let count = try AuditExport.write(
                    store: store, agency: configuration.agency, signer: signer, from: from, to: to, start: start, end: end, now: SystemClock().now
                ) { line in
                    if let handle { handle.write(Data(line)) } else { writeStandardOutput(line) }
                }
                if let output { printDiagnostic(localized("audit.export.written", ["count": "\(count)", "path": output])) }
            }
        }
    }

    struct Disclosures: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: localized("help.audit.disclosures.abstract"),
            discussion: localized("help.audit.disclosures.discussion")
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var dataset: DatasetOption
        @Option(help: ArgumentHelp(localized("help.record.id"))) var id: String
        @Flag(help: ArgumentHelp(localized("help.audit.disclosures.json"))) var json = false

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try config.openStoreForReading()
                let (dataset, _) = try dataset.resolve(in: configuration)
                let found = try store.read { try $0.disclosures(dataset: dataset, id: id) }
                if json {
                    for disclosure in found { writeStandardOutput(disclosure.json.serialized() + [UInt8(ascii: "\n")]) }
                    return
                }
                var table = TerminalTable([
                    localized("table.when-utc"), localized("table.recipient"), localized("table.version"), localized("table.fields"),
                    localized("table.purpose"), localized("table.audit-entry"),
                ])
                for disclosure in found {
                    table.append([
                        UnixTime(milliseconds: disclosure.at).iso8601,
                        disclosure.recipient ?? localized("audit.disclosures.here", ["command": disclosure.command ?? "?", "operator": disclosure.operatorName ?? "?"]),
                        disclosure.seq.map { localized("audit.disclosures.seq", ["seq": "\($0)"]) } ?? localized("audit.disclosures.shown"),
                        disclosure.fields?.joined(separator: ",") ?? localized("audit.disclosures.all"), disclosure.purpose ?? "-", String(disclosure.auditSeq),
                    ])
                }
                printLine(localized("audit.disclosures.count", ["count": "\(found.count)", "dataset": dataset.rawValue, "id": id]))
                print(table.text)
            }
        }
    }
}
