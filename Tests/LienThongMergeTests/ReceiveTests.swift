import LienThongCore
import LienThongMerge
import Testing

@Suite("Merge.receive keeps the maximal versions of a record")
struct ReceiveTests {
    typealias F = Fixture

    @Test("a version into no siblings is the only sibling")
    func firstVersion() throws {
        let version = F.version("a", ["a": 1])
        let accepted = try #require(Merge.receive(version, siblings: [], policy: .lww).accepted)
        #expect(accepted.siblings == [version])
        #expect(accepted.displaced.isEmpty)
    }

    @Test("a stale version that a sibling has seen adds nothing")
    func stale() {
        let siblings = [F.version("a", ["a": 2], hlc: (2_000, 0)), F.version("b", ["b": 1])]
        #expect(Merge.receive(F.version("a", ["a": 1], data: F.data("old")), siblings: siblings, policy: .lww).isRedundant)
    }

    @Test("an exact duplicate adds nothing")
    func duplicate() {
        let version = F.version("a", ["a": 1, "b": 2], data: F.data("x"))
        #expect(Merge.receive(version, siblings: [version], policy: .lww).isRedundant)
    }

    @Test("the same origin, vector and content under another hlc is a duplicate, not an equivocation")
    func duplicateWithOtherStamp() {
        let kept = F.version("a", ["a": 1], hlc: (1_000, 0), data: F.data("x"))
        #expect(Merge.receive(F.version("a", ["a": 1], hlc: (5_000, 2), data: F.data("x")), siblings: [kept], policy: .lww).isRedundant)
    }

    @Test("another origin under an existing vector adds nothing and is no equivocation")
    func otherOriginSameVector() {
        let kept = F.version("a", ["a": 1, "b": 1], data: F.data("x"))
        #expect(Merge.receive(F.version("b", ["a": 1, "b": 1], data: F.data("y")), siblings: [kept], policy: .lww).isRedundant)
    }

    static let equivocations: [(name: String, received: RecordVersion)] = [
        ("other data", F.version("a", ["a": 2, "b": 1], data: F.data("changed"))),
        ("deleted instead", F.version("a", ["a": 2, "b": 1], deleted: true, data: F.data("original"))),
        ("other data and deleted", F.version("a", ["a": 2, "b": 1], deleted: true)),
        ("other data and hlc", F.version("a", ["a": 2, "b": 1], hlc: (9_000, 0), data: F.data("Original"))),
    ]

    @Test("the same origin and vector with other content is an equivocation; the existing sibling stays", arguments: equivocations)
    func equivocation(name: String, received: RecordVersion) {
        let existing = F.version("a", ["a": 2, "b": 1], data: F.data("original"))
        let other = F.version("c", ["c": 1])
        #expect(Merge.receive(received, siblings: [other, existing], policy: .lww).equivocated == existing)
    }

    @Test("concurrent versions become siblings, greatest (hlc, origin) first")
    func concurrent() throws {
        let first = F.version("a", ["a": 1], hlc: (1_000, 0))
        let second = F.version("b", ["b": 1], hlc: (2_000, 0))
        let accepted = try #require(Merge.receive(first, siblings: [second], policy: .lww).accepted)
        #expect(accepted.siblings == [second, first])
        #expect(accepted.displaced.isEmpty)
        let third = F.version("c", ["a": 1, "c": 1], hlc: (1_500, 0))
        let next = try #require(Merge.receive(third, siblings: accepted.siblings, policy: .lww).accepted)
        #expect(next.siblings == [second, third])
        #expect(next.displaced == [first])
    }

    @Test("a dominating version displaces exactly the siblings it has seen")
    func dominating() throws {
        let fromA = F.version("a", ["a": 2], hlc: (3_000, 0))
        let fromB = F.version("b", ["a": 1, "b": 1], hlc: (2_000, 0))
        let fromC = F.version("c", ["c": 1], hlc: (4_000, 0))
        let merged = F.version("d", ["a": 2, "b": 1, "d": 1], hlc: (5_000, 0))
        let accepted = try #require(Merge.receive(merged, siblings: [fromB, fromC, fromA], policy: .lww).accepted)
        #expect(accepted.siblings == [merged, fromC])
        #expect(accepted.displaced == [fromA, fromB])
    }
}
