import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// A feed of `peer` at `port`, checked against `key`.
func pulledFeed(peer: AgencyID, port: Int, dataset: DatasetName, key: PrivateKey, transfer: TransferOptions = TransferOptions()) -> PulledFeed {
    PulledFeed(
        peer: peer, baseURL: URL(string: "http://127.0.0.1:\(port)")!, dataset: dataset, policy: .lww, keys: [key.publicKey], transfer: transfer
    )
}

@Suite("Two agencies pull each other's feeds over loopback")
struct TwoAgencyTests {
    let tiemChung = try! DatasetName("tiem-chung")

    @Test("each pulls the other's data page by page; grants and field reduction hold; the audit log shows what was served")
    func pullEachOther() async throws {
        // bo-cong-an publishes dan-cu (fixture seed) and pulls tiem-chung; bo-y-te publishes tiem-chung and pulls dan-cu.
        let policeStore = try TemporaryStore()
        try seedOwnFeed(policeStore.store)
        let healthStore = try TemporaryStore()
        try await healthStore.store.write { tx in
            for index in 1...5 {
                try tx.edit(dataset: tiemChung, id: "tc-\(index)", agency: boYTe, deleted: false,
                            data: .object(["vaccine": .string("Vero Cell"), "mui": .integer(index)]), policy: .lww)
            }
        }
        let police = Publisher(settings: publisherSettings(), store: policeStore.store, logger: quietLogger)
        let health = Publisher(
            settings: PublisherSettings(
                agency: boYTe, signingKey: requesterKey,
                peers: [boCongAn: PublisherPeer(keys: [publisherKey.publicKey], grants: [tiemChung: DatasetGrant(fields: nil)])],
                datasets: [tiemChung]
            ),
            store: healthStore.store, logger: quietLogger
        )
        let policeStoreHandle = policeStore.store
        let healthStoreHandle = healthStore.store
        try await police.serving { policePort in
            try await health.serving { healthPort in
                let healthPuller = FeedPuller(agency: boYTe, client: testClient, store: healthStoreHandle, tokens: boYTeSigner,
                                              clockSkewSeconds: 300, pageLimit: 2)
                let policePuller = FeedPuller(agency: boCongAn, client: testClient, store: policeStoreHandle,
                                              tokens: RequestTokenSigner(agency: boCongAn, key: publisherKey), clockSkewSeconds: 300, pageLimit: 2)
                var pages: [Int64] = []
                let danCuSummary = try await healthPuller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: policePort, dataset: danCu, key: publisherKey)) {
                    pages.append($0.last)
                }
                #expect(pages == [2, 3])
                #expect(danCuSummary.applied == 3)
                #expect(danCuSummary.cursor == 3 && danCuSummary.head == 3)
                let tiemChungSummary = try await policePuller.pullUntilCaughtUp(pulledFeed(peer: boYTe, port: healthPort, dataset: tiemChung, key: requesterKey))
                #expect(tiemChungSummary.applied == 5)
                #expect(tiemChungSummary.pages == 3)

                // Field reduction: bo-y-te sees the two granted fields, never the citizen number.
                let record = try #require(try await healthStoreHandle.read { try $0.visibleRecord(dataset: danCu, id: "cd-001") })
                #expect(record.version.data.objectValue?.keys.sorted() == ["ho_ten", "ngay_sinh"])
                #expect(record.version.origin == boCongAn)
                #expect(try await policeStoreHandle.read { try $0.visibleRecord(dataset: tiemChung, id: "tc-5") }?.version.data["mui"] == .integer(5))

                // ACL: ho-tich is not granted to bo-y-te.
                let refused = await #expect(throws: PullError.self) {
                    try await healthPuller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: policePort, dataset: hoTich, key: publisherKey))
                }
                #expect(refused?.status == 403)

                // Caught up: the next pull sends the ETag kept with the cursor (the page that reached the head) and
                // gets a 304 at once, and so does the one after it.
                let feed = pulledFeed(peer: boCongAn, port: policePort, dataset: danCu, key: publisherKey)
                for _ in 0..<2 {
                    let unchanged = try await healthPuller.pullUntilCaughtUp(feed)
                    #expect(unchanged.unchanged && unchanged.pages == 0 && unchanged.cursor == 3)
                }

                let served = try await policeStoreHandle.read { try $0.auditEvents() }.filter { $0.event == "page served" }
                #expect(served.count >= 1)
                #expect(served.allSatisfy { $0.peer == "bo-y-te" && $0.dataset == "dan-cu" })
                #expect(!served.contains { $0.detail.contains(withheldValue) })
            }
        }
    }
}

/// A publisher that misbehaves in one way per row. Each way is refused with its own reason, nothing of it is
/// applied, the cursor stays, and a healthy peer pulled at the same time completes.
@Suite("A hostile publisher")
struct HostilePublisherTests {
    static let danCuRecords: [(seq: Int64, version: JSONValue)] = (1...3).map { seq in
        (seq, RecordVersion(
            dataset: danCu, id: "cd-\(seq)", origin: boCongAn, hlc: HybridTimestamp(milliseconds: (wallClock() - 60) * 1000, counter: 0),
            vv: VersionVector([boCongAn: 1]), deleted: false, data: .object(["ho_ten": .string("Đỗ Văn \(seq)")])
        ).json)
    }

    /// A page as bo-cong-an would serve it to bo-y-te now, bent by `edit`, signed by `key`.
    static func page(
        records: [(seq: Int64, version: JSONValue)] = danCuRecords, key: PrivateKey = publisherKey, edit: (inout [String: JSONValue]) -> Void = { _ in }
    ) -> [UInt8] {
        let now = wallClock()
        guard case .object(var members) = FeedPage.payload(
            publisher: boCongAn, audience: boYTe, dataset: danCu, after: 0, head: records.last?.seq ?? 0, issuedAt: now, expiresAt: now + 300,
            records: records
        ) else { return [] }
        edit(&members)
        return Array(try! JWSSigner(key: key).sign(payload: JSONValue.object(members).serialized(), type: FeedPage.type).utf8)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let reason: PullError.Reason
        /// Words the error message must hold.
        let says: String
        let reply: @Sendable () -> LoopbackServer.Reply
        var options = TransferOptions()
        var testDescription: String { name }
    }

    static func ok(_ body: [UInt8]) -> LoopbackServer.Reply { .response(status: 200, headers: [("Content-Type", "application/jose")], body: body) }

    static let rows: [Row] = {
        var small = TransferOptions()
        small.maximumBodyBytes = 2000
        var impatient = TransferOptions()
        impatient.lowSpeedLimit = 1000
        impatient.lowSpeedTime = .seconds(1)
        return [
            Row(name: "signed by a key not pinned", reason: .pageRejected, says: "no pinned key has kid") { ok(page(key: strangerKey)) },
            Row(name: "flipped signature bit", reason: .pageRejected, says: "signature does not verify") {
                var body = page()
                body[body.count - 10] = body[body.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                return ok(body)
            },
            Row(name: "another publisher's page", reason: .pageRejected, says: "published by so-tu-phap") {
                ok(page { $0["publisher"] = .string("so-tu-phap") })
            },
            Row(name: "wrong audience", reason: .pageRejected, says: "addressed to ubnd-ha-noi") { ok(page { $0["audience"] = .string("ubnd-ha-noi") }) },
            Row(name: "wrong after", reason: .pageRejected, says: "expected after 0") {
                ok(page(records: Array(danCuRecords.dropFirst())) { $0["after"] = .integer(1) })
            },
            Row(name: "non-increasing seq", reason: .pageRejected, says: "does not increase") {
                ok(page(records: [danCuRecords[1], danCuRecords[0], danCuRecords[2]]))
            },
            Row(name: "last beyond head", reason: .pageRejected, says: "beyond the publisher's head") { ok(page { $0["head"] = .integer(2) }) },
            Row(name: "expired page", reason: .pageRejected, says: "expired") {
                ok(page { $0["issued_at"] = .integer(wallClock() - 4000); $0["expires_at"] = .integer(wallClock() - 3500) })
            },
            Row(name: "truncated body", reason: .transfer, says: "truncated") {
                let body = page()
                return .truncated(status: 200, body: Array(body.prefix(body.count / 2)), declaredLength: body.count)
            },
            Row(name: "body over the limit", reason: .transfer, says: "larger than 2000 bytes", reply: { ok(page() + [UInt8](repeating: 0x20, count: 5000)) }, options: small),
            Row(name: "slow drip", reason: .transfer, says: "too slow", reply: { .drip(status: 200, body: page(), chunk: 5, interval: .milliseconds(200)) }, options: impatient),
            Row(name: "server error", reason: .status, says: "answered 500") {
                .response(status: 500, headers: [("Content-Type", "application/json")], body: Array(#"{"error":"internal","message":"x"}"#.utf8))
            },
            Row(name: "rate limited", reason: .status, says: "answered 429") { .response(status: 429, headers: [("Retry-After", "7")], body: []) },
            Row(name: "connection reset", reason: .transfer, says: "connection lost") { .reset },
        ]
    }()

    @Test("each misbehaviour is refused with its own reason; nothing applies; a healthy peer still completes", arguments: rows)
    func refused(row: Row) async throws {
        let temporary = try TemporaryStore()
        let hostile = try LoopbackServer { _ in row.reply() }
        let healthy = try LoopbackServer { _ in
            let now = wallClock()
            let payload = FeedPage.payload(
                publisher: soTuPhap, audience: boYTe, dataset: hoTich, after: 0, head: 1, issuedAt: now, expiresAt: now + 300,
                records: [(1, RecordVersion(dataset: hoTich, id: "ks-1", origin: soTuPhap, hlc: HybridTimestamp(milliseconds: (now - 1) * 1000, counter: 0),
                                            vv: VersionVector([soTuPhap: 1]), deleted: false, data: .object(["noi_sinh": .string("Cần Thơ")])).json)]
            )
            return Self.ok(Array(try! JWSSigner(key: soTuPhapKey).sign(payload: payload.serialized(), type: FeedPage.type).utf8))
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let hostileFeed = pulledFeed(peer: boCongAn, port: hostile.port, dataset: danCu, key: publisherKey, transfer: row.options)
        let healthyFeed = pulledFeed(peer: soTuPhap, port: healthy.port, dataset: hoTich, key: soTuPhapKey)

        async let hostileResult = outcome(of: hostileFeed, with: puller)
        async let healthyResult = outcome(of: healthyFeed, with: puller)
        let (bad, good) = await (hostileResult, healthyResult)

        guard case .failure(let error) = bad else {
            Issue.record("the hostile page was accepted")
            return
        }
        #expect(error.reason == row.reason, "\(error)")
        #expect(error.description.contains(row.says), "\(error)")
        if row.name == "rate limited" { #expect(error.retryAfter == .seconds(7)) }
        #expect(try await temporary.store.read { try $0.visibleRecord(dataset: danCu, id: "cd-1") } == nil)
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) } == nil)
        let quarantinedPages = try await temporary.store.read { try $0.quarantined() }.filter { $0.reason.hasPrefix("page: ") }
        #expect(quarantinedPages.count == (row.reason == .pageRejected ? 1 : 0))
        #expect(try good.get().applied == 1)
    }

    @Test("a publisher whose head falls below what was applied is reported as a rollback")
    func rollback() async throws {
        let temporary = try TemporaryStore()
        let serveFull = LockedFlag(true)
        let server = try LoopbackServer { request in
            if serveFull.value { return Self.ok(Self.page()) }
            // After serving 3 records, the publisher now claims it has only 1, answering after=3.
            return Self.ok(Self.page(records: []) { $0["after"] = .integer(3); $0["last"] = .integer(3); $0["head"] = .integer(1) })
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let feed = pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey)
        #expect(try await puller.pullUntilCaughtUp(feed).cursor == 3)
        serveFull.value = false
        let error = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(feed) }
        #expect(error?.description.contains("below the 3 already applied") == true, "\(String(describing: error))")
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == 3)
    }
}

@Suite("A publisher's numbers at the ends of Int64")
struct ExtremeNumbersTests {
    @Test("a page whose last and head sit next to Int64.max applies without any overflow")
    func seqNearInt64Max() async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { _ in
            let now = wallClock()
            let seq = Int64.max - 5
            let record = RecordVersion(
                dataset: danCu, id: "cd-max", origin: boCongAn, hlc: HybridTimestamp(milliseconds: (now - 1) * 1000, counter: 0),
                vv: VersionVector([boCongAn: 1]), deleted: false, data: .object([:])
            ).json
            let payload = FeedPage.payload(
                publisher: boCongAn, audience: boYTe, dataset: danCu, after: 0, head: Int64.max, issuedAt: now, expiresAt: now + 300,
                records: [(seq, record)]
            )
            return HostilePublisherTests.ok(Array(try! JWSSigner(key: publisherKey).sign(json: payload, type: FeedPage.type).utf8))
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        // The next pages are asked for after Int64.max - 5 (and no further guess); this server answers them
        // with the same page, which is refused for its `after`.
        let error = await #expect(throws: PullError.self) {
            try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey))
        }
        #expect(error?.reason == .pageRejected)
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == Int64.max - 5)
    }
}

/// Pulls `feed`, keeping success or failure as a value so that two pulls can run side by side.
func outcome(of feed: PulledFeed, with puller: FeedPuller) async -> Result<PullSummary, PullError> {
    do {
        return .success(try await puller.pullUntilCaughtUp(feed))
    } catch {
        return .failure(error)
    }
}

/// A flag shared with a server's handler thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Bool
    init(_ value: Bool) { stored = value }
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

@Suite("A pull ends caught up whatever bounds its transactions")
struct TransactionBoundsTests {
    static let bounds: [TransactionBounds] = [
        .standard,
        TransactionBounds(maximumRecords: 2, maximumSeconds: .infinity),
        // Every transaction runs out of time after its first page: the pages taken after it wait for the next.
        TransactionBounds(maximumRecords: 60_000, maximumSeconds: 0),
    ]

    @Test("120 records in pages of 2 reach the head in one pull, each page applied once", arguments: bounds)
    func reachesHead(bounds: TransactionBounds) async throws {
        let publisherStore = try TemporaryStore()
        try await publisherStore.store.write { transaction in
            for index in 1...120 {
                try transaction.edit(dataset: danCu, id: "cd-\(index)", agency: boCongAn, deleted: false,
                                     data: .object(["ho_ten": .string("Công dân \(index)")]), policy: .lww)
            }
        }
        let pullerStore = try TemporaryStore()
        let puller = FeedPuller(agency: boYTe, client: testClient, store: pullerStore.store, tokens: boYTeSigner, clockSkewSeconds: 300,
                                pageLimit: 2, transactionBounds: bounds)
        let publisher = Publisher(settings: publisherSettings(), store: publisherStore.store, logger: quietLogger)
        let pulled = try await publisher.serving { port in
            try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: port, dataset: danCu, key: publisherKey))
        }
        #expect(pulled.cursor == 120 && pulled.head == 120)
        #expect(pulled.pages == 60 && pulled.applied == 120)
        #expect(try await pullerStore.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == 120)
    }
}

@Suite("A retried pull counts every page it applied")
struct RetriedPullCountTests {
    @Test("pages applied before a 429 count in the total: 20 records in pages of 2 through a limit of 3 requests at once, then 2 a second")
    func countsPagesBeforeFailure() async throws {
        let publisherStore = try TemporaryStore()
        try await publisherStore.store.write { transaction in
            for index in 1...20 {
                try transaction.edit(dataset: danCu, id: "cd-\(index)", agency: boCongAn, deleted: false,
                                     data: .object(["ho_ten": .string("Công dân \(index)")]), policy: .lww)
            }
        }
        let pullerStore = try TemporaryStore()
        let puller = FeedPuller(agency: boYTe, client: testClient, store: pullerStore.store, tokens: boYTeSigner, clockSkewSeconds: 300, pageLimit: 2)
        let publisher = Publisher(
            settings: publisherSettings(rateLimit: PublisherRateLimit(requestsPerSecond: 2, burst: 3)), store: publisherStore.store, logger: quietLogger
        )
        let pulled = try await publisher.serving { port in
            await puller.pullRetrying(
                pulledFeed(peer: boCongAn, port: port, dataset: danCu, key: publisherKey), store: pullerStore.store, attempts: 20,
                backoff: Backoff(base: .milliseconds(50), cap: .seconds(5))
            )
        }
        #expect(pulled.error == nil, "\(String(describing: pulled.error))")
        #expect(pulled.summary.cursor == 20)
        #expect(pulled.summary.pages == 10 && pulled.summary.applied == 20, "\(pulled.summary)")
    }
}
