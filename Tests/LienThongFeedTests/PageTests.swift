import Foundation
import GRDB
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

@Suite("Feed pages: checks")
struct PageCheckTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let reason: PageRejection.Reason
        let expected: PageExpectation
        let make: @Sendable () throws -> [UInt8]
        var testDescription: String { "\(name) → \(reason)" }
        init(_ name: String, _ reason: PageRejection.Reason, _ expected: PageExpectation = expectation(), _ make: @escaping @Sendable () throws -> [UInt8]) {
            self.name = name
            self.reason = reason
            self.expected = expected
            self.make = make
        }
    }

    static let rows: [Row] = [
        Row("signed by a key not pinned", .signature) { try page(records: [(1, record("a"))], key: strangerKey) },
        Row("flipped signature bit", .signature) {
            var bytes = try page(records: [(1, record("a"))])
            bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            return bytes
        },
        Row("another publisher's page", .wrongPublisher) { try page(publisher: try AgencyID("so-tu-phap"), records: [(1, record("a"))]) },
        Row("addressed to someone else", .wrongAudience) { try page(audience: try AgencyID("ubnd-ha-noi"), records: [(1, record("a"))]) },
        Row("dataset not asked for", .wrongDataset, expectation(after: 0)) { try page(dataset: try DatasetName("ho-tich"), records: []) },
        Row("dataset not pulled", .datasetNotPulled) { try page(dataset: try DatasetName("ho-tich"), records: []) },
        Row("wrong after", .wrongAfter, expectation(after: 5)) { try page(after: 4, records: [(5, record("a"))]) },
        Row("seq not increasing", .sequence) { try page(records: [(2, record("a")), (2, record("b"))]) },
        Row("seq not beyond after", .sequence) { try page(after: 3, records: [(3, record("a"))]) },
        Row("last beyond its records", .sequence) { try page(records: [(1, record("a"))]) { $0["last"] = .integer(2); $0["head"] = .integer(2) } },
        Row("last beyond head", .lastAfterHead) { try page(head: 1, records: [(1, record("a")), (2, record("b"))]) },
        Row("more records than the limit", .tooManyRecords, expectation(limit: 1)) { try page(records: [(1, record("a")), (2, record("b"))]) },
        Row("issued in the future", .issuedInFuture) { try page(issuedAt: now + 301, expiresAt: now + 900, records: []) },
        Row("expired", .expired) { try page(issuedAt: now - 1000, expiresAt: now - 301, records: []) },
        Row("valid for more than an hour", .lifetime) { try page(issuedAt: now, expiresAt: now + 3601, records: []) },
        Row("times at the ends of Int64", .lifetime) { try page(issuedAt: Int64.min, expiresAt: Int64.max, records: []) },
        Row("expired at the start of Int64", .expired) { try page(issuedAt: Int64.min, expiresAt: Int64.min + 10, records: []) },
        Row("version 2", .unsupportedVersion) { try page(records: []) { $0["v"] = .integer(2) } },
        Row("records missing", .malformed) { try page(records: []) { $0["records"] = nil } },
        Row("a record without seq", .malformed) { try page(records: [(1, record("a"))]) { $0["records"] = .array([record("a")]) } },
        Row("a purpose echoed when none was stated", .purpose, expectation(purpose: StatedPurpose(nil))) {
            try page(records: []) { $0["purpose"] = .string("xac-minh") }
        },
        Row("no purpose echoed when one was stated (a publisher that does not know purposes)", .purpose, statingVerification) {
            try page(records: [])
        },
        Row("another purpose echoed", .purpose, statingVerification) { try page(records: []) { $0["purpose"] = .string("thong-ke") } },
        Row("a purpose that is not a purpose code", .malformed) { try page(records: []) { $0["purpose"] = .string("Xac Minh") } },
        Row("a purpose that is not a string", .malformed) { try page(records: []) { $0["purpose"] = .array([]) } },
    ]

    static let statingVerification = expectation(purpose: StatedPurpose(try! PurposeCode("xac-minh")))

    @Test("a page echoing the stated purpose is read; offline import reads any purpose, or none")
    func purposeEchoed() throws {
        let echoing = try page(records: [(1, record("a"))]) { $0["purpose"] = .string("xac-minh") }
        #expect(try FeedPage(compact: echoing, verifier: verifier, expected: Self.statingVerification).purpose?.rawValue == "xac-minh")
        #expect(try FeedPage(compact: echoing, verifier: verifier, expected: expectation()).purpose?.rawValue == "xac-minh")
        #expect(try FeedPage(compact: try page(records: [(1, record("a"))]), verifier: verifier, expected: expectation()).purpose == nil)
    }

    @Test("a page that breaks a rule is refused with its reason", arguments: rows)
    func refused(row: Row) throws {
        let error = #expect(throws: PageRejection.self) { try FeedPage(compact: try row.make(), verifier: verifier, expected: row.expected) }
        #expect(error?.reason == row.reason, "\(String(describing: error))")
    }

    @Test("an expired page is accepted offline with allowExpired")
    func allowExpired() throws {
        let bytes = try page(issuedAt: now - 5000, expiresAt: now - 4000, records: [(1, record("a"))])
        #expect(throws: PageRejection.self) { try FeedPage(compact: bytes, verifier: verifier, expected: expectation()) }
        #expect(try FeedPage(compact: bytes, verifier: verifier, expected: expectation(allowExpired: true)).records.count == 1)
    }
}

@Suite("Feed pages: applying")
struct PageApplyTests {
    func apply(_ bytes: [UInt8], to temporary: TemporaryStore, policy: MergePolicy = .lww) throws -> PageApplication {
        try FeedPage(compact: bytes, verifier: verifier, expected: expectation()).apply(
            to: temporary.store, rules: MergeRules(policy: policy, receiver: boYTe, directSources: [boCongAn]), clockSkewSeconds: 300, now: fixedNow
        )
    }

    @Test("records apply and the cursor moves to last; a page that does not continue the cursor merges but leaves it", arguments: StoreBackend.tested)
    func cursorContinuity(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let second = try apply(try page(after: 2, head: 4, records: [(3, record("c")), (4, record("d"))]), to: temporary)
        #expect(second.applied == 2)
        #expect(!second.cursorAdvanced)
        #expect(second.cursor == 0)
        let first = try apply(try page(after: 0, head: 4, records: [(1, record("a")), (2, record("b"))]), to: temporary)
        #expect(first.cursorAdvanced)
        #expect(first.cursor == 2)
        let again = try apply(try page(after: 2, head: 4, records: [(3, record("c")), (4, record("d"))]), to: temporary)
        #expect(again.redundant == 2)
        #expect(again.cursor == 4)
        #expect(try temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == 4)
    }

    @Test("records that break the record rules are quarantined with their reason; the rest of the page applies", arguments: StoreBackend.tested)
    func quarantine(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        let result = try apply(try page(records: [
            (1, record("good")),
            (2, record("forged", origin: try AgencyID("so-tu-phap"))),
            (3, record("future", hlc: (now + 3600) * 1000)),
            (4, record(String(repeating: "x", count: 257))),
        ]), to: temporary)
        #expect(result.applied == 1)
        #expect(result.quarantined == 3)
        #expect(result.cursor == 4)
        let reasons = try temporary.store.read { try $0.quarantined() }.map(\.reason)
        #expect(reasons == ["origin not publisher", "hlc too far in future", "id length"])
    }

    @Test("a head below the cursor is a rollback: refused, nothing applied, cursor kept", arguments: StoreBackend.tested)
    func rollback(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        _ = try apply(try page(records: [(1, record("a")), (2, record("b"))]), to: temporary)
        let error = #expect(throws: PageRejection.self) {
            try apply(try page(after: 0, head: 1, records: [(1, record("z"))]), to: temporary)
        }
        #expect(error?.reason == .rollback)
        #expect(try temporary.store.read { try $0.visibleRecord(dataset: danCu, id: "z") } == nil)
        #expect(try temporary.store.read { try $0.cursor(peer: boCongAn, dataset: danCu) }?.position == 2)
    }

    @Test("a failure between the records and the cursor leaves neither", arguments: StoreBackend.tested)
    func pageAndCursorAreAtomic(backend: StoreBackend) throws {
        let temporary = try TemporaryStore(backend)
        // Inject the failure in the database itself, at the moment the cursor is written.
        try temporary.execute(
            sqlite: "CREATE TRIGGER fail_cursor BEFORE INSERT ON cursor BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            postgres: """
                CREATE FUNCTION fail_cursor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
                CREATE TRIGGER fail_cursor BEFORE INSERT ON cursor FOR EACH ROW EXECUTE FUNCTION fail_cursor();
                """
        )
        #expect(throws: (any Error).self) { try apply(try page(records: [(1, record("a")), (2, record("b"))]), to: temporary) }
        #expect(try temporary.count("record") == 0)
        #expect(try temporary.count("version") == 0)
        #expect(try temporary.count("cursor") == 0)
        #expect(try temporary.count("audit_log") == 0)
    }

    @Test("a lease another daemon took over fences its first holder out: that holder's page applies nothing", arguments: StoreBackend.tested)
    func fencedOut(backend: StoreBackend) async throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        func acquire(_ holder: String, holding fence: Int64?, at milliseconds: Int64) throws -> PullLease? {
            try store.write(at: UnixTime(milliseconds: milliseconds)) {
                try $0.acquireLease(peer: boCongAn, dataset: danCu, holder: holder, holding: fence, seconds: 5)
            }
        }
        let first = try #require(try acquire("d1", holding: nil, at: 1_000))
        #expect(first.fence == 1 && first.expiresAt == 6_000)
        // Held and not expired: another daemon cannot take it; its holder renews it.
        #expect(try acquire("d2", holding: nil, at: 3_000) == nil)
        #expect(try acquire("d1", holding: 1, at: 4_000)?.expiresAt == 9_000)
        // Expired: the other takes it over, with the next fencing number, audited.
        let second = try #require(try acquire("d2", holding: nil, at: 9_001))
        #expect(second.fence == 2)
        #expect(try temporary.count("audit_log") == 1)
        // The same daemon restarted (its name, no fencing number yet) takes it back at once, fencing its old self out.
        let restarted = try #require(try acquire("d2", holding: nil, at: 9_500))
        #expect(restarted.fence == 3)
        #expect(try acquire("d2", holding: 2, at: 9_600) == nil)
        // The first holder comes back (paused past its lease) with a page: refused by the fence, nothing kept.
        let checked = try FeedPage(compact: try page(records: [(1, record("a")), (2, record("b"))]), verifier: verifier, expected: expectation())
            .checked(now: fixedNow, clockSkewSeconds: 300)
        let rules = MergeRules(policy: .lww, receiver: boYTe, directSources: [boCongAn])
        let lost = await #expect(throws: LeaseLostError.self) {
            try await CheckedPage.apply([checked], to: store, rules: rules, now: fixedNow, lease: LeaseHold(first, seconds: 5))
        }
        #expect(lost?.current?.holder == "d2" && lost?.current?.fence == 3)
        #expect(try temporary.count("version") == 0)
        #expect(try await store.read { try $0.cursor(peer: boCongAn, dataset: danCu) } == nil)
        // The holder of the lease applies it, and renews the lease as it does.
        #expect(throws: LeaseLostError.self) {
            try store.write(at: fixedNow) { try $0.confirmLease(second, seconds: 5) }
        }
        let applied = try await CheckedPage.apply([checked], to: store, rules: rules, now: fixedNow, lease: LeaseHold(restarted, seconds: 5))
        #expect(applied.applications.first?.applied == 2)
        let leases = try await store.read { try $0.pullLeases() }
        #expect(leases.map(\.holder) == ["d2"] && leases.first?.expiresAt == fixedNow.milliseconds + 5_000)
    }
}
