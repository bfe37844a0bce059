import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
@testable import LienThongPoller
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// A bo-cong-an version of `id` whose data holds one string of `bytes` characters.
private func largeVersion(_ id: String, bytes: Int) -> RecordVersion {
    RecordVersion(
        dataset: danCu, id: id, origin: boCongAn, hlc: HybridTimestamp(milliseconds: (wallClock() - 1) * 1000, counter: 0),
        vv: VersionVector([boCongAn: 1]), deleted: false, data: .object(["ho_ten": .string(String(repeating: "a", count: bytes))])
    )
}

/// The `after` of a request target such as `/v1/feeds/dan-cu?after=3&limit=1000`, and its `limit`.
private func query(_ target: String) -> (after: Int64, limit: Int64) {
    let items = URLComponents(string: target)?.queryItems ?? []
    let value = { (name: String) in items.first { $0.name == name }?.value.flatMap { Int64($0) } ?? 0 }
    return (value("after"), value("limit"))
}

/// Counts what a scripted server was asked, from its handler threads.
private final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [LoopbackServer.Request] = []
    func add(_ request: LoopbackServer.Request) { lock.withLock { requests.append(request) } }
    var all: [LoopbackServer.Request] { lock.withLock { requests } }
}

@Suite("Retry-After from a peer (issue 9 row 1)")
struct RetryAfterTests {
    @Test("Retry-After is read as bounded delay-seconds", arguments: [
        ("9223372036854775807", Duration.seconds(86_400)), ("18446744073709551616", .seconds(86_400)), ("86400", .seconds(86_400)),
        ("86401", .seconds(86_400)), ("0000000000000000000007", .seconds(7)), ("120", .seconds(120)), ("0", .seconds(0)),
    ])
    func readsSeconds(text: String, expected: Duration) {
        #expect(RetryAfter.duration(text) == expected)
    }

    @Test("anything but delay-seconds is ignored", arguments: ["-1", "+5", "1.5", "", " 5", "Wed, 21 Oct 2026 07:28:00 GMT", "٣"])
    func ignoresOthers(text: String) {
        #expect(RetryAfter.duration(text) == nil)
    }

    @Test("the backoff never waits longer than its cap, whatever the peer asks")
    func cappedAtTheBackoffCap() {
        let backoff = Backoff(base: .seconds(5), cap: .seconds(900))
        #expect(backoff.delay(afterFailures: 1, retryAfter: .seconds(Int64.max), unit: 0) == .seconds(900))
        #expect(backoff.delay(afterFailures: 0, retryAfter: .seconds(Int64.max)) == .seconds(900))
        #expect(backoff.delay(afterFailures: 1, retryAfter: .seconds(900), unit: 0) == .seconds(900))
        #expect(backoff.delay(afterFailures: 1, retryAfter: .seconds(899), unit: 0) == .seconds(899))
        #expect(backoff.delay(afterFailures: Int.max, unit: 1) == .seconds(900))
    }

    @Test("a 429 with Retry-After Int64.max is a refusal with a bounded wait, over loopback")
    func hugeRetryAfterOverLoopback() async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { _ in .response(status: 429, headers: [("Retry-After", "9223372036854775807")], body: []) }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let error = await #expect(throws: PullError.self) {
            try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey))
        }
        #expect(error?.retryAfter == .seconds(RetryAfter.maximumSeconds))
    }
}

@Suite("Pages fetched ahead are bounded in bytes (issue 9 row 5)")
struct PrefetchBudgetTests {
    @Test("a reservation at the budget is taken, one byte more is not; dropping it gives the bytes back")
    func atAndPastTheBudget() {
        let budget = PrefetchBudget(limitBytes: 1000)
        var full = budget.reserve(1000)
        #expect(full != nil && budget.heldBytes == 1000)
        #expect(budget.reserve(1) == nil)
        full?.shrink(to: 400)
        #expect(budget.heldBytes == 400)
        #expect(budget.reserve(601) == nil)
        full = nil
        #expect(budget.heldBytes == 0 && budget.peakHeldBytes == 1000)
        #expect(budget.reserve(1001) == nil)
    }

    @Test("1-record pages padded to 100 KB with a far head: the bytes held ahead stay within the budget, few pages are fetched twice")
    func paddedPagesWithAFarHead() async throws {
        let temporary = try TemporaryStore()
        let pages: Int64 = 20
        let log = RequestLog()
        let server = try LoopbackServer { request in
            log.add(request)
            let after = query(request.target).after
            guard after < pages else { return .response(status: 404, headers: [], body: []) }
            let version = largeVersion("cd-\(after + 1)", bytes: 100_000).json
            return HostilePublisherTests.ok(HostilePublisherTests.page(records: [(after + 1, version)]) { members in
                members["after"] = .integer(after)
                members["head"] = .integer(1_000_000_000_000)
            })
        }
        let budget = PrefetchBudget(limitBytes: 500_000)
        var transfer = TransferOptions()
        transfer.maximumBodyBytes = 150_000
        let puller = FeedPuller(
            agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300, prefetchBudget: budget
        )
        let error = await #expect(throws: PullError.self) {
            try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey, transfer: transfer))
        }
        #expect(error?.status == 404, "\(String(describing: error))")
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == pages)
        #expect(budget.peakHeldBytes <= 500_000 && budget.peakHeldBytes > 0)
        // Every page is fetched once, plus at most the guesses still ahead when the feed stopped; fetching
        // every guess (the old way) asks several times per page and holds them all.
        #expect(log.all.count <= Int(pages) + 1 + FeedPuller.pagesAhead, "\(log.all.count) requests")
        // Once the pull ends, nothing is held.
        try await Task.sleep(for: .milliseconds(100))
        #expect(budget.heldBytes == 0)
    }
}

@Suite("ETags kept with the cursor are bounded (issue 9 row 6, issue 15)")
struct EntityTagMemoryTests {
    @Test("a tag at the length limit is sent back; one byte longer is ignored", arguments: [(256, true), (257, false), (90_000, false)])
    func tagLength(length: Int, remembered: Bool) async throws {
        let temporary = try TemporaryStore()
        let tag = "\"" + String(repeating: "e", count: length - 2) + "\""
        let log = RequestLog()
        let server = try LoopbackServer { request in
            log.add(request)
            return .response(
                status: 200, headers: [("Content-Type", "application/jose"), ("ETag", tag)], body: HostilePublisherTests.page(records: [])
            )
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let feed = pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey)
        for _ in 0..<3 { _ = try await puller.pullUntilCaughtUp(feed) }
        let sent = log.all.compactMap { $0.headers["if-none-match"] }
        #expect(sent.count == (remembered ? 2 : 0))
        #expect(sent.allSatisfy { $0 == tag })
        let kept = try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.entityTag
        #expect(kept == (remembered ? tag : nil))
    }

    @Test("only visible ASCII is kept", arguments: ["\"a b\"", "\"\u{7F}\"", "\"é\"", ""])
    func tagCharacters(tag: String) {
        #expect(FeedPage.keepableEntityTag(tag) == nil)
        #expect(FeedPage.keepableEntityTag("W/\"h7-00ff\"") == "W/\"h7-00ff\"")
    }

    @Test("the tag kept is the one of the page that reached the head, one per feed")
    func oneTagPerFeed() async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { request in
            let after = query(request.target).after
            let records = after < 20 ? [(after + 1, largeVersion("cd-\(after + 1)", bytes: 10).json)] : []
            let body = HostilePublisherTests.page(records: records) { members in
                members["after"] = .integer(after)
                members["last"] = .integer(records.last?.0 ?? after)
                members["head"] = .integer(20)
            }
            return .response(status: 200, headers: [("Content-Type", "application/jose"), ("ETag", "\"tag-\(after)\"")], body: body)
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let summary = try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey))
        #expect(summary.cursor == 20)
        #expect(try await temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.entityTag == "\"tag-19\"")
    }
}

@Suite("A refused page is quarantined once, as digest, size and first 64 KiB (issue 9 row 7)")
struct QuarantineDigestTests {
    @Test("a 2 MB page with a bad signature, served on every poll, is kept once")
    func sameBadPageEveryPoll() async throws {
        let temporary = try TemporaryStore()
        var body = HostilePublisherTests.page(records: [(1, largeVersion("cd-1", bytes: 2_000_000).json)])
        body[body.count - 10] = body[body.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let served = body
        let server = try LoopbackServer { _ in HostilePublisherTests.ok(served) }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let feed = pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey)
        for _ in 0..<3 {
            let error = await #expect(throws: PullError.self) { try await puller.pullUntilCaughtUp(feed) }
            #expect(error?.reason == .pageRejected)
        }
        let kept = try await temporary.store.read { try $0.quarantined() }
        #expect(kept.count == 1)
        let page = try #require(kept.first)
        #expect(page.raw.utf8.count == RefusedBody.keptPrefixBytes)
        #expect(page.rawBytes == Int64(served.count))
        #expect(page.rawSHA256 == (try Digest.sha256Hex(served)))
        #expect(page.timesSeen == 3)
        let refusals = try await temporary.store.read { try $0.auditEvents() }.filter { $0.event == "page refused" }
        #expect(refusals.count == 1)
    }

    @Test("the first 64 KiB are kept whole at the limit and cut one byte past it", arguments: [65_536, 65_537])
    func prefixAtTheLimit(size: Int) throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let refused = RefusedBody(body, sha256: try Digest.sha256Hex(body))
        #expect(refused.prefix.count == 65_536 && refused.size == size)
    }
}

@Suite("A page is bounded in bytes as well as records (issue 9 row 8)")
struct PageByteBoundTests {
    @Test("limit=10000 on a dataset of 1 MB records gives pages within 8 MiB, and a puller reaches every record")
    func largeRecordsInPages() async throws {
        let source = try TemporaryStore()
        try await source.store.write { transaction in
            for index in 1...9 {
                try transaction.edit(
                    dataset: danCu, id: "cd-\(index)", agency: boCongAn, deleted: false,
                    data: .object(["ho_ten": .string(String(repeating: "b", count: 1_000_000)), "so_cccd": .string("x")]), policy: .lww
                )
            }
        }
        let publisher = Publisher(settings: publisherSettings(), store: source.store, logger: quietLogger)
        try await publisher.serving { port in
            for target in ["/v1/feeds/dan-cu?after=0&limit=10000"] {
                let token = try boYTeSigner.token(audience: boCongAn, pathAndQuery: target, now: wallTime())
                let reply = try await httpGet(port: port, target: target, headers: [("Authorization", "Bearer \(token)")])
                #expect(reply.status == 200)
                #expect(reply.body.count <= FeedPage.maximumSignedBytes, "\(reply.body.count) bytes")
                let page = try FeedPage(
                    compact: reply.body, verifier: JWSVerifier(keys: [publisherKey.publicKey], requiredType: FeedPage.type),
                    expected: PageExpectation(publisher: boCongAn, audience: boYTe, pulledDatasets: [danCu], now: wallTime(), clockSkewSeconds: 300)
                )
                #expect(page.records.count >= 1 && page.records.count < 9)
            }
            let target = try TemporaryStore()
            let puller = FeedPuller(agency: boYTe, client: testClient, store: target.store, tokens: boYTeSigner, clockSkewSeconds: 300)
            let summary = try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: port, dataset: danCu, key: publisherKey))
            #expect(summary.applied == 9 && summary.pages >= 2)
        }
    }

    @Test("records filling the byte allowance exactly make a signed page within the bound")
    func allowanceAtTheBound() throws {
        let allowance = FeedPage.maximumRecordBytes(publisher: boCongAn, audience: boYTe, dataset: danCu)
        let one = [UInt8](repeating: UInt8(ascii: "r"), count: allowance / 2)
        let joined = one + [UInt8(ascii: ",")] + [UInt8](repeating: UInt8(ascii: "r"), count: allowance - one.count - 1)
        let payload = FeedPage.payloadBytes(
            publisher: boCongAn, audience: boYTe, dataset: danCu, after: .max, head: .max, issuedAt: .max, expiresAt: .max,
            joinedRecords: joined, last: .max
        )
        for key in [publisherKey, soTuPhapKey] {
            let compact = try JWSSigner(key: key).signedBytes(trustedObject: payload, type: FeedPage.type)
            #expect(compact.count <= FeedPage.maximumSignedBytes)
            #expect(compact.count > FeedPage.maximumSignedBytes - 2048)
        }
    }

    @Test("the store read stops at the byte bound: all at it, one fewer one byte below, the first record always")
    func readBound() async throws {
        let temporary = try TemporaryStore()
        try await temporary.store.write { transaction in
            for index in 1...3 {
                try transaction.edit(dataset: danCu, id: "cd-\(index)", agency: boCongAn, deleted: false, data: .object(["n": .integer(Int64(index))]), policy: .lww)
            }
        }
        let all = try await temporary.store.read { try $0.ownFeedRecordTexts(dataset: danCu, after: 0, limit: 10) }
        let total = all.joined.count
        #expect(all.records.reduce(0) { $0 + $1.json.count } + all.count - 1 == total)
        let counts = try await temporary.store.read { snapshot in
            try [total, total - 1, 1].map { try snapshot.ownFeedRecordTexts(dataset: danCu, after: 0, limit: 10, maximumBytes: $0).count }
        }
        #expect(counts == [3, 2, 1])
    }
}

@Suite("Large honest records flow (issue 9 row 9)")
struct LargeRecordTests {
    @Test("a version of exactly 1 MiB of canonical JSON is accepted; one byte more is refused as too large", arguments: [0, 1])
    func recordSizeRule(extra: Int) throws {
        let base = largeVersion("cd-1", bytes: 0).json.serialized().count
        let json = largeVersion("cd-1", bytes: RecordVersion.maximumCanonicalBytes - base + extra).json
        #expect(json.serialized().count == RecordVersion.maximumCanonicalBytes + extra)
        let read = { try RecordVersion(json: json, dataset: danCu, publisher: boCongAn, now: wallTime(), clockSkewSeconds: 300) }
        if extra == 0 {
            _ = try read()
        } else {
            let violation = #expect(throws: RecordRuleViolation.self) { try read() }
            #expect(violation?.reason == .tooLarge)
            #expect(violation?.description.contains("more than 1048576") == true)
        }
    }

    @Test("a record over 1 MiB in a page is quarantined with its reason; the rest applies")
    func tooLargeAtReceive() async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { _ in
            HostilePublisherTests.ok(HostilePublisherTests.page(records: [
                (1, largeVersion("cd-1", bytes: 1_100_000).json), (2, largeVersion("cd-2", bytes: 10).json),
            ]))
        }
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let summary = try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey))
        #expect(summary.applied == 1 && summary.quarantined == 1)
        let kept = try await temporary.store.read { try $0.quarantined() }
        #expect(kept.map(\.reason) == ["too large"])
    }

    @Test("a publisher that ignores the byte bound: the puller halves limit until the page fits, and reaches head")
    func halvesLimit() async throws {
        let temporary = try TemporaryStore()
        let records = (1...20).map { (seq: Int64($0), version: largeVersion("cd-\($0)", bytes: 51_000).json) }
        let log = RequestLog()
        let server = try LoopbackServer { request in
            log.add(request)
            let (after, limit) = query(request.target)
            let slice = Array(records.filter { $0.seq > after }.prefix(Int(limit)))
            return HostilePublisherTests.ok(HostilePublisherTests.page(records: slice) { members in
                members["after"] = .integer(after)
                members["head"] = .integer(20)
            })
        }
        var transfer = TransferOptions()
        transfer.maximumBodyBytes = 600_000
        let puller = FeedPuller(
            agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300, pageLimit: 16
        )
        let summary = try await puller.pullUntilCaughtUp(
            pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey, transfer: transfer)
        )
        #expect(summary.cursor == 20 && summary.applied == 20)
        #expect(log.all.contains { query($0.target).limit == 8 })
    }

    @Test("one record over the puller's body limit ends in an error that names the cause")
    func singleRecordOverTheLimit() async throws {
        let temporary = try TemporaryStore()
        let server = try LoopbackServer { request in
            HostilePublisherTests.ok(HostilePublisherTests.page(records: [(1, largeVersion("cd-1", bytes: 300_000).json)]))
        }
        var transfer = TransferOptions()
        transfer.maximumBodyBytes = 200_000
        let puller = FeedPuller(agency: boYTe, client: testClient, store: temporary.store, tokens: boYTeSigner, clockSkewSeconds: 300)
        let error = await #expect(throws: PullError.self) {
            try await puller.pullUntilCaughtUp(pulledFeed(peer: boCongAn, port: server.port, dataset: danCu, key: publisherKey, transfer: transfer))
        }
        #expect(error?.reason == .transfer)
        #expect(error?.description.contains("even at limit=1") == true, "\(String(describing: error))")
    }
}
