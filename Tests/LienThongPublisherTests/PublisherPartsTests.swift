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

    @Test("the entity tag changes with each thing that shapes a page")
    func entityTag() throws {
        let query = try FeedQuery("after=3&limit=10")
        let base = FeedEntityTag(requester: boYTe, dataset: danCu, query: query, head: 3, grant: DatasetGrant(fields: ["a"]))
        #expect(base == FeedEntityTag(requester: boYTe, dataset: danCu, query: query, head: 3, grant: DatasetGrant(fields: ["a"])))
        let others = [
            FeedEntityTag(requester: boCongAn, dataset: danCu, query: query, head: 3, grant: DatasetGrant(fields: ["a"])),
            FeedEntityTag(requester: boYTe, dataset: try DatasetName("ho-tich"), query: query, head: 3, grant: DatasetGrant(fields: ["a"])),
            FeedEntityTag(requester: boYTe, dataset: danCu, query: try FeedQuery("after=3&limit=11"), head: 3, grant: DatasetGrant(fields: ["a"])),
            FeedEntityTag(requester: boYTe, dataset: danCu, query: try FeedQuery("after=2&limit=10"), head: 3, grant: DatasetGrant(fields: ["a"])),
            FeedEntityTag(requester: boYTe, dataset: danCu, query: query, head: 4, grant: DatasetGrant(fields: ["a"])),
            FeedEntityTag(requester: boYTe, dataset: danCu, query: query, head: 3, grant: DatasetGrant(fields: ["a", "b"])),
            FeedEntityTag(requester: boYTe, dataset: danCu, query: query, head: 3, grant: DatasetGrant(fields: nil)),
        ]
        #expect(Set(others.map(\.value)).count == others.count)
        #expect(!others.contains(base))
        #expect(base.isMatched(byIfNoneMatch: ["\"x\"", " W/\(base.value) "]))
        #expect(base.isMatched(byIfNoneMatch: ["*"]))
        #expect(!base.isMatched(byIfNoneMatch: ["\"x\", \"y\""]))
        #expect(!base.isMatched(byIfNoneMatch: []))
    }

    @Test("a grant keeps only its fields of a record's data")
    func grantReduces() {
        let data: JSONValue = .object(["ho_ten": .string("Lan"), "so_cccd": .string("1"), "ngay_sinh": .string("1990")])
        #expect(DatasetGrant(fields: ["ho_ten", "que_quan"]).reduce(data) == .object(["ho_ten": .string("Lan")]))
        #expect(DatasetGrant(fields: nil).reduce(data) == data)
        #expect(DatasetGrant(fields: []).reduce(data) == .object([:]))
    }
}
