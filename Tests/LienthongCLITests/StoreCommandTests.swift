import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongTestSupport
import Testing

/// Two agencies on disk, made with the command itself: bo-y-te holds tiem-chung (lww) and ho-tich (manual)
/// and pulls dan-cu (authority of bo-cong-an) and ho-tich from bo-cong-an.
final class AgencyFolder {
    let scratch = try! ScratchFolder()
    var config: String { scratch.path("lienthong.yaml") }

    /// The agency with a store of `backend`: a file in the folder, or a new database on the tests' cluster.
    init(_ backend: StoreBackend = .sqlite) throws {
        try scratch.makeKeys()
        let store = switch try backend.newLocation(in: scratch.url.appending(path: "state")) {
        case .file: "state/lienthong.sqlite"
        case .postgres(let database): "\"\(database)\""
        }
        try Data("""
            agency: bo-y-te
            store: \(store)
            signing_key: keys/bo-y-te.key.pem
            datasets:
              tiem-chung: { policy: lww }
              dan-cu: { policy: authority, owner: bo-cong-an }
              ho-tich: { policy: manual }
            peers:
              bo-cong-an:
                url: "https://lienthong.bocongan.example"
                keys: [keys/bo-cong-an.pub.pem]
                pull: [dan-cu, ho-tich]

            """.utf8).write(to: URL(fileURLWithPath: config))
    }

    func run(_ arguments: [String], stdin: String = "") throws -> CommandRunner.Outcome {
        try CommandRunner.run(Array(arguments.prefix(1)) + ["--config", config] + arguments.dropFirst(), stdin: Data(stdin.utf8))
    }

    func run(_ arguments: [String], subcommand: String) throws -> CommandRunner.Outcome {
        try CommandRunner.run([arguments[0], subcommand, "--config", config] + arguments.dropFirst())
    }

    /// A page of `dataset` published by bo-cong-an for bo-y-te, written to a file.
    func page(_ name: String, dataset: String, after: Int64 = 0, records: [(seq: Int64, id: String, edit: Int64)], expired: Bool = false) throws -> String {
        let key = try PrivateKey(contentsOf: scratch.url.appending(path: "keys/bo-cong-an.key.pem"))
        let now = Int64(Date().timeIntervalSince1970)
        let publisher = try AgencyID("bo-cong-an")
        let versions = records.map { record in
            (seq: record.seq, version: RecordVersion(
                dataset: try! DatasetName(dataset), id: record.id, origin: publisher,
                hlc: HybridTimestamp(milliseconds: (now - 60) * 1000, counter: record.edit), vv: VersionVector([publisher: record.edit]),
                deleted: false, data: .object(["ho_ten": .string("Phạm Thu Hà"), "lan": .integer(record.edit)])
            ).json)
        }
        let issued = expired ? now - 7200 : now
        let payload = FeedPage.payload(
            publisher: publisher, audience: try AgencyID("bo-y-te"), dataset: try DatasetName(dataset), after: after,
            head: records.last?.seq ?? after, issuedAt: issued, expiresAt: issued + 600, records: versions
        )
        let path = scratch.path(name)
        try Data(try JWSSigner(key: key).sign(payload: payload.serialized(), type: FeedPage.type).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite("lienthong put, get and export")
struct StoreCommandTests {
    @Test("put applies each line as a local edit; get and export show the visible records", arguments: StoreBackend.tested)
    func putGetExport(backend: StoreBackend) throws {
        let agency = try AgencyFolder(backend)
        let put = try agency.run(["put", "--dataset", "tiem-chung"], stdin: """
            {"id":"cd-2","data":{"vaccine":"Vero Cell","ngay_tiem":"2021-09-01"}}
            {"id":"cd-1","data":{"vaccine":"AstraZeneca"}}

            {"id":"cd-3","data":{"vaccine":"Pfizer"}}
            {"id":"cd-3","deleted":true}
            """)
        #expect(put.status == 0, "\(put.stderr)")

        let get = try agency.run(["get", "--dataset", "tiem-chung", "cd-2"])
        #expect(get.status == 0)
        let record = try JSONValue(parsing: get.stdoutText.trimmingCharacters(in: .newlines))
        #expect(record["data"]?["vaccine"] == .string("Vero Cell"))
        #expect(record["origin"] == .string("bo-y-te"))
        #expect(record["vv"] == .object(["bo-y-te": .integer(1)]))

        let export = try agency.run(["export", "--dataset", "tiem-chung"])
        #expect(export.status == 0)
        let lines = export.stdoutText.split(separator: "\n").map { try! JSONValue(parsing: String($0)) }
        #expect(lines.map { $0["id"]?.stringValue } == ["cd-1", "cd-2", "cd-3"])
        #expect(lines.allSatisfy { $0.objectValue?.keys.sorted() == ["conflict", "data", "deleted", "hlc", "id", "origin", "siblings", "vv"] })
        #expect(lines[2]["deleted"] == .bool(true))
        #expect(lines[2]["vv"] == .object(["bo-y-te": .integer(2)]))
        #expect(lines[0]["conflict"] == .bool(false))
        #expect(lines[0]["siblings"] == .integer(1))
    }

    @Test("get of an absent record exits 1", arguments: StoreBackend.tested)
    func getAbsent(backend: StoreBackend) throws {
        let agency = try AgencyFolder(backend)
        let get = try agency.run(["get", "--dataset", "tiem-chung", "none"])
        #expect(get.status == 1)
        #expect(get.stderr.contains("no record"))
    }

    @Test("a bad line is reported with its number and nothing of the file is applied", arguments: [
        #"{"id":"a","data":[1]}"#, #"{"id":"","data":{}}"#, #"{"id":"a"}"#, #"{"id":"a","data":{},"colour":1}"#, "not json",
        #"{"id":"a","deleted":true,"data":{}}"#,
    ])
    func badLine(line: String) throws {
        let agency = try AgencyFolder()
        let put = try agency.run(["put", "--dataset", "tiem-chung"], stdin: "{\"id\":\"ok\",\"data\":{}}\n\(line)\n")
        #expect(put.status == 2)
        #expect(put.stderr.contains("line 2"), "\(put.stderr)")
        #expect(put.stderr.contains("nothing was applied"))
        #expect(try agency.run(["export", "--dataset", "tiem-chung"]).stdout.isEmpty)
    }

    @Test("a dataset the configuration does not hold, or a bad configuration, exits 2 naming it", arguments: StoreBackend.tested)
    func badDatasetOrConfig(backend: StoreBackend) throws {
        let agency = try AgencyFolder(backend)
        let unknown = try agency.run(["export", "--dataset", "thue"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("thue"))
        try Data("agency: bo-y-te\nstore: s\nsigning_key: k\ncolour: blue\n".utf8).write(to: URL(fileURLWithPath: agency.config))
        let bad = try agency.run(["export", "--dataset", "tiem-chung"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("colour"))
        #expect(bad.stderr.contains("unknown key"))
    }
}

@Suite("lienthong apply and conflicts")
struct ApplyCommandTests {
    @Test("signed pages apply offline in any order; a tampered or expired page is refused alone", arguments: StoreBackend.tested)
    func applyPages(backend: StoreBackend) throws {
        let agency = try AgencyFolder(backend)
        let second = try agency.page("2.jws", dataset: "dan-cu", after: 2, records: [(3, "c", 1)])
        let first = try agency.page("1.jws", dataset: "dan-cu", records: [(1, "a", 1), (2, "b", 1)])
        let tampered = agency.scratch.path("tampered.jws")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try bytes.write(to: URL(fileURLWithPath: tampered))
        let expired = try agency.page("old.jws", dataset: "dan-cu", after: 2, records: [(3, "c", 1)], expired: true)

        let outcome = try agency.run(["apply", "--peer", "bo-cong-an", second, tampered, first, expired])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("tampered.jws: refused"))
        #expect(outcome.stderr.contains("old.jws: refused: page expired"))
        let ids = try agency.run(["export", "--dataset", "dan-cu"]).stdoutText.split(separator: "\n")
            .compactMap { try? JSONValue(parsing: String($0))["id"]?.stringValue }
        #expect(ids == ["a", "b", "c"])

        // Across an air gap an expired page may still be read; this one continues the cursor, which moves to 3.
        let again = try agency.run(["apply", "--peer", "bo-cong-an", "--allow-expired", expired])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdoutText.contains("0 applied, 1 already here, 0 quarantined, 0 held; cursor 3"), "\(again.stdoutText)")

        // A page whose head is below the cursor is a rollback by the publisher.
        let rolledBack = try agency.page("rollback.jws", dataset: "dan-cu", records: [(1, "a", 1)])
        let refused = try agency.run(["apply", "--peer", "bo-cong-an", rolledBack])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("below the 3 already applied"), "\(refused.stderr)")
    }

    @Test("a concurrent local edit makes a conflict; manual review lists it, shows it and resolves it", arguments: StoreBackend.tested)
    func conflicts(backend: StoreBackend) throws {
        let agency = try AgencyFolder(backend)
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("p.jws", dataset: "ho-tich", records: [(1, "ks-1", 1)])]).status == 0)
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: #"{"id":"ks-2","data":{"noi_sinh":"Huế"}}"#).status == 0)
        // A second version of ks-1 from the publisher, made without seeing bo-y-te's edit below: concurrent.
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: #"{"id":"ks-1","data":{"noi_sinh":"Hà Nội"}}"#).status == 0)
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("q.jws", dataset: "ho-tich", after: 1, records: [(2, "ks-1", 2)])]).status == 0)

        let list = try agency.run(["conflicts", "--dataset", "ho-tich"], subcommand: "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText == "dataset  id    siblings  decision\nho-tich  ks-1  2         awaits review\n")
        let show = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1"], subcommand: "show")
        #expect(show.stdoutText.contains("bo-cong-an") && show.stdoutText.contains("bo-y-te"))
        // The title, the header, state and version vector, ho_ten, lan and noi_sinh, the legend.
        #expect(show.stdoutText.split(separator: "\n").count == 8, "\(show.stdoutText)")

        let resolve = try agency.run(["conflicts", "--dataset", "ho-tich", "--pick", "bo-cong-an", "ks-1"], subcommand: "resolve")
        #expect(resolve.status == 0, "\(resolve.stderr)")
        #expect(try agency.run(["conflicts"], subcommand: "list").stdoutText == "dataset  id  siblings  decision\n")
        let record = try JSONValue(parsing: try agency.run(["get", "--dataset", "ho-tich", "ks-1"]).stdoutText.trimmingCharacters(in: .newlines))
        #expect(record["data"]?["lan"] == .integer(2))
        #expect(record["origin"] == .string("bo-y-te"))
        // bo-y-te's own concurrent edit was its first; the resolution is its second.
        #expect(record["vv"] == .object(["bo-cong-an": .integer(2), "bo-y-te": .integer(2)]))
    }
}
