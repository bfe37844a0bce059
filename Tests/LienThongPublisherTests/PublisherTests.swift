import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Publisher: refusals")
struct PublisherRefusalTests {
    @Test("a dataset held here but not granted to the requester is 403")
    func notGranted() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/ho-tich")
            #expect(reply.status == 403)
            #expect(try errorBody(reply)?.error == "forbidden")
            #expect(!reply.text.contains("KS-1"))
        }
    }

    @Test("a dataset not held here is 404, whatever its name", arguments: ["/v1/feeds/khong-co", "/v1/feeds/Dan_Cu", "/v1/feeds/dan%2Dcu"])
    func unknownDataset(target: String) async throws {
        try await withPublisher { server in
            let reply = try await server.get(target)
            #expect(reply.status == 404)
            #expect(try errorBody(reply)?.error == "not_found")
        }
    }

    @Test("a path the protocol does not have is 404 with a JSON body")
    func unknownPath() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v2/feeds/dan-cu")
            #expect(reply.status == 404)
            #expect(try errorBody(reply)?.error == "not_found")
        }
    }

    @Test(
        "a bad query is 400",
        arguments: [
            "after=-1", "limit=0", "limit=10001", "after=abc", "after=1&after=2", "afer=1", "after=", "after=%31", "limit=99999999999999999999",
        ]
    )
    func badQuery(query: String) async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/dan-cu?\(query)")
            #expect(reply.status == 400)
            #expect(try errorBody(reply)?.error == "bad_request")
        }
    }

    @Test("beyond the rate limit a peer gets 429 with Retry-After")
    func rateLimited() async throws {
        try await withPublisher(settings: publisherSettings(rateLimit: PublisherRateLimit(requestsPerSecond: 0.01, burst: 2))) { server in
            #expect(try await server.get("/v1/feeds/dan-cu").status == 200)
            #expect(try await server.get("/v1/datasets").status == 200)
            let reply = try await server.get("/v1/feeds/dan-cu")
            #expect(reply.status == 429)
            #expect(try errorBody(reply)?.error == "too_many_requests")
            let wait = try #require(reply.headers["retry-after"].flatMap { Int($0) })
            #expect((1...100).contains(wait))
        }
    }

    @Test("a request target longer than 2048 bytes is 400")
    func longTarget() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/" + String(repeating: "a", count: 2100))
            #expect(reply.status == 400)
            #expect(try errorBody(reply)?.error == "bad_request")
        }
    }

    @Test("a header field over 8 KiB is refused by the HTTP parser")
    func oversizedHead() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/dan-cu", headers: [("X-Padding", String(repeating: "a", count: 9000))])
            #expect(reply.status == 400)
        }
    }

    @Test("a request with a body is refused before its token is read")
    func bodyRefused() async throws {
        try await withPublisher { server in
            let reply = try await httpGet(port: server.port, target: "/v1/feeds/dan-cu", headers: [("Content-Length", "5")])
            #expect(reply.status == 413)
            #expect(try errorBody(reply)?.error == "payload_too_large")
        }
    }
}

@Suite("Publisher: pages")
struct PublisherPageTests {
    func expectation(after: Int64, limit: Int64) -> PageExpectation {
        PageExpectation(
            publisher: boCongAn, audience: boYTe, pulledDatasets: [danCu], dataset: danCu, after: after, limit: limit, now: wallTime(),
            clockSkewSeconds: 300
        )
    }

    @Test("a page is a JWS the page checks accept, reduced to the granted fields, and its serving is audited")
    func pageServed() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/dan-cu?after=0&limit=2")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/jose")
            #expect(reply.headers["etag"] != nil)
            let page = try FeedPage(compact: reply.body, verifier: verifier, expected: expectation(after: 0, limit: 2))
            #expect(page.records.map(\.seq) == [1, 2])
            #expect((page.last, page.head) == (2, 3))
            #expect(page.expiresAt - page.issuedAt == 300)
            for (_, record) in page.records {
                #expect(record["data"]?.objectValue.map { Set($0.keys) } == Set(grantedFields))
            }
            let payload = try JWSVerifier(keys: [publisherKey.publicKey]).verify(utf8: reply.body).payload
            #expect(!String(decoding: payload, as: UTF8.self).contains("so_cccd"))
            #expect(!String(decoding: payload, as: UTF8.self).contains(withheldValue))

            let served = try #require(try await server.temporary.store.read { try $0.auditEvents() }.last)
            #expect(served.event == "page served")
            #expect(served.peer == boYTe.rawValue)
            #expect(served.dataset == danCu.rawValue)
            let detail = try JSONValue(parsing: served.detail)
            #expect(detail == .object([
                "after": .integer(0), "last": .integer(2), "head": .integer(3), "records": .integer(2),
                "fields": .array([.string("ho_ten"), .string("ngay_sinh")]), "purpose": .null, "legal_basis": .null,
            ]))

            // The page applies at the requester as it came.
            let requesterStore = try TemporaryStore()
            let applied = try await page.apply(
                to: requesterStore.store, rules: MergeRules(policy: .lww, receiver: boYTe, directSources: [page.publisher]), clockSkewSeconds: 300,
                now: wallTime()
            )
            #expect(applied.applied == 2)
            #expect(try await requesterStore.store.read { try $0.visibleRecord(dataset: danCu, id: "cd-001") }?.version.data["so_cccd"] == nil)
        }
    }

    @Test("a page beyond the head is empty: last is after, records are none")
    func emptyPage() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/v1/feeds/dan-cu?after=3")
            let page = try FeedPage(compact: reply.body, verifier: verifier, expected: expectation(after: 3, limit: FeedPage.maximumLimit))
            #expect(page.records.isEmpty)
            #expect((page.last, page.head) == (3, 3))
        }
    }

    @Test("an unchanged feed with If-None-Match is 304; a new version or records to send make it 200")
    func notModified() async throws {
        try await withPublisher { server in
            let target = "/v1/feeds/dan-cu?after=3"
            let first = try await server.get(target)
            let tag = try #require(first.headers["etag"])
            let again = try await server.get(target, headers: [("If-None-Match", tag)])
            #expect(again.status == 304)
            #expect(again.headers["etag"] == tag)
            #expect(again.body.isEmpty)
            #expect(try await server.get(target, headers: [("If-None-Match", "\"other\", W/\(tag)")]).status == 304)
            #expect(try await server.get(target, headers: [("If-None-Match", "\"other\"")]).status == 200)

            // A page with records is always sent, signed afresh.
            let full = try await server.get("/v1/feeds/dan-cu?after=0")
            #expect(try await server.get("/v1/feeds/dan-cu?after=0", headers: [("If-None-Match", try #require(full.headers["etag"]))]).status == 200)

            _ = try await server.temporary.store.write { transaction in
                try transaction.edit(dataset: danCu, id: "cd-004", agency: boCongAn, deleted: false, data: .object([:]), policy: .lww)
            }
            let changed = try await server.get(target, headers: [("If-None-Match", tag)])
            #expect(changed.status == 200)
            #expect(changed.headers["etag"] != tag)
        }
    }

    @Test("a 304 is not audited as a page served")
    func notModifiedNotAudited() async throws {
        try await withPublisher { server in
            let tag = try #require(try await server.get("/v1/feeds/dan-cu?after=3").headers["etag"])
            let before = try await server.temporary.store.read { try $0.auditEvents() }.count
            #expect(try await server.get("/v1/feeds/dan-cu?after=3", headers: [("If-None-Match", tag)]).status == 304)
            #expect(try await server.temporary.store.read { try $0.auditEvents() }.count == before)
        }
    }

    @Test("new settings apply to the next request, and tokens used before stay used")
    func reload() async throws {
        try await withPublisher { server in
            let token = try boYTeSigner.token(audience: boCongAn, pathAndQuery: "/v1/datasets", now: wallTime())
            let headers = [("Authorization", "Bearer \(token)")]
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 200)

            var settings = server.publisher.settings
            settings.peers[boYTe]?.grants = [:]
            server.publisher.update(settings)
            #expect(try await server.get("/v1/feeds/dan-cu").status == 403)
            #expect(try await httpGet(port: server.port, target: "/v1/datasets", headers: headers).status == 401)
        }
    }
}

@Suite("Publisher: dataset list, health, metrics")
struct PublisherServiceTests {
    /// The datasets a signed list names, with their heads.
    func listedDatasets(_ reply: HTTPReply, audience: AgencyID) throws -> [String: Int64] {
        let payload = try JWSVerifier(keys: [publisherKey.publicKey], requiredType: DatasetList.type).verify(utf8: reply.body).payloadJSON
        #expect(payload["audience"]?.stringValue == audience.rawValue)
        #expect(payload["publisher"]?.stringValue == boCongAn.rawValue)
        var heads: [String: Int64] = [:]
        for entry in payload["datasets"]?.arrayValue ?? [] {
            heads[try #require(entry["name"]?.stringValue)] = entry["head"]?.int64Value
        }
        return heads
    }

    @Test("the dataset list names only what the requester may pull, with heads")
    func datasetList() async throws {
        try await withPublisher { server in
            let forBoYTe = try await server.get("/v1/datasets")
            #expect(forBoYTe.status == 200)
            #expect(forBoYTe.headers["content-type"] == "application/jose")
            #expect(try listedDatasets(forBoYTe, audience: boYTe) == ["dan-cu": 3])
            let forSoTuPhap = try await server.get("/v1/datasets", as: RequestTokenSigner(agency: soTuPhap, key: soTuPhapKey))
            #expect(try listedDatasets(forSoTuPhap, audience: soTuPhap) == ["ho-tich": 1])
            #expect(try await server.get("/v1/datasets", as: nil).status == 401)
        }
    }

    @Test("/healthz answers 200 without a token")
    func health() async throws {
        try await withPublisher { server in
            let reply = try await server.get("/healthz", as: nil)
            #expect(reply.status == 200)
            #expect(reply.text == #"{"status":"ok"}"#)
        }
    }

    @Test("/metrics answers Prometheus text on loopback, counting pages served, refusals and open conflicts")
    func metrics() async throws {
        try await withPublisher { server in
            #expect(try await server.get("/v1/feeds/dan-cu").status == 200)
            #expect(try await server.get("/v1/feeds/dan-cu", as: nil).status == 401)
            let reply = try await server.get("/metrics", as: nil)
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let lines = Set(reply.text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"lienthong_pages_served_total{peer="bo-y-te",dataset="dan-cu"} 1"#), "\(reply.text)")
            #expect(lines.contains(#"lienthong_rejections_total{kind="request",peer="",reason="missing"} 1"#), "\(reply.text)")
            #expect(lines.contains(#"lienthong_conflicts_open{dataset="dan-cu"} 0.0"#), "\(reply.text)")
        }
    }
}
