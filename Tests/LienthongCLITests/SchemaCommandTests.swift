import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongSchema
import LienThongStore
import Testing

/// `put`, `check` and `status` with a dataset's schema (docs/SCHEMA.md), run as the binary.
@Suite("Commands with a dataset schema")
struct SchemaCommandTests {
    static let schema = """
        fields:
          so_dinh_danh: { type: string, required: true, pii: true, format: cccd, cccd: { birth_date: ngay_sinh, sex: gioi_tinh } }
          ngay_sinh: { type: date, required: true, pii: true }
          gioi_tinh: { type: string, enum: [nam, nữ] }
          ho_ten: { type: string, pii: true }

        """

    /// bo-y-te holding dan-cu with the schema file `schemas/dan-cu.yaml`, pulled from bo-cong-an.
    static func agency() throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        try scratch.makeKeys()
        try FileManager.default.createDirectory(at: scratch.url.appending(path: "schemas"), withIntermediateDirectories: true)
        try schema.write(toFile: scratch.path("schemas/dan-cu.yaml"), atomically: true, encoding: .utf8)
        let config = scratch.path("lienthong.yaml")
        try """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            datasets:
              dan-cu: { policy: lww, schema: schemas/dan-cu.yaml }
            peers:
              bo-cong-an: { url: "https://lienthong.bocongan.example", keys: [keys/bo-cong-an.pub.pem], pull: [dan-cu] }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        return (scratch, config)
    }

    static let valid = """
        {"id":"a","data":{"so_dinh_danh":"001090123456","ngay_sinh":"1990-05-01","gioi_tinh":"nam","ho_ten":"Trần Văn Bình"}}
        {"id":"b","data":{"so_dinh_danh":"079185000321","ngay_sinh":"1985-12-31","gioi_tinh":"nữ"}}

        """

    @Test("put refuses a line that breaks the schema with its number, the field, the rule and the value's shape, never the value")
    func putRefuses() throws {
        let (scratch, config) = try Self.agency()
        defer { withExtendedLifetime(scratch) {} }
        let refused = try CommandRunner.run(
            ["put", "--config", config, "--dataset", "dan-cu"],
            stdin: Data((Self.valid + #"{"id":"c","data":{"so_dinh_danh":"00109012345","ngay_sinh":"1990-05-01"}}"# + "\n").utf8)
        )
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("line 3: schema: field so_dinh_danh breaks format (cccd: 12 digits): found a string of 11 characters: digits"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("00109012345"))
        // Nothing from the file was applied, not even its valid lines.
        #expect(try CommandRunner.run(["get", "--config", config, "--dataset", "dan-cu", "a"]).status != 0)
        let accepted = try CommandRunner.run(["put", "--config", config, "--dataset", "dan-cu"], stdin: Data(Self.valid.utf8))
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("check lists nothing while the records keep the schema, and after it is tightened lists each record and the versions withheld")
    func checkAfterTightening() throws {
        let (scratch, config) = try Self.agency()
        #expect(try CommandRunner.run(["put", "--config", config, "--dataset", "dan-cu"], stdin: Data(Self.valid.utf8)).status == 0)
        let clean = try CommandRunner.run(["check", "--config", config, "--dataset", "dan-cu"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdoutText == "id  field  rule  found\n")
        #expect(clean.stderr.contains("dan-cu: 0 of 2 records break the schema; 0 versions of the own feed are withheld from peers"))

        try (Self.schema + "  que_quan: { type: string, required: true }\n").write(
            toFile: scratch.path("schemas/dan-cu.yaml"), atomically: true, encoding: .utf8
        )
        let tightened = try CommandRunner.run(["check", "--config", config, "--dataset", "dan-cu"])
        #expect(tightened.status == 1)
        let lines = tightened.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines == [
            "id field rule found", "a que_quan required (present) no such member", "b que_quan required (present) no such member",
        ])
        #expect(tightened.stderr.contains("2 of 2 records break the schema; 2 versions of the own feed are withheld from peers"))
        #expect(!tightened.stdoutText.contains("001090123456"))

        let json = try CommandRunner.run(["check", "--config", config, "--dataset", "dan-cu", "--json"])
        #expect(json.status == 1)
        let report = try JSONValue(parsing: json.stdout)
        #expect(report["dataset"] == .string("dan-cu") && report["checked"] == .integer(2) && report["withheld"] == .integer(2))
        #expect(report["breaking"] == .array(["a", "b"].map { id in
            .object([
                "id": .string(id), "field": .string("que_quan"), "rule": .string("required"), "expected": .string("present"),
                "found": .string("no such member"),
            ])
        }))
        #expect(!json.stdoutText.contains("001090123456"))
    }

    @Test("status compares the schema each peer lists with ours", arguments: [
        ("same", true), ("differs", false), ("peer has none", nil),
    ] as [(String, Bool?)])
    func statusComparesSchemas(expected: String, sameAsOurs: Bool?) throws {
        let (scratch, config) = try Self.agency()
        let store = try Store(openingAt: scratch.url.appending(path: "store.sqlite"))
        let ours = try DatasetList.schemaDigest(try DatasetSchema(contentsOf: scratch.url.appending(path: "schemas/dan-cu.yaml")).declaration)
        let listed = sameAsOurs.map { $0 ? ours : String(repeating: "a", count: 64) }
        try store.write { transaction in
            let (peer, dataset) = (try AgencyID("bo-cong-an"), try DatasetName("dan-cu"))
            try transaction.recordPullSuccess(peer: peer, dataset: dataset)
            try transaction.recordPeerSchema(peer: peer, dataset: dataset, sha256: listed)
        }
        let status = try CommandRunner.run(["status", "--config", config, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let feed = try JSONValue(parsing: status.stdoutText)["feeds"]?.arrayValue?.first
        #expect(feed?["schema"]?.stringValue == expected)
        #expect(feed?["peer_schema_sha256"] == (sameAsOurs == nil ? .null : listed.map(JSONValue.string)))
        let text = try CommandRunner.run(["status", "--config", config])
        #expect(text.stdoutText.contains("warning: bo-cong-an lists a schema of dan-cu that is not ours") == (expected != "same"), "\(text.stdoutText)")
    }
}
