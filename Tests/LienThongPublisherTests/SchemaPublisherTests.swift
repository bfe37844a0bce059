import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongSchema
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// The publisher and its own schema (docs/SCHEMA.md), over real loopback HTTP against a real store.
@Suite("Publisher: the dataset's schema")
struct SchemaPublisherTests {
    /// The seeded dan-cu records' `so_cccd` must match a pattern that the first one (cd-001) does not.
    static let tightened = try! DatasetSchema(declaration: try! JSONValue(parsing: #"""
        {"additional": "allow", "fields": {"so_cccd": {"type": "string", "format": "cccd", "pattern": "00109000099[0-9]"}}}
        """#))
    /// A schema every seeded record breaks: a field none has is required.
    static let breakingAll = try! DatasetSchema(declaration: try! JSONValue(parsing: #"{"additional": "allow", "fields": {"gioi_tinh": {"type": "string", "required": true}}}"#))

    private static func settings(_ schema: DatasetSchema) -> PublisherSettings {
        var settings = publisherSettings()
        settings.schemas = [danCu: schema]
        return settings
    }

    /// The three seeded dan-cu records and one ho-tich record on `backend`.
    private static func seeded(_ backend: StoreBackend) throws -> TemporaryStore {
        let temporary = try TemporaryStore(backend)
        try seedOwnFeed(temporary.store)
        return temporary
    }

    private static func page(_ reply: HTTPReply, after: Int64, limit: Int64) throws -> FeedPage {
        try #require(reply.status == 200)
        return try FeedPage(
            compact: reply.body, verifier: verifier,
            expected: PageExpectation(
                publisher: boCongAn, audience: boYTe, pulledDatasets: [danCu], dataset: danCu, after: after, limit: limit, now: wallTime(),
                clockSkewSeconds: 300
            )
        )
    }

    @Test("a version that breaks the publisher's own schema is never served; the page's last is its last record served", arguments: StoreBackend.tested)
    func withheld(backend: StoreBackend) async throws {
        try await withPublisher(settings: Self.settings(Self.tightened), store: try Self.seeded(backend)) { server in
            let full = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=10"), after: 0, limit: 10)
            #expect(full.records.map(\.seq) == [2, 3])
            #expect(full.last == 3 && full.head == 3)
            // A limit of one: the withheld version does not count against it.
            let one = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=1"), after: 0, limit: 1)
            #expect(one.records.map(\.seq) == [2])
            #expect(one.last == 2)
        }
    }

    @Test("when every version after the cursor is withheld the page is empty, its last is after, and the head stays", arguments: StoreBackend.tested)
    func allWithheld(backend: StoreBackend) async throws {
        try await withPublisher(settings: Self.settings(Self.breakingAll), store: try Self.seeded(backend)) { server in
            let empty = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=10"), after: 0, limit: 10)
            #expect(empty.records.isEmpty)
            #expect(empty.last == 0 && empty.head == 3)
        }
    }

    @Test("a version tagged with the schema in force (checked by put) is served without a second check; another schema checks it", arguments: StoreBackend.tested)
    func taggedVersions(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let tag = try DatasetList.schemaTag(Self.breakingAll.declaration)
        // Tagged as if put had checked it against `breakingAll` (which it breaks): the tag is trusted, the data not read.
        try await temporary.store.write { transaction in
            _ = try transaction.edit(
                dataset: danCu, id: "cd-tagged", agency: boCongAn, deleted: false, data: .object(["ho_ten": .string("Đã kiểm tra")]), policy: .lww,
                schemaTag: tag
            )
        }
        try await withPublisher(settings: Self.settings(Self.breakingAll), store: temporary) { server in
            let page = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=10"), after: 0, limit: 10)
            #expect(page.records.map(\.seq) == [1])
        }
        // Under any other schema the tag is not this schema's: the version is checked, and withheld.
        var other = Self.settings(Self.breakingAll)
        other.schemas = [danCu: try DatasetSchema(declaration: try JSONValue(parsing: #"{"fields": {"gioi_tinh": {"type": "string", "required": true}}}"#))]
        try await withPublisher(settings: other, store: temporary) { server in
            let page = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=10"), after: 0, limit: 10)
            #expect(page.records.isEmpty)
        }
    }

    @Test(
        "a read passes at most 10,000 withheld versions: a record after 9,999 of them is served, after 10,000 it is not",
        arguments: [StoreSnapshot.maximumWithheldPerRead - 1, StoreSnapshot.maximumWithheldPerRead]
    )
    func withheldPerReadIsBounded(withheld: Int) async throws {
        let temporary = try TemporaryStore()
        try await temporary.store.write { transaction in
            for index in 0..<withheld {
                _ = try transaction.edit(dataset: danCu, id: "x-\(index)", agency: boCongAn, deleted: false, data: .object([:]), policy: .lww)
            }
            _ = try transaction.edit(
                dataset: danCu, id: "ok", agency: boCongAn, deleted: false, data: .object(["gioi_tinh": .string("nam")]), policy: .lww
            )
        }
        try await withPublisher(settings: Self.settings(Self.breakingAll), store: temporary) { server in
            let page = try Self.page(try await server.get("/v1/feeds/dan-cu?after=0&limit=10"), after: 0, limit: 10)
            #expect(page.records.map(\.seq) == (withheld < StoreSnapshot.maximumWithheldPerRead ? [Int64(withheld + 1)] : []))
        }
    }

    @Test("the dataset list carries the schema's normalized declaration and its SHA-256, and a reader checks them")
    func listedSchema() async throws {
        try await withPublisher(settings: Self.settings(Self.tightened)) { server in
            let reply = try await server.get("/v1/datasets")
            let listed = try DatasetList.verify(
                reply.body, keys: [publisherKey.publicKey], publisher: boCongAn, audience: boYTe, now: wallTime(), clockSkewSeconds: 300
            )
            let digest = try DatasetList.schemaDigest(Self.tightened.declaration)
            #expect(listed[danCu]?.schemaSHA256 == digest)
            #expect(digest.count == 64)
            let payload = try JWSVerifier(keys: [publisherKey.publicKey], requiredType: DatasetList.type).verify(utf8: reply.body).payloadJSON
            #expect(payload["datasets"]?.arrayValue?.first?["schema"] == Self.tightened.declaration)
        }
        try await withPublisher { server in
            let reply = try await server.get("/v1/datasets")
            let listed = try DatasetList.verify(
                reply.body, keys: [publisherKey.publicKey], publisher: boCongAn, audience: boYTe, now: wallTime(), clockSkewSeconds: 300
            )
            #expect(listed[danCu] != nil && listed[danCu]?.schemaSHA256 == nil)
        }
    }

    @Test("a list whose schema_sha256 does not match its schema, or that has one without the other, is refused", arguments: [
        (JSONValue.object(["additional": .string("refuse"), "fields": .object([:])]), JSONValue.string(String(repeating: "0", count: 64))),
        (.object(["fields": .object([:])]), nil), (nil, .string(String(repeating: "0", count: 64))), (.string("schema"), .string("x")),
    ] as [(JSONValue?, JSONValue?)])
    func mismatchedDigest(schema: JSONValue?, digest: JSONValue?) throws {
        let now = wallTime()
        guard case .object(var list) = try DatasetList.payload(
            publisher: boCongAn, audience: boYTe, issuedAt: now.seconds, expiresAt: now.seconds + 60, datasets: [(danCu, 3, nil)]
        ), case .array(let entries) = list["datasets"], case .object(var entry) = entries.first else {
            Issue.record("the payload has no dataset entry")
            return
        }
        entry["schema"] = schema
        entry["schema_sha256"] = digest
        list["datasets"] = .array([.object(entry)])
        let compact = Array(try JWSSigner(key: publisherKey).sign(json: .object(list), type: DatasetList.type).utf8)
        #expect(throws: DatasetListError.self) {
            try DatasetList.verify(compact, keys: [publisherKey.publicKey], publisher: boCongAn, audience: boYTe, now: now, clockSkewSeconds: 300)
        }
    }
}
