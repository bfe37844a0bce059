import Foundation
import LienThongCore
import LienThongStore
import Testing

/// `get`, `export` and `conflicts show` with a dataset whose schema marks fields `pii` (docs/SCHEMA.md, "pii:
/// what is masked"), run as the binary on a SQLite store.
@Suite("Personal data masked unless --reveal, which is audited")
struct MaskingCommandTests {
    /// AgencyFolder's agency, with ho-tich (manual) under a schema whose ho_ten and noi_sinh are pii: ks-1 is an
    /// open conflict (bo-cong-an's ho_ten "Phạm Thu Hà" against bo-y-te's noi_sinh "Hà Nội"), ks-2 bo-y-te's
    /// own record. tiem-chung has no schema.
    static func agency() throws -> AgencyFolder {
        let agency = try agencyWithPersonalSchema()
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("p.jws", dataset: "ho-tich", records: [(1, "ks-1", 1)])]).status == 0)
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: #"{"id":"ks-2","data":{"noi_sinh":"Huế","so_so":"A-12"}}"#).status == 0)
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: #"{"id":"ks-1","data":{"noi_sinh":"Hà Nội"}}"#).status == 0)
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("q.jws", dataset: "ho-tich", after: 1, records: [(2, "ks-1", 2)])]).status == 0)
        #expect(try agency.run(["put", "--dataset", "tiem-chung"], stdin: #"{"id":"tc-1","data":{"ho_ten":"Lê Văn Cường"}}"#).status == 0)
        return agency
    }

    /// AgencyFolder's agency, with ho-tich (manual) under a schema whose ho_ten and noi_sinh are pii; no record yet.
    static func agencyWithPersonalSchema() throws -> AgencyFolder {
        let agency = try AgencyFolder()
        try FileManager.default.createDirectory(at: agency.scratch.url.appending(path: "schemas"), withIntermediateDirectories: true)
        try """
            additional: allow
            fields:
              ho_ten: { type: string, pii: true }
              noi_sinh: { type: string, pii: true }
              lan: { type: integer }

            """.write(toFile: agency.scratch.path("schemas/ho-tich.yaml"), atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: agency.config, encoding: .utf8)
            .replacingOccurrences(of: "ho-tich: { policy: manual }", with: "ho-tich: { policy: manual, schema: schemas/ho-tich.yaml }")
        try config.write(toFile: agency.config, atomically: true, encoding: .utf8)
        return agency
    }

    /// The values the agency's ho-tich records hold in pii fields.
    static let personalValues = ["Phạm Thu Hà", "Hà Nội", "Huế"]

    /// The `local disclosure` entries of the agency's audit log, each with its dataset and detail.
    static func disclosures(_ agency: AgencyFolder) throws -> [(dataset: String?, detail: JSONValue)] {
        let store = try Store(openingAt: agency.scratch.url.appending(path: "state/lienthong.sqlite"))
        return try store.read { try $0.auditEvents() }.filter { $0.event == "local disclosure" }.map { event in
            (event.dataset, try JSONValue(parsing: event.detail))
        }
    }

    /// The effective user's login name, as the command records it.
    static var loginName: String { String(cString: getpwuid(geteuid()).pointee.pw_name) }

    /// Each command that shows ho-tich's records, with its name in the audit log and its ids.
    static let commands: [(arguments: [String], subcommand: String?, command: String, ids: JSONValue)] = [
        (["get", "--dataset", "ho-tich", "ks-2"], nil, "get", .array([.string("ks-2")])),
        (["export", "--dataset", "ho-tich"], nil, "export", .null),
        (["conflicts", "--dataset", "ho-tich", "ks-1"], "show", "conflicts show", .array([.string("ks-1")])),
    ]

    static func run(_ agency: AgencyFolder, _ index: Int, _ extra: [String] = []) throws -> CommandRunner.Outcome {
        let command = commands[index]
        return if let subcommand = command.subcommand {
            try agency.run(command.arguments + extra, subcommand: subcommand)
        } else {
            try agency.run(command.arguments + extra)
        }
    }

    @Test("by default pii values are printed as *** and nothing is audited", arguments: commands.indices)
    func masksByDefault(index: Int) throws {
        let agency = try Self.agency()
        let outcome = try Self.run(agency, index)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for value in Self.personalValues { #expect(!outcome.stdoutText.contains(value), "\(outcome.stdoutText)") }
        #expect(outcome.stdoutText.contains(#""***""#))
        // Fields not marked pii, and undeclared members, are shown.
        #expect(index == 2 || outcome.stdoutText.contains("A-12"))
        #expect(try Self.disclosures(agency).isEmpty)
    }

    @Test("get masks ho_ten and noi_sinh exactly, and keeps the rest of the record")
    func getMasksExactly() throws {
        let agency = try Self.agency()
        let record = try JSONValue(parsing: try agency.run(["get", "--dataset", "ho-tich", "ks-2"]).stdout)
        #expect(record["data"] == .object(["noi_sinh": .string("***"), "so_so": .string("A-12")]))
        #expect(record["id"] == .string("ks-2") && record["origin"] == .string("bo-y-te"))
        let shown = try JSONValue(parsing: try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1", "--json"], subcommand: "show").stdout)
        let siblings = try #require(shown["siblings"]?.arrayValue).map { $0["data"] }
        #expect(Set(siblings) == [.object(["noi_sinh": .string("***")]), .object(["ho_ten": .string("***"), "lan": .integer(2)])])
    }

    @Test("--reveal prints the values after writing exactly one local disclosure", arguments: commands.indices)
    func revealIsAudited(index: Int) throws {
        let agency = try Self.agency()
        let outcome = try Self.run(agency, index, ["--reveal", "--purpose", "xac-minh.ho-tich"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(!outcome.stdoutText.contains(#""***""#))
        // get and export show ks-2 (export ks-1's visible sibling too, whichever it is); conflicts show both of ks-1's.
        let shown = index == 2 ? ["Phạm Thu Hà", "Hà Nội"] : ["Huế"]
        for value in shown { #expect(outcome.stdoutText.contains(value), "\(outcome.stdoutText)") }

        let disclosures = try Self.disclosures(agency)
        try #require(disclosures.count == 1)
        #expect(disclosures[0].dataset == "ho-tich")
        let command = Self.commands[index]
        // get shows ks-2, which holds noi_sinh only; conflicts show holds both; export names every declared path.
        let fields: [JSONValue] = index == 0 ? [.string("noi_sinh")] : [.string("ho_ten"), .string("noi_sinh")]
        #expect(disclosures[0].detail == .object([
            "command": .string(command.command), "ids": command.ids, "fields": .array(fields), "operator": .string(Self.loginName),
            "purpose": .string("xac-minh.ho-tich"),
        ]))
    }

    @Test("--reveal without --purpose records a null purpose")
    func purposeIsOptional() throws {
        let agency = try Self.agency()
        #expect(try agency.run(["get", "--dataset", "ho-tich", "ks-2", "--reveal"]).status == 0)
        #expect(try Self.disclosures(agency).map { $0.detail["purpose"] } == [.null])
    }

    @Test("--reveal prints nothing and fails when the audit log cannot be written", arguments: commands.indices)
    func revealFailsWithoutAudit(index: Int) throws {
        let agency = try Self.agency()
        let refuse = Process()
        refuse.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        refuse.arguments = [
            agency.scratch.path("state/lienthong.sqlite"),
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END;",
        ]
        try refuse.run()
        refuse.waitUntilExit()
        try #require(refuse.terminationStatus == 0)
        let outcome = try Self.run(agency, index, ["--reveal"])
        #expect(outcome.status != 0)
        #expect(outcome.stdout.isEmpty, "\(outcome.stdoutText)")
        // Masked, the same command still works: it writes nothing.
        #expect(try Self.run(agency, index).status == 0)
    }

    @Test("a dataset without a schema masks nothing, and --reveal reveals nothing and writes no entry")
    func noSchema() throws {
        let agency = try Self.agency()
        for extra in [[], ["--reveal"]] {
            let outcome = try agency.run(["get", "--dataset", "tiem-chung", "tc-1"] + extra)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdoutText.contains("Lê Văn Cường"))
        }
        #expect(try Self.disclosures(agency).isEmpty)
    }

    @Test("--purpose needs --reveal and a purpose code", arguments: [
        (["--purpose", "xac-minh"], "--purpose goes with --reveal"),
        (["--reveal", "--purpose", "Xac Minh"], "purpose code \"Xac Minh\" has a character other than a-z, 0-9, - and ."),
        (["--reveal", "--purpose", String(repeating: "a", count: 65)], "is longer than 64 characters"),
    ])
    func purposeIsChecked(extra: [String], message: String) throws {
        let agency = try Self.agency()
        let outcome = try agency.run(["get", "--dataset", "ho-tich", "ks-2"] + extra)
        #expect(outcome.status == 64, "\(outcome.status)")
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
        #expect(try Self.disclosures(agency).isEmpty)
    }
}
