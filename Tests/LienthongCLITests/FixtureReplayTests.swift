import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongPoller
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Synchronization
import Testing

// Replays the recorded feeds of fixtures/feeds (see fixtures/README.md) two ways, each at the clock they were
// made at: served by a loopback fixture server and pulled through the real libcurl poller, and imported with
// `lienthong apply --now`. Every row of the README's table is checked both ways.

/// The files of fixtures/feeds and the clock and page size they were made with.
enum RecordedFeeds {
    /// 2026-01-01T00:00:00Z: every page is issued at it.
    static let now: Int64 = 1_767_225_600
    static let pageLimit: Int64 = 2
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "fixtures/feeds")

    static let boCongAn = try! AgencyID("bo-cong-an")
    static let boYTe = try! AgencyID("bo-y-te")
    static let ubndHaNoi = try! AgencyID("ubnd-ha-noi")

    static func url(_ path: String) -> URL { root.appending(path: path) }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: url(path))) }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    static func text(_ path: String) throws -> String { String(decoding: try bytes(path), as: UTF8.self) }

    /// The payload of a recorded page, read without checking its signature.
    static func payload(_ path: String) throws -> JSONValue {
        let segments = try bytes(path).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        try #require(segments.count == 3, "\(path) is not a compact JWS")
        return try JSONValue(parsing: try Base64URL.decode(utf8: segments[1]))
    }

    /// The records of a recorded page, as sent (with `seq`).
    static func records(_ path: String) throws -> [JSONValue] {
        try #require(try payload(path)["records"]?.arrayValue)
    }

    /// Every file under fixtures/feeds, relative to it.
    static func allFiles(under root: URL = root) -> [String] {
        let base = root.standardizedFileURL.path
        var files: [String] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            files.append(String(url.standardizedFileURL.path.dropFirst(base.count + 1)))
        }
        return files.sorted()
    }
}

// MARK: - The reader and the fixture server

/// ubnd-ha-noi in a scratch folder: the recorded configuration and keys copied there, so its store is made there.
final class RecordedReader {
    let scratch: ScratchFolder
    var config: String { scratch.path("ubnd-ha-noi.yaml") }

    init() throws {
        scratch = try ScratchFolder()
        try FileManager.default.copyItem(at: RecordedFeeds.url("ubnd-ha-noi.yaml"), to: scratch.url.appending(path: "ubnd-ha-noi.yaml"))
        try FileManager.default.copyItem(at: RecordedFeeds.url("keys"), to: scratch.url.appending(path: "keys"))
    }

    func configuration() throws -> Configuration {
        try Configuration(contentsOf: URL(fileURLWithPath: config))
    }

    func store() throws -> Store {
        let configuration = try configuration()
        #expect(configuration.store.fileURL?.path.hasPrefix(scratch.url.standardizedFileURL.path) == true, "the store must be made in the scratch folder")
        return try Store(opening: configuration.store)
    }

    /// `lienthong apply --config C --peer P --now FIXED PAGE…` with the recorded pages.
    func apply(peer: AgencyID, _ pages: [String], now: Int64? = RecordedFeeds.now) throws -> CommandRunner.Outcome {
        let clock = now.map { ["--now", String($0)] } ?? []
        return try CommandRunner.run(["apply", "--config", config, "--peer", peer.rawValue] + clock + pages.map { RecordedFeeds.url($0).path })
    }

    /// What `lienthong export` prints for `dataset`.
    func export(_ dataset: String) throws -> Data {
        let outcome = try CommandRunner.run(["export", "--config", config, "--dataset", dataset])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return outcome.stdout
    }

    /// A puller for ubnd-ha-noi whose clock is fixed at the recorded instant, pulling `pageLimit` records a page.
    func puller(_ store: Store) throws -> FeedPuller {
        let configuration = try configuration()
        // A committed test-only key: git checks it out 0644.
        let key = try PrivateKeyFile(reading: configuration.signingKeyURL, access: .groupOrOthersAllowed).key
        return FeedPuller(
            agency: configuration.agency, client: FixtureServer.client, store: store,
            tokens: RequestTokenSigner(agency: configuration.agency, key: key), clockSkewSeconds: configuration.clockSkewSeconds,
            pageLimit: RecordedFeeds.pageLimit, clock: FixedClock(UnixTime(seconds: RecordedFeeds.now))
        )
    }

    /// The feed ubnd-ha-noi pulls from `peer`, as its configuration says, but at the fixture server.
    func feed(_ peer: AgencyID, at server: FixtureServer) throws -> PulledFeed {
        let configuration = try configuration()
        let settings = try #require(configuration.peers[peer])
        let dataset = try #require(settings.pull.first)
        return PulledFeed(
            peer: peer, baseURL: try #require(URL(string: server.url)), dataset: dataset, policy: try #require(configuration.policy(for: dataset)),
            keys: try settings.keyURLs.map { try PublicKey(contentsOf: $0) }, transfer: TransferOptions()
        )
    }
}

/// Serves recorded pages on loopback: `/v1/feeds/{dataset}?after=N&limit=2` answers the file recorded for N,
/// exactly as a publisher sends it; anything else is 404. It does not check request tokens.
final class FixtureServer: Sendable {
    static let client = runningForTheProcess(try! HTTPClient())

    struct Served: Sendable, Equatable {
        let target: String
        let status: Int
        let bearer: Bool
    }

    private let server: LoopbackServer
    private let log: Log
    var url: String { server.url }
    var served: [Served] { log.entries.withLock { $0 } }

    private final class Log: Sendable {
        let entries = Mutex<[Served]>([])
    }

    init(dataset: String, pages: [Int64: String]) throws {
        var routes: [String: [UInt8]] = [:]
        for (after, path) in pages { routes[Self.target(dataset, after: after)] = try RecordedFeeds.bytes(path) }
        let log = Log()
        let table = routes
        server = try LoopbackServer { request in
            let body = request.method == "GET" ? table[request.target] : nil
            let bearer = request.headers["authorization"]?.hasPrefix("Bearer ") == true
            log.entries.withLock { $0.append(Served(target: request.target, status: body == nil ? 404 : 200, bearer: bearer)) }
            guard let body else {
                return .response(
                    status: 404, headers: [("Content-Type", "application/json")], body: Array(#"{"error":"not_found","message":"no recorded page"}"#.utf8)
                )
            }
            return .response(status: 200, headers: [("Content-Type", "application/jose"), ("Cache-Control", "no-store")], body: body)
        }
        self.log = log
    }

    deinit { server.stop() }

    static func target(_ dataset: String, after: Int64) -> String { "/v1/feeds/\(dataset)?after=\(after)&limit=\(RecordedFeeds.pageLimit)" }
}

// MARK: - What the rows of fixtures/README.md say

/// A good feed: its pages in order, what each does to a fresh reader, and what the reader then exports.
struct GoodFeed: Sendable, CustomTestStringConvertible {
    struct Page: Sendable {
        let path: String
        let after: Int64
        let last: Int64
        let applied: Int
    }

    let peer: AgencyID
    let dataset: String
    let head: Int64
    let pages: [Page]
    let export: String
    var testDescription: String { "\(peer)/\(dataset)" }

    static let danCu = GoodFeed(peer: RecordedFeeds.boCongAn, dataset: "dan-cu", head: 5, pages: [
        Page(path: "bo-cong-an/dan-cu/after-0.jws", after: 0, last: 2, applied: 2),
        Page(path: "bo-cong-an/dan-cu/after-2.jws", after: 2, last: 4, applied: 2),
        Page(path: "bo-cong-an/dan-cu/after-4.jws", after: 4, last: 5, applied: 1),
    ], export: "expected/dan-cu.jsonl")

    static let tiemChung = GoodFeed(peer: RecordedFeeds.boYTe, dataset: "tiem-chung", head: 4, pages: [
        Page(path: "bo-y-te/tiem-chung/after-0.jws", after: 0, last: 2, applied: 2),
        Page(path: "bo-y-te/tiem-chung/after-2.jws", after: 2, last: 4, applied: 2),
    ], export: "expected/tiem-chung.jsonl")

    /// The routes of a fixture server that serves this feed.
    var routes: [Int64: String] { Dictionary(uniqueKeysWithValues: pages.map { ($0.after, $0.path) }) }

    /// The audit line each page leaves, in order.
    var auditDetails: [JSONValue] {
        pages.map { page in
            .object([
                "after": .integer(page.after), "last": .integer(page.last), "head": .integer(head), "applied": .integer(page.applied),
                "redundant": .integer(0), "quarantined": .integer(0), "held": .integer(0), "cursor": .integer(page.last),
            ])
        }
    }
}

/// A page refused whole: nothing of it applies, it is quarantined with its reason, the cursor stays.
struct RefusedPage: Sendable, CustomTestStringConvertible {
    let path: String
    /// Replayed after the good dan-cu feed (cursor 5), or to a fresh reader.
    let afterGoodFeed: Bool
    /// The `after` the poller asks when it gets this page.
    let servedAt: Int64
    /// The reason and a part of the one-line message, pulled (which knows the `after` it asked) and applied.
    let pulled: (reason: String, message: String)
    let applied: (reason: String, message: String)
    var testDescription: String { path }

    static let all = [
        RefusedPage(
            path: "tampered/signature-flipped/after-0.jws", afterGoodFeed: false, servedAt: 0,
            pulled: ("signature", "signature does not verify with key"), applied: ("signature", "signature does not verify with key")
        ),
        RefusedPage(
            path: "tampered/wrong-audience/after-0.jws", afterGoodFeed: false, servedAt: 0,
            pulled: ("wrong audience", "page is addressed to bo-y-te, not to ubnd-ha-noi"),
            applied: ("wrong audience", "page is addressed to bo-y-te, not to ubnd-ha-noi")
        ),
        RefusedPage(
            path: "tampered/rollback/after-5.jws", afterGoodFeed: true, servedAt: 5,
            pulled: ("rollback", "bo-cong-an reports head 2 for dan-cu, below the 5 already applied"),
            applied: ("last after head", "page's last 5 is beyond the publisher's head 2")
        ),
    ]
}

/// A continuation of the good dan-cu feed (after 5, head 7) whose first record breaks a rule: that record is
/// quarantined, the second applies, the cursor moves to 7.
struct QuarantinedRecord: Sendable, CustomTestStringConvertible {
    let path: String
    let quarantinedID: String
    let reason: String
    let appliedID: String
    var testDescription: String { path }

    static let all = [
        QuarantinedRecord(path: "tampered/equivocation/after-5.jws", quarantinedID: "cd-002", reason: "equivocation", appliedID: "cd-005"),
        QuarantinedRecord(path: "tampered/future-hlc/after-5.jws", quarantinedID: "cd-005", reason: "hlc too far in future", appliedID: "cd-006"),
        QuarantinedRecord(
            path: "tampered/oversized-record/after-5.jws", quarantinedID: String(repeating: "\u{01A1}", count: 257), reason: "id length",
            appliedID: "cd-005"
        ),
    ]
}

// MARK: - Checks both ways share

/// What the reader's store must hold after a replay.
enum ReaderChecks {
    /// The state after the whole of a good feed: cursor at head, nothing quarantined, one audit line a page,
    /// and the export recorded beside the pages.
    static func goodFeed(_ feed: GoodFeed, reader: RecordedReader, store: Store) throws {
        let dataset = try DatasetName(feed.dataset)
        let cursor = try #require(try store.read { try $0.cursor(peer: feed.peer, dataset: dataset) })
        #expect(cursor.position == feed.head && cursor.head == feed.head && cursor.updatedAt == RecordedFeeds.now * 1000)
        #expect(try store.read { try $0.quarantined() }.isEmpty)
        let audit = try store.read { try $0.auditEvents() }
        #expect(audit.map(\.event) == Array(repeating: "page applied", count: feed.pages.count))
        #expect(audit.allSatisfy { $0.peer == feed.peer.rawValue && $0.dataset == feed.dataset && $0.at == RecordedFeeds.now * 1000 })
        #expect(try audit.map { try JSONValue(parsing: $0.detail) } == feed.auditDetails)
        let export = try reader.export(feed.dataset)
        #expect(export == (try RecordedFeeds.data(feed.export)), "the export was:\n\(String(decoding: export, as: UTF8.self))")

        // What the export says, stated here rather than only recorded: a moved citizen, a withdrawn dose,
        // and no field bo-y-te withholds.
        let lines = try String(decoding: export, as: UTF8.self).split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        if feed.dataset == "dan-cu" {
            try #require(lines.map { $0["id"]?.stringValue } == ["cd-001", "cd-002", "cd-003", "cd-004"])
            #expect(lines[0]["vv"] == .object(["bo-cong-an": .integer(2)]))
            #expect(lines[0]["data"]?["noi_thuong_tru"] == .string("Phường Phúc La, Quận Hà Đông, Hà Nội"))
            #expect(lines[1]["data"]?["ho_ten"] == .string("Trần Thị Bình"))
            #expect(lines[0]["data"]?["so_dinh_danh"] == .string("001090012345"))
        } else {
            try #require(lines.map { $0["id"]?.stringValue } == ["tc-001", "tc-002", "tc-003"])
            #expect(lines.map { $0["deleted"] } == [.bool(false), .bool(true), .bool(false)])
            #expect(lines[0]["data"]?.objectValue?.keys.sorted() == ["co_so_tiem", "ho_ten", "mui", "ngay_sinh", "ngay_tiem", "vaccine"])
            let text = String(decoding: export, as: UTF8.self)
            #expect(!text.contains("so_dien_thoai") && !text.contains("benh_nen") && !text.contains("0912345678"))
        }
        #expect(lines.allSatisfy { $0["origin"] == .string(feed.peer.rawValue) && $0["conflict"] == .bool(false) && $0["siblings"] == .integer(1) })
    }

    /// The state after a refused page: the good dan-cu feed applied or nothing, then one quarantined page whose
    /// raw text is the file, a `page refused` audit line, and the cursor and records as they were.
    static func refused(_ row: RefusedPage, reason: String, reader: RecordedReader, store: Store) throws {
        let danCu = try DatasetName("dan-cu")
        let cursor = try store.read { try $0.cursor(peer: RecordedFeeds.boCongAn, dataset: danCu) }
        let quarantined = try store.read { try $0.quarantined() }
        let audit = try store.read { try $0.auditEvents() }
        let item = try #require(quarantined.last)
        #expect(quarantined.count == 1)
        #expect(item.peer == "bo-cong-an" && item.dataset == nil && item.recordID == nil)
        #expect(item.reason == "page: \(reason)")
        #expect(item.raw == (try RecordedFeeds.text(row.path)))
        let last = try #require(audit.last)
        #expect(last.event == "page refused" && last.peer == "bo-cong-an" && last.dataset == nil)
        #expect(try JSONValue(parsing: last.detail)["reason"] == .string(reason))
        if row.afterGoodFeed {
            #expect(cursor?.position == 5 && cursor?.head == 5)
            #expect(audit.map(\.event) == ["page applied", "page applied", "page applied", "page refused"])
            #expect(try reader.export("dan-cu") == (try RecordedFeeds.data(GoodFeed.danCu.export)))
        } else {
            #expect(cursor == nil)
            #expect(audit.map(\.event) == ["page refused"])
            #expect(try reader.export("dan-cu").isEmpty)
        }
    }

    /// The state after a continuation with one bad record: that record quarantined with its reason, the
    /// other applied, the cursor at 7.
    static func quarantinedRecord(_ row: QuarantinedRecord, reader: RecordedReader, store: Store) throws {
        let danCu = try DatasetName("dan-cu")
        let records = try RecordedFeeds.records(row.path)
        try #require(records.count == 2)
        #expect(records[0]["id"] == .string(row.quarantinedID) && records[1]["id"] == .string(row.appliedID))

        let cursor = try #require(try store.read { try $0.cursor(peer: RecordedFeeds.boCongAn, dataset: danCu) })
        #expect(cursor.position == 7 && cursor.head == 7 && cursor.updatedAt == RecordedFeeds.now * 1000)
        let quarantined = try store.read { try $0.quarantined() }
        #expect(quarantined.count == 1)
        let item = try #require(quarantined.first)
        #expect(item.peer == "bo-cong-an" && item.dataset == "dan-cu" && item.recordID == row.quarantinedID && item.reason == row.reason)
        #expect(item.receivedAt == RecordedFeeds.now * 1000)
        // A record refused by the rules is kept as sent (with its seq); an equivocation as the version it reads.
        var sent = try #require(records[0].objectValue)
        if row.reason == "equivocation" { sent["seq"] = nil }
        #expect(try JSONValue(parsing: item.raw) == .object(sent))
        #expect(!item.detail.contains(row.quarantinedID) && !item.detail.contains("ho_ten"), "\(item.detail)")

        let audit = try store.read { try $0.auditEvents() }
        let tail = row.reason == "equivocation" ? ["equivocation", "page applied"] : ["page applied"]
        #expect(audit.map(\.event) == ["page applied", "page applied", "page applied"] + tail)
        if row.reason == "equivocation" {
            #expect(try JSONValue(parsing: audit[3].detail) == .object([
                "id": .string("cd-002"), "origin": .string("bo-cong-an"), "vv": .object(["bo-cong-an": .integer(1)]),
            ]))
        }
        #expect(try JSONValue(parsing: try #require(audit.last).detail) == .object([
            "after": .integer(5), "last": .integer(7), "head": .integer(7), "applied": .integer(1), "redundant": .integer(0),
            "quarantined": .integer(1), "held": .integer(0), "cursor": .integer(7),
        ]))

        // The export: the good feed's, then the honest record (its id sorts last), never the refused one.
        let export = try reader.export("dan-cu")
        let expected = try RecordedFeeds.data(GoodFeed.danCu.export)
        #expect(export.prefix(expected.count) == expected, "the export was:\n\(String(decoding: export, as: UTF8.self))")
        let added = try JSONValue(parsing: String(decoding: export.dropFirst(expected.count), as: UTF8.self).trimmingCharacters(in: .newlines))
        #expect(added == .object([
            "id": records[1]["id"]!, "data": records[1]["data"]!, "deleted": .bool(false), "origin": .string("bo-cong-an"),
            "hlc": records[1]["hlc"]!, "vv": records[1]["vv"]!, "conflict": .bool(false), "siblings": .integer(1),
        ]))
        #expect(String(decoding: export, as: UTF8.self).split(separator: "\n").count == 5)
    }
}

// MARK: - The tests

@Suite("Recorded feeds pulled through libcurl from a loopback fixture server")
struct FixtureReplayPullTests {
    @Test("a good feed applies page by page as listed, and the reader exports what was recorded", arguments: [GoodFeed.danCu, GoodFeed.tiemChung])
    func goodFeed(_ feed: GoodFeed) async throws {
        let reader = try RecordedReader()
        let store = try reader.store()
        let server = try FixtureServer(dataset: feed.dataset, pages: feed.routes)
        var pages: [PulledPage] = []
        let summary = try await reader.puller(store).pullUntilCaughtUp(try reader.feed(feed.peer, at: server)) { pages.append($0) }

        #expect(summary.pages == feed.pages.count && summary.applied == feed.pages.map(\.applied).reduce(0, +))
        #expect(summary.redundant == 0 && summary.quarantined == 0 && !summary.unchanged)
        #expect(summary.cursor == feed.head && summary.head == feed.head)
        #expect(pages.map(\.after) == feed.pages.map(\.after))
        #expect(pages.map(\.last) == feed.pages.map(\.last))
        #expect(pages.map(\.application.applied) == feed.pages.map(\.applied))
        #expect(pages.map(\.application.cursor) == feed.pages.map(\.last))
        // Every page asked for was recorded, each asked for once (pages are fetched ahead), each with a token.
        #expect(Set(server.served.map(\.target)) == Set(feed.pages.map { FixtureServer.target(feed.dataset, after: $0.after) }))
        #expect(server.served.count == feed.pages.count)
        #expect(server.served.allSatisfy { $0.status == 200 && $0.bearer })
        try ReaderChecks.goodFeed(feed, reader: reader, store: store)
    }

    @Test("a page refused whole: the pull fails with the page's reason, and nothing of it applies", arguments: RefusedPage.all)
    func refusedPage(_ row: RefusedPage) async throws {
        let reader = try RecordedReader()
        let store = try reader.store()
        let routes = (row.afterGoodFeed ? GoodFeed.danCu.routes : [:]).merging([row.servedAt: row.path]) { _, new in new }
        let server = try FixtureServer(dataset: "dan-cu", pages: routes)
        let puller = try reader.puller(store)
        let feed = try reader.feed(RecordedFeeds.boCongAn, at: server)
        if row.afterGoodFeed {
            #expect(try await puller.pullUntilCaughtUp(feed).cursor == 5)
        }
        let thrown = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(feed) }
        let error = try #require(thrown)
        #expect(error.reason == .pageRejected && error.peer == RecordedFeeds.boCongAn && error.dataset.rawValue == "dan-cu")
        #expect(error.description.contains("page after \(row.servedAt) refused: \(row.pulled.message)"), "\(error)")
        #expect(server.served.last?.target == FixtureServer.target("dan-cu", after: row.servedAt))
        try ReaderChecks.refused(row, reason: row.pulled.reason, reader: reader, store: store)
    }

    @Test("a continuation with one bad record: that record is quarantined, the other applies", arguments: QuarantinedRecord.all)
    func quarantinedRecord(_ row: QuarantinedRecord) async throws {
        let reader = try RecordedReader()
        let store = try reader.store()
        let server = try FixtureServer(dataset: "dan-cu", pages: GoodFeed.danCu.routes.merging([5: row.path]) { _, new in new })
        let puller = try reader.puller(store)
        let feed = try reader.feed(RecordedFeeds.boCongAn, at: server)
        #expect(try await puller.pullUntilCaughtUp(feed).cursor == 5)
        // Caught up at 5, the first pull never asked for the continuation.
        #expect(!server.served.contains { $0.target == FixtureServer.target("dan-cu", after: 5) })
        let summary = try await puller.pullUntilCaughtUp(feed)
        #expect(summary.pages == 1 && summary.applied == 1 && summary.redundant == 0 && summary.quarantined == 1)
        #expect(summary.cursor == 7 && summary.head == 7)
        try ReaderChecks.quarantinedRecord(row, reader: reader, store: store)
    }

    @Test("the restored publisher's first page is never asked for: from cursor 5 the poller asks after=5 and meets the rollback")
    func rollbackFirstPage() async throws {
        let reader = try RecordedReader()
        let store = try reader.store()
        let good = try FixtureServer(dataset: "dan-cu", pages: GoodFeed.danCu.routes)
        let puller = try reader.puller(store)
        #expect(try await puller.pullUntilCaughtUp(try reader.feed(RecordedFeeds.boCongAn, at: good)).cursor == 5)
        // The same publisher after restoring its backup: it has only its first page and the empty one after 5.
        let restored = try FixtureServer(dataset: "dan-cu", pages: [0: "tampered/rollback/after-0.jws", 5: "tampered/rollback/after-5.jws"])
        let restoredFeed = try reader.feed(RecordedFeeds.boCongAn, at: restored)
        let thrown = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(restoredFeed) }
        let error = try #require(thrown)
        #expect(error.description.contains("page after 5 refused: bo-cong-an reports head 2 for dan-cu, below the 5 already applied"), "\(error)")
        #expect(restored.served.map(\.target) == [FixtureServer.target("dan-cu", after: 5)])
        #expect(try await store.read { try $0.quarantined() }.map(\.reason) == ["page: rollback"])
        #expect(try await store.read { try $0.cursor(peer: RecordedFeeds.boCongAn, dataset: DatasetName("dan-cu")) }?.position == 5)

        // To a reader that has seen nothing, the restored publisher's first page is a whole, valid feed.
        let fresh = try RecordedReader()
        let freshStore = try fresh.store()
        let summary = try await fresh.puller(freshStore).pullUntilCaughtUp(try fresh.feed(RecordedFeeds.boCongAn, at: restored))
        #expect(summary.pages == 1 && summary.applied == 2 && summary.cursor == 2 && summary.head == 2)
        #expect(try await freshStore.read { try $0.quarantined() }.isEmpty)
    }
}

@Suite("Recorded feeds imported with lienthong apply --now")
struct FixtureReplayApplyTests {
    @Test("a good feed applies page by page as listed, and the reader exports what was recorded", arguments: [GoodFeed.danCu, GoodFeed.tiemChung])
    func goodFeed(_ feed: GoodFeed) throws {
        let reader = try RecordedReader()
        let outcome = try reader.apply(peer: feed.peer, feed.pages.map(\.path))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let expected = feed.pages.map { page in
            "\(RecordedFeeds.url(page.path).path): \(feed.dataset) \(page.after + 1)…\(page.last): \(page.applied) applied, 0 already here, 0 quarantined, 0 held; cursor \(page.last)"
        }
        #expect(outcome.stdoutText.split(separator: "\n").map(String.init) == expected)
        try ReaderChecks.goodFeed(feed, reader: reader, store: try reader.store())
    }

    @Test("a page refused whole: apply exits 1 naming the page and its reason, and nothing of it applies", arguments: RefusedPage.all)
    func refusedPage(_ row: RefusedPage) throws {
        let reader = try RecordedReader()
        if row.afterGoodFeed {
            #expect(try reader.apply(peer: RecordedFeeds.boCongAn, GoodFeed.danCu.pages.map(\.path)).status == 0)
        }
        let outcome = try reader.apply(peer: RecordedFeeds.boCongAn, [row.path])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("\(RecordedFeeds.url(row.path).path): refused: \(row.applied.message)"), "\(outcome.stderr)")
        try ReaderChecks.refused(row, reason: row.applied.reason, reader: reader, store: try reader.store())
    }

    @Test("a continuation with one bad record: apply exits 0, that record is quarantined, the other applies", arguments: QuarantinedRecord.all)
    func quarantinedRecord(_ row: QuarantinedRecord) throws {
        let reader = try RecordedReader()
        #expect(try reader.apply(peer: RecordedFeeds.boCongAn, GoodFeed.danCu.pages.map(\.path)).status == 0)
        let outcome = try reader.apply(peer: RecordedFeeds.boCongAn, [row.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdoutText == "\(RecordedFeeds.url(row.path).path): dan-cu 6…7: 1 applied, 0 already here, 1 quarantined, 0 held; cursor 7\n")
        try ReaderChecks.quarantinedRecord(row, reader: reader, store: try reader.store())
    }

    @Test("the restored publisher's first page, applied after the good feed, is a rollback; to a fresh reader it is valid")
    func rollbackFirstPage() throws {
        let reader = try RecordedReader()
        #expect(try reader.apply(peer: RecordedFeeds.boCongAn, GoodFeed.danCu.pages.map(\.path)).status == 0)
        let outcome = try reader.apply(peer: RecordedFeeds.boCongAn, ["tampered/rollback/after-0.jws"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("refused: bo-cong-an reports head 2 for dan-cu, below the 5 already applied"), "\(outcome.stderr)")
        let store = try reader.store()
        let quarantined = try store.read { try $0.quarantined() }
        #expect(quarantined.map(\.reason) == ["page: rollback"])
        #expect(quarantined.first?.raw == (try RecordedFeeds.text("tampered/rollback/after-0.jws")))
        #expect(try store.read { try $0.cursor(peer: RecordedFeeds.boCongAn, dataset: DatasetName("dan-cu")) }?.position == 5)
        #expect(try store.read { try $0.auditEvents() }.map(\.event) == ["page applied", "page applied", "page applied", "page refused"])
        #expect(try reader.export("dan-cu") == (try RecordedFeeds.data(GoodFeed.danCu.export)))

        let fresh = try RecordedReader()
        let alone = try fresh.apply(peer: RecordedFeeds.boCongAn, ["tampered/rollback/after-0.jws"])
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdoutText.hasSuffix(": dan-cu 1…2: 2 applied, 0 already here, 0 quarantined, 0 held; cursor 2\n"), "\(alone.stdoutText)")
    }

    @Test("at the wall clock the recorded pages have long expired: the fixed clock is what makes them replayable")
    func wallClockRefusesThem() throws {
        let wallClock = Int64(Date().timeIntervalSince1970)
        try #require(wallClock > RecordedFeeds.now + 600, "this machine's clock is before the recorded pages expired")
        let reader = try RecordedReader()
        let outcome = try reader.apply(peer: RecordedFeeds.boCongAn, ["bo-cong-an/dan-cu/after-0.jws"], now: nil)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("refused: page expired at \(RecordedFeeds.now + 300)"), "\(outcome.stderr)")
        // And a clock before they were issued (beyond the skew) sees them as issued in the future.
        let early = try reader.apply(peer: RecordedFeeds.boCongAn, ["bo-cong-an/dan-cu/after-0.jws"], now: RecordedFeeds.now - 301)
        #expect(early.status == 1)
        #expect(early.stderr.contains("refused: page is issued 301 s in the future"), "\(early.stderr)")
        #expect(try reader.export("dan-cu").isEmpty)
    }
}

@Suite("The recorded feeds are what fixtures/README.md says")
struct FixtureReplaySetTests {
    static let pages = RecordedFeeds.allFiles().filter { $0.hasSuffix(".jws") }

    @Test("the configurations read, pin the keys the pages are signed with, and agree on policies and grants")
    func configurations() throws {
        let reader = try Configuration(contentsOf: RecordedFeeds.url("ubnd-ha-noi.yaml"))
        let police = try Configuration(contentsOf: RecordedFeeds.url("bo-cong-an.yaml"))
        let health = try Configuration(contentsOf: RecordedFeeds.url("bo-y-te.yaml"))
        let danCu = try DatasetName("dan-cu")
        let tiemChung = try DatasetName("tiem-chung")
        #expect(reader.agency == RecordedFeeds.ubndHaNoi && police.agency == RecordedFeeds.boCongAn && health.agency == RecordedFeeds.boYTe)
        #expect(reader.clockSkewSeconds == 300)
        #expect(reader.policy(for: danCu) == .authority(owner: RecordedFeeds.boCongAn) && police.policy(for: danCu) == reader.policy(for: danCu))
        #expect(reader.policy(for: tiemChung) == .lww && health.policy(for: tiemChung) == .lww)
        #expect(reader.peers[RecordedFeeds.boCongAn]?.pull == [danCu] && reader.peers[RecordedFeeds.boYTe]?.pull == [tiemChung])
        #expect(police.peers[RecordedFeeds.ubndHaNoi]?.share == [danCu: Grant(fields: nil)])
        let granted = try #require(health.peers[RecordedFeeds.ubndHaNoi]?.share[tiemChung]?.fields)
        #expect(Set(granted) == ["co_so_tiem", "ho_ten", "mui", "ngay_sinh", "ngay_tiem", "vaccine"])

        // Each agency's private key is the one the others pin; bo-y-te signs with ES256, the others Ed25519.
        for (configuration, type) in [(reader, KeyType.ed25519), (police, .ed25519), (health, .p256)] {
            let key = try PrivateKeyFile(reading: configuration.signingKeyURL, access: .groupOrOthersAllowed).key
            #expect(key.type == type)
            var pinnedBy: [AgencyID] = []
            for other in [reader, police, health] {
                guard let peer = other.peers[configuration.agency] else { continue }
                #expect(try peer.keyURLs.map { try PublicKey(contentsOf: $0) } == [key.publicKey], "\(other.agency) pins \(configuration.agency)")
                pinnedBy.append(other.agency)
            }
            // The reader is pinned by both publishers; each publisher by the reader.
            #expect(Set(pinnedBy) == (configuration.agency == RecordedFeeds.ubndHaNoi ? [RecordedFeeds.boCongAn, RecordedFeeds.boYTe] : [RecordedFeeds.ubndHaNoi]))
        }
        // bo-y-te's pages hold only the granted fields.
        for path in Self.pages where path.hasPrefix("bo-y-te/") {
            for record in try RecordedFeeds.records(path) {
                let fields = record["data"]?.objectValue.map { Set($0.keys) } ?? []
                #expect(fields.isSubset(of: Set(granted)), "\(path)")
            }
        }
    }

    @Test("every page is issued at the fixed clock for 300 s, signed by its publisher's pinned key, and addressed to ubnd-ha-noi unless listed otherwise")
    func pages() throws {
        let police = try PublicKey(contentsOf: RecordedFeeds.url("keys/bo-cong-an.pub.pem"))
        let health = try PublicKey(contentsOf: RecordedFeeds.url("keys/bo-y-te.pub.pem"))
        #expect(Self.pages.count == 12)
        for path in Self.pages {
            let payload = try RecordedFeeds.payload(path)
            #expect(payload["issued_at"] == .integer(RecordedFeeds.now) && payload["expires_at"] == .integer(RecordedFeeds.now + 300), "\(path)")
            #expect(payload["audience"] == .string(path.hasPrefix("tampered/wrong-audience/") ? "bo-y-te" : "ubnd-ha-noi"), "\(path)")
            #expect((payload["records"]?.arrayValue?.count ?? 99) <= Int(RecordedFeeds.pageLimit), "\(path)")
            let publisher = path.hasPrefix("bo-y-te/") ? health : police
            #expect(payload["publisher"] == .string(path.hasPrefix("bo-y-te/") ? "bo-y-te" : "bo-cong-an"), "\(path)")
            let verified = Result { try JWSVerifier(keys: [publisher], requiredType: FeedPage.type).verify(utf8: try RecordedFeeds.bytes(path)) }
            if path.hasPrefix("tampered/signature-flipped/") {
                #expect(throws: JWSError.self) { try verified.get() }
                // The flipped page differs from the good first page in its signature only.
                let good = try RecordedFeeds.bytes("bo-cong-an/dan-cu/after-0.jws")
                let flipped = try RecordedFeeds.bytes(path)
                let dot = try #require(good.lastIndex(of: UInt8(ascii: ".")))
                #expect(good.count == flipped.count && good[...dot] == flipped[...dot] && good != flipped)
            } else {
                #expect(throws: Never.self, "\(path)") { try verified.get() }
            }
        }
    }

    @Test("fixtures/README.md names every file of fixtures/feeds")
    func readmeListsEveryFile() throws {
        let readme = try String(contentsOf: RecordedFeeds.root.deletingLastPathComponent().appending(path: "README.md"), encoding: .utf8)
        let files = RecordedFeeds.allFiles()
        #expect(files.count > 20)
        let unlisted = files.filter { !readme.contains("`feeds/\($0)`") }
        #expect(unlisted == [], "fixtures/README.md does not list these files of fixtures/feeds")
    }
}

@Suite("lienthong-fixtures writes fixtures/feeds again, identically")
struct FixtureReplayGeneratorTests {
    /// The generator, built beside the test bundle as `lienthong` is.
    static let binary = CommandRunner.binary.deletingLastPathComponent().appending(path: "lienthong-fixtures")

    static func run(out: URL) async throws -> (status: Int32, stderr: String) {
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path),
            "\(binary.path) is not built: `swift build --build-tests` builds every product, so build with it (or `swift build --product lienthong-fixtures`) before running this test"
        )
        let outcome = try await runChild(binary.path, ["--out", out.path])
        return (outcome.status, outcome.standardError)
    }

    @Test("run over a copy of fixtures/feeds, it changes no byte and adds no file")
    func rerunChangesNothing() async throws {
        let scratch = try ScratchFolder()
        let out = scratch.url.appending(path: "feeds")
        try FileManager.default.copyItem(at: RecordedFeeds.root, to: out)
        let run = try await Self.run(out: out)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(RecordedFeeds.allFiles(under: out) == RecordedFeeds.allFiles())
        for file in RecordedFeeds.allFiles() {
            #expect(try Data(contentsOf: out.appending(path: file)) == Data(contentsOf: RecordedFeeds.url(file)), "\(file) changed")
        }
    }

    @Test("from the keys alone it makes every file again: byte for byte, but for bo-y-te's fresh ES256 signatures")
    func fromKeysAlone() async throws {
        let scratch = try ScratchFolder()
        let out = scratch.url.appending(path: "feeds")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: RecordedFeeds.url("keys"), to: out.appending(path: "keys"))
        let run = try await Self.run(out: out)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(RecordedFeeds.allFiles(under: out) == RecordedFeeds.allFiles())
        let health = JWSVerifier(keys: [try PublicKey(contentsOf: RecordedFeeds.url("keys/bo-y-te.pub.pem"))], requiredType: FeedPage.type)
        var signedAfresh = 0
        for file in RecordedFeeds.allFiles() {
            let recorded = try RecordedFeeds.data(file)
            let made = try Data(contentsOf: out.appending(path: file))
            if file.hasPrefix("bo-y-te/"), file.hasSuffix(".jws") {
                // ECDSA signatures are randomised: the header and payload must match and both must verify.
                let dot = try #require(recorded.lastIndex(of: UInt8(ascii: ".")))
                #expect(made.starts(with: recorded[...dot]), "\(file): header or payload changed")
                #expect(throws: Never.self, "\(file)") { _ = try health.verify(utf8: Array(made)) }
                #expect(throws: Never.self, "\(file)") { _ = try health.verify(utf8: Array(recorded)) }
                signedAfresh += 1
            } else {
                #expect(made == recorded, "\(file) changed")
            }
        }
        #expect(signedAfresh == 2)
    }

    @Test("without its keys it refuses to make new ones unless asked")
    func refusesWithoutKeys() async throws {
        let scratch = try ScratchFolder()
        let run = try await Self.run(out: scratch.url.appending(path: "feeds"))
        #expect(run.status != 0)
        #expect(run.stderr.contains("--create-missing-keys"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("feeds/keys/bo-cong-an.key.pem")))
    }
}
