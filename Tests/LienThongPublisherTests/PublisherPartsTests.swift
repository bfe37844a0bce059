import LienThongCore
import LienThongFeed
@testable import LienThongPublisher
import LienThongTestSupport
import Testing

/// The parts of the publisher that real loopback HTTP cannot reach.
@Suite("Publisher: parts")
struct PublisherPartsTests {
    @Test(
        "only loopback addresses read /metrics",
        arguments: [
            ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("::FFFF:127.0.0.1", true), ("10.0.0.1", false), ("::ffff:10.0.0.1", false),
            ("1.127.0.0", false), ("fe80::1", false), ("::", false), (nil, false),
        ] as [(String?, Bool)]
    )
    func loopback(address: String?, isLoopback: Bool) {
        #expect(PublisherRequestContext.isLoopback(ipAddress: address) == isLoopback)
    }

    @Test("the entity tag changes with the head, the requester, the dataset, the grant and the purpose, not with after or limit")
    func entityTag() throws {
        func tag(
            _ requester: AgencyID = boYTe, _ dataset: DatasetName = danCu, head: Int64 = 3, fields: [String]? = ["a"], purpose: String? = nil
        ) throws -> FeedEntityTag {
            FeedEntityTag(requester: requester, dataset: dataset, head: head, grant: DatasetGrant(fields: fields), purpose: try purpose.map { try PurposeCode($0) })
        }
        let base = try tag()
        #expect(base == (try tag()))
        let others = [
            try tag(boCongAn), try tag(boYTe, try DatasetName("ho-tich")), try tag(head: 4), try tag(fields: ["a", "b"]), try tag(fields: nil),
            try tag(purpose: "xac-minh"), try tag(purpose: "thong-ke.2026"),
        ]
        #expect(Set(others.map(\.value)).count == others.count)
        #expect(!others.contains(base))
        #expect(base.isMatched(byIfNoneMatch: ["\"x\"", " W/\(base.value) "]))
        #expect(base.isMatched(byIfNoneMatch: ["*"]))
        #expect(!base.isMatched(byIfNoneMatch: ["\"x\", \"y\""]))
        #expect(!base.isMatched(byIfNoneMatch: []))
    }

    @Test(
        "wait is read like after and limit: in any order, once, plain digits",
        arguments: [
            ("wait=25", 25), ("wait=0&after=3", 0), ("limit=5&wait=7&after=1", 7), ("after=1&limit=5", 0),
        ] as [(String, Int64)]
    )
    func waitParameter(query: String, wait: Int64) throws {
        #expect(try FeedQuery(query).wait == wait)
    }

    @Test("a wait given twice, signed, empty or spaced is a bad request", arguments: ["wait=1&wait=2", "wait=-1", "wait=", "wait=+3", "wait= 3", "wait=1e2"])
    func badWait(query: String) {
        #expect(throws: PublisherError.self) { try FeedQuery(query) }
    }

    @Test("a grant keeps only its fields of a record's data")
    func grantReduces() {
        let data: JSONValue = .object(["ho_ten": .string("Lan"), "so_cccd": .string("1"), "ngay_sinh": .string("1990")])
        #expect(DatasetGrant(fields: ["ho_ten", "que_quan"]).reduce(data) == .object(["ho_ten": .string("Lan")]))
        #expect(DatasetGrant(fields: nil).reduce(data) == data)
        #expect(DatasetGrant(fields: []).reduce(data) == .object([:]))
    }
}
