import ArgumentParser
import Foundation
import LienThongAgency
import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongStore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, export and question the audit log.",
        discussion: """
            Every page served, every local disclosure (`--reveal`), erasure, purge and conflict resolution is an entry
            of the audit log; each entry holds the SHA-256 of the one before it, and the daemon signs a checkpoint of
            the newest once a day (docs/PRIVACY.md).
            """,
        subcommands: [Verify.self, Export.self, Disclosures.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the log's hash chain and check its signed checkpoints; exit 1 naming the first entry that does not match.",
            discussion: """
                Checkpoints are checked against the agency's own key (from `signing_key`) and the public keys given
                with --public-key, for checkpoints signed before a key rotation.
                """
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var keyPermissions: KeyPermissionsOption
        @Option(help: ArgumentHelp("A public key (PEM) the agency signed checkpoints with before; repeat for several.", valueName: "FILE"))
        var publicKey: [String] = []

        func run() throws {
            try reportingFailures {
                let (configuration, store) = try config.openStoreForReading()
                var keys = [try keyPermissions.loadKey(configuration.signingKeyURL.path).publicKey]
                for path in publicKey { keys.append(try PublicKey(pem: String(contentsOfFile: path, encoding: .utf8))) }
                let result = try store.read { try AuditVerification.run(in: $0, agency: configuration.agency, keys: keys) }
                if let problem = result.problem { throw Failure.refused("audit log: \(problem)") }
                let head = result.head.map { "entry \($0.seq)" } ?? "no entry"
                let unchained = result.unchained > 0 ? ", \(result.unchained) written before the chain existed" : ""
                printLine("audit log ok: \(result.chained) entries chained to \(head), \(result.checkpoints) checkpoints\(unchained)")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the entries of some days as JSON lines, then a checkpoint signed now.",
            discussion: """
                Each line is an entry's canonical bytes; the last is {"checkpoint": JWS}, signed with the agency's key,
                naming the first and last entries and how many. Anyone with the agency's public key can check the file:
                tools/verify-audit-export EXPORT PUBLIC_KEY.pem (docs/PRIVACY.md, "Verifying an export").
                """
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var keyPermissions: KeyPermissionsOption
        @Option(help: ArgumentHelp("The first day (UTC), YYYY-MM-DD.", valueName: "DATE")) var from: String
        @Option(help: ArgumentHelp("The last day (UTC), YYYY-MM-DD, included.", valueName: "DATE")) var to: String
        @Option(help: ArgumentHelp("Write here instead of standard output (created; refused if it exists).", valueName: "FILE"))
        var output: String?

        func validate() throws {
            guard let start = AuditExport.startOfDay(from), let end = AuditExport.startOfDay(to) else {
                throw ValidationError("--from and --to must be dates written YYYY-MM-DD")
            }
            guard start <= end else { throw ValidationError("--from must not be after --to") }
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
                    else { throw Failure.unusable("cannot create \(path)") }
                    return handle
                }
                defer { try? handle?.close() }
                let count = try AuditExport.write(
                    store: store, agency: configuration.agency, signer: signer, from: from, to: to, start: start, end: end, now: SystemClock().now
                ) { line in
                    if let handle { handle.write(Data(line)) } else { writeStandardOutput(line) }
                }
                if let output { printDiagnostic("\(count) entries written to \(output)") }
            }
        }
    }

    struct Disclosures: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Which agencies received a record, which versions, when, which fields and why; and who here revealed it.",
            discussion: """
                Computed from the audit log and this agency's own feed: the pages served that held a version of the
                record this agency authored, and the local disclosures (--reveal) that named it or its whole dataset.
                Versions other agencies authored are theirs to answer for.
                """
        )

        @OptionGroup var config: ConfigOption
        @OptionGroup var dataset: DatasetOption
        @Option(help: "The record's id.") var id: String
        @Flag(help: "JSON lines instead of a table.") var json = false

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
                        disclosure.recipient ?? "here: \(disclosure.command ?? "?") by \(disclosure.operatorName ?? "?")",
                        disclosure.seq.map { "seq \($0)" } ?? "shown",
                        disclosure.fields?.joined(separator: ",") ?? "all", disclosure.purpose ?? "-", String(disclosure.auditSeq),
                    ])
                }
                printLine("\(found.count) disclosures of \(dataset)/\(id)")
                print(table.text)
            }
        }
    }
}
