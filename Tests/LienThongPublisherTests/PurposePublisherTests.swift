import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongSchema
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// Purpose-bound grants (docs/PROTOCOL.md, "Purposes") on a real publisher over loopback HTTP.
@Suite("Publisher: purpose-bound grants")
struct PurposePublisherTests {
    static let verification = try! PurposeCode("xac-minh-tiem-chung")
    static let statistics = try! PurposeCode("thong-ke.2026")
    static let research = try! PurposeCode("nghien-cuu")
    static let legalBasis = "Nghị định 13/2023/NĐ-CP, Điều 17"

    /// bo-y-te's grant of dan-cu replaced by `grant`.
    static func settings(_ grant: DatasetGrant) -> PublisherSettings {
        var settings = publisherSettings()
        settings.peers[boYTe]?.grants[danCu] = grant
        return settings
    }

    static let purposeBound = DatasetGrant(fields: grantedFields, purposes: [verification, statistics], legalBasis: legalBasis)

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let target: String
        let purpose: PurposeCode?
        let error: String
        /// Words the message must hold.
        let says: String
        var testDescription: String { name }
    }

    static let refusals = [
        Refusal(name: "no purpose stated", target: "/v1/feeds/dan-cu", purpose: nil, error: "purpose", says: "states none"),
        Refusal(name: "a purpose not among the grant's", target: "/v1/feeds/dan-cu", purpose: research, error: "purpose", says: "not shared for purpose nghien-cuu"),
        // The grant comes first: a dataset not shared is `forbidden` whatever the purpose.
        Refusal(name: "a dataset not shared, with a purpose", target: "/v1/feeds/ho-tich", purpose: verification, error: "forbidden", says: "not shared"),
    ]

    @Test("a grant that names purposes refuses a request stating none or another with 403 purpose", arguments: refusals)
    func refused(row: Refusal) async throws {
        try await withPublisher(settings: Self.settings(Self.purposeBound)) { server in
            let reply = try await server.get(row.target, purpose: row.purpose)
            #expect(reply.status == 403)
            let body = try #require(try errorBody(reply))
            #expect(body.error == row.error)
            #expect(body.message.contains(row.says), "\(body.message)")
            #expect(row.error == "forbidden" || body.message.contains("xac-minh-tiem-chung, thong-ke.2026"), "\(body.message)")
            #expect(try await server.temporary.store.read { try $0.auditEvents() }.allSatisfy { $0.event != "page served" })
        }
    }

    @Test(
        "a grant serves a purpose among its own; one without purposes serves any or none; the signed page echoes exactly what was stated",
        arguments: [
            (purposeBound, verification), (purposeBound, statistics), (DatasetGrant(fields: grantedFields), nil),
            (DatasetGrant(fields: grantedFields), research),
        ] as [(DatasetGrant, PurposeCode?)]
    )
    func served(grant: DatasetGrant, purpose: PurposeCode?) async throws {
        try await withPublisher(settings: Self.settings(grant)) { server in
            let reply = try await server.get("/v1/feeds/dan-cu?after=0&limit=10", purpose: purpose)
            #expect(reply.status == 200)
            let page = try FeedPage(
                compact: reply.body, verifier: verifier,
                expected: PageExpectation(
                    publisher: boCongAn, audience: boYTe, pulledDatasets: [danCu], dataset: danCu, after: 0, limit: 10, now: wallTime(),
                    clockSkewSeconds: 300, purpose: StatedPurpose(purpose)
                )
            )
            #expect(page.purpose == purpose)
            #expect(page.records.count == 3)
            // The member itself, under the publisher's signature: there exactly when a purpose was stated.
            let payload = try JWSVerifier(keys: [publisherKey.publicKey], requiredType: FeedPage.type).verify(utf8: reply.body).payloadJSON
            #expect(payload["purpose"] == purpose.map { .string($0.rawValue) })
        }
    }

    @Test("the entity tag covers the purpose: a tag got stating one purpose does not answer 304 to a request stating another")
    func entityTagCoversPurpose() async throws {
        try await withPublisher(settings: Self.settings(DatasetGrant(fields: grantedFields))) { server in
            let target = "/v1/feeds/dan-cu?after=3"
            let first = try await server.get(target, purpose: Self.statistics)
            let tag = try #require(first.headers["etag"])
            #expect(try await server.get(target, purpose: Self.statistics, headers: [("If-None-Match", tag)]).status == 304)
            let other = try await server.get(target, purpose: Self.research, headers: [("If-None-Match", tag)])
            #expect(other.status == 200)
            #expect(other.headers["etag"] != tag)
            #expect(try await server.get(target, headers: [("If-None-Match", tag)]).status == 200)
        }
    }

    @Test("the page served entry holds the fields granted (sorted), the purpose, the legal basis and the versions withheld")
    func auditEntry() async throws {
        // cd-001 breaks this schema: it is withheld from every page (docs/SCHEMA.md).
        let schema = try DatasetSchema(declaration: try JSONValue(parsing: #"""
            {"additional": "allow", "fields": {"so_cccd": {"type": "string", "pattern": "00109000099[0-9]"}}}
            """#))
        var settings = Self.settings(DatasetGrant(fields: ["ngay_sinh", "ho_ten"], purposes: [Self.verification], legalBasis: Self.legalBasis))
        settings.schemas = [danCu: schema]
        try await withPublisher(settings: settings) { server in
            #expect(try await server.get("/v1/feeds/dan-cu?after=0&limit=10", purpose: Self.verification).status == 200)
            let served = try #require(try await server.temporary.store.read { try $0.auditEvents() }.last)
            #expect(served.event == "page served")
            #expect(try JSONValue(parsing: served.detail) == .object([
                "after": .integer(0), "last": .integer(3), "head": .integer(3), "records": .integer(2),
                "fields": .array([.string("ho_ten"), .string("ngay_sinh")]), "purpose": .string("xac-minh-tiem-chung"),
                "legal_basis": .string(Self.legalBasis), "withheld": .array([.integer(1)]),
            ]))
        }
        // Every field, no purpose, no legal basis, nothing withheld: null, null, null and no withheld member.
        try await withPublisher(settings: Self.settings(DatasetGrant(fields: nil))) { server in
            #expect(try await server.get("/v1/feeds/dan-cu?after=0&limit=10").status == 200)
            let served = try #require(try await server.temporary.store.read { try $0.auditEvents() }.last)
            #expect(try JSONValue(parsing: served.detail) == .object([
                "after": .integer(0), "last": .integer(3), "head": .integer(3), "records": .integer(3),
                "fields": .null, "purpose": .null, "legal_basis": .null,
            ]))
        }
    }
}
